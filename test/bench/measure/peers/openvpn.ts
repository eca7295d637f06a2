/**
 * OpenVPN 2.6 baseline: point-to-point over UDP with a TLS control channel
 * (self-signed EC certificates pinned by `--peer-fingerprint`, so no CA) and
 * the AEAD data channel AES-256-GCM, the 2.6 default cipher. Data channel
 * offload is disabled: this is the userspace OpenVPN most people run, and the
 * comparison braid is made against. Everything else stays at OpenVPN's
 * defaults.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { startInNetns, type NetnsProcess } from '../netns-process';
import { nextPort } from '../ports';
import { PEER_TUNNEL_MTU, type TunnelEnds, type TunnelPair } from './tunnel-pair';

const EDGE_TUN = '10.201.0.1';
const GW_TUN = '10.201.0.2';

function selfSignedCert(dir: string, name: string): { cert: string; key: string; fingerprint: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=braid-bench-${name}`,
  ], { stdio: 'pipe' });
  fs.chmodSync(key, 0o600);
  const fp = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  return { cert, key, fingerprint: fp.trim().split('=')[1] };
}

export async function startOpenvpnPair(ends: TunnelEnds): Promise<TunnelPair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-openvpn-'));
  const procs: NetnsProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop(2000)));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const edge = selfSignedCert(dir, 'edge');
    const gw = selfSignedCert(dir, 'gw');
    const port = String(nextPort());
    const common = [
      'openvpn', '--dev', 'ovpn0', '--dev-type', 'tun', '--proto', 'udp', '--port', port,
      '--tun-mtu', String(PEER_TUNNEL_MTU), '--data-ciphers', 'AES-256-GCM', '--disable-dco', '--dh', 'none',
      '--ping', '1', '--ping-exit', '120', '--verb', '3',
    ];
    procs.push(startInNetns(ends.gwNs, [
      ...common, '--local', ends.gwAddr, '--remote', ends.edgeAddr, '--ifconfig', GW_TUN, EDGE_TUN,
      '--tls-server', '--cert', gw.cert, '--key', gw.key, '--peer-fingerprint', edge.fingerprint,
    ]));
    procs.push(startInNetns(ends.edgeNs, [
      ...common, '--local', ends.edgeAddr, '--remote', ends.gwAddr, '--ifconfig', EDGE_TUN, GW_TUN,
      '--tls-client', '--cert', edge.cert, '--key', edge.key, '--peer-fingerprint', gw.fingerprint,
    ]));
    await Promise.all(procs.map((p) => p.waitForOutput(/Initialization Sequence Completed/, 20_000)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { system: 'openvpn', edgeTunAddr: EDGE_TUN, gwTunAddr: GW_TUN, pids: procs.map((p) => p.pid), stop };
}
