import { bestTier, eligible, type Pick, type PathView, type PickRequest, type Scheduler } from './scheduler';

/**
 * wrr: bytes shared among the up paths in proportion to their weights; a
 * virtual clock per path advances by size / weight and the free path with
 * the smallest clock goes next (a path back from an outage may catch up by
 * at most 64 KB). Work-conserving: a path whose pacer is busy is skipped
 * rather than waited for, so a weight larger than a path's capacity cannot
 * slow the tunnel down.
 *
 * Configured weights (any two differ) are followed as set, whatever the
 * paths' delays.
 *
 * Without weights (all equal) each path's weight is its estimated rate, and
 * the round-robin runs among the free paths whose one-way delay is within
 * 2 ms of the lowest among them (`owdOffsetMs`, a 10 s minimum, so jitter
 * and queues do not move a path between classes): paths of equal delay share
 * a flow by rate, a path 20 ms slower one way takes packets only while the
 * faster ones are busy (a backlog), so with a backlog every path still sends
 * at its rate. Sharing a light flow by rate over paths 20 and 60 ms RTT made
 * every packet wait at the receiver for the slow path's share (in-order
 * delivery); a sender that sizes its window from the lowest RTT it saw (BBR)
 * then kept one TCP flow below Wi-Fi alone.
 */
const CATCH_UP_BYTES = 64 * 1024;
/** Without weights: free paths within this one-way delay of the lowest take turns, ms. */
const DELAY_SLACK_MS = 2;

export class WeightedRoundRobin implements Scheduler {
  readonly name = 'wrr';
  private readonly ids: number[] = [];
  private readonly clock: number[] = [];

  pick(req: PickRequest, paths: readonly PathView[], out: Pick): void {
    out.clear();
    const tier = bestTier(paths);
    const byRate = weightsEqual(paths, tier);
    let cutoff = Infinity;
    let wait = Infinity;
    let maxClock = -Infinity;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (!eligible(p, tier)) continue;
      const c = this.clock[this.slot(p.id)];
      if (c > maxClock) maxClock = c;
      const at = p.sendableAt(req.size);
      if (at > req.now) {
        if (at < wait) wait = at;
        continue;
      }
      if (byRate) cutoff = Math.min(cutoff, p.owdOffsetMs + DELAY_SLACK_MS);
    }
    let best = -1;
    let bestClock = Infinity;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (!eligible(p, tier) || p.sendableAt(req.size) > req.now) continue;
      if (byRate && p.owdOffsetMs > cutoff) continue;
      const c = this.clock[this.slot(p.id)];
      if (c < bestClock) {
        bestClock = c;
        best = i;
      }
    }
    if (best < 0) {
      out.waitUntil = wait;
      return;
    }
    const p = paths[best];
    const w = byRate ? Math.max(p.rateBytesPerMs, 1e-3) : p.weight > 0 ? p.weight : 1;
    // a path back from an outage (or left out for arriving late) does not get to "catch up" on everything it missed
    this.clock[this.slot(p.id)] = Math.max(bestClock, maxClock - CATCH_UP_BYTES / w) + req.size / w;
    out.add(p.id);
  }

  private slot(id: number): number {
    let s = this.ids.indexOf(id);
    if (s < 0) {
      s = this.ids.length;
      this.ids.push(id);
      this.clock.push(0);
    }
    return s;
  }
}

/** True when every path of the tier has the same weight (none configured): share by estimated rate. */
function weightsEqual(paths: readonly PathView[], tier: number): boolean {
  let first = NaN;
  for (let i = 0; i < paths.length; i++) {
    if (!eligible(paths[i], tier)) continue;
    if (Number.isNaN(first)) first = paths[i].weight;
    else if (paths[i].weight !== first) return false;
  }
  return true;
}
