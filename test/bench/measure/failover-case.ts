/**
 * Failover: a 10 ms probe stream runs through the tunnel; the path carrying
 * it is silently blackholed (link up, every packet dropped) and later
 * restored. Reports the longest time without a reply, the probes lost, and
 * the failback time: from the restore until the restored path carries the
 * stream's traffic again.
 *
 * Path traffic is read from a caller-supplied byte counter per path. Use a
 * counter of bytes *delivered* over the path (for example rx bytes at the far
 * end of the lab link, behind the blackhole), so a dead path reads flat.
 * Probes are 400 bytes by default so the stream stands out from the tunnel's
 * own keepalives and path probes on the counter.
 */
import { startIrttProbe, type IrttProbeResult } from './irtt';

export type PathBytes = Record<string, number>;

export interface FailoverCaseOptions {
  clientNs?: string;
  serverNs?: string;
  /** Probe target reached through the tunnel. */
  addr: string;
  /** Byte counters per path name (sync or async). Polled every pollMs. */
  pathBytes: () => PathBytes | Promise<PathBytes>;
  /** Silently drop everything on this path (link stays up). */
  blackhole: (path: string) => Promise<void>;
  /** Undo blackhole. */
  restore: (path: string) => Promise<void>;
  /** Path to cut; default: the one that carried most bytes during warm-up. */
  path?: string;
  intervalMs?: number;
  lengthBytes?: number;
  /** Probing before the cut; default 1500 ms. */
  warmupMs?: number;
  /** How long the path stays dead; default 3000 ms. */
  outageMs?: number;
  /** Probing after the restore; default 5000 ms. */
  afterMs?: number;
  pollMs?: number;
  /** Failback needs this many bytes on the restored path within windowMs; default: a quarter of the stream's bytes. */
  failbackMinBytes?: number;
  failbackWindowMs?: number;
}

export interface FailoverCaseResult {
  /** The path that was cut. */
  path: string;
  longestGapMs: number;
  lostPackets: number;
  /** ms from the restore until the path carries the stream again; NaN if it never did. */
  failbackMs: number;
  /** Epoch ms when blackhole() returned (the path is dead from here on). */
  cutAtMs: number;
  /** Epoch ms when restore() was called: the path was dead for at least restoreStartMs - cutAtMs. */
  restoreStartMs: number;
  /** Epoch ms when restore() returned; failbackMs counts from here. */
  restoredAtMs: number;
  probe: IrttProbeResult;
}

export interface CounterSample {
  atMs: number;
  bytes: number;
}

/** The path whose counter grew most between two snapshots. */
export function busiestPath(before: PathBytes, after: PathBytes): string {
  let best = '';
  let bestDelta = -Infinity;
  for (const [name, bytes] of Object.entries(after)) {
    const delta = bytes - (before[name] ?? 0);
    if (delta > bestDelta) {
      best = name;
      bestDelta = delta;
    }
  }
  if (!best) throw new Error('pathBytes() returned no paths');
  return best;
}

/**
 * Time from `restoredAtMs` to the first counter rise that starts sustained
 * traffic: at least minBytes within windowMs. NaN when that never happens.
 */
export function detectFailback(samples: readonly CounterSample[], restoredAtMs: number, minBytes: number, windowMs: number): number {
  const after = samples.filter((s) => s.atMs >= restoredAtMs);
  for (let i = 0; i < after.length - 1; i++) {
    let j = i + 1;
    while (j + 1 < after.length && after[j + 1].atMs <= after[i].atMs + windowMs) j++;
    if (after[j].bytes - after[i].bytes >= minBytes) {
      // Traffic began at the first sample in the window that rose at the
      // sustained rate (a keepalive just before it does not count).
      for (let k = i + 1; k <= j; k++) {
        const rise = after[k].bytes - after[k - 1].bytes;
        if (rise >= (minBytes * (after[k].atMs - after[k - 1].atMs)) / windowMs) return after[k].atMs - restoredAtMs;
      }
      return after[j].atMs - restoredAtMs;
    }
  }
  return NaN;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runFailoverCase(opts: FailoverCaseOptions): Promise<FailoverCaseResult> {
  const intervalMs = opts.intervalMs ?? 10;
  const lengthBytes = opts.lengthBytes ?? 400;
  const warmupMs = opts.warmupMs ?? 1500;
  const outageMs = opts.outageMs ?? 3000;
  const afterMs = opts.afterMs ?? 5000;
  const pollMs = opts.pollMs ?? 20;
  const windowMs = opts.failbackWindowMs ?? 200;
  // Both directions of the stream cross the path: 2 × length per interval.
  const minBytes = opts.failbackMinBytes ?? 0.25 * ((2 * lengthBytes * windowMs) / intervalMs);

  const probe = await startIrttProbe({
    clientNs: opts.clientNs,
    serverNs: opts.serverNs,
    addr: opts.addr,
    intervalMs,
    lengthBytes,
    durationMs: warmupMs + outageMs + afterMs,
  });
  const samples: Array<{ atMs: number; bytes: PathBytes }> = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const bytes = await opts.pathBytes();
      samples.push({ atMs: Date.now(), bytes });
      await sleep(pollMs);
    }
  })();
  let path = opts.path ?? '';
  let cutAtMs = NaN;
  let restoreStartMs = NaN;
  let restoredAtMs = NaN;
  let cutTried = false;
  try {
    const warmStart = await opts.pathBytes();
    await sleep(warmupMs);
    path = opts.path ?? busiestPath(warmStart, await opts.pathBytes());
    cutTried = true;
    await opts.blackhole(path);
    cutAtMs = Date.now();
    await sleep(outageMs);
    restoreStartMs = Date.now();
    await opts.restore(path);
    restoredAtMs = Date.now();
  } catch (err) {
    polling = false;
    // Never leave the path dead for the next case.
    if (cutTried && Number.isNaN(restoredAtMs)) await opts.restore(path).catch(() => undefined);
    await poller.catch(() => undefined);
    await probe.abort();
    throw err;
  }
  let result: IrttProbeResult;
  try {
    result = await probe.result;
  } finally {
    polling = false;
    await poller.catch(() => undefined);
  }
  const series = samples.map((s) => ({ atMs: s.atMs, bytes: s.bytes[path] ?? 0 }));
  return {
    path,
    longestGapMs: result.longestGapMs,
    lostPackets: result.lost,
    failbackMs: detectFailback(series, restoredAtMs, minBytes, windowMs),
    cutAtMs,
    restoreStartMs,
    restoredAtMs,
    probe: result,
  };
}
