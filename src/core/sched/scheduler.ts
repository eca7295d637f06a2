/**
 * The path scheduler interface ("transmission-path scheduling"): given the
 * packet at the head of the send queue, choose the path(s) it goes on now, or
 * say how long to wait. Implementations are small, one file each, and are
 * listed in registry.ts; all of them must pass test/unit/sched-compliance.
 *
 * Rules every scheduler keeps: only paths whose `sendableAt` is <= now may be
 * chosen (that is the path's rate and window control, so no path is fed
 * faster than it delivers), and only paths of the best tier present (see
 * `tierOf`): up and clean, else up but lossy, else suspect; never a down
 * path. `pick` must not allocate.
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
  /** Losing so much that it would hurt the flows more than it adds: used only if every up path is. */
  readonly lossy: boolean;
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
  /**
   * A resend of a packet that is late already (proven lost, or caught on a
   * dead or stuck path): the receiver holds its flow until it comes, so it
   * goes where it arrives first, never on a slower path merely because that
   * one is free and the flow is bulk. Default false.
   */
  urgent?: boolean;
}

export interface Scheduler {
  readonly name: string;
  /** Fills `out` with the chosen path(s) for one packet. */
  pick(req: PickRequest, paths: readonly PathView[], out: Pick): void;
}

/** How usable a path is: 2 up and clean, 1 up but lossy, 0 suspect, -1 not at all. */
export function tierOf(p: PathView): number {
  if (p.usable) return p.lossy ? 1 : 2;
  return p.suspect ? 0 : -1;
}

/** The best tier among `paths` (only backup or only non-backup ones if `backup` is given); -1 if none. */
export function bestTier(paths: readonly PathView[], backup?: boolean): number {
  let best = -1;
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    if (backup !== undefined && p.backup !== backup) continue;
    const t = tierOf(p);
    if (t > best) best = t;
  }
  return best;
}

/** A scheduler may use `p` when it belongs to the best tier present. */
export function eligible(p: PathView, tier: number): boolean {
  return tier >= 0 && tierOf(p) === tier;
}

/** Expected arrival time at the peer of a datagram sent on `p` no earlier than `now`, in the sender's ms. */
export function expectedArrival(p: PathView, now: number, size: number): number {
  const start = Math.max(now, p.sendableAt(size));
  return start + size / p.rateBytesPerMs + p.owdOffsetMs + p.queueDelayMs;
}
