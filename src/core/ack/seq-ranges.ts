/**
 * The set of received global sequence numbers as sorted, disjoint, inclusive
 * ranges (two parallel number arrays, ascending). Multipath reordering makes
 * arrivals land just below the top, so the search runs from the newest range
 * down. Only the newest `maxTracked` ranges are kept: an ack reports a bounded
 * count anyway, and very old holes are the sender's loss detection's business.
 */
import type { SeqRange } from '../wire/frames';

export class SeqRanges {
  private readonly maxTracked: number;
  private starts: number[] = [];
  private ends: number[] = [];

  constructor(maxTracked = 256) {
    this.maxTracked = maxTracked;
  }

  get count(): number {
    return this.starts.length;
  }

  /** Highest seq received, 0 before any. */
  get highest(): number {
    return this.ends.length === 0 ? 0 : this.ends[this.ends.length - 1];
  }

  /** Add one seq; returns false when it was already in the set. */
  add(seq: number): boolean {
    const s = this.starts;
    const e = this.ends;
    let i = s.length - 1;
    while (i >= 0 && s[i] > seq) i--;
    // now s[i] <= seq (or i === -1)
    if (i >= 0 && seq <= e[i]) return false;
    const joinsLeft = i >= 0 && e[i] === seq - 1;
    const joinsRight = i + 1 < s.length && s[i + 1] === seq + 1;
    if (joinsLeft && joinsRight) {
      e[i] = e[i + 1];
      s.splice(i + 1, 1);
      e.splice(i + 1, 1);
    } else if (joinsLeft) {
      e[i] = seq;
    } else if (joinsRight) {
      s[i + 1] = seq;
    } else if (i === s.length - 1) {
      s.push(seq);
      e.push(seq);
    } else {
      s.splice(i + 1, 0, seq);
      e.splice(i + 1, 0, seq);
    }
    if (s.length > this.maxTracked) {
      const drop = s.length - this.maxTracked;
      this.starts = s.slice(drop);
      this.ends = e.slice(drop);
    }
    return true;
  }

  has(seq: number): boolean {
    for (let i = this.starts.length - 1; i >= 0; i--) {
      if (this.starts[i] <= seq) return seq <= this.ends[i];
    }
    return false;
  }

  /** Newest first, at most `max`. */
  newest(max: number): SeqRange[] {
    const out: SeqRange[] = [];
    for (let i = this.starts.length - 1; i >= 0 && out.length < max; i--) out.push({ start: this.starts[i], end: this.ends[i] });
    return out;
  }
}
