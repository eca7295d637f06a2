/**
 * The encoder's record of recent packets by token: where their bytes sit in
 * the cache, so a delivery report can mark them held, a loss report can mark
 * them lost, and a MISS can be answered only for a range really sent as one
 * packet. A ring: tokens older than its size are forgotten (reports about
 * them are ignored, which only costs savings).
 */
const SIZE = 1 << 16;

export class SentPackets {
  private readonly serials = new Float64Array(SIZE).fill(-1);
  private readonly positions = new Float64Array(SIZE);
  private readonly lengths = new Int32Array(SIZE);
  private last = 0;
  /** Result of find(). */
  pos = 0;
  len = 0;

  /** Records a packet of [pos, pos+len); returns its token (1, 2, ...). */
  add(pos: number, len: number): number {
    const t = ++this.last;
    const s = t & (SIZE - 1);
    this.serials[s] = t;
    this.positions[s] = pos;
    this.lengths[s] = len;
    return t;
  }

  /** Looks a token up into pos/len; false when unknown or forgotten. */
  find(token: number): boolean {
    const s = token & (SIZE - 1);
    if (this.serials[s] !== token) return false;
    this.pos = this.positions[s];
    this.len = this.lengths[s];
    return true;
  }

  /** Looks up (into pos/len) the newest recent packet whose range holds position p (a rare, linear search). */
  findContaining(p: number): boolean {
    const oldest = Math.max(1, this.last - SIZE + 1);
    for (let t = this.last; t >= oldest; t--) {
      const s = t & (SIZE - 1);
      const pos = this.positions[s];
      if (pos <= p && p < pos + this.lengths[s]) {
        this.pos = pos;
        this.len = this.lengths[s];
        return true;
      }
    }
    return false;
  }

  /** True when a packet of exactly [pos, pos+len) is among the recent ones (a rare, linear search). */
  sentExactly(pos: number, len: number): boolean {
    const oldest = Math.max(1, this.last - SIZE + 1);
    for (let t = this.last; t >= oldest; t--) {
      const s = t & (SIZE - 1);
      if (this.positions[s] === pos && this.lengths[s] === len) return true;
    }
    return false;
  }
}
