/**
 * Fingerprint → cache position, a hash index with chaining under a fixed
 * memory cap. Entries live in a ring and the oldest is reused first; since
 * every chunk the encoder sends is inserted again at its new position, content
 * that keeps recurring always has a fresh entry, so the eviction order is
 * least-recently-*used* content. A reused slot is unlinked lazily: each link
 * remembers the serial number (insertion count) of the entry it pointed to,
 * and a walk stops at a link whose target has since been reused — which it
 * was exactly when `capacity` entries were inserted after it, so the check
 * reads no memory of the target.
 *
 * Layout: one record of 4 int32 per entry (fingerprint, position mod 2^32,
 * next, serial of next) and 2 per bucket (head, serial of head), so a lookup
 * or an insert touches one cache line per entry instead of one per field: at
 * ~10 inserts and a few lookups per packet the index is memory-bound.
 * Positions come back as the value nearest below the caller's `near` (the
 * cache's end): every position still in the cache is within 2^32 of it.
 * Serials wrap at 2^32; a stale link that matched by wrap-around would only
 * yield a candidate, and every candidate is byte-compared.
 */
const E_FP = 0;
const E_POS = 1;
const E_NEXT = 2;
const E_NEXT_SERIAL = 3;

export class FingerprintIndex {
  private readonly buckets: Int32Array; // [head, headSerial] per bucket
  private readonly entries: Int32Array; // [fp, pos mod 2^32, next, nextSerial] per entry
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
    this.buckets = new Int32Array(buckets * 2).fill(-1);
    this.entries = new Int32Array(capacity * 4);
  }

  /** Commits the index's memory now (its pages are otherwise faulted in on first use). */
  prefault(): void {
    this.entries.fill(1).fill(0);
  }

  get memoryBytes(): number {
    return this.buckets.byteLength + this.entries.byteLength;
  }

  insert(fp: number, pos: number): void {
    const e = this.cursor;
    this.cursor = e + 1 === this.capacity ? 0 : e + 1;
    const s = (this.inserted = (this.inserted + 1) | 0);
    const b = (Math.imul(fp, 0x9e3779b1) >>> this.bucketShift) * 2;
    const r = e * 4;
    const ent = this.entries;
    ent[r + E_FP] = fp;
    ent[r + E_POS] = pos; // an Int32Array store keeps the low 32 bits
    ent[r + E_NEXT] = this.buckets[b];
    ent[r + E_NEXT_SERIAL] = this.buckets[b + 1];
    this.buckets[b] = e;
    this.buckets[b + 1] = s;
  }

  /**
   * Writes up to out.length positions stored for fp, newest first, each the
   * one at or below `near` with the stored low 32 bits; returns the count.
   * Positions may be stale or collisions: the caller byte-compares.
   */
  lookup(fp: number, near: number, out: Float64Array): number {
    const nearLow = near >>> 0; // mod 2^32 without an fmod call
    const b = (Math.imul(fp, 0x9e3779b1) >>> this.bucketShift) * 2;
    const ent = this.entries;
    let e = this.buckets[b];
    let want = this.buckets[b + 1];
    let n = 0;
    for (let steps = 0; e >= 0 && steps < 16 && n < out.length; steps++) {
      if ((this.inserted - want) >>> 0 >= this.capacity) break; // the slot was reused: the rest of the chain is gone
      const r = e * 4;
      if (ent[r + E_FP] === fp) out[n++] = near - ((nearLow - ent[r + E_POS]) >>> 0);
      want = ent[r + E_NEXT_SERIAL];
      e = ent[r + E_NEXT];
    }
    return n;
  }
}
