/**
 * Which byte positions of the cache are held, byte-exact, over a ring of
 * `capacity` positions. Positions are absolute (they only grow); position p
 * lives in ring slot p % capacity during "lap" floor(p / capacity). Each
 * 32-byte granule stores the lap it belongs to and a bit per byte, so a write
 * of a later lap over the same slots forgets the earlier bytes by itself.
 *
 * The decoder uses it to know what it really holds (a reference outside it is
 * a miss, never garbage); the encoder uses it for ack-gating (reference only
 * bytes the decoder acknowledged).
 */
const G = 32;

export class HeldMap {
  private readonly laps: Uint32Array; // lap + 1; 0 = never written
  private readonly masks: Int32Array;
  private readonly granuleMask: number;

  /** capacity: a power of two, at least 64 KiB. */
  constructor(readonly capacity: number) {
    const n = capacity / G;
    this.laps = new Uint32Array(n);
    this.masks = new Int32Array(n);
    this.granuleMask = n - 1;
  }

  /** Bytes of memory this map uses. */
  get memoryBytes(): number {
    return this.laps.byteLength + this.masks.byteLength;
  }

  /** Marks [pos, pos+len) held (a granule of an older lap is first forgotten). */
  mark(pos: number, len: number): void {
    this.apply(pos, len);
  }

  private apply(pos: number, len: number): void {
    if (len <= 0) return;
    const gmask = this.granuleMask;
    const laps = this.laps;
    const masks = this.masks;
    const gp = Math.floor(pos / G);
    let gi = gp & gmask;
    let lap = Math.floor(pos / this.capacity) + 1;
    let a = pos - gp * G; // first byte's offset in its granule
    let left = len;
    // partial granules merge with what they held; whole ones are simply set
    // (a payload spans ~40 granules, so this loop is most of the work)
    while (left > 0) {
      if (a === 0 && left >= G) {
        laps[gi] = lap;
        masks[gi] = -1;
        left -= G;
      } else {
        const b = a + left < G ? a + left : G;
        if (laps[gi] !== lap) {
          laps[gi] = lap;
          masks[gi] = 0;
        }
        masks[gi] |= bitRange(a, b);
        left -= b - a;
        a = 0;
      }
      gi = (gi + 1) & gmask;
      if (gi === 0) lap++;
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
    let lap = Math.floor(pos / this.capacity) + 1;
    let p = pos;
    let a = pos - gp * G;
    while (p < limit) {
      if (this.laps[gi] !== lap) return p;
      const ones = trailingOnes(this.masks[gi] >>> a); // bit 0 = byte p
      if (ones < G - a) return Math.min(limit, p + ones);
      p += G - a;
      a = 0;
      gi = (gi + 1) & gmask;
      if (gi === 0) lap++;
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
    let lap = Math.floor(q / this.capacity) + 1;
    let p = pos; // bytes [p, pos) known held
    let a = q - gp * G; // bit index of byte p-1
    while (p > limit) {
      if (this.laps[gi] !== lap) return p;
      const ones = Math.clz32(~(this.masks[gi] << (G - 1 - a))); // byte p-1 at bit 31
      if (ones < a + 1) return Math.max(limit, p - ones);
      p -= a + 1;
      a = G - 1;
      if (gi === 0) lap--;
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
