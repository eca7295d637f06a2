import { anyUsable, eligible, type Pick, type PathView, type PickRequest, type Scheduler } from './scheduler';

/**
 * redundant: every packet on every up path that is free now (the receiver
 * keeps the first copy). Zero-loss failover and the lowest latency of all
 * paths, at N times the traffic; throughput is that of the fastest path. For
 * VoIP, games and live video, not bulk transfers.
 */
export class Redundant implements Scheduler {
  readonly name = 'redundant';

  pick(req: PickRequest, paths: readonly PathView[], out: Pick): void {
    out.clear();
    const anyUp = anyUsable(paths);
    let wait = Infinity;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (!eligible(p, anyUp)) continue;
      const at = p.sendableAt(req.size);
      if (at <= req.now) out.add(p.id);
      else if (at < wait) wait = at;
    }
    if (out.count === 0) out.waitUntil = wait;
  }
}
