/**
 * Packets held by the relay until their release time: copies in a
 * preallocated slab of fixed-size slots, ordered by a binary min-heap on
 * (release time, arrival order). No allocation per packet except the view
 * handed back on release.
 */
export class DelayLine {
  private readonly slab: Buffer;
  private readonly lengths: Int32Array;
  private readonly releaseAt: Float64Array;
  private readonly order: Float64Array;
  /** Heap of slot numbers. */
  private readonly heap: Int32Array;
  /** Stack of free slot numbers. */
  private readonly free: Int32Array;
  private size = 0;
  private freeTop: number;
  private arrivals = 0;

  /** `slotSize` must hold the largest packet (the TUN MTU); pages of the slab are committed only when used. */
  constructor(
    readonly capacity: number,
    readonly slotSize: number,
  ) {
    this.slab = Buffer.allocUnsafe(capacity * slotSize);
    this.lengths = new Int32Array(capacity);
    this.releaseAt = new Float64Array(capacity);
    this.order = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  get length(): number {
    return this.size;
  }

  /** Copies the packet in; false (nothing held) if the line is full or the packet is larger than a slot. */
  push(releaseAt: number, packet: Uint8Array): boolean {
    if (this.freeTop === 0 || packet.length > this.slotSize) return false;
    const slot = this.free[--this.freeTop];
    this.slab.set(packet, slot * this.slotSize);
    this.lengths[slot] = packet.length;
    this.releaseAt[slot] = releaseAt;
    this.order[slot] = this.arrivals++;
    let i = this.size++;
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(slot, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = slot;
    return true;
  }

  /** Release time of the earliest held packet; Infinity when empty. */
  nextReleaseAt(): number {
    return this.size === 0 ? Infinity : this.releaseAt[this.heap[0]];
  }

  /**
   * Moves packets due at or before `now` (at most out.length) into `out` as views, in release order, and
   * returns how many. The views stay valid until the next push().
   */
  popDue(now: number, out: Buffer[]): number {
    let n = 0;
    while (this.size > 0 && n < out.length) {
      const slot = this.heap[0];
      if (this.releaseAt[slot] > now) break;
      this.removeTop();
      const start = slot * this.slotSize;
      out[n++] = this.slab.subarray(start, start + this.lengths[slot]);
      this.free[this.freeTop++] = slot;
    }
    return n;
  }

  private removeTop(): void {
    const heap = this.heap;
    const last = heap[--this.size];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.before(heap[r], heap[l]) ? r : l;
      if (!this.before(heap[c], last)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
  }

  private before(a: number, b: number): boolean {
    const ta = this.releaseAt[a];
    const tb = this.releaseAt[b];
    return ta < tb || (ta === tb && this.order[a] < this.order[b]);
  }
}
