/**
 * Hold-time histogram of delivered ordered packets, in the shape Prometheus
 * wants: fixed upper bounds (seconds in the exported metric, ms here), a count
 * per bucket (not cumulative; the exporter sums), a total count and a sum.
 * Bucket 0 (≤ 0 ms) counts packets that were delivered the moment they arrived.
 */

/** Upper bounds of the buckets, ms; a last bucket catches the rest (+Inf). */
export const HOLD_BUCKETS_MS: readonly number[] = [0, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000];

export class HoldHistogram {
  /** counts[i] = packets with bounds[i-1] < hold <= bounds[i]; the last entry is +Inf. */
  readonly counts = new Float64Array(HOLD_BUCKETS_MS.length + 1);
  count = 0;
  sumMs = 0;

  observe(holdMs: number): void {
    let i = 0;
    while (i < HOLD_BUCKETS_MS.length && holdMs > HOLD_BUCKETS_MS[i]) i++;
    this.counts[i]++;
    this.count++;
    this.sumMs += holdMs;
  }

  /** Cumulative counts per bound (Prometheus `le` buckets), the last being +Inf. */
  cumulative(): number[] {
    const out: number[] = [];
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i];
      out.push(acc);
    }
    return out;
  }
}
