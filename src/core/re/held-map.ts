/**
 * Which byte positions of the cache are held, byte-exact, over a ring of
 * `capacity` positions. Positions are absolute (they only grow); position p
 * lives in ring slot p % capacity during "lap" floor(p / capacity). Each
 * 32-byte granule stores the lap it belongs to and a bit per byte, so a write
 * of a later lap over the same slots forgets the earlier bytes by itself.
 *
 * Lap and mask of a granule sit side by side (one Int32Array), so a check
 * costs one cache miss, not two: the encoder runs one per candidate match.
 * On top, each 4 KiB page of positions counts its full granules of the
 * page's newest lap: a check over a page that is wholly held reads only that
 * small summary (256 KiB for a 128 MiB cache, so it stays in the CPU cache),
 * which saves the encoder a memory access per candidate on old, acknowledged
 * data.
 *
 * The decoder uses it to know what it really holds (a reference outside it is
 * a miss, never garbage); the encoder uses it for ack-gating (reference only
 * bytes the decoder acknowledged).
 */
const G = 32;
/** Granules per summary page (4 KiB of positions). */
const PAGE_GRANULES = 128;
const PAGE = G * PAGE_GRANULES;

export class HeldMap {
  private readonly cells: Int32Array; // per granule: (lap + 1) | 0 (0 = never written), bit mask
  private readonly granuleMask: number;
  /** Per page: its newest lap (as in cells) and how many of its granules are full in that lap. */
  private readonly pageLap: Int32Array;
  private readonly pageFull: Int32Array;
  private readonly pageMask: number;

  /** capacity: a power of two, at least 64 KiB. */
  constructor(readonly capacity: number) {
    const n = capacity / G;
    this.cells = new Int32Array(2 * n);
    this.granuleMask = n - 1;
    this.pageLap = new Int32Array(capacity / PAGE);
    this.pageFull = new Int32Array(capacity / PAGE);
    this.pageMask = capacity / PAGE - 1;
  }

  /** Commits the map's memory now (its pages are otherwise faulted in on first use). */
  prefault(): void {
    this.cells.fill(1).fill(0);
  }

  /** Bytes of memory this map uses. */
  get memoryBytes(): number {
    return this.cells.byteLength + this.pageLap.byteLength + this.pageFull.byteLength;
  }

  /**
   * Granules of lap `lap` in the page of granule gi were written and
   * `delta` of them became full (delta ≥ 0), or one stopped being full
   * (-1). The page counts only its newest lap: a
   * write of a newer lap restarts the count (the older lap's bytes are being
   * overwritten). The count never exceeds the page's full granules of that
   * lap (a write of an older lap zeroes it), so 128 proves the page held.
   */
  private countFull(gi: number, lap: number, delta: number): void {
    const pg = gi >>> 7; // PAGE_GRANULES = 128
    const d = (lap - this.pageLap[pg]) | 0;
    if (d > 0) {
      this.pageLap[pg] = lap;
      this.pageFull[pg] = delta > 0 ? delta : 0;
    } else if (d === 0) this.pageFull[pg] += delta;
    else if (delta >= 0) this.pageFull[pg] = 0;
  }

  /** Marks [pos, pos+len) held (a granule of an older lap is first forgotten). */
  mark(pos: number, len: number): void {
    if (len <= 0) return;
    const gmask = this.granuleMask;
    const cells = this.cells;
    const gp = Math.floor(pos / G);
    let gi = gp & gmask;
    let lap = (Math.floor(pos / this.capacity) + 1) | 0;
    let a = pos - gp * G; // first byte's offset in its granule
    let left = len;
    // granules that became full since the last page count (one count per
    // page touched, not per granule: a payload spans ~40 granules)
    let full = 0;
    let pageGi = gi;
    while (left > 0) {
      const c = 2 * gi;
      if (a === 0 && left >= G) {
        // a whole granule is simply set
        if (cells[c] !== lap || cells[c + 1] !== -1) {
          cells[c] = lap;
          cells[c + 1] = -1;
          full++;
        }
        left -= G;
      } else {
        // a partial one merges with what it held
        const b = a + left < G ? a + left : G;
        const had = cells[c] === lap ? cells[c + 1] : 0;
        const now = had | bitRange(a, b);
        cells[c] = lap;
        cells[c + 1] = now;
        if (now === -1 && had !== -1) full++;
        left -= b - a;
        a = 0;
      }
      gi = (gi + 1) & gmask;
      if ((gi & (PAGE_GRANULES - 1)) === 0) {
        this.countFull(pageGi, lap, full);
        full = 0;
        pageGi = gi;
        if (gi === 0) lap = (lap + 1) | 0;
      }
    }
    if (pageGi !== gi) this.countFull(pageGi, lap, full);
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
      const lap = (Math.floor(p / this.capacity) + 1) | 0;
      if (cells[c] === lap) {
        if (cells[c + 1] === -1 && b > a) this.countFull(gp & this.granuleMask, lap, -1);
        cells[c + 1] &= ~bitRange(a, b);
      }
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
    let checkPage = true;
    while (p < limit) {
      if (checkPage && this.pageFull[gi >>> 7] === PAGE_GRANULES && this.pageLap[gi >>> 7] === lap) {
        // the rest of a wholly held page: skip it without reading its granules
        p += PAGE - (gi & (PAGE_GRANULES - 1)) * G - a;
        a = 0;
        gi = ((gi | (PAGE_GRANULES - 1)) + 1) & gmask;
        if (gi === 0) lap = (lap + 1) | 0;
        continue;
      }
      checkPage = false;
      if (cells[2 * gi] !== lap) return p;
      const ones = trailingOnes(cells[2 * gi + 1] >>> a); // bit 0 = byte p
      if (ones < G - a) return Math.min(limit, p + ones);
      p += G - a;
      a = 0;
      gi = (gi + 1) & gmask;
      if (gi === 0) lap = (lap + 1) | 0;
      checkPage = (gi & (PAGE_GRANULES - 1)) === 0;
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
    let checkPage = true;
    while (p > limit) {
      if (checkPage && this.pageFull[gi >>> 7] === PAGE_GRANULES && this.pageLap[gi >>> 7] === lap) {
        // the start of a wholly held page: skip it without reading its granules
        const first = gi & ~(PAGE_GRANULES - 1);
        p -= (gi - first) * G + a + 1;
        a = G - 1;
        if (first === 0) lap = (lap - 1) | 0;
        gi = (first - 1) & gmask;
        continue;
      }
      checkPage = false;
      if (cells[2 * gi] !== lap) return p;
      const ones = Math.clz32(~(cells[2 * gi + 1] << (G - 1 - a))); // byte p-1 at bit 31
      if (ones < a + 1) return Math.max(limit, p - ones);
      p -= a + 1;
      a = G - 1;
      if (gi === 0) lap = (lap - 1) | 0;
      gi = (gi - 1) & gmask;
      checkPage = (gi & (PAGE_GRANULES - 1)) === PAGE_GRANULES - 1;
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
