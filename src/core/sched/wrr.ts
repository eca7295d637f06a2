import { bestTier, eligible, type Pick, type PathView, type PickRequest, type Scheduler } from './scheduler';

/**
 * wrr: bytes shared among the up paths in proportion to their configured
 * weight (a virtual clock per path advances by size / weight; the free path
 * with the smallest clock goes next). When no weights are configured (all
 * equal), each path's estimated rate is its weight, so a 20 Mbit/s LTE path
 * does not get half of the packets next to 40 Mbit/s Wi-Fi (that halved one
 * TCP flow's rate on unequal paths). Work-conserving: a path whose pacer is
 * busy is skipped rather than waited for, so a weight larger than a path's
 * capacity cannot slow the tunnel down.
 */
const CATCH_UP_BYTES = 64 * 1024;

export class WeightedRoundRobin implements Scheduler {
  readonly name = 'wrr';
  private readonly ids: number[] = [];
  private readonly clock: number[] = [];

  pick(req: PickRequest, paths: readonly PathView[], out: Pick): void {
    out.clear();
    const tier = bestTier(paths);
    let byRate = true;
    let firstWeight = NaN;
    for (let i = 0; i < paths.length; i++) {
      if (!eligible(paths[i], tier)) continue;
      if (Number.isNaN(firstWeight)) firstWeight = paths[i].weight;
      else if (paths[i].weight !== firstWeight) byRate = false;
    }
    let best = -1;
    let bestClock = Infinity;
    let maxClock = -Infinity;
    let wait = Infinity;
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
    const s = this.slot(p.id);
    const w = byRate ? Math.max(p.rateBytesPerMs, 1e-3) : p.weight > 0 ? p.weight : 1;
    // a path back from an outage does not get to "catch up" on everything it missed
    const floor = maxClock - CATCH_UP_BYTES / w;
    this.clock[s] = Math.max(this.clock[s], floor) + req.size / w;
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
