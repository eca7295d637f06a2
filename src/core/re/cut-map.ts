/**
 * Which ring slots of the encoder's byte cache hold a chunk boundary (one bit
 * per byte: cacheBytes / 8 bytes of memory).
 *
 * A packet the flow's last distance covers whole is not chunked (a repeated
 * transfer: chunking it would only find the boundaries its source already
 * had). Its boundaries still have to enter the index at the new position,
 * so that content recurring in a new context stays findable and eviction
 * stays least-recently-used by content: the encoder reads the source's
 * boundaries here and hashes only the 32 bytes before each one.
 */
export class CutMap {
  private readonly words: Int32Array;

  /** capacity: the ring's size, a multiple of 32. */
  constructor(capacity: number) {
    this.words = new Int32Array(capacity >>> 5);
  }

  get memoryBytes(): number {
    return this.words.byteLength;
  }

  /** Commits the map's memory now (its pages are otherwise faulted in on first use). */
  prefault(): void {
    this.words.fill(1).fill(0);
  }

  /** Forgets the boundaries of ring slots [ri, ri + n) (bytes about to be overwritten). */
  clear(ri: number, n: number): void {
    const w = this.words;
    let i = ri;
    const end = ri + n;
    while (i < end) {
      const bit = i & 31;
      const take = Math.min(32 - bit, end - i);
      w[i >>> 5] &= ~(take === 32 ? -1 : ((1 << take) - 1) << bit);
      i += take;
    }
  }

  /** Notes a boundary just before ring slot ri (the chunk ends at ri - 1). */
  set(ri: number): void {
    this.words[ri >>> 5] |= 1 << (ri & 31);
  }

  /**
   * Writes base + (offset of each boundary in ring slots [ri, ri + n)) to
   * out from index `first` on, in order; returns the index after the last.
   */
  collect(ri: number, n: number, base: number, out: Int32Array, first: number): number {
    const w = this.words;
    let k = first;
    let i = ri;
    const end = ri + n;
    while (i < end && k < out.length) {
      const bit = i & 31;
      const take = Math.min(32 - bit, end - i);
      let x = (w[i >>> 5] >>> bit) & (take === 32 ? -1 : (1 << take) - 1);
      while (x !== 0 && k < out.length) {
        const low = 31 - Math.clz32(x & -x);
        out[k++] = base + i - ri + low;
        x &= x - 1;
      }
      i += take;
    }
    return k;
  }
}
