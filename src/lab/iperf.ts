/**
 * Throughput over one lab path with iperf3: a one-shot server on the
 * gateway's public address, a client in edge bound to the path's device
 * (SO_BINDTODEVICE), JSON results. For the lab's tests and benchmarks.
 */
import { spawn, type ChildProcess } from 'child_process';
import { BraidError } from '../errors';
import type { LabInfo } from './topology';

export interface IperfOptions {
  seconds: number;
  /** Gateway -> edge instead of edge -> gateway. */
  reverse?: boolean;
  /** UDP at this offered rate (bit/s) instead of TCP. */
  udpBps?: number;
  /** UDP datagram size (default 1400). */
  udpSize?: number;
}

export interface IperfResult {
  /** What reached the receiver, Mbit/s of payload. */
  receivedMbit: number;
  /** UDP only: share of datagrams lost. */
  lostPct?: number;
}

interface IperfJson {
  end: {
    /** The receiver's view (for UDP as reported back by the server). */
    sum_received?: { bits_per_second: number; lost_percent?: number };
  };
  error?: string;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => (stdout += c));
    child.once('close', (code) => resolve({ code: code ?? -1, stdout }));
  });
}

export async function iperfPath(lab: LabInfo, pathName: string, opts: IperfOptions): Promise<IperfResult> {
  const p = lab.paths.find((x) => x.name === pathName);
  if (!p) throw new BraidError('BRAID_ERR_LAB', `lab '${lab.name}' has no path '${pathName}'`);
  const server = spawn('ip', ['netns', 'exec', lab.gwNs, 'iperf3', '-s', '-1', '-B', lab.gwPublicAddr], { stdio: 'ignore' });
  try {
    const args = ['netns', 'exec', lab.edgeNs, 'iperf3', '-c', lab.gwPublicAddr, '--bind-dev', p.edgeDev, '-t', String(opts.seconds), '-J'];
    if (opts.reverse) args.push('-R');
    // 4 MB socket buffers: a receiver that misses a few ms of CPU must not add loss of its own.
    if (opts.udpBps) args.push('-u', '-b', String(Math.round(opts.udpBps)), '-l', String(opts.udpSize ?? 1400), '-w', '4M');
    let last = '';
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50)); // the server needs a moment to listen
      const r = await run('ip', args);
      last = r.stdout;
      if (r.code !== 0) continue;
      const j = JSON.parse(r.stdout) as IperfJson;
      const received = j.end.sum_received;
      return { receivedMbit: (received?.bits_per_second ?? 0) / 1e6, lostPct: opts.udpBps ? received?.lost_percent : undefined };
    }
    throw new BraidError('BRAID_ERR_LAB', `iperf3 over path ${pathName} failed: ${last.slice(0, 200)}`);
  } finally {
    server.kill();
  }
}
