import { WindowedFilter } from './windowed-filter';

/**
 * Rate control of one path. UDP has no congestion control of its own, so each
 * path is paced at its estimated bottleneck rate, BBR style: the bottleneck
 * bandwidth is the max of delivery-rate samples over the last 10 round trips,
 * the pacing rate is a gain times that, and a congestion window of about two
 * bandwidth-delay products caps what is in flight.
 *
 * On top of BBR's model sits a delay and loss guard, because a tunnel must not
 * fill an LTE modem's deep buffer: when the smallest RTT seen over a whole
 * round trip stays more than `queueTargetMs` above the path's minimum RTT (a
 * standing queue), or more than 10 % of a round's packets were lost, the
 * bandwidth estimate is reset to what was just delivered and the path drains.
 * A path is therefore never fed faster than it delivers.
 *
 * Rates are bytes per millisecond inside (1 B/ms = 8 kbit/s), times are ms.
 */
export interface RateControlOptions {
  /** Typical datagram size; sets the minimum window. Default 1400. */
  mtu?: number;
  /** Before the first sample the path is paced at this rate, B/s. Default 10 × mtu per initial RTT. */
  initialRateBytesPerSec?: number;
  /** Never pace faster than this, B/s (e.g. a known uplink speed). Default no cap. */
  maxRateBytesPerSec?: number;
  /** Longest time the peer holds an ack; added to the window so acks every 10 ms do not stall the path. */
  maxAckDelayMs?: number;
  /** Queueing delay above min RTT that counts as a standing queue. Default clamp(minRtt / 2, 5, 25) ms. */
  queueTargetMs?: number;
  /** Pacing may catch up this many ms of missed sending (coarse timers) as one burst. Default 2. */
  burstMs?: number;
}

const enum Mode {
  Startup,
  Drain,
  ProbeBw,
}

/** Gains of the probe-bandwidth cycle, one phase per min RTT. */
const PROBE_GAINS = [1.25, 0.75, 1, 1, 1, 1, 1, 1];
const STARTUP_GAIN = 2;
const DRAIN_GAIN = 0.5;
const CWND_GAIN = 2;
const BW_WINDOW_ROUNDS = 10;
const LOSS_THRESHOLD = 0.1;

export class RateControl {
  private readonly mtu: number;
  private readonly maxRate: number;
  private readonly maxAckDelayMs: number;
  private readonly fixedQueueTarget: number;
  private readonly burstMs: number;
  private initialRate: number;
  private readonly bwFilter = new WindowedFilter(BW_WINDOW_ROUNDS, true);
  private mode = Mode.Startup;
  private pacingGain = STARTUP_GAIN;
  private cycleIndex = 2;
  private cycleStart = 0;
  private round = 0;
  private nextRoundDelivered = 0;
  private fullBw = 0;
  private fullBwRounds = 0;
  private roundMinRtt = Infinity;
  private roundMaxRate = 0;
  private roundLost = 0;
  private roundResolved = 0;
  /** Earliest time the pacer lets the next datagram go. */
  nextSendTime = -Infinity;
  /** Times the guard saw a standing queue or heavy loss (for tests and metrics). */
  congestionEvents = 0;

  constructor(opts: RateControlOptions, private readonly initialRttMs: number) {
    this.mtu = opts.mtu ?? 1400;
    this.maxRate = (opts.maxRateBytesPerSec ?? Infinity) / 1000;
    this.maxAckDelayMs = opts.maxAckDelayMs ?? 10;
    this.fixedQueueTarget = opts.queueTargetMs ?? NaN;
    this.burstMs = opts.burstMs ?? 2;
    this.initialRate = Math.min(this.maxRate, (opts.initialRateBytesPerSec ?? (10 * this.mtu * 1000) / initialRttMs) / 1000);
  }

  /** Estimated bottleneck bandwidth, B/ms. */
  get bandwidth(): number {
    const bw = this.bwFilter.empty ? this.initialRate : this.bwFilter.value;
    return Math.min(bw, this.maxRate);
  }

  get pacingRate(): number {
    return Math.min(this.pacingGain * this.bandwidth, this.maxRate);
  }

  get inStartup(): boolean {
    return this.mode === Mode.Startup;
  }

  /** Congestion window in bytes, for the given min RTT. */
  cwnd(minRtt: number): number {
    const gain = this.mode === Mode.ProbeBw ? CWND_GAIN : STARTUP_GAIN;
    const bw = this.bandwidth;
    return Math.max(4 * this.mtu, gain * bw * minRtt + bw * this.maxAckDelayMs + 2 * this.mtu);
  }

