/**
 * The path scheduler interface ("transmission-path scheduling"): given the
 * packet at the head of the send queue, choose the path(s) it goes on now, or
 * say how long to wait. Implementations are small, one file each, and are
 * listed in registry.ts; all of them must pass test/unit/sched-compliance.
 *
 * Rules every scheduler keeps: only paths whose `sendableAt` is <= now may be
 * chosen (that is the path's rate and window control, so no path is fed
 * faster than it delivers), and never a path that is not `usable` (up), except
 * `suspect` paths when no path at all is up. `pick` must not allocate.
 */
import type { PathStatus } from '../path/liveness';

/** What a scheduler may see of a path. Times in ms, rates in bytes per ms. */
export interface PathView {
  readonly id: number;
  readonly status: PathStatus;
  /** Up and carrying data. */
  readonly usable: boolean;
  /** Feedback overdue: no new data unless nothing is up. */
  readonly suspect: boolean;
  readonly backup: boolean;
  readonly weight: number;
  readonly srttMs: number;
  readonly minRttMs: number;
  readonly rttVarMs: number;
  /** One-way delay above the fastest path's (clock offsets cancel), ms. */
  readonly owdOffsetMs: number;
  /** Queueing delay currently seen in the network on this path, ms. */
  readonly queueDelayMs: number;
  /** Estimated bottleneck bandwidth, bytes per ms. */
  readonly rateBytesPerMs: number;
  readonly inflightBytes: number;
  readonly cwndBytes: number;
  /** Earliest time a datagram of `size` may be sent here; Infinity while the window is full. */
  sendableAt(size: number): number;
}

/** Reused result of a pick: `count` path ids in `pathIds`, or none and a time to retry. */
export class Pick {
  count = 0;
  readonly pathIds: number[] = [];
  /** When count is 0: try again at this time (Infinity: after the next ack or path change). */
  waitUntil = Infinity;

  clear(): void {
    this.count = 0;
    this.waitUntil = Infinity;
  }

  add(pathId: number): void {
    this.pathIds[this.count++] = pathId;
  }
}

export interface PickRequest {
  now: number;
  /** Wire size of the datagram, bytes. */
  size: number;
  /** Bytes waiting to be sent, this packet included; lets a scheduler see when extra paths pay off. */
  backlogBytes: number;
  /** Flow id of the packet (hash of the inner 5-tuple); 0 when unknown. */
  flow: number;
}

export interface Scheduler {
  readonly name: string;
  /** Fills `out` with the chosen path(s) for one packet. */
  pick(req: PickRequest, paths: readonly PathView[], out: Pick): void;
}

/** The paths a scheduler may use at all: up ones, or suspect ones when none is up. */
export function eligible(p: PathView, anyUp: boolean): boolean {
  return anyUp ? p.usable : p.suspect;
}

export function anyUsable(paths: readonly PathView[], backup?: boolean): boolean {
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    if (p.usable && (backup === undefined || p.backup === backup)) return true;
  }
  return false;
}

/** Expected arrival time at the peer of a datagram sent on `p` no earlier than `now`, in the sender's ms. */
export function expectedArrival(p: PathView, now: number, size: number): number {
  const start = Math.max(now, p.sendableAt(size));
  return start + size / p.rateBytesPerMs + p.owdOffsetMs + p.queueDelayMs;
}
