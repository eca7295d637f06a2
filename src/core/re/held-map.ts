/**
 * Which byte positions of the cache are held, byte-exact, over a ring of
 * `capacity` positions. Positions are absolute (they only grow); position p
 * lives in ring slot p % capacity during "lap" floor(p / capacity). Each
 * 32-byte granule stores the lap it belongs to and a bit per byte, so a write
 * of a later lap over the same slots forgets the earlier bytes by itself.
 *
 * Lap and mask of a granule sit side by side (one Int32Array), so a check
 * costs one cache miss, not two: the encoder runs one per candidate match.
 *
 * The decoder uses it to know what it really holds (a reference outside it is
 * a miss, never garbage); the encoder uses it for ack-gating (reference only
 * bytes the decoder acknowledged).
 */
const G = 32;

export class HeldMap {
  private readonly cells: Int32Array; // per granule: (lap + 1) | 0 (0 = never written), bit mask
  private readonly granuleMask: number;

  /** capacity: a power of two, at least 64 KiB. */
  constructor(readonly capacity: number) {
    const n = capacity / G;
    this.cells = new Int32Array(2 * n);
    this.granuleMask = n - 1;
  }

  /** Commits the map's memory now (its pages are otherwise faulted in on first use). */
  prefault(): void {
    this.cells.fill(1).fill(0);
  }

  /** Bytes of memory this map uses. */
  get memoryBytes(): number {
    return this.cells.byteLength;
  }

  /** Marks [pos, pos+len) held (a granule of an older lap is first forgotten). */
  mark(pos: number, len: number): void {
    this.apply(pos, len);
  }

  private apply(pos: number, len: number): void {
    if (len <= 0) return;
    const gmask = this.granuleMask;
    const cells = this.cells;
    const gp = Math.floor(pos / G);
    let gi = gp & gmask;
    let lap = (Math.floor(pos / this.capacity) + 1) | 0;
    let a = pos - gp * G; // first byte's offset in its granule
    let left = len;
    // partial granules merge with what they held; whole ones are simply set
    // (a payload spans ~40 granules, so this loop is most of the work)
    while (left > 0) {
      const c = 2 * gi;
      if (a === 0 && left >= G) {
        cells[c] = lap;
        cells[c + 1] = -1;
        left -= G;
      } else {
        const b = a + left < G ? a + left : G;
        if (cells[c] !== lap) {
          cells[c] = lap;
          cells[c + 1] = 0;
        }
        cells[c + 1] |= bitRange(a, b);
        left -= b - a;
        a = 0;
      }
      gi = (gi + 1) & gmask;
      if (gi === 0) lap = (lap + 1) | 0;
    }
  }

  /**
   * Forgets [pos, pos+len) (the decoder said it lacks those bytes): bits of
   * the range's own lap are cleared, a granule of another lap is left alone.
   */
  unmark(pos: number, len: number): void {
    const cells = this.cells;
    for (let p = pos; p < pos + len; ) {
      const gp = Math.floor(p / G);
      const c = 2 * (gp & this.granuleMask);
      const a = p - gp * G;
      const b = Math.min(G, a + pos + len - p);
      if (cells[c] === ((Math.floor(p / this.capacity) + 1) | 0)) cells[c + 1] &= ~bitRange(a, b);
      p += b - a;
    }
  }

  /** True when every byte of [pos, pos+len) is held. */
  isHeld(pos: number, len: number): boolean {
    return len <= 0 || this.runRight(pos, pos + len) === pos + len;
  }

  /** The largest q ≤ limit such that [pos, q) is held. */
  runRight(pos: number, limit: number): number {
    if (pos >= limit) return limit;
    const gmask = this.granuleMask;
    const gp = Math.floor(pos / G);
    let gi = gp & gmask;
    let lap = (Math.floor(pos / this.capacity) + 1) | 0;
    let p = pos;
    let a = pos - gp * G;
    const cells = this.cells;
    while (p < limit) {
      if (cells[2 * gi] !== lap) return p;
      const ones = trailingOnes(cells[2 * gi + 1] >>> a); // bit 0 = byte p
      if (ones < G - a) return Math.min(limit, p + ones);
      p += G - a;
      a = 0;
      gi = (gi + 1) & gmask;
      if (gi === 0) lap = (lap + 1) | 0;
    }
    return limit;
  }

  /** The smallest q ≥ limit such that [q, pos) is held. */
  runLeft(pos: number, limit: number): number {
    if (pos <= limit) return limit;
    const gmask = this.granuleMask;
    const q = pos - 1;
    const gp = Math.floor(q / G);
    let gi = gp & gmask;
    let lap = (Math.floor(q / this.capacity) + 1) | 0;
    let p = pos; // bytes [p, pos) known held
    let a = q - gp * G; // bit index of byte p-1
    const cells = this.cells;
    while (p > limit) {
      if (cells[2 * gi] !== lap) return p;
      const ones = Math.clz32(~(cells[2 * gi + 1] << (G - 1 - a))); // byte p-1 at bit 31
      if (ones < a + 1) return Math.max(limit, p - ones);
      p -= a + 1;
      a = G - 1;
      if (gi === 0) lap = (lap - 1) | 0;
      gi = (gi - 1) & gmask;
    }
    return limit;
  }
}

/** Bits a..b-1 set (0 ≤ a < b ≤ 32). */
function bitRange(a: number, b: number): number {
  const width = b - a;
  return (width >= 32 ? -1 : ((1 << width) - 1) << a) | 0;
}

/** Count of consecutive 1 bits from bit 0 (32 if all). */
function trailingOnes(x: number): number {
  const y = ~x;
  if (y === 0) return 32;
  return 31 - Math.clz32(y & -y);
}
