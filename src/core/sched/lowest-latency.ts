import { bestTier, eligible, type Pick, type PathView, type PickRequest, type Scheduler } from './scheduler';

/**
 * lowest-latency: the free path with the smallest smoothed RTT (MPTCP's
 * default). Light traffic stays on the lowest-RTT path; when its pacer is
 * busy the next one takes the packet, so under load every path is used.
 */
export class LowestLatency implements Scheduler {
  readonly name = 'lowest-latency';

  pick(req: PickRequest, paths: readonly PathView[], out: Pick): void {
    out.clear();
    const tier = bestTier(paths);
    let best = -1;
    let wait = Infinity;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (!eligible(p, tier)) continue;
      const at = p.sendableAt(req.size);
      if (at > req.now) {
        if (at < wait) wait = at;
        continue;
      }
      if (best < 0 || p.srttMs < paths[best].srttMs) best = i;
    }
    if (best >= 0) out.add(paths[best].id);
    else out.waitUntil = wait;
  }
}
