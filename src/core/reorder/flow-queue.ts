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

  private frames: DataFrame[] = [];
  private seqs: number[] = [];
  private arrivals: number[] = [];
  private sizes: number[] = [];
  private head = 0;
  /** Earliest arrival among held packets, ms (Infinity when empty). */
  minArrivalMs = Infinity;

  constructor(flow: number) {
    this.flow = flow;
  }

  get length(): number {
    return this.seqs.length - this.head;
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
    let i = this.seqs.length;
    while (i > this.head && this.seqs[i - 1] > seq) i--;
    if (i === this.seqs.length) {
      this.frames.push(frame);
      this.seqs.push(seq);
      this.arrivals.push(arrivalMs);
      this.sizes.push(size);
    } else {
      this.frames.splice(i, 0, frame);
      this.seqs.splice(i, 0, seq);
      this.arrivals.splice(i, 0, arrivalMs);
      this.sizes.splice(i, 0, size);
    }
    if (arrivalMs < this.minArrivalMs) this.minArrivalMs = arrivalMs;
  }

  /** Remove the head (the caller has read it). */
  pop(): void {
    const arrival = this.arrivals[this.head];
    this.frames[this.head] = undefined as unknown as DataFrame; // let the payload go
    this.head++;
    if (this.head === this.seqs.length) {
      this.frames.length = 0;
      this.seqs.length = 0;
      this.arrivals.length = 0;
      this.sizes.length = 0;
      this.head = 0;
      this.minArrivalMs = Infinity;
      return;
    }
    if (this.head > 32 && this.head * 2 > this.seqs.length) this.compact();
    if (arrival === this.minArrivalMs) this.recomputeMinArrival();
  }

  private compact(): void {
    this.frames = this.frames.slice(this.head);
    this.seqs = this.seqs.slice(this.head);
    this.arrivals = this.arrivals.slice(this.head);
    this.sizes = this.sizes.slice(this.head);
    this.head = 0;
  }

  private recomputeMinArrival(): void {
    let m = Infinity;
    for (let i = this.head; i < this.arrivals.length; i++) if (this.arrivals[i] < m) m = this.arrivals[i];
    this.minArrivalMs = m;
  }

  /** Index (from head) of the last held packet that arrived at or before `t`, or -1. */
  lastArrivedBy(t: number): number {
    for (let i = this.seqs.length - 1; i >= this.head; i--) if (this.arrivals[i] <= t) return i - this.head;
    return -1;
  }
}
