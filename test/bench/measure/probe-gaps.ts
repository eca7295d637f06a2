/**
 * Gaps in a probe stream: how long the receiver heard nothing back.
 *
 * A user on a call notices the time without replies, not the loss rate, so
 * the failover figure is the longest interval between consecutive received
 * replies. The stream's edges count too: from the first send to the first
 * reply (a tunnel that starts dead) and from the last reply to the last send
 * (one that dies and never comes back).
 */
import { quantiles, type Quantiles } from './quantiles';

/** One probe, all times in ms on one clock (irtt: wall clock, ms since the epoch). */
export interface ProbeRecord {
  seq: number;
  sentAtMs: number;
  /** Arrival time of the reply, or null when no reply came. */
  receivedAtMs: number | null;
  /** Round-trip time when the tool measured it more exactly (irtt leaves out server processing). */
  rttMs?: number;
}

export interface ProbeGap {
  /** Last reply before the gap (or the first send, for a gap at the start). */
  startMs: number;
  /** First reply after the gap (or the last send, for a gap at the end). */
  endMs: number;
  durationMs: number;
  /** Probes sent inside the gap that never got a reply. */
  lost: number;
}

export interface ProbeStats {
  sent: number;
  lost: number;
  /** Longest time without a reply, in ms. */
  longestGapMs: number;
  /** Every gap longer than the threshold, in time order. */
  gaps: ProbeGap[];
  /** Round-trip times of the answered probes, in ms. */
  rttQuantiles: Quantiles;
}

/**
 * Summarises a probe stream. A gap is reported when it exceeds
 * `gapThresholdMs` (default 3 probe intervals: ordinary jitter stays out).
 */
export function analyzeProbes(records: readonly ProbeRecord[], intervalMs: number, gapThresholdMs = 3 * intervalMs): ProbeStats {
  const bySend = [...records].sort((a, b) => a.sentAtMs - b.sentAtMs);
  const replies = bySend.filter((r) => r.receivedAtMs !== null).map((r) => r.receivedAtMs as number);
  replies.sort((a, b) => a - b);
  const lostSends = bySend.filter((r) => r.receivedAtMs === null).map((r) => r.sentAtMs);
  const lostIn = (start: number, end: number): number => lostSends.filter((t) => t >= start && t <= end).length;

  const spans: Array<[number, number]> = [];
  if (bySend.length > 0) {
    const firstSend = bySend[0].sentAtMs;
    const lastSend = bySend[bySend.length - 1].sentAtMs;
    if (replies.length === 0) spans.push([firstSend, lastSend]);
    else {
      spans.push([firstSend, replies[0]]);
      for (let i = 1; i < replies.length; i++) spans.push([replies[i - 1], replies[i]]);
      if (lastSend > replies[replies.length - 1]) spans.push([replies[replies.length - 1], lastSend]);
    }
  }
  let longest = 0;
  const gaps: ProbeGap[] = [];
  for (const [start, end] of spans) {
    const d = end - start;
    if (d > longest) longest = d;
    if (d > gapThresholdMs) gaps.push({ startMs: start, endMs: end, durationMs: d, lost: lostIn(start, end) });
  }
  const rtts = bySend.filter((r) => r.receivedAtMs !== null).map((r) => r.rttMs ?? (r.receivedAtMs as number) - r.sentAtMs);
  return {
    sent: bySend.length,
    lost: lostSends.length,
    longestGapMs: longest,
    gaps,
    rttQuantiles: quantiles(rtts),
  };
}
