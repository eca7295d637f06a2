/**
 * wireguard-go baseline: the userspace WireGuard implementation in Go, one
 * process per end in the foreground (so its PID is the one we spawned),
 * configured with `wg`. Its UAPI sockets live in /var/run/wireguard, which all
 * namespaces share, so interface names carry a random suffix.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { execFileSync } from 'child_process';
import { ipQuiet } from '../../../../src/io/ip';
import { runChecked, startInNetns, type NetnsProcess } from '../netns-process';
import { nextPort } from '../ports';
import { PEER_TUNNEL_MTU, type TunnelEnds, type TunnelPair } from './tunnel-pair';

const EDGE_TUN = '10.202.0.1';
const GW_TUN = '10.202.0.2';
const UAPI_DIR = '/var/run/wireguard';

function keyPair(dir: string, name: string): { keyFile: string; publicKey: string } {
  const priv = execFileSync('wg', ['genkey'], { encoding: 'utf8' }).trim();
  const keyFile = path.join(dir, `${name}.key`);
  fs.writeFileSync(keyFile, priv + '\n', { mode: 0o600 });
  return { keyFile, publicKey: execFileSync('wg', ['pubkey'], { input: priv, encoding: 'utf8' }).trim() };
}

async function waitForSocket(file: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > until) throw new Error(`wireguard-go: no UAPI socket ${file} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startWireguardGoPair(ends: TunnelEnds): Promise<TunnelPair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-wg-'));
  const id = randomBytes(3).toString('hex');
  const sides = [
    { ns: ends.edgeNs, dev: `wgbe${id}`, addr: ends.edgeAddr, tun: EDGE_TUN, port: nextPort() },
    { ns: ends.gwNs, dev: `wgbg${id}`, addr: ends.gwAddr, tun: GW_TUN, port: nextPort() },
  ];
  const procs: NetnsProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop(2000)));
    for (const s of sides) {
      ipQuiet(['link', 'del', s.dev], { netns: s.ns });
      fs.rmSync(path.join(UAPI_DIR, `${s.dev}.sock`), { force: true });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const keys = sides.map((s) => keyPair(dir, s.dev));
    for (const s of sides) {
      procs.push(startInNetns(s.ns, ['wireguard-go', '-f', s.dev], { env: { WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' } }));
    }
    await Promise.all(sides.map((s) => waitForSocket(path.join(UAPI_DIR, `${s.dev}.sock`), 10_000)));
    for (let i = 0; i < 2; i++) {
      const s = sides[i];
      const peer = sides[1 - i];
      await runChecked(s.ns, [
        'wg', 'set', s.dev, 'private-key', keys[i].keyFile, 'listen-port', String(s.port),
        'peer', keys[1 - i].publicKey, 'allowed-ips', `${peer.tun}/32`, 'endpoint', `${peer.addr}:${peer.port}`,
      ], { timeoutMs: 10_000 });
      await runChecked(s.ns, ['ip', 'addr', 'add', `${s.tun}/24`, 'dev', s.dev], { timeoutMs: 5000 });
      await runChecked(s.ns, ['ip', 'link', 'set', s.dev, 'mtu', String(PEER_TUNNEL_MTU), 'up'], { timeoutMs: 5000 });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { system: 'wireguard-go', edgeTunAddr: EDGE_TUN, gwTunAddr: GW_TUN, pids: procs.map((p) => p.pid), stop };
}
