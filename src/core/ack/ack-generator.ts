/**
 * Receiver state that produces AckFrames: which global seqs arrived (SACK
 * ranges, newest first) and what each path delivered (highest pathSeq, counts,
 * the echoed send time and a one-way-delay sample). The sender's per-path
 * estimators and loss detection live on these.
 *
 * When to ack, per path: after `everyPackets` data packets on the path,
 * `maxDelayMs` after its first unacked packet, and at once when it skips a
 * pathSeq (a loss on that path: the sender should hear about it within one
 * packet time). pollAckPath() names the path that owes an ack; sending it back
 * on that path makes the echo a clean RTT sample for it. Global-seq gaps are not a trigger: with several paths of
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
  /** This path skipped a pathSeq since its last ack: ack at once. */
  gap = false;

  constructor(pathId: number) {
    this.pathId = pathId;
  }
}

/** Lost seqs named in one ack at most (8 bytes each at worst; acks ride on data frames when they fit). */
const MAX_LOST_PER_ACK = 64;

export class AckGenerator {
  readonly options: AckOptions;
  readonly ranges: SeqRanges;
  private readonly paths: PathAckState[] = [];
  private nowMs = 0;
  /** Acks built so far (for metrics). */
  acksBuilt = 0;
  /** Acks triggered at once by a per-path gap. */
  immediateAcks = 0;
  /** Seqs proven lost, to be named once in the next ack (loss recovery). */
  private readonly lost: number[] = [];

  /** Lost seqs wait to be named: the ack should go now, on the fastest path. */
  get hasLost(): boolean {
    return this.lost.length > 0;
  }

  /** `seq` was proven lost: the next ack names it so the sender resends it. */
  onLost(seq: number): void {
    if (this.lost.length < MAX_LOST_PER_ACK) this.lost.push(seq);
  }

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
      if (frame.pathSeq > p.highestPathSeq + 1) p.gap = true;
      p.highestPathSeq = frame.pathSeq;
      p.echoSendTimeUs = frame.sendTimeUs;
      p.highestAtMs = now;
      p.owdUs = Math.round(now * 1000 - frame.sendTimeUs);
    }
    if (p.pending === 0) p.firstPendingMs = now;
    p.pending++;
    if (Number.isSafeInteger(frame.seq) && frame.seq >= 1) this.ranges.add(frame.seq);
  }

  /** Is an ack due now (for any path)? */
  shouldAck(now: number): boolean {
    return this.pollAckPath(now) >= 0;
  }

  /**
   * The path that owes an ack now, or -1. Send that ack back on the same
   * path, so the echoed send time gives that path's RTT.
   */
  pollAckPath(now: number): number {
    for (let i = 0; i < this.paths.length; i++) if (this.due(this.paths[i], now)) return this.paths[i].pathId;
    return -1;
  }

  /** When an ack becomes due without more data, ms, or undefined. */
  pollTimeout(): number | undefined {
    let t = Infinity;
    for (let i = 0; i < this.paths.length; i++) {
      const at = this.dueAt(this.paths[i]);
      if (at < t) t = at;
    }
    if (t === Infinity) return undefined;
    return t === -Infinity ? this.nowMs : t;
  }

  /**
   * Build an ack carrying the SACK ranges and every path's stats. With
   * `pathId`, only that path's triggers are reset (per-path acking, see
   * pollAckPath); without, all of them.
   */
  buildAck(now: number, pathId?: number): AckFrame {
    this.nowMs = now;
    const paths: PathReceiveStats[] = [];
    let immediate = false;
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
      if (pathId === undefined || p.pathId === pathId) {
        if (p.gap) immediate = true;
        p.pending = 0;
        p.gap = false;
      }
    }
    if (immediate) this.immediateAcks++;
    this.acksBuilt++;
    const ack: AckFrame = { ranges: this.ranges.newest(this.options.maxRanges), paths };
    if (this.lost.length > 0) {
      ack.lost = this.lost.slice();
      this.lost.length = 0;
    }
    return ack;
  }

  private due(p: PathAckState, now: number): boolean {
    return now >= this.dueAt(p);
  }

  /**
   * When `p` owes an ack: -Infinity already (a gap, or enough packets),
   * Infinity never (nothing pending). due() and pollTimeout() both read this
   * one number, so a timer set to pollTimeout's answer always finds the ack
   * due (`now - first >= delay` can be false by a float hair at `first + delay`).
   */
  private dueAt(p: PathAckState): number {
    if (p.pending === 0) return Infinity;
    if (p.gap || p.pending >= this.options.everyPackets) return -Infinity;
    return p.firstPendingMs + this.options.maxDelayMs;
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
