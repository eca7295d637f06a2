/**
 * An isochronous UDP probe stream with irtt (one probe every intervalMs, each
 * echoed by the server), read from `irtt client -o -` JSON.
 *
 * Times are irtt's client wall clock converted to ms since the epoch, so they
 * line up with Date.now() taken around events such as a blackhole (the ns
 * values exceed 2^53; the rounding is ~256 ns, far below what we report).
 */
import { MeasureError, tail } from './measure-error';
import { nextPort } from './ports';
import { startInNetns, type NetnsProcess } from './netns-process';
import { analyzeProbes, type ProbeRecord, type ProbeStats } from './probe-gaps';

export interface IrttProbeOptions {
  serverNs?: string;
  clientNs?: string;
  /** Address the server binds and the client sends to. */
  addr: string;
  /** Probe interval; default 10 ms. */
  intervalMs?: number;
  durationMs: number;
  /** Probe size in bytes including irtt headers; default irtt's minimum (~60). */
  lengthBytes?: number;
  /** Report gaps longer than this; default 3 intervals. */
  gapThresholdMs?: number;
  port?: number;
}

export interface IrttProbeResult extends ProbeStats {
  /** Every probe, in send order (times in ms since the epoch). */
  records: ProbeRecord[];
  intervalMs: number;
}

interface IrttTime {
  wall?: number;
}

interface IrttRoundTrip {
  seqno: number;
  lost: string;
  timestamps: { client: { send: IrttTime; receive: IrttTime } };
  delay?: { rtt?: number };
}

interface IrttJson {
  config?: { params?: { interval?: number } };
  round_trips?: IrttRoundTrip[];
}

/** Probe records from `irtt client -o -` JSON. Duplicated replies count once. */
export function parseIrttRecords(text: string): { records: ProbeRecord[]; intervalMs: number } {
  let doc: IrttJson;
  try {
    doc = JSON.parse(text) as IrttJson;
  } catch (err) {
    throw new MeasureError('irtt', `unreadable JSON output: ${tail(text, 1)}`, { cause: err });
  }
  if (!Array.isArray(doc.round_trips)) throw new MeasureError('irtt', 'JSON output has no round_trips');
  const records: ProbeRecord[] = [];
  const seen = new Set<number>();
  for (const rt of doc.round_trips) {
    if (seen.has(rt.seqno)) continue;
    seen.add(rt.seqno);
    const sent = rt.timestamps?.client?.send?.wall;
    if (typeof sent !== 'number') continue; // never sent (test cut short)
    const got = rt.lost === 'false' ? rt.timestamps.client.receive?.wall : undefined;
    const rec: ProbeRecord = { seq: rt.seqno, sentAtMs: sent / 1e6, receivedAtMs: typeof got === 'number' ? got / 1e6 : null };
    if (rec.receivedAtMs !== null && typeof rt.delay?.rtt === 'number') rec.rttMs = rt.delay.rtt / 1e6;
    records.push(rec);
  }
  const intervalNs = doc.config?.params?.interval;
  return { records, intervalMs: typeof intervalNs === 'number' ? intervalNs / 1e6 : NaN };
}

/** Parses irtt JSON and summarises it: sent, lost, gaps, RTT quantiles. */
export function parseIrttJson(text: string, gapThresholdMs?: number): IrttProbeResult {
  const parsed = parseIrttRecords(text);
  const { records } = parsed;
  const intervalMs = Number.isFinite(parsed.intervalMs) ? parsed.intervalMs : 10;
  return { ...analyzeProbes(records, intervalMs, gapThresholdMs), records, intervalMs };
}

/** A probe stream running in the background. */
export interface RunningProbe {
  /** Resolves with the analysis once the stream has ended (durationMs plus irtt's wait for late replies). */
  result: Promise<IrttProbeResult>;
  /** Ends the stream early and reaps both processes; `result` then rejects. */
  abort(): Promise<void>;
}

/**
 * Starts an irtt server in serverNs and a client in clientNs; returns once the
 * client has started (its first probes are in flight about one RTT later).
 */
export async function startIrttProbe(opts: IrttProbeOptions): Promise<RunningProbe> {
  const intervalMs = opts.intervalMs ?? 10;
  const port = opts.port ?? nextPort();
  const hostPort = `${opts.addr.includes(':') ? `[${opts.addr}]` : opts.addr}:${port}`;
  const limitMs = opts.durationMs + 30_000;
  // -i 0: allow any client interval; --timeout bounds a server whose client vanished.
  const server = startInNetns(opts.serverNs, ['irtt', 'server', '-b', hostPort, '-i', '0', '--timeout=10s'], {
    timeoutMs: limitMs,
  });
  let client: NetnsProcess | undefined;
  try {
    await server.waitForOutput(/ListenerStart|starting .*listener/, 5000);
    const args = ['irtt', 'client', '-i', `${intervalMs}ms`, '-d', `${opts.durationMs}ms`, '-Q', '-o', '-'];
    args.push('--timeouts=200ms,500ms,1s,2s');
    if (opts.lengthBytes) args.push('-l', String(opts.lengthBytes));
    args.push(hostPort);
    client = startInNetns(opts.clientNs, args, { timeoutMs: limitMs });
  } catch (err) {
    await server.stop(500);
    throw err;
  }
  const running = client;
  const result = (async (): Promise<IrttProbeResult> => {
    try {
      const r = await running.exited;
      if (r.timedOut) throw new MeasureError('irtt', `client timed out: ${tail(r.stderr)}`);
      if (r.code !== 0 || !r.stdout.trim()) throw new MeasureError('irtt', `client exit ${r.code ?? r.signal}: ${tail(r.stderr)}`);
      return parseIrttJson(r.stdout, opts.gapThresholdMs);
    } finally {
      await server.stop(500);
    }
  })();
  return {
    result,
    abort: async () => {
      await Promise.all([running.stop(500), server.stop(500)]);
      await result.catch(() => undefined);
    },
  };
}

/** Runs a probe stream to the end and returns its analysis. */
export async function irttProbe(opts: IrttProbeOptions): Promise<IrttProbeResult> {
  const probe = await startIrttProbe(opts);
  return probe.result;
}
