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
    if (n <= 0) return;
    const w = this.words;
    const end = ri + n;
    const first = ri >>> 5;
    const last = (end - 1) >>> 5;
    const head = -1 << (ri & 31); // bits from ri on in the first word
    const tail = (-1 >>> (31 - ((end - 1) & 31))) | 0; // bits up to end - 1 in the last word
    if (first === last) {
      w[first] &= ~(head & tail);
      return;
    }
    w[first] &= ~head;
    for (let k = first + 1; k < last; k++) w[k] = 0;
    w[last] &= ~tail;
  }

  /** Notes a boundary just before ring slot ri (the chunk ends at ri - 1). */
  set(ri: number): void {
    this.words[ri >>> 5] |= 1 << (ri & 31);
  }

  /**
   * 1 + the offset in [ri, ri + n) of the last boundary bit there (the
   * payload offset just past that chunk's last byte, counted from ri), or 0
   * when there is none. Reads a word per 32 slots, from the end.
   */
  lastIn(ri: number, n: number): number {
    const w = this.words;
    let end = Math.min(ri + n, w.length << 5); // no slot past the ring's end
    while (end > ri) {
      const wi = (end - 1) >>> 5;
      const base = wi << 5;
      const lo = ri > base ? ri : base;
      let x = w[wi];
      if (end - base < 32) x &= (1 << (end - base)) - 1;
      x = (x >>> (lo - base)) << (lo - base);
      if (x !== 0) return base + 32 - Math.clz32(x) - ri;
      end = lo;
    }
    return 0;
  }

  /**
   * Sets the boundary bits of slots [dst, dst + n) that slots [src, src + n)
   * have (the ranges do not overlap), 32 at a time.
   */
  copy(src: number, dst: number, n: number): void {
    const w = this.words;
    const len = Math.min(n, (w.length << 5) - src); // no slot past the ring's end
    for (let k = 0; k < len; k += 32) {
      const take = len - k < 32 ? len - k : 32;
      const si = src + k;
      const sb = si & 31;
      let x = w[si >>> 5] >>> sb;
      if (sb !== 0 && sb + take > 32) x |= w[(si >>> 5) + 1] << (32 - sb);
      if (take < 32) x &= (1 << take) - 1;
      if (x === 0) continue;
      const di = dst + k;
      const db = di & 31;
      w[di >>> 5] |= x << db;
      if (db !== 0 && db + take > 32) w[(di >>> 5) + 1] |= x >>> (32 - db);
    }
  }
}
