/**
 * Peer VPN baselines over one path without a rate limit: iperf3 TCP over the
 * bare path (veth_mbps), through OpenVPN 2.6 and through wireguard-go, and the
 * CPU seconds per GB each VPN's two daemons spend. braid's own figure
 * (single_path_mbps) is measured the same way with runThroughputCase.
 *
 * BRAID_BENCH_SECONDS sets the length of each transfer (default 8).
 */
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
  kind: string;
}

/** Two namespaces joined by one veth: the path every system is measured over. */
function onePath(cleanup: Cleanup): OnePath {
  const pair = vethPairUp({ prefix: 'bt-peers-' });
  cleanup.defer('remove path namespaces', () => pair.down());
  return { kind: 'veth', edgeNs: pair.a, gwNs: pair.b, edgeAddr: pair.aAddr, gwAddr: pair.bAddr };
}

async function run(): Promise<BenchResult[]> {
  const seconds = Number(process.env.BRAID_BENCH_SECONDS ?? 8);
  const results: BenchResult[] = [];
  const cleanup = new Cleanup();
  try {
    const path = onePath(cleanup);
    const params = { path: path.kind, seconds };
    const bare = await runThroughputCase({ clientNs: path.edgeNs, serverNs: path.gwNs, serverAddr: path.gwAddr, seconds });
    results.push(...throughputRows('veth_mbps', bare, { ...params, system: 'veth' }));
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
        process.stderr.write(`peers: ${peer.system} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      } finally {
        await tunnel?.stop();
      }
    }
  } finally {
    await cleanup.run();
  }
  return results;
}

export const bench: Bench = {
  group: 'peers',
  title: 'Peer VPNs over one path: iperf3 TCP Mbit/s and CPU s/GB (bare path, OpenVPN 2.6, wireguard-go)',
  run,
};
