/**
 * Fingerprint → cache position, a hash index with chaining under a fixed
 * memory cap. Entries live in a ring and the oldest is reused first; since
 * every chunk the encoder sends is inserted again at its new position, content
 * that keeps recurring always has a fresh entry, so the eviction order is
 * least-recently-*used* content. A reused slot is unlinked lazily: each link
 * remembers the serial number of the entry it pointed to, and a walk stops at
 * a link whose target has since been reused.
 */
export class FingerprintIndex {
  private readonly heads: Int32Array;
  private readonly headSerial: Float64Array;
  private readonly fps: Int32Array;
  private readonly positions: Float64Array;
  private readonly next: Int32Array;
  private readonly nextSerial: Float64Array;
  private readonly serial: Float64Array;
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
    this.heads = new Int32Array(buckets).fill(-1);
    this.headSerial = new Float64Array(buckets);
    this.fps = new Int32Array(capacity);
    this.positions = new Float64Array(capacity);
    this.next = new Int32Array(capacity).fill(-1);
    this.nextSerial = new Float64Array(capacity);
    this.serial = new Float64Array(capacity).fill(-1);
  }

  get memoryBytes(): number {
    return this.heads.byteLength + this.headSerial.byteLength + this.fps.byteLength + this.positions.byteLength +
      this.next.byteLength + this.nextSerial.byteLength + this.serial.byteLength;
  }

  private bucket(fp: number): number {
    return Math.imul(fp, 0x9e3779b1) >>> this.bucketShift;
  }

  insert(fp: number, pos: number): void {
    const e = this.cursor;
    this.cursor = e + 1 === this.capacity ? 0 : e + 1;
    const s = ++this.inserted;
    const b = this.bucket(fp);
    this.fps[e] = fp;
    this.positions[e] = pos;
    this.serial[e] = s;
    this.next[e] = this.heads[b];
    this.nextSerial[e] = this.headSerial[b];
    this.heads[b] = e;
    this.headSerial[b] = s;
  }

  /**
   * Writes up to out.length positions stored for fp, newest first; returns the
   * count. Positions may be stale or collisions: the caller byte-compares.
   */
  lookup(fp: number, out: Float64Array): number {
    const b = this.bucket(fp);
    let e = this.heads[b];
    let want = this.headSerial[b];
    let n = 0;
    let steps = 0;
    while (e >= 0 && this.serial[e] === want && n < out.length && steps < 16) {
      if (this.fps[e] === fp) out[n++] = this.positions[e];
      want = this.nextSerial[e];
      e = this.next[e];
      steps++;
    }
    return n;
  }
}
