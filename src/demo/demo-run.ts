/**
 * `braid demo`: the product end to end in a throwaway lab, nothing to
 * configure. A laptop with Wi-Fi and LTE downloads from an intranet server
 * behind a braid gateway; the Wi-Fi link is silently cut mid-download and
 * comes back; a live per-path view shows the traffic move; then everything
 * is removed.
 */
import { spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as path from 'path';
import { renderTop, bar } from '../cli/commands/top';
import { formatBytes, formatRate } from '../cli/commands/status';
import type { EndpointStatus } from '../daemon/status-types';
import { labSet } from '../lab/lab';
import { labTunnelUp, type LabTunnel } from './lab-tunnel';

const TRANSFER = path.join(__dirname, 'transfer.js');
const DOWNLOAD_BYTES = 100 * 1024 * 1024;
const OUTAGE_AT_S = 6;
const RESTORE_AT_S = 12;
const MAX_S = 30;

export interface DemoOptions {
  out: NodeJS.WriteStream;
  /** Seconds of live view at most. */
  seconds?: number;
}

function say(out: NodeJS.WriteStream, line = ''): void {
  out.write(line + '\n');
}

function ping(t: LabTunnel): string {
  const r = spawnSync('ip', ['netns', 'exec', t.edgeNs, 'ping', '-c', '3', '-i', '0.3', '-W', '1', t.lab.appGwAddr], { encoding: 'utf8' });
  const summary = r.stdout.split('\n').filter((l) => /packets transmitted|rtt/.test(l));
  return summary.length ? summary.join('\n  ') : (r.stderr || 'ping failed').trim();
}

function metricsSample(t: LabTunnel): string[] {
  const script =
    "require('http').get('http://127.0.0.1:9468/metrics',r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>process.stdout.write(b))})";
  const r = spawnSync('ip', ['netns', 'exec', t.lab.edgeNs, process.execPath, '-e', script], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => /^braid_path_(up|rtt_seconds|sent_bytes_total)\{/.test(l));
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const out = opts.out;
  const tty = Boolean(out.isTTY);
  const name = `demo-${randomBytes(2).toString('hex')}`;
  say(out, 'braid demo: a laptop on Wi-Fi + LTE reaches an intranet through a braid gateway.');
  say(out, `Setting up lab '${name}': namespaces for the laptop, the gateway and an intranet server,`);
  say(out, 'a Wi-Fi link (50 Mbit/s, 20 ms RTT) and an LTE link (20/10 Mbit/s, 60 ms RTT) emulated in userspace...');
  const t = await labTunnelUp({ name, paths: ['wifi', 'lte'], logLevel: 'warn' });
  let server: ReturnType<typeof spawn> | undefined;
  let client: ReturnType<typeof spawn> | undefined;
  const stop = (): void => {
    server?.kill('SIGKILL');
    client?.kill('SIGKILL');
  };
  const onSignal = (): void => {
    stop();
    void t.down().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  try {
    say(out, `Edge and gateway are up; the tunnel has two paths. Apps use it with: braid exec ${t.edgeName} -- CMD`);
    say(out, `ping ${t.lab.appGwAddr} (intranet server) through the tunnel:\n  ${ping(t)}`);
    say(out);
    say(out, `Downloading ${formatBytes(DOWNLOAD_BYTES)} from the intranet server; Wi-Fi is cut at ${OUTAGE_AT_S} s (link up, every packet lost) and restored at ${RESTORE_AT_S} s.`);
    server = spawn('ip', ['netns', 'exec', t.lab.appGwNs, process.execPath, TRANSFER, 'serve', '5400', String(DOWNLOAD_BYTES)], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => server!.stdout!.once('data', () => resolve()));
    client = spawn('ip', ['netns', 'exec', t.edgeNs, process.execPath, TRANSFER, 'fetch', t.lab.appGwAddr, '5400'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let received = 0;
    let result: { bytes: number; sha256: string } | null = null;
    let buf = '';
    client.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, i)) as { progress?: number; bytes?: number; sha256?: string };
        buf = buf.slice(i + 1);
        if (msg.progress !== undefined) received = msg.progress;
        if (msg.sha256) result = { bytes: msg.bytes!, sha256: msg.sha256 };
      }
    });
    const started = Date.now();
    let prev: EndpointStatus | null = null;
    let prevAt = Date.now();
    let event = 'both paths up';
    const limit = opts.seconds ?? MAX_S;
    for (let s = 1; s <= limit && !result; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      if (s === OUTAGE_AT_S) {
        await labSet(name, 'wifi', { outage: true });
        event = `${s}s: Wi-Fi blackholed (link still up, every packet dropped)`;
      }
      if (s === RESTORE_AT_S) {
        await labSet(name, 'wifi', { outage: false });
        event = `${s}s: Wi-Fi restored`;
      }
      const cur = await t.edgeStatus();
      const now = Date.now();
      const frame = renderTop(prev, cur, (now - prevAt) / 1000, out.columns ?? 120).slice(0, -2);
      prev = cur;
      prevAt = now;
      const secs = (now - started) / 1000;
      const progress = `download ${bar(received / DOWNLOAD_BYTES, 30)} ${formatBytes(received)} / ${formatBytes(DOWNLOAD_BYTES)}  avg ${formatRate(received / secs)}`;
      if (tty) out.write('\x1b[H\x1b[2J');
      say(out, [progress, `event: ${event}`, '', ...frame].join('\n'));
      if (!tty) say(out, '');
    }
    if (result) {
      const r = result as { bytes: number; sha256: string };
      say(out, `Download complete: ${formatBytes(r.bytes)} in ${((Date.now() - started) / 1000).toFixed(1)} s, sha256 ${r.sha256.slice(0, 16)}... (byte-exact, the TCP connection survived the outage).`);
    } else {
      say(out, `Stopped the live view after ${limit} s with ${formatBytes(received)} received.`);
    }
    const s = await t.edgeStatus();
    const wifi = s.paths.find((p) => p.name === 'wifi');
    say(out, `Wi-Fi went down ${wifi?.stateChanges.down ?? 0} time(s) and came back; ${s.tunnel.reinjectedPackets} packets caught on it were re-sent on LTE.`);
    say(out);
    say(out, `Prometheus metrics are served inside the laptop's host namespace: ip netns exec ${t.lab.edgeNs} curl http://127.0.0.1:9468/metrics`);
    for (const l of metricsSample(t).slice(0, 6)) say(out, `  ${l}`);
  } finally {
    process.removeListener('SIGINT', onSignal);
    stop();
    await t.down();
    say(out, `Removed lab '${name}' and both endpoints; nothing is left behind.`);
  }
}
