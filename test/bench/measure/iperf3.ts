/**
 * One iperf3 TCP transfer between two namespaces.
 *
 * The server is a one-off (`-s -1`) bound to the address under test, so a
 * transfer cannot silently take another route, and is killed by PID
 * afterwards whatever happened. Throughput is what the receiver counted
 * (`end.sum_received`), i.e. goodput; retransmits come from the sender's TCP.
 */
import { MeasureError, tail } from './measure-error';
import { nextPort } from './ports';
import { runInNetns, startInNetns } from './netns-process';

export interface Iperf3TcpOptions {
  /** Namespace of the iperf3 server (undefined: this namespace). */
  serverNs?: string;
  /** Namespace of the iperf3 client. */
  clientNs?: string;
  /** Address the server binds and the client connects to. */
  serverAddr: string;
  seconds: number;
  /** Server sends, client receives (`-R`). */
  reverse?: boolean;
  /** Seconds at the start left out of the result (`-O`, TCP slow start). */
  omitSeconds?: number;
  /** Congestion control for the sender (`-C`), e.g. "cubic" or "bbr". */
  congestion?: string;
  /** Fixed port; default: a fresh one, retried on a bind clash. */
  port?: number;
}

export interface Iperf3TcpResult {
  /** Receiver goodput in Mbit/s (10^6 bit/s). */
  mbps: number;
  /** TCP retransmissions at the sender. */
  retransmits: number;
  /** Bytes the receiver got. */
  bytes: number;
  /** Measured interval at the receiver. */
  seconds: number;
}

interface Iperf3Sum {
  bytes?: number;
  seconds?: number;
  bits_per_second?: number;
  retransmits?: number;
}

interface Iperf3Json {
  error?: string;
  end?: { sum_sent?: Iperf3Sum; sum_received?: Iperf3Sum };
}

/** Reads `iperf3 -J` client output; throws a MeasureError on an iperf3 error or a missing summary. */
export function parseIperf3Json(text: string): Iperf3TcpResult {
  let doc: Iperf3Json;
  try {
    doc = JSON.parse(text) as Iperf3Json;
  } catch (err) {
    throw new MeasureError('iperf3', `unreadable JSON output: ${tail(text, 1)}`, { cause: err });
  }
  if (doc.error) throw new MeasureError('iperf3', doc.error);
  const rx = doc.end?.sum_received;
  if (!rx || typeof rx.bits_per_second !== 'number' || typeof rx.bytes !== 'number') {
    throw new MeasureError('iperf3', 'JSON output has no end.sum_received (was this a TCP test?)');
  }
  return {
    mbps: rx.bits_per_second / 1e6,
    retransmits: doc.end?.sum_sent?.retransmits ?? 0,
    bytes: rx.bytes,
    seconds: rx.seconds ?? 0,
  };
}

const BIND_CLASH = /unable to start listener|Address already in use/i;

/** Runs one iperf3 TCP test from clientNs to serverAddr in serverNs. */
export async function iperf3Tcp(opts: Iperf3TcpOptions): Promise<Iperf3TcpResult> {
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? nextPort();
    const server = startInNetns(opts.serverNs, ['iperf3', '-s', '-1', '--forceflush', '-B', opts.serverAddr, '-p', String(port)], {
      timeoutMs: (opts.seconds + 30) * 1000,
    });
    try {
      try {
        await server.waitForOutput(/Server listening/, 5000);
      } catch (err) {
        if (attempt < attempts && BIND_CLASH.test(server.output())) continue;
        throw err;
      }
      const args = ['iperf3', '-c', opts.serverAddr, '-p', String(port), '-t', String(opts.seconds), '-J'];
      if (opts.reverse) args.push('-R');
      if (opts.omitSeconds) args.push('-O', String(opts.omitSeconds));
      if (opts.congestion) args.push('-C', opts.congestion);
      const r = await runInNetns(opts.clientNs, args, { timeoutMs: (opts.seconds + (opts.omitSeconds ?? 0) + 20) * 1000 });
      if (r.timedOut) throw new MeasureError('iperf3', `client timed out: ${tail(r.stderr)}`);
      if (!r.stdout.trim()) throw new MeasureError('iperf3', `client printed nothing (exit ${r.code}): ${tail(r.stderr)}`);
      return parseIperf3Json(r.stdout);
    } finally {
      await server.stop(500);
    }
  }
}
