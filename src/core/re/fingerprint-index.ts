/**
 * Fingerprint → cache position, a hash index with chaining under a fixed
 * memory cap. Entries live in a ring and the oldest is reused first; since
 * every chunk the encoder sends is inserted again at its new position, content
 * that keeps recurring always has a fresh entry, so the eviction order is
 * least-recently-*used* content. A reused slot is unlinked lazily: each link
 * remembers the serial number of the entry it pointed to, and a walk stops at
 * a link whose target has since been reused.
 *
 * Layout: one record of 4 doubles per entry (fingerprint, position, next,
 * serial of next) and 2 per bucket (head, serial of head), so a lookup or an
 * insert touches one cache line per entry instead of one per field: at
 * ~10 inserts and a few lookups per packet the index is memory-bound.
 */
const E_FP = 0;
const E_POS = 1;
const E_NEXT = 2;
const E_NEXT_SERIAL = 3;

export class FingerprintIndex {
  private readonly buckets: Float64Array; // [head, headSerial] per bucket
  private readonly entries: Float64Array; // [fp, pos, next, nextSerial] per entry
  private readonly serials: Float64Array; // serial of the entry now in each slot
  private readonly bucketShift: number;
  private cursor = 0;
  private inserted = 0;

  constructor(readonly capacity: number) {
    let buckets = 2;
    let bits = 1;
    while (buckets < capacity) {
      buckets <<= 1;
      bits++;
    }
    this.bucketShift = 32 - bits; // multiplicative hashing: the top bits are the well-mixed ones
    this.buckets = new Float64Array(buckets * 2).fill(-1);
    this.entries = new Float64Array(capacity * 4);
    this.serials = new Float64Array(capacity).fill(-2);
  }

  get memoryBytes(): number {
    return this.buckets.byteLength + this.entries.byteLength + this.serials.byteLength;
  }

  insert(fp: number, pos: number): void {
    const e = this.cursor;
    this.cursor = e + 1 === this.capacity ? 0 : e + 1;
    const s = ++this.inserted;
    const b = (Math.imul(fp, 0x9e3779b1) >>> this.bucketShift) * 2;
    const r = e * 4;
    const ent = this.entries;
    ent[r + E_FP] = fp;
    ent[r + E_POS] = pos;
    ent[r + E_NEXT] = this.buckets[b];
    ent[r + E_NEXT_SERIAL] = this.buckets[b + 1];
    this.serials[e] = s;
    this.buckets[b] = e;
    this.buckets[b + 1] = s;
  }

  /**
   * Writes up to out.length positions stored for fp, newest first; returns the
   * count. Positions may be stale or collisions: the caller byte-compares.
   */
  lookup(fp: number, out: Float64Array): number {
    const b = (Math.imul(fp, 0x9e3779b1) >>> this.bucketShift) * 2;
    const ent = this.entries;
    let e = this.buckets[b];
    let want = this.buckets[b + 1];
    let n = 0;
    for (let steps = 0; e >= 0 && steps < 16 && n < out.length; steps++) {
      if (this.serials[e] !== want) break; // the slot was reused: the rest of the chain is gone
      const r = e * 4;
      if (ent[r + E_FP] === fp) out[n++] = ent[r + E_POS];
      want = ent[r + E_NEXT_SERIAL];
      e = ent[r + E_NEXT];
    }
    return n;
  }
}
