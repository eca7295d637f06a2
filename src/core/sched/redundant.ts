import { EarliestArrival } from './earliest-arrival';
import { bestTier, eligible, type Pick, type PathView, type PickRequest } from './scheduler';

/**
 * redundant: each packet goes where earliest-arrival would send it, plus a
 * copy on every other up path that is free at that moment (the receiver
 * keeps the first copy). With real-time traffic (VoIP, games, live video)
 * every path is free for every packet, so each packet travels on all paths
 * and a path cut loses nothing. A packet of a flow with a backlog (bulk
 * data) gets no copies: copies would eat the other paths' capacity that new
 * data needs (measured: one TCP flow on 40+20 Mbit/s fell below Wi-Fi alone),
 * and a bulk flow's losses are repaired by reinjection. Costs up to N times
 * the traffic of a light flow.
 */
/** A flow with more than this many bytes queued (its own packet included) is bulk: no copies. */
const BULK_BACKLOG_BYTES = 3000;
export class Redundant extends EarliestArrival {
  override readonly name = 'redundant';

  override pick(req: PickRequest, paths: readonly PathView[], out: Pick): void {
    super.pick(req, paths, out);
    if (out.count === 0 || req.backlogBytes > BULK_BACKLOG_BYTES) return;
    const first = out.pathIds[0];
    const tier = bestTier(paths);
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (p.id !== first && eligible(p, tier) && p.sendableAt(req.size) <= req.now) out.add(p.id);
    }
  }
}
