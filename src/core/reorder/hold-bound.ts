/**
 * How long a packet may wait for a hole before it is released anyway:
 * clamp(ΔOWD + k·jitter, min, max), where ΔOWD is the spread of the paths'
 * current one-way delays. A hole on the slow path arrives about ΔOWD after the
 * packets around it on the fast path; waiting longer only adds latency.
 *
 * Clocks are not synchronised: each sample is (receiver now − sender send
 * time), which includes the unknown clock offset. The offset is the same for
 * every path (one sender clock, one receiver clock), so it cancels in the
 * difference between paths; only differences are ever used.
 */

export interface HoldBoundOptions {
  /** Lower clamp, ms. */
  minHoldMs: number;
  /** Upper clamp, ms. */
  maxHoldMs: number;
  /** Jitter multiplier k. */
  jitterFactor: number;
  /** A path with no data for this long no longer counts in ΔOWD, ms. */
  pathIdleMs: number;
  /**
   * Hold bound while fewer than two paths are active, ms. A path delivers in
   * order, so with one path heard from, a held packet can only be waiting for
   * a path not heard from yet (just opened, or back from idle), whose delay is
   * unknown.
   */
  unknownSkewHoldMs: number;
  /**
   * A packet that arrives after its hole was given up at the bound adds
   * max(2 ms, bound/4) to the bound (like RACK's reordering-window steps on
   * DSACK); the extra halves after this long without such an arrival, ms.
   */
  lateDecayMs: number;
}

export const defaultHoldBoundOptions: HoldBoundOptions = {
  minHoldMs: 5,
  maxHoldMs: 250,
  jitterFactor: 3,
  pathIdleMs: 1000,
  unknownSkewHoldMs: 100,
  lateDecayMs: 2000,
};

/** One path's one-way-delay estimate (offset included), µs. */
export class PathDelay {
  readonly pathId: number;
  /** EWMA (1/8) of the OWD sample, µs. */
  smoothedUs = 0;
  /** EWMA (1/4) of |sample − smoothed|, µs. */
  jitterUs = 0;
  /** Smallest sample seen (propagation delay + offset), µs. */
  minUs = Infinity;
  /** Latest sample, µs. */
  lastUs = 0;
  lastSeenMs = -Infinity;
  samples = 0;

  constructor(pathId: number) {
    this.pathId = pathId;
  }

  add(nowMs: number, owdUs: number): void {
    if (this.samples === 0) {
      this.smoothedUs = owdUs;
      this.jitterUs = 0;
    } else {
      const err = owdUs - this.smoothedUs;
      this.jitterUs += ((err < 0 ? -err : err) - this.jitterUs) / 4;
      this.smoothedUs += err / 8;
    }
    if (owdUs < this.minUs) this.minUs = owdUs;
    this.lastUs = owdUs;
    this.samples++;
    this.lastSeenMs = nowMs;
  }
}

export class HoldBound {
  private readonly opts: HoldBoundOptions;
  private readonly paths: PathDelay[] = [];
  /** Cached bound, ms; recomputed lazily after a sample. */
  private cachedMs: number;
  private cachedAtMs = -Infinity;
  private dirty = true;
  /** Extra hold learned from packets that came just after their hole was given up, ms. */
  private lateExtraMs = 0;
  private lateAtMs = -Infinity;

  constructor(opts: Partial<HoldBoundOptions> = {}) {
    this.opts = { ...defaultHoldBoundOptions, ...opts };
    this.cachedMs = this.opts.minHoldMs;
  }

  /** Feed one data packet's timing. */
  onSample(nowMs: number, pathId: number, sendTimeUs: number): void {
    if (!Number.isFinite(sendTimeUs) || !Number.isFinite(nowMs)) return; // one bad header must not poison the bound
    let p: PathDelay | undefined;
    for (let i = 0; i < this.paths.length; i++) {
      if (this.paths[i].pathId === pathId) {
        p = this.paths[i];
        break;
      }
    }
    if (p === undefined) {
      p = new PathDelay(pathId);
      this.paths.push(p);
    }
    p.add(nowMs, nowMs * 1000 - sendTimeUs);
    this.dirty = true;
  }

  /**
   * Current spread of OWD across active paths, ms (0 with one path). The
   * slow end takes the larger of smoothed and latest sample, the fast end the
   * smaller, so a delay that is ramping up (a queue filling) is not lagged.
   */
  skewMs(nowMs: number): number {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of this.paths) {
      if (nowMs - p.lastSeenMs > this.opts.pathIdleMs) continue;
      const low = p.lastUs < p.smoothedUs ? p.lastUs : p.smoothedUs;
      const high = p.lastUs > p.smoothedUs ? p.lastUs : p.smoothedUs;
      if (low < lo) lo = low;
      if (high > hi) hi = high;
    }
    return hi > lo ? (hi - lo) / 1000 : 0;
  }

  /** Paths heard from within pathIdleMs. */
  activePaths(nowMs: number): number {
    let n = 0;
    for (const p of this.paths) if (nowMs - p.lastSeenMs <= this.opts.pathIdleMs) n++;
    return n;
  }

  /** Largest jitter among active paths, ms. */
  jitterMs(nowMs: number): number {
    let j = 0;
    for (const p of this.paths) {
      if (nowMs - p.lastSeenMs > this.opts.pathIdleMs) continue;
      if (p.jitterUs > j) j = p.jitterUs;
    }
    return j / 1000;
  }

  /** The hold bound now, ms. */
  boundMs(nowMs: number): number {
    // Path idleness changes with time alone, so refresh at least every 100 ms.
    if (!this.dirty && nowMs - this.cachedAtMs < 100) return this.cachedMs;
    while (this.lateExtraMs > 0 && nowMs - this.lateAtMs >= this.opts.lateDecayMs) {
      this.lateExtraMs = this.lateExtraMs < 1 ? 0 : this.lateExtraMs / 2;
      this.lateAtMs += this.opts.lateDecayMs;
    }
    let raw = this.skewMs(nowMs) + this.opts.jitterFactor * this.jitterMs(nowMs);
    if (this.activePaths(nowMs) < 2 && raw < this.opts.unknownSkewHoldMs) raw = this.opts.unknownSkewHoldMs;
    raw += this.lateExtraMs;
    this.cachedMs = Math.min(this.opts.maxHoldMs, Math.max(this.opts.minHoldMs, raw));
    this.cachedAtMs = nowMs;
    this.dirty = false;
    return this.cachedMs;
  }

  /** A packet arrived after its hole had been given up at the bound. */
  onLateAfterTimeout(nowMs: number): void {
    const step = Math.max(2, this.boundMs(nowMs) / 4);
    this.lateExtraMs = Math.min(this.opts.maxHoldMs, this.lateExtraMs + step);
    this.lateAtMs = nowMs;
    this.dirty = true;
  }

  /** Extra hold learned from late arrivals, ms (for metrics). */
  get lateExtra(): number {
    return this.lateExtraMs;
  }

  /** Per-path estimates, for metrics and tests. */
  pathDelays(): readonly PathDelay[] {
    return this.paths;
  }

  /** Forget a path (closed). */
  removePath(pathId: number): void {
    const i = this.paths.findIndex((p) => p.pathId === pathId);
    if (i >= 0) this.paths.splice(i, 1);
    this.dirty = true;
  }
}
