/**
 * ICMP echo round-trip times with fping (iputils ping is not installed here;
 * fping's `-C` mode prints every probe's RTT, `-` for no reply).
 */
import { MeasureError, tail } from './measure-error';
import { runInNetns } from './netns-process';
import { quantiles, type Quantiles } from './quantiles';

export interface PingOptions {
  ns?: string;
  addr: string;
  count: number;
  /** Time between probes; default 10 ms. */
  intervalMs?: number;
  /** Wait for each reply at most this long; default 1000 ms. */
  replyTimeoutMs?: number;
}

export interface PingResult {
  sent: number;
  lost: number;
  /** RTTs of answered probes, in ms. */
  rttMs: number[];
  rttQuantiles: Quantiles;
}

/** Per-probe RTTs in ms (null = no reply) from `fping -C N -q` output for one target. */
export function parseFpingCounts(text: string): Array<number | null> {
  const line = text.split('\n').find((l) => /^\S+\s+:\s/.test(l));
  if (!line) throw new MeasureError('fping', `no result line in output: ${tail(text, 2)}`);
  return line
    .slice(line.indexOf(':') + 1)
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((v) => (v === '-' ? null : Number(v)));
}

/** Sends `count` pings from ns to addr and returns RTT quantiles. */
export async function pingQuantiles(opts: PingOptions): Promise<PingResult> {
  const interval = opts.intervalMs ?? 10;
  const wait = opts.replyTimeoutMs ?? 1000;
  const args = ['fping', '-C', String(opts.count), '-p', String(interval), '-t', String(wait), '-q', opts.addr];
  const r = await runInNetns(opts.ns, args, { timeoutMs: opts.count * interval + wait + 10_000 });
  if (r.timedOut) throw new MeasureError('fping', `timed out: ${tail(r.stderr)}`);
  // fping exits 1 when some probes went unanswered; that is a result, not an error.
  if (r.code !== 0 && r.code !== 1) throw new MeasureError('fping', `exit ${r.code ?? r.signal}: ${tail(r.stderr)}`);
  const counts = parseFpingCounts(r.stderr + r.stdout);
  const rttMs = counts.filter((v): v is number => v !== null);
  return { sent: counts.length, lost: counts.length - rttMs.length, rttMs, rttQuantiles: quantiles(rttMs) };
}
