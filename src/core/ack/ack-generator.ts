/**
 * Receiver state that produces AckFrames: which global seqs arrived (SACK
 * ranges, newest first) and what each path delivered (highest pathSeq, counts,
 * the echoed send time and a one-way-delay sample). The sender's per-path
 * estimators and loss detection live on these.
 *
 * When to ack: after `everyPackets` data packets on any path, `maxDelayMs`
 * after the first unacked packet of a path, and at once when a path skips a
 * pathSeq (a loss on that path: the sender should hear about it within one
 * packet time). Global-seq gaps are not a trigger: with several paths of
 * different delay they are the normal state.
 */
import type { AckFrame, DataFrame, PathReceiveStats } from '../wire/frames';
import { SeqRanges } from './seq-ranges';

export interface AckOptions {
  /** Ack after this many data packets on a path. */
  everyPackets: number;
  /** Ack at most this long after the first unacked packet, ms. */
  maxDelayMs: number;
  /** SACK ranges per ack (newest first). */
  maxRanges: number;
  /** Ranges remembered between acks. */
  trackedRanges: number;
}

export const defaultAckOptions: AckOptions = {
  everyPackets: 2,
  maxDelayMs: 10,
  maxRanges: 32,
  trackedRanges: 256,
};

class PathAckState {
  readonly pathId: number;
  highestPathSeq = 0;
  packets = 0;
  bytes = 0;
  echoSendTimeUs = 0;
  /** Receive time of highestPathSeq, ms. */
  highestAtMs = 0;
  owdUs = 0;
  /** Data packets since the last ack. */
  pending = 0;
  firstPendingMs = 0;

  constructor(pathId: number) {
    this.pathId = pathId;
  }
}

export class AckGenerator {
  readonly options: AckOptions;
  readonly ranges: SeqRanges;
  private readonly paths: PathAckState[] = [];
  private immediate = false;
  private nowMs = 0;
  /** Acks built so far (for metrics). */
  acksBuilt = 0;
  /** Acks triggered at once by a per-path gap. */
  immediateAcks = 0;

  constructor(options: Partial<AckOptions> = {}) {
    this.options = { ...defaultAckOptions, ...options };
    this.ranges = new SeqRanges(this.options.trackedRanges);
  }

  /** A data frame arrived (every copy, duplicates included); `size` is its datagram size in bytes. */
  onData(now: number, frame: DataFrame, size: number): void {
    this.nowMs = now;
    const p = this.pathFor(frame.pathId);
    p.packets++;
    p.bytes += size;
    if (frame.pathSeq > p.highestPathSeq) {
      if (frame.pathSeq > p.highestPathSeq + 1) this.immediate = true;
      p.highestPathSeq = frame.pathSeq;
      p.echoSendTimeUs = frame.sendTimeUs;
      p.highestAtMs = now;
      p.owdUs = Math.round(now * 1000 - frame.sendTimeUs);
    }
    if (p.pending === 0) p.firstPendingMs = now;
    p.pending++;
    if (Number.isSafeInteger(frame.seq) && frame.seq >= 1) this.ranges.add(frame.seq);
  }

  /** Is an ack due now? */
  shouldAck(now: number): boolean {
    if (this.immediate) return true;
    for (const p of this.paths) {
      if (p.pending >= this.options.everyPackets) return true;
      if (p.pending > 0 && now - p.firstPendingMs >= this.options.maxDelayMs) return true;
    }
    return false;
  }

  /** When an ack becomes due without more data, ms, or undefined. */
  pollTimeout(): number | undefined {
    if (this.immediate) return this.nowMs;
    let t = Infinity;
    for (const p of this.paths) if (p.pending > 0 && p.firstPendingMs + this.options.maxDelayMs < t) t = p.firstPendingMs + this.options.maxDelayMs;
    return t === Infinity ? undefined : t;
  }

  /** Build the ack and reset the triggers. Stats cover every path that has delivered data. */
  buildAck(now: number): AckFrame {
    this.nowMs = now;
    const paths: PathReceiveStats[] = [];
    for (const p of this.paths) {
      paths.push({
        pathId: p.pathId,
        highestPathSeq: p.highestPathSeq,
        packets: p.packets,
        bytes: p.bytes,
        echoSendTimeUs: p.echoSendTimeUs,
        ackDelayUs: Math.max(0, Math.round((now - p.highestAtMs) * 1000)),
        owdUs: p.owdUs,
      });
      p.pending = 0;
    }
    if (this.immediate) this.immediateAcks++;
    this.immediate = false;
    this.acksBuilt++;
    return { ranges: this.ranges.newest(this.options.maxRanges), paths };
  }

  /** A path closed: stop reporting it. */
  removePath(pathId: number): void {
    const i = this.paths.findIndex((p) => p.pathId === pathId);
    if (i >= 0) this.paths.splice(i, 1);
  }

  private pathFor(pathId: number): PathAckState {
    for (let i = 0; i < this.paths.length; i++) if (this.paths[i].pathId === pathId) return this.paths[i];
    const p = new PathAckState(pathId);
    this.paths.push(p);
    return p;
  }
}
