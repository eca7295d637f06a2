/**
 * Running maximum (or minimum) of a signal over a sliding window, in O(1)
 * time and space: the best, second-best and third-best samples of the
 * window's recent thirds are kept (Kathleen Nichols' scheme, as used for
 * BBR's bottleneck bandwidth and min-RTT filters). "Time" is whatever unit
 * the caller uses: milliseconds for min RTT, round trips for max bandwidth.
 */
export class WindowedFilter {
  private t0 = 0;
  private v0 = NaN;
  private t1 = 0;
  private v1 = NaN;
  private t2 = 0;
  private v2 = NaN;

  /** `max` keeps the largest sample in the window, otherwise the smallest. */
  constructor(
    /** Window length; may be changed as the caller's notion of "recent" changes. */
    public window: number,
    private readonly max: boolean,
  ) {}

  /** The best sample in the window, NaN before the first sample. */
  get value(): number {
    return this.v0;
  }

  get empty(): boolean {
    return Number.isNaN(this.v0);
  }

  reset(t: number, v: number): void {
    this.t0 = this.t1 = this.t2 = t;
    this.v0 = this.v1 = this.v2 = v;
  }

  /** Forgets everything; the next sample starts a new window. */
  clear(): void {
    this.v0 = this.v1 = this.v2 = NaN;
  }

  update(t: number, v: number): number {
    if (this.empty || this.better(v, this.v0) || t - this.t2 > this.window) {
      this.reset(t, v);
      return this.v0;
    }
    if (this.better(v, this.v1)) {
      this.t1 = this.t2 = t;
      this.v1 = this.v2 = v;
    } else if (this.better(v, this.v2)) {
      this.t2 = t;
      this.v2 = v;
    }
    this.age(t, v);
    return this.v0;
  }

  private better(a: number, b: number): boolean {
    return this.max ? a >= b : a <= b;
  }

  /** Promotes the sub-window bests as the oldest best ages out of the window. */
  private age(t: number, v: number): void {
    const dt = t - this.t0;
    if (dt > this.window) {
      this.shift(t, v);
      if (t - this.t0 > this.window) this.shift(t, v);
    } else if (this.t1 === this.t0 && dt > this.window / 4) {
      this.t1 = this.t2 = t;
      this.v1 = this.v2 = v;
    } else if (this.t2 === this.t1 && dt > this.window / 2) {
      this.t2 = t;
      this.v2 = v;
    }
  }

  private shift(t: number, v: number): void {
    this.t0 = this.t1;
    this.v0 = this.v1;
    this.t1 = this.t2;
    this.v1 = this.v2;
    this.t2 = t;
    this.v2 = v;
  }
}
