/**
 * Virtual clock for simulations: an event queue ordered by time (then by
 * insertion), and `run*` methods that jump straight to the next wake-up. No
 * real time passes; a 60-second scenario runs in well under a second.
 */
export type TimerId = number;

export class VirtualClock {
  now = 0;
  private seq = 0;
  // binary heap of event indices
  private heap: number[] = [];
  private times: number[] = [];
  private order: number[] = [];
  private fns: (((now: number) => void) | undefined)[] = [];
  private free: number[] = [];

  /** Runs `fn` at time `at` (never earlier than now). */
  at(at: number, fn: (now: number) => void): TimerId {
    const id = this.free.length > 0 ? this.free.pop()! : this.fns.length;
    this.times[id] = Math.max(at, this.now);
    this.order[id] = this.seq++;
    this.fns[id] = fn;
    this.push(id);
    return this.order[id];
  }

  after(delayMs: number, fn: (now: number) => void): TimerId {
    return this.at(this.now + delayMs, fn);
  }

  /** Cancels a pending timer (a no-op if it already ran). */
  cancel(timer: TimerId): void {
    for (const id of this.heap) if (this.order[id] === timer) this.fns[id] = undefined; // skipped when popped
  }

  /** Time of the next pending event, Infinity if none. */
  get nextTime(): number {
    while (this.heap.length > 0 && this.fns[this.heap[0]] === undefined) this.recycle(this.pop());
    return this.heap.length > 0 ? this.times[this.heap[0]] : Infinity;
  }

  /** Processes every event up to and including time `t`, then sets now = t. */
  runUntil(t: number): void {
    for (;;) {
      const next = this.nextTime;
      if (next > t) break;
      const id = this.pop();
      const fn = this.fns[id]!;
      this.now = this.times[id];
      this.recycle(id);
      fn(this.now);
    }
    if (t > this.now) this.now = t;
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  private recycle(id: number): void {
    this.fns[id] = undefined;
    this.free.push(id);
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a];
    const tb = this.times[b];
    return ta < tb || (ta === tb && this.order[a] < this.order[b]);
  }

  private push(id: number): void {
    const h = this.heap;
    h.push(id);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
