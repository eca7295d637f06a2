/**
 * Copies of the inner packets sent and not yet acknowledged, by global seq,
 * so a packet caught on a dying or stuck path can be sent again on another.
 * A ring indexed by seq: O(1) insert, lookup and ack; the oldest entries are
 * overwritten when the ring is full (their paths are long dead or they were
 * acked without our noticing).
 */
export interface SentPacket {
  seq: number;
  flow: number;
  flowPrevSeq: number;
  flags: number;
  payload: Uint8Array;
  /** RE encoder token of the packet (0: not RE-encoded): acknowledged bytes may be referenced. */
  reToken: number;
}

export class SendBuffer {
  private readonly ring: (SentPacket | undefined)[];
  private readonly mask: number;
  /** Lowest seq that may still be held. */
  private base = 1;
  /** Highest seq stored so far. */
  private top = 0;
  heldPackets = 0;
  heldBytes = 0;

  /** `capacity` is rounded up to a power of two. */
  constructor(capacity = 1 << 15) {
    let n = 1;
    while (n < capacity) n <<= 1;
    this.ring = new Array(n).fill(undefined);
    this.mask = n - 1;
  }

  store(p: SentPacket): void {
    const slot = p.seq & this.mask;
    const old = this.ring[slot];
    if (old) this.drop(slot, old);
    this.ring[slot] = p;
    this.heldPackets++;
    this.heldBytes += p.payload.length;
    if (p.seq > this.top) this.top = p.seq;
    const lowest = this.top - this.mask;
    if (this.base < lowest) this.base = lowest;
  }

  get(seq: number): SentPacket | undefined {
    const p = this.ring[seq & this.mask];
    return p && p.seq === seq ? p : undefined;
  }

  /** The peer acknowledged [start, end]: forget those packets (each reported to `onAcked` first). */
  ackRange(start: number, end: number, onAcked?: (p: SentPacket) => void): void {
    const from = Math.max(start, this.base);
    const to = Math.min(end, this.top);
    for (let s = from; s <= to; s++) {
      const slot = s & this.mask;
      const p = this.ring[slot];
      if (p && p.seq === s) {
        onAcked?.(p);
        this.drop(slot, p);
      }
    }
    // Advance base over the acknowledged prefix so later acks skip it.
    while (this.base <= this.top && this.ring[this.base & this.mask] === undefined) this.base++;
  }

  private drop(slot: number, p: SentPacket): void {
    this.ring[slot] = undefined;
    this.heldPackets--;
    this.heldBytes -= p.payload.length;
  }
}
