/**
 * Datagrams sent on one path and not yet resolved by the peer's per-path
 * acknowledgement, in per-path sequence order. A ring of parallel typed
 * arrays: no object per packet. The path sequence number is the key, so the
 * record of pathSeq n is found in O(1).
 *
 * A record is "in flight" until the peer reports a highest pathSeq at or past
 * it (delivered or lost), or until it is declared lost by timeout; lost
 * records stay in the ledger (they still count for reinjection when the path
 * dies) but no longer count in `inflightBytes`.
 */
const LOST = 1;
const APP_LIMITED = 2;
const REINJECTED = 4;

export class SentLedger {
  /** pathSeq of the oldest record held. */
  first = 1;
  /** pathSeq the next sent datagram gets. */
  next = 1;
  inflightBytes = 0;
  private mask: number;
  private seq: Float64Array;
  private size: Float64Array;
  private sendTime: Float64Array;
  private delivered: Float64Array;
  private deliveredTime: Float64Array;
  private firstSentTime: Float64Array;
  private flags: Uint8Array;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.mask = cap - 1;
    this.seq = new Float64Array(cap);
    this.size = new Float64Array(cap);
    this.sendTime = new Float64Array(cap);
    this.delivered = new Float64Array(cap);
    this.deliveredTime = new Float64Array(cap);
    this.firstSentTime = new Float64Array(cap);
    this.flags = new Uint8Array(cap);
  }

  get count(): number {
    return this.next - this.first;
  }

  /** Records a sent datagram; returns its pathSeq. */
  push(seq: number, size: number, now: number, delivered: number, deliveredTime: number, firstSentTime: number, appLimited: boolean): number {
    if (this.count > this.mask) this.grow();
    const ps = this.next++;
    const i = ps & this.mask;
    this.seq[i] = seq;
    this.size[i] = size;
    this.sendTime[i] = now;
    this.delivered[i] = delivered;
    this.deliveredTime[i] = deliveredTime;
    this.firstSentTime[i] = firstSentTime;
    this.flags[i] = appLimited ? APP_LIMITED : 0;
    this.inflightBytes += size;
    return ps;
  }

  has(ps: number): boolean {
    return ps >= this.first && ps < this.next;
  }

  seqAt(ps: number): number { return this.seq[ps & this.mask]; }
  sizeAt(ps: number): number { return this.size[ps & this.mask]; }
  sendTimeAt(ps: number): number { return this.sendTime[ps & this.mask]; }
  deliveredAt(ps: number): number { return this.delivered[ps & this.mask]; }
  deliveredTimeAt(ps: number): number { return this.deliveredTime[ps & this.mask]; }
  firstSentTimeAt(ps: number): number { return this.firstSentTime[ps & this.mask]; }
  isAppLimited(ps: number): boolean { return (this.flags[ps & this.mask] & APP_LIMITED) !== 0; }
  isLost(ps: number): boolean { return (this.flags[ps & this.mask] & LOST) !== 0; }
  isReinjected(ps: number): boolean { return (this.flags[ps & this.mask] & REINJECTED) !== 0; }

  markReinjected(ps: number): void {
    this.flags[ps & this.mask] |= REINJECTED;
  }

  /** Declares a record lost (it leaves the in-flight count); idempotent. */
  markLost(ps: number): void {
    const i = ps & this.mask;
    if (this.flags[i] & LOST) return;
    this.flags[i] |= LOST;
    this.inflightBytes -= this.size[i];
  }

  /** Drops every record with pathSeq <= ps (the peer has resolved them). */
  popThrough(ps: number): void {
    const end = Math.min(ps + 1, this.next);
    for (let p = this.first; p < end; p++) {
      const i = p & this.mask;
      if (!(this.flags[i] & LOST)) this.inflightBytes -= this.size[i];
    }
    if (end > this.first) this.first = end;
    if (this.first === this.next) this.inflightBytes = 0; // no float drift when empty
  }

  /** Forgets all records (after they were handed to reinjection). */
  clear(): void {
    this.first = this.next;
    this.inflightBytes = 0;
  }

  private grow(): void {
    const oldCap = this.mask + 1;
    const cap = oldCap * 2;
    const mask = cap - 1;
    const move = <T extends Float64Array | Uint8Array>(old: T, fresh: T): T => {
      for (let p = this.first; p < this.next; p++) fresh[p & mask] = old[p & this.mask];
      return fresh;
    };
    this.seq = move(this.seq, new Float64Array(cap));
    this.size = move(this.size, new Float64Array(cap));
    this.sendTime = move(this.sendTime, new Float64Array(cap));
    this.delivered = move(this.delivered, new Float64Array(cap));
    this.deliveredTime = move(this.deliveredTime, new Float64Array(cap));
    this.firstSentTime = move(this.firstSentTime, new Float64Array(cap));
    this.flags = move(this.flags, new Uint8Array(cap));
    this.mask = mask;
  }
}
