/**
 * What the receiver knows about each recent global sequence number: a ring of
 * `size` slots covering [lowest, highest]. It is the dedup window (a seq seen
 * twice is dropped) and the loss ledger (a seq proven lost or given up) in one
 * table, so every packet costs one array read and one write.
 *
 * Sequence numbers are JS numbers (safe to 2^53): they outgrow 32 bits within
 * hours at a million packets per second, so slots are `seq % size`, not `&`.
 */

/** State of one global sequence number. */
export const SeqState = {
  /** Not received, not declared lost: a hole (or not sent yet). */
  UNKNOWN: 0,
  /** Received and held in the reorder buffer. */
  BUFFERED: 1,
  /** Received and delivered. */
  DONE: 2,
  /** Proven lost from per-path sequence numbers. */
  LOST: 3,
  /** Waited for and given up at the hold bound. */
  GIVEN_UP: 4,
  /** Below the window: too old to know; treated as done. */
  OLD: 5,
  /** Given up to respect the memory cap or the window (not a sign the bound is short). */
  EVICTED: 6,
  /** Proven lost, and the sender is expected to resend it soon: still waited for (loss recovery). */
  RECOVERING: 7,
} as const;

/** No flow waits on this seq. Flow ids are uint32, so -1 never collides. */
const NO_WAITER = -1;

export class SeqWindow {
  readonly size: number;
  /** Highest seq ever seen (received or named as a prevSeq); 0 before any. */
  highest = 0;
  private readonly states: Uint8Array;
  /** Per slot: flow id of the buffered packet waiting for this seq (flowPrevSeq chains). */
  private readonly waiters: Float64Array;

  constructor(size: number) {
    this.size = size;
    this.states = new Uint8Array(size);
    this.waiters = new Float64Array(size).fill(NO_WAITER);
  }

  /** Lowest seq still tracked. */
  get lowest(): number {
    return this.highest >= this.size ? this.highest - this.size + 1 : 1;
  }

  state(seq: number): number {
    if (seq > this.highest) return SeqState.UNKNOWN;
    if (seq < this.lowest) return SeqState.OLD;
    return this.states[seq % this.size];
  }

  /** Caller guarantees lowest <= seq <= highest. */
  set(seq: number, state: number): void {
    this.states[seq % this.size] = state;
  }

  /** Lowest seq the window would keep after advancing to `seq`. */
  lowestAfter(seq: number): number {
    return seq >= this.size ? seq - this.size + 1 : 1;
  }

  /**
   * Move the top to `seq` (> highest), clearing the slots that newly enter.
   * The caller must first release any packet buffered below lowestAfter(seq).
   */
  advanceTo(seq: number): void {
    const from = this.highest + 1;
    const count = Math.min(seq - this.highest, this.size);
    const start = seq - count + 1 > from ? seq - count + 1 : from;
    for (let s = start; s <= seq; s++) {
      const slot = s % this.size;
      this.states[slot] = SeqState.UNKNOWN;
      this.waiters[slot] = NO_WAITER;
    }
    this.highest = seq;
  }

  /** Flow id waiting for `seq`, or -1. */
  waiter(seq: number): number {
    if (seq > this.highest || seq < this.lowest) return NO_WAITER;
    return this.waiters[seq % this.size];
  }

  setWaiter(seq: number, flow: number): void {
    if (seq > this.highest || seq < this.lowest) return;
    this.waiters[seq % this.size] = flow;
  }

  clearWaiter(seq: number): void {
    if (seq > this.highest || seq < this.lowest) return;
    this.waiters[seq % this.size] = NO_WAITER;
  }
}
