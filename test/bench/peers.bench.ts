/**
 * Peer VPN baselines over one path without a rate limit: iperf3 TCP over the
 * bare path (veth_mbps), through OpenVPN 2.6 and through wireguard-go, and the
 * CPU seconds per GB each VPN's two daemons spend. braid's own figure
 * (single_path_mbps) is measured the same way with runThroughputCase.
 *
 * Measured over a lab path (through its relay, as braid is) and over a plain
 * veth (the kernel-only ceiling); BRAID_BENCH_PEER_PATHS=lab or =veth picks
 * one. BRAID_BENCH_SECONDS sets the length of each transfer (default 5).
 */
import { randomBytes } from 'crypto';
import { labDown, labUp } from '../../src/lab/lab';
import type { Bench, BenchResult } from './harness';
import { throughputRows } from './measure/bench-results';
import { Cleanup } from './measure/cleanup';
import { pingQuantiles } from './measure/ping';
import { runThroughputCase } from './measure/throughput-case';
import { vethPairUp } from './measure/veth-pair';
import { startOpenvpnPair } from './measure/peers/openvpn';
import { startWireguardGoPair } from './measure/peers/wireguard-go';
import type { TunnelEnds, TunnelPair } from './measure/peers/tunnel-pair';

const PEERS: Array<{ system: string; metric: string; start: (ends: TunnelEnds) => Promise<TunnelPair> }> = [
  { system: 'openvpn', metric: 'openvpn_mbps', start: startOpenvpnPair },
  { system: 'wireguard-go', metric: 'wireguard_go_mbps', start: startWireguardGoPair },
];

interface OnePath extends TunnelEnds {
  /** How the path was built, reported in params.path. */
  kind: PathKind;
}

/**
 * "lab": the lab's edge and gateway joined by one path with no impairment and
 * no rate limit (packets still cross the path's userspace relay, as braid's
 * do in every lab benchmark). "veth": two namespaces joined by a plain veth,
 * the kernel-only ceiling without the relay.
 */
type PathKind = 'lab' | 'veth';

async function onePath(kind: PathKind, cleanup: Cleanup): Promise<OnePath> {
  if (kind === 'veth') {
    const pair = vethPairUp({ prefix: 'bt-peers-' });
    cleanup.defer('remove veth namespaces', () => pair.down());
    return { kind, edgeNs: pair.a, gwNs: pair.b, edgeAddr: pair.aAddr, gwAddr: pair.bAddr };
  }
  const name = `bt-peers-${randomBytes(2).toString('hex')}`;
  cleanup.defer(`remove lab ${name}`, () => labDown(name));
  const info = await labUp({ name, paths: ['wan:clean'] });
  const p = info.paths[0];
  return { kind, edgeNs: info.edgeNs, gwNs: info.gwNs, edgeAddr: p.edgeAddr, gwAddr: p.gwAddr };
}

function pathKinds(): PathKind[] {
  const kinds = (process.env.BRAID_BENCH_PEER_PATHS ?? 'lab,veth').split(',').map((k) => k.trim());
  for (const k of kinds) if (k !== 'lab' && k !== 'veth') throw new Error(`BRAID_BENCH_PEER_PATHS: unknown path kind '${k}'; use lab and/or veth`);
  return kinds as PathKind[];
}

async function measureOver(kind: PathKind, seconds: number, results: BenchResult[]): Promise<void> {
  const cleanup = new Cleanup();
  try {
    const path = await onePath(kind, cleanup);
    const params = { path: path.kind, seconds };
    const bare = await runThroughputCase({ clientNs: path.edgeNs, serverNs: path.gwNs, serverAddr: path.gwAddr, seconds });
    results.push(...throughputRows('veth_mbps', bare, { ...params, system: 'none' }));
    for (const peer of PEERS) {
      let tunnel: TunnelPair | undefined;
      try {
        tunnel = await peer.start(path);
        cleanup.defer(`stop ${peer.system}`, tunnel.stop);
        // Completes the handshake (WireGuard's happens on first data) before the clock starts.
        await pingQuantiles({ ns: path.edgeNs, addr: tunnel.gwTunAddr, count: 3, intervalMs: 100 });
        const r = await runThroughputCase({
          clientNs: path.edgeNs,
          serverNs: path.gwNs,
          serverAddr: tunnel.gwTunAddr,
          seconds,
          pids: tunnel.pids,
        });
        results.push(...throughputRows(peer.metric, r, { ...params, system: peer.system }));
      } catch (err) {
        // One broken peer must not hide the others' numbers; the missing row and this line say why.
        process.stderr.write(`peers: ${peer.system} over ${kind} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      } finally {
        await tunnel?.stop();
      }
    }
  } finally {
    await cleanup.run();
  }
}

async function run(): Promise<BenchResult[]> {
  const seconds = Number(process.env.BRAID_BENCH_SECONDS ?? 5);
  const results: BenchResult[] = [];
  for (const kind of pathKinds()) await measureOver(kind, seconds, results);
  return results;
}

export const bench: Bench = {
  group: 'peers',
  title: 'Peer VPNs over one unlimited path: iperf3 TCP Mbit/s and CPU s/GB (no tunnel, OpenVPN 2.6, wireguard-go)',
  run,
};
