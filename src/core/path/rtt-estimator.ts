import { WindowedFilter } from './windowed-filter';

/**
 * Round-trip time of one path: smoothed RTT and variation as in RFC 6298
 * (gains 1/8 and 1/4), the latest sample, and a windowed minimum that stands
 * for the path's propagation delay (the queue-free RTT). All in ms.
 */
export class RttEstimator {
  srtt = NaN;
  rttvar = NaN;
  latest = NaN;
  private readonly minFilter: WindowedFilter;

  constructor(
    /** Before any sample, schedulers and timers assume this RTT. */
    private readonly initialRttMs: number,
    /** How long a minimum stays valid; a longer path after a route change shows after this. */
    minWindowMs: number,
  ) {
    this.minFilter = new WindowedFilter(minWindowMs, false);
  }

  get hasSample(): boolean {
    return !Number.isNaN(this.srtt);
  }

  /** Smoothed RTT, or the configured initial guess before the first sample. */
  get smoothed(): number {
    return this.hasSample ? this.srtt : this.initialRttMs;
  }

  get variation(): number {
    return this.hasSample ? this.rttvar : this.initialRttMs / 2;
  }

  get min(): number {
    return this.minFilter.empty ? this.smoothed : this.minFilter.value;
  }

  onSample(now: number, rttMs: number): void {
    if (!(rttMs >= 0) || !Number.isFinite(rttMs)) return;
    this.latest = rttMs;
    this.minFilter.update(now, rttMs);
    if (!this.hasSample) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
      return;
    }
    this.rttvar += (Math.abs(this.srtt - rttMs) - this.rttvar) / 4;
    this.srtt += (rttMs - this.srtt) / 8;
  }
}
