/**
 * Added latency: round-trip time through the tunnel minus the best single
 * path's, idle and while one TCP flow saturates the tunnel (the queueing a
 * user feels on a call during a download). Probes are irtt's 10 ms stream;
 * quantiles p50/p95/p99 of each.
 */
import { iperf3Tcp, type Iperf3TcpResult } from './iperf3';
import { irttProbe } from './irtt';
import type { Quantiles } from './quantiles';

export interface ProbeEnds {
  clientNs?: string;
  serverNs?: string;
  /** Probe target in serverNs, reached from clientNs. */
  addr: string;
}

export interface LatencyCaseOptions extends ProbeEnds {
  /** Best single path RTT in ms (see bestPathRttMs), subtracted from every quantile. */
  baselineMs: number;
  /** "tcp": one iperf3 flow runs through the same ends while probing. */
  load: 'idle' | 'tcp';
  durationMs: number;
  intervalMs?: number;
  /** The load flow goes server → client (download) instead of client → server. */
  loadReverse?: boolean;
  /** Probing starts this long after the flow, once its queue has built; default 2000 ms. */
  loadRampMs?: number;
}

export interface LatencyCaseResult {
  load: 'idle' | 'tcp';
  /** Tunnel RTT quantiles, ms. */
  rtt: Quantiles;
  /** Tunnel RTT minus baselineMs, per quantile, ms. */
  added: { p50: number; p95: number; p99: number };
  lost: number;
  sent: number;
  /** The load flow's result, when load is "tcp". */
  flow?: Iperf3TcpResult;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lowest median RTT over the given paths probed one at a time, in ms: the best a single path offers. */
export async function bestPathRttMs(paths: readonly ProbeEnds[], durationMs = 2000): Promise<number> {
  let best = Infinity;
  for (const p of paths) {
    const r = await irttProbe({ ...p, intervalMs: 10, durationMs });
    if (r.rttQuantiles.p50 < best) best = r.rttQuantiles.p50;
  }
  return best;
}

export async function runLatencyCase(opts: LatencyCaseOptions): Promise<LatencyCaseResult> {
  const probeOpts = { clientNs: opts.clientNs, serverNs: opts.serverNs, addr: opts.addr, intervalMs: opts.intervalMs ?? 10, durationMs: opts.durationMs };
  let flow: Iperf3TcpResult | undefined;
  let probe;
  if (opts.load === 'tcp') {
    const rampMs = opts.loadRampMs ?? 2000;
    const loadRun = iperf3Tcp({
      clientNs: opts.clientNs,
      serverNs: opts.serverNs,
      serverAddr: opts.addr,
      reverse: opts.loadReverse,
      // Outlasts the probe stream, including irtt's wait for late replies.
      seconds: Math.ceil((rampMs + opts.durationMs) / 1000) + 1,
    });
    // A flow that fails early must not leave an unhandled rejection while we sleep.
    loadRun.catch(() => undefined);
    await sleep(rampMs);
    probe = await irttProbe(probeOpts);
    flow = await loadRun;
  } else {
    probe = await irttProbe(probeOpts);
  }
  const q = probe.rttQuantiles;
  return {
    load: opts.load,
    rtt: q,
    added: { p50: q.p50 - opts.baselineMs, p95: q.p95 - opts.baselineMs, p99: q.p99 - opts.baselineMs },
    lost: probe.lost,
    sent: probe.sent,
    flow,
  };
}
