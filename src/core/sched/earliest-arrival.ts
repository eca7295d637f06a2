import { bestTier, eligible, expectedArrival, type Pick, type PathView, type PickRequest, type Scheduler } from './scheduler';

/**
 * earliest-arrival (the default): each packet goes where it is expected to
 * reach the peer first, counting the path's pacing queue, its rate and its
 * one-way delay relative to the other paths (ECF / BLEST spirit).
 *
 * When the best path is busy, a slower path that is free now is used only if
 * the packet would arrive there no later than the moment the whole backlog
 * would be done if spread over the paths (a water-filling estimate). So with
 * a light load everything waits for the fast path (lowest latency, no
 * reordering), and with a standing backlog every path runs at its rate
 * (throughput near the sum of the paths).
 *
 * A flow whose backlog has not drained for longer than the paths' spread in
 * one-way delay (plus 10 ms) is a bulk flow kept short by queue management
 * ahead of the scheduler (CoDel, TCP small queues): its demand is larger than
 * its queue shows, so it is treated as unbounded and spread over every path.
 * An urgent packet (a resend the receiver is waiting for) never is: it takes
 * the earliest arrival, waiting for a busy fast path if need be.
 */
const BULK_EXTRA_MS = 10;
export class EarliestArrival implements Scheduler {
  readonly name: string = 'earliest-arrival';
  // scratch for the water-filling sort; grows once to the path count
  private readonly order: number[] = [];
  private readonly offset: number[] = [];
  /** Since when each flow has had more than one packet queued. */
  private readonly busySince = new Map<number, number>();

  /** Which paths this scheduler may use; subclasses narrow it (priority tiers). */
  protected admit(p: PathView, _paths: readonly PathView[], tier: number): boolean {
    return eligible(p, tier);
  }

  pick(req: PickRequest, paths: readonly PathView[], out: Pick): void {
    out.clear();
    const { now, size } = req;
    let best = -1;
    let bestArrival = Infinity;
    let n = 0;
    const tier = bestTier(paths);
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (!this.admit(p, paths, tier) || p.sendableAt(size) === Infinity) continue;
      const arrival = expectedArrival(p, now, size);
      this.offset[i] = arrival - size / p.rateBytesPerMs;
      this.order[n++] = i;
      if (arrival < bestArrival) {
        bestArrival = arrival;
        best = i;
      }
    }
    if (best < 0) return; // every admitted window is full: wait for acks
    const bestStart = paths[best].sendableAt(size);
    if (bestStart <= now) {
      out.add(paths[best].id);
      return;
    }
    // a resend waits for the fast path unless another arrives as early: its hole holds the flow
    const done = req.urgent === true ? bestArrival : this.isBulk(req, paths, n) ? Infinity : this.backlogDone(paths, n, Math.max(req.backlogBytes, size));
    let alt = -1;
    let altArrival = Infinity;
    for (let k = 0; k < n; k++) {
      const i = this.order[k];
      const p = paths[i];
      if (p.sendableAt(size) > now) continue;
      const arrival = expectedArrival(p, now, size);
      if (arrival <= done && arrival < altArrival) {
        altArrival = arrival;
        alt = i;
      }
    }
    if (alt >= 0) out.add(paths[alt].id);
    else out.waitUntil = bestStart;
  }

  /** Tracks how long the flow has stayed backlogged; true once that exceeds the OWD spread. */
  private isBulk(req: PickRequest, paths: readonly PathView[], n: number): boolean {
    if (req.backlogBytes <= req.size) {
      this.busySince.delete(req.flow);
      return false;
    }
    const since = this.busySince.get(req.flow);
    if (since === undefined) {
      this.busySince.set(req.flow, req.now);
      return false;
    }
    let spread = 0;
    for (let k = 0; k < n; k++) spread = Math.max(spread, paths[this.order[k]].owdOffsetMs);
    return req.now - since > spread + BULK_EXTRA_MS;
  }

  /**
   * Time the last of `backlog` bytes would arrive if every admitted path took
   * a share from its own start offset at its own rate (water-filling).
   */
  private backlogDone(paths: readonly PathView[], n: number, backlog: number): number {
    const order = this.order;
    for (let a = 1; a < n; a++) {
      const v = order[a];
      let b = a - 1;
      while (b >= 0 && this.offset[order[b]] > this.offset[v]) {
        order[b + 1] = order[b];
        b--;
      }
      order[b + 1] = v;
    }
    let sumRate = 0;
    let sumRateOffset = 0;
    let done = Infinity;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const r = paths[i].rateBytesPerMs;
      sumRate += r;
      sumRateOffset += r * this.offset[i];
      done = (backlog + sumRateOffset) / sumRate;
      if (k + 1 === n || done <= this.offset[order[k + 1]]) break;
    }
    return done;
  }
}
