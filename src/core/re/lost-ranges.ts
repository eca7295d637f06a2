/**
 * A short ring of cache ranges known lost (reported by onLost, or named by a
 * decoder's MISS). Gating 'flow' trusts a flow's own unacknowledged bytes;
 * these are the exceptions, so a retransmitted segment does not keep pointing
 * at the lost copy of itself.
 */
const SIZE = 64;

export class LostRanges {
  private readonly starts = new Float64Array(SIZE);
  private readonly ends = new Float64Array(SIZE);
  private count = 0;
  /** Result of clip(). */
  lo = 0;
  hi = 0;

  add(pos: number, len: number): void {
    const i = this.count++ & (SIZE - 1);
    this.starts[i] = pos;
    this.ends[i] = pos + len;
  }

  /** Narrows [lo, hi) around anchor so it overlaps no lost range; empty (lo = hi) if the anchor was lost. */
  clip(anchor: number, lo: number, hi: number): void {
    for (let k = 0; k < SIZE && k < this.count && lo < hi; k++) {
      const s = this.starts[k];
      const e = this.ends[k];
      if (e <= lo || s >= hi) continue;
      if (s <= anchor && anchor < e) hi = lo;
      else if (e <= anchor) lo = e;
      else hi = s;
    }
    this.lo = lo;
    this.hi = hi;
  }
}