  queueTarget(minRtt: number): number {
    if (!Number.isNaN(this.fixedQueueTarget)) return this.fixedQueueTarget;
    return Math.min(25, Math.max(5, minRtt / 2));
  }

  /** Advances the pacer by one datagram of `size` bytes sent at `now`. */
  onSend(now: number, size: number): void {
    const start = Math.max(this.nextSendTime, now - this.burstMs);
    this.nextSendTime = start + size / this.pacingRate;
  }

  /** True when the pacer was ready well before `now`: the path was not the bottleneck. */
  wasIdle(now: number): boolean {
    return now - this.nextSendTime > this.burstMs;
  }

  /**
   * Feedback from one acknowledgement of this path.
   * @param sentDelivered delivered count stored with the newest resolved datagram (marks round trips)
   * @param delivered bytes delivered on the path so far
   * @param rate delivery-rate sample in B/ms, NaN if none
   */
  onAck(now: number, sentDelivered: number, delivered: number, rate: number, appLimited: boolean,
    minRtt: number, lost: number, resolved: number, inflight: number): void {
    let roundStart = false;
    if (sentDelivered >= this.nextRoundDelivered) {
      this.nextRoundDelivered = delivered;
      this.round++;
      roundStart = true;
    }
    if (rate > 0 && Number.isFinite(rate)) {
      if (!appLimited || this.bwFilter.empty || rate >= this.bwFilter.value) this.bwFilter.update(this.round, rate);
      if (rate > this.roundMaxRate) this.roundMaxRate = rate;
    }
    this.roundLost += lost;
    this.roundResolved += resolved;
    if (roundStart) this.endRound(now, minRtt);
    this.advanceMode(now, minRtt, inflight);
  }

  /** Every RTT sample of the path (acks and probes), for the standing-queue check. */
  onRttSample(rttMs: number): void {
    if (rttMs >= 0 && rttMs < this.roundMinRtt) this.roundMinRtt = rttMs;
  }

  /** The path came back after an outage: probe its rate afresh from a quarter of the old estimate. */
  restart(now: number): void {
    this.initialRate = Math.max(this.initialRate, this.bandwidth / 4);
    this.bwFilter.clear();
    this.mode = Mode.Startup;
    this.pacingGain = STARTUP_GAIN;
    this.fullBw = 0;
    this.fullBwRounds = 0;
    this.nextSendTime = now;
  }

  private endRound(now: number, minRtt: number): void {
    const queued = this.roundMinRtt - minRtt;
    const lossy = this.roundResolved >= 8 && this.roundLost > LOSS_THRESHOLD * this.roundResolved;
    const congested = (queued > this.queueTarget(minRtt) && Number.isFinite(this.roundMinRtt)) || lossy;
    if (congested && this.roundMaxRate > 0) {
      this.congestionEvents++;
      this.bwFilter.reset(this.round, Math.min(this.bandwidth, this.roundMaxRate));
      if (this.mode === Mode.ProbeBw) this.enterCycle(now, 1);
      else this.mode = Mode.Drain;
    } else if (this.mode === Mode.Startup) {
      const bw = this.bandwidth;
      if (bw >= this.fullBw * 1.25) {
        this.fullBw = bw;
        this.fullBwRounds = 0;
      } else if (++this.fullBwRounds >= 3) {
        this.mode = Mode.Drain;
      }
    }
    this.roundMinRtt = Infinity;
    this.roundMaxRate = 0;
    this.roundLost = 0;
    this.roundResolved = 0;
  }

  private advanceMode(now: number, minRtt: number, inflight: number): void {
    const bdp = this.bandwidth * minRtt;
    if (this.mode === Mode.Drain) {
      this.pacingGain = DRAIN_GAIN;
      if (inflight <= bdp) this.enterCycle(now, 2);
      return;
    }
    if (this.mode === Mode.Startup) {
      this.pacingGain = STARTUP_GAIN;
      return;
    }
    const elapsed = now - this.cycleStart;
    const phaseDone = elapsed > minRtt || (this.pacingGain < 1 && inflight <= bdp && elapsed > minRtt / 4);
    if (phaseDone) this.enterCycle(now, (this.cycleIndex + 1) % PROBE_GAINS.length);
  }

  private enterCycle(now: number, index: number): void {
    this.mode = Mode.ProbeBw;
    this.cycleIndex = index;
    this.cycleStart = now;
    this.pacingGain = PROBE_GAINS[index];
  }
}
