import { EarliestArrival } from './earliest-arrival';
import { bestTier, eligible, type Pick, type PathView, type PickRequest } from './scheduler';

/**
 * redundant: each packet goes where earliest-arrival would send it, plus a
 * copy on every other up path that is free at that moment (the receiver
 * keeps the first copy). With real-time traffic (VoIP, games, live video)
 * every path is free for every packet, so each packet travels on all paths
 * and a path cut loses nothing. Under a bulk load a free path takes new data
 * instead, so it is never slower than earliest-arrival and never below the
 * best single path. Costs up to N times the traffic of a light flow.
 */
export class Redundant extends EarliestArrival {
  override readonly name = 'redundant';

  override pick(req: PickRequest, paths: readonly PathView[], out: Pick): void {
    super.pick(req, paths, out);
    if (out.count === 0) return;
    const first = out.pathIds[0];
    const tier = bestTier(paths);
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (p.id !== first && eligible(p, tier) && p.sendableAt(req.size) <= req.now) out.add(p.id);
    }
  }
}
