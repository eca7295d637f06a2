import { WindowedFilter } from './windowed-filter';

/**
 * Rate control of one path. UDP has no congestion control of its own, so each
 * path is paced at its estimated bottleneck rate, BBR style: the bottleneck
 * bandwidth is the max of delivery-rate samples over the last 10 round trips,
 * the pacing rate is a gain times that, and a congestion window of about two
 * bandwidth-delay products caps what is in flight.
 *
 * On top of BBR's model sits a delay and loss guard, because a tunnel must not
 * fill an LTE modem's deep buffer: when every RTT sample for half a min RTT
 * (at least 10 ms) stays more than `queueTargetMs` above the path's minimum
 * RTT (a standing queue), or more than 10 % of a round's packets were lost,
 * the bandwidth estimate drops to the best rate delivered in the last min RTT
 * and the path drains until no more than one bandwidth-delay product is in
 * flight. A path is therefore never fed faster than it delivers, and a
 * capacity drop costs one queue's worth of delay, not a buffer's worth.
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
const MIN_QUEUE_TARGET_MS = 5;
/** Least share of the estimate a delay signal leaves on a sub-queue-target path (see congested). */
const LAN_DELAY_CUT = 0.7;

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
  /** Best ack rate of the last min RTT: what the bottleneck delivers now, once a queue stands. */
  private readonly recentRate = new WindowedFilter(50, true);
  private lastRateAt = -Infinity;
  /** Start of the current run of RTT samples above the queue target; NaN if none. */
  private aboveSince = NaN;
  /** Smoothed RTT sample and its mean deviation, for the guard's jitter allowance. */
  private sampleMean = NaN;
  private sampleDev = 0;
  /** Smallest RTT sample of the last max(40 ms, min RTT). */
  private readonly recentMinRtt = new WindowedFilter(40, false);
  private lastMinRtt: number;
  /** The last datagram went slower than the pacer allowed: a queue now is not of this path's making. */
  private appLimited = false;
  private roundLost = 0;
  /** No sample of this round came from a busy path. */
  private roundAppLimited = true;
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
    this.lastMinRtt = initialRttMs;
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
    // draining: at most one BDP in flight, or a window-limited path would never drain
    const gain = this.mode === Mode.Drain ? 1 : CWND_GAIN;
    const bw = this.bandwidth;
    return Math.max(4 * this.mtu, gain * bw * minRtt + bw * this.maxAckDelayMs + 2 * this.mtu);
  }

  queueTarget(minRtt: number): number {
    if (!Number.isNaN(this.fixedQueueTarget)) return this.fixedQueueTarget;
    return Math.min(25, Math.max(MIN_QUEUE_TARGET_MS, minRtt / 2));
  }

  /** Advances the pacer by one datagram of `size` bytes sent at `now`. */
  onSend(now: number, size: number, appLimited = false): void {
    this.appLimited = appLimited;
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
   * @param ackRate the same bytes over the ack interval alone: while a queue stands, the bottleneck's rate
   */
  onAck(now: number, sentDelivered: number, delivered: number, rate: number, ackRate: number, appLimited: boolean,
    minRtt: number, lost: number, resolved: number, inflight: number): void {
    let roundStart = false;
    if (sentDelivered >= this.nextRoundDelivered) {
      this.nextRoundDelivered = delivered;
      this.round++;
      roundStart = true;
    }
    this.lastMinRtt = minRtt;
    if (rate > 0 && Number.isFinite(rate)) {
      // a sample from a path that was not kept busy only ever raises the estimate,
      // and never starts it below the initial rate (a sparse flow must not slow its own path)
      if (!appLimited) this.bwFilter.update(this.round, rate);
      else if (this.bwFilter.empty) this.bwFilter.update(this.round, Math.max(rate, this.initialRate));
      else if (rate >= this.bwFilter.value) this.bwFilter.update(this.round, rate);
    }
    if (ackRate > 0 && Number.isFinite(ackRate)) {
      this.recentRate.window = Math.max(20, minRtt);
      this.recentRate.update(now, ackRate);
      this.lastRateAt = now;
    }
    this.roundLost += lost;
    this.roundResolved += resolved;
    if (!appLimited) this.roundAppLimited = false;
    if (roundStart) this.endRound(now, minRtt);
    this.advanceMode(now, minRtt, inflight);
  }

  /**
   * Every RTT sample of the path (acks and probes): the standing-queue guard.
   * While draining, a queue that outlives a whole RTT means the estimate is
   * still too high: cut again from the rates delivered meanwhile.
   */
  onRttSample(now: number, rttMs: number, minRtt: number): void {
    if (!(rttMs >= 0)) return;
    // A jittery path (Wi-Fi, LTE) spreads its RTT samples around a level well above the minimum
    // without any queue: allow twice the recent sample deviation on top of the queue target.
    if (Number.isNaN(this.sampleMean)) this.sampleMean = rttMs;
    const dev = Math.abs(rttMs - this.sampleMean);
    this.sampleMean += (rttMs - this.sampleMean) / 8;
    this.sampleDev += (dev - this.sampleDev) / 4;
    const allowance = this.queueTarget(minRtt) + 2 * this.sampleDev;
    // A standing queue lifts every sample, jitter only some: judge the smallest of the last few tens of ms.
    this.recentMinRtt.window = Math.max(40, minRtt);
    const floor = this.recentMinRtt.update(now, rttMs);
    if (floor <= minRtt + allowance || (this.appLimited && this.mode !== Mode.Drain)) {
      this.aboveSince = NaN;
      if (this.mode === Mode.Drain) this.enterCycle(now, 2); // queue gone
      return;
    }
    if (Number.isNaN(this.aboveSince)) {
      this.aboveSince = now;
      return;
    }
    const hold = this.mode === Mode.Drain ? Math.max(rttMs, 2 * minRtt) : Math.max(10, minRtt / 2);
    if (now - this.aboveSince >= hold) {
      this.aboveSince = now;
      this.congested(now, minRtt);
    }
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
    const lossy = this.roundResolved >= 8 && this.roundLost > LOSS_THRESHOLD * this.roundResolved;
    if (lossy && this.mode !== Mode.Drain) {
      this.congested(now, minRtt, true);
    } else if (this.mode === Mode.Startup && !this.roundAppLimited) {
      // only a round that kept the path busy can show the bandwidth has stopped growing
      const bw = this.bandwidth;
      if (bw >= this.fullBw * 1.25) {
        this.fullBw = bw;
        this.fullBwRounds = 0;
      } else if (++this.fullBwRounds >= 3) {
        this.mode = Mode.Drain;
      }
    }
    this.roundLost = 0;
    this.roundResolved = 0;
    this.roundAppLimited = true;
  }

  /**
   * A standing queue or heavy loss: believe what was delivered lately, and drain.
   * On a path whose min RTT is below the smallest queue target (a LAN, the
   * lab's clean link) the "queue" is as likely a daemon or relay that was not
   * scheduled for 10–30 ms on a busy host, and what it delivered meanwhile
   * says nothing of the path: a delay signal there cuts the estimate by at
   * most 30 % (BBRv2's beta). Loss, and every path of real delay, cut fully.
   */
  private congested(now: number, minRtt: number, byLoss = false): void {
    this.congestionEvents++;
    const recent = this.recentRate.empty || now - this.lastRateAt > Math.max(20, minRtt) ? NaN : this.recentRate.value;
    const floor = !byLoss && minRtt < MIN_QUEUE_TARGET_MS ? LAN_DELAY_CUT * this.bandwidth : 0;
    if (recent > 0) this.bwFilter.reset(this.round, Math.min(this.bandwidth, Math.max(recent, floor)));
    this.mode = Mode.Drain;
    this.pacingGain = DRAIN_GAIN;
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
