import type { SeqRange } from '../../src/core/wire/frames';

/**
 * Set of received global sequence numbers as sorted disjoint ranges, with
 * the oldest ranges forgotten beyond `maxRanges` (the tunnel does not resend
 * lost packets, so old holes never close). Used by the model receiver for
 * duplicate detection and SACK ranges.
 */
export class SeqRanges {
  readonly ranges: SeqRange[] = [];

  constructor(private readonly maxRanges = 64) {}

  has(seq: number): boolean {
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const r = this.ranges[i];
      if (seq > r.end) return false;
      if (seq >= r.start) return true;
    }
    return false;
  }

  /** Adds seq; returns false if it was already there. */
  add(seq: number): boolean {
    const rs = this.ranges;
    let i = rs.length - 1;
    while (i >= 0 && rs[i].start > seq) i--;
    if (i >= 0 && seq <= rs[i].end) return false;
    const joinsLeft = i >= 0 && rs[i].end === seq - 1;
    const joinsRight = i + 1 < rs.length && rs[i + 1].start === seq + 1;
    if (joinsLeft && joinsRight) {
      rs[i].end = rs[i + 1].end;
      rs.splice(i + 1, 1);
    } else if (joinsLeft) rs[i].end = seq;
    else if (joinsRight) rs[i + 1].start = seq;
    else {
      rs.splice(i + 1, 0, { start: seq, end: seq });
      if (rs.length > this.maxRanges) rs.shift();
    }
    return true;
  }

  /** Adds every seq in [start, end]. */
  addRange(start: number, end: number): void {
    const rs = this.ranges;
    // ranges are sorted and disjoint: find the first that could touch [start, end]
    let i = rs.length;
    while (i > 0 && rs[i - 1].end >= start - 1) i--;
    let j = i;
    let lo = start;
    let hi = end;
    while (j < rs.length && rs[j].start <= end + 1) {
      lo = Math.min(lo, rs[j].start);
      hi = Math.max(hi, rs[j].end);
      j++;
    }
    rs.splice(i, j - i, { start: lo, end: hi });
    while (rs.length > this.maxRanges) rs.shift();
  }

  /** Up to `n` newest ranges, newest first (copies). */
  newest(n: number): SeqRange[] {
    const out: SeqRange[] = [];
    for (let i = this.ranges.length - 1; i >= 0 && out.length < n; i--) out.push({ start: this.ranges[i].start, end: this.ranges[i].end });
    return out;
  }
}
