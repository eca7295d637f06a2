/**
 * One flow's held packets, sorted by global seq (parallel arrays, no object
 * per packet). Packets nearly always arrive in increasing seq within a flow,
 * so insertion is an append; the head is popped by advancing an index and the
 * arrays are compacted only when half of them is dead.
 */
import type { DataFrame } from '../wire/frames';

export class FlowQueue {
  readonly flow: number;
  /** Highest seq of this flow delivered so far (0 before any). */
  lastDelivered = 0;
  /** Last time a packet of this flow arrived, ms (for evicting idle flow state). */
  lastActiveMs = 0;
  /** Index in the buffer's holding list, -1 when empty. */
  holdingIndex = -1;

  // Slots [head, end) are live. The arrays are never shrunk: a flow that holds
  // packets again reuses them instead of growing fresh ones (no GC churn).
  private frames: DataFrame[] = [];
  private seqs: number[] = [];
  private arrivals: number[] = [];
  private sizes: number[] = [];
  private head = 0;
  private end = 0;
  /** Earliest arrival among held packets, ms (Infinity when empty). */
  minArrivalMs = Infinity;

  constructor(flow: number) {
    this.flow = flow;
  }

  get length(): number {
    return this.end - this.head;
  }

  headSeq(): number {
    return this.seqs[this.head];
  }

  headFrame(): DataFrame {
    return this.frames[this.head];
  }

  headArrival(): number {
    return this.arrivals[this.head];
  }

  headSize(): number {
    return this.sizes[this.head];
  }

  seqAt(i: number): number {
    return this.seqs[this.head + i];
  }

  arrivalAt(i: number): number {
    return this.arrivals[this.head + i];
  }

  insert(frame: DataFrame, arrivalMs: number, size: number): void {
    const seq = frame.seq;
    if (this.end === this.seqs.length) {
      if (this.head > 0 && this.head * 2 >= this.end) this.compact();
      else {
        this.frames.push(frame);
        this.seqs.push(0);
        this.arrivals.push(0);
        this.sizes.push(0);
      }
    }
    let i = this.end;
    while (i > this.head && this.seqs[i - 1] > seq) {
      this.frames[i] = this.frames[i - 1];
      this.seqs[i] = this.seqs[i - 1];
      this.arrivals[i] = this.arrivals[i - 1];
      this.sizes[i] = this.sizes[i - 1];
      i--;
    }
    this.frames[i] = frame;
    this.seqs[i] = seq;
    this.arrivals[i] = arrivalMs;
    this.sizes[i] = size;
    this.end++;
    if (arrivalMs < this.minArrivalMs) this.minArrivalMs = arrivalMs;
  }

  /** Remove the head (the caller has read it). */
  pop(): void {
    const arrival = this.arrivals[this.head];
    this.frames[this.head] = undefined as unknown as DataFrame; // let the payload go
    this.head++;
    if (this.head === this.end) {
      this.head = 0;
      this.end = 0;
      this.minArrivalMs = Infinity;
      return;
    }
    if (arrival === this.minArrivalMs) this.recomputeMinArrival();
  }

  /** Move the live slots to the front. */
  private compact(): void {
    const n = this.end - this.head;
    for (let i = 0; i < n; i++) {
      this.frames[i] = this.frames[this.head + i];
      this.seqs[i] = this.seqs[this.head + i];
      this.arrivals[i] = this.arrivals[this.head + i];
      this.sizes[i] = this.sizes[this.head + i];
    }
    for (let i = n; i < this.end; i++) this.frames[i] = undefined as unknown as DataFrame;
    this.head = 0;
    this.end = n;
  }

  private recomputeMinArrival(): void {
    let m = Infinity;
    for (let i = this.head; i < this.end; i++) if (this.arrivals[i] < m) m = this.arrivals[i];
    this.minArrivalMs = m;
  }

  /** Index (from head) of the last held packet with arrival + bound <= now, or -1. */
  lastDueBy(now: number, bound: number): number {
    for (let i = this.end - 1; i >= this.head; i--) if (this.arrivals[i] + bound <= now) return i - this.head;
    return -1;
  }
}
