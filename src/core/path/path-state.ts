import type { PathReceiveStats } from '../wire/frames';
import { Liveness, PathStatus, Transition, type LivenessOptions } from './liveness';
import { RateControl, type RateControlOptions } from './rate-control';
import { RttEstimator } from './rtt-estimator';
import { SentLedger } from './sent-ledger';
import { WindowedFilter } from './windowed-filter';
import type { PathView } from '../sched/scheduler';

/** Configuration of one path (sender side). */
export interface PathConfig extends RateControlOptions, LivenessOptions {
  /** The sender's path id, as carried in DataFrame.pathId. */
  id: number;
  /** Share for the wrr scheduler. Default 1. */
  weight?: number;
  /** Backup paths carry data only when every non-backup path is down. */
  backup?: boolean;
  /** RTT assumed before the first sample, ms. Default 100. */
  initialRttMs?: number;
  /** Probe interval while the path is up and no feedback flows, ms. Default 100. */
  idleProbeMs?: number;
  /** Probe interval while the path is suspect, ms. Default 10. */
  suspectProbeMs?: number;
  /** Probe interval while the path is down or being recovered, ms. Default 100 (500 after 10 s down). */
  downProbeMs?: number;
}

const OWD_WINDOW_MS = 10_000;
/** Loss rate above which a path is set aside while cleaner paths are up. */
const LOSSY_ENTER = 0.1;
/** Probe loss below which a lossy path is trusted again. */
const LOSSY_EXIT = 0.03;
const PROBE_SLOTS = 32;
const MIN_RTT_WINDOW_MS = 10_000;
const LOSS_EWMA_PACKETS = 128;

/**
 * Everything the sender knows about one path: RTT, one-way delay, loss,
 * delivery rate and pacing, what is in flight, and whether it is alive.
 * Implements PathView, which is all a scheduler may look at. Times in ms.
 */
export class PathState implements PathView {
  readonly id: number;
  readonly backup: boolean;
  weight: number;
  readonly rtt: RttEstimator;
  readonly rate: RateControl;
  readonly ledger = new SentLedger();
  readonly liveness: Liveness;
  /** OWD minus the smallest base OWD among all paths (set by PathSet), ms. */
  owdOffsetMs = 0;
  /** Smallest one-way delay sample in the window, ms, clock offset included. */
  readonly baseOwd = new WindowedFilter(OWD_WINDOW_MS, false);
  smoothedOwdMs = NaN;
  lossRate = 0;
  /**
   * Loses more than 10 % of its datagrams: every scheduler leaves it alone
   * while a cleaner path is up (a flow split over it would see that loss).
   * It is watched with probes and trusted again once probe loss is under 3 %.
   */
  lossy = false;
  private probeLoss = 0;
  private resolvedSinceStart = 0;
  private readonly probeSentAt = new Float64Array(PROBE_SLOTS).fill(NaN);
  private readonly probeIdAt = new Float64Array(PROBE_SLOTS);
  /** Global seq of the last data datagram sent here (DataFrame.prevSeq of the next one). */
  prevSeq = 0;
  // counters (metrics)
  sentPackets = 0;
  sentBytes = 0;
  lostPackets = 0;
  deliveredBytes = 0;
  deliveredPackets = 0;
  reinjectedPackets = 0;
  // BBR delivery-rate sampling state
  private deliveredTime = 0;
  private lastSendTime = -Infinity;
  private lastProgressAt = -Infinity;
  /** Smoothed time between acks that moved this path forward, ms. */
  private progressGap = NaN;
  /** Datagrams sent before delivered bytes pass this mark give app-limited rate samples. */
  private appLimitedUntil = 0;
  private firstSentTime = 0;
  private ackedHighest = 0;
  private ackedPackets = 0;
  private cumLost = 0;
  /** Last pathSeq handed to reinjection when the path went down. */
  private drainedThrough = 0;
  /** First pathSeq not yet examined by the tail-loss timer. */
  private lossScan = 1;
  // probes
  private readonly idleProbeMs: number;
  private readonly suspectProbeMs: number;
  private readonly downProbeMs: number;
  private readonly maxAckDelayMs: number;
  lastProbeSent = -Infinity;
  nextProbeId = 1;

  constructor(cfg: PathConfig) {
    this.id = cfg.id;
    this.backup = cfg.backup ?? false;
    this.weight = cfg.weight ?? 1;
    const initialRtt = cfg.initialRttMs ?? 100;
    this.rtt = new RttEstimator(initialRtt, MIN_RTT_WINDOW_MS);
    this.rate = new RateControl(cfg, initialRtt);
    this.liveness = new Liveness(cfg);
    this.idleProbeMs = cfg.idleProbeMs ?? 100;
    this.suspectProbeMs = cfg.suspectProbeMs ?? 10;
    this.downProbeMs = cfg.downProbeMs ?? 100;
    this.maxAckDelayMs = cfg.maxAckDelayMs ?? 10;
  }

  // ---- PathView ----
  get status(): PathStatus { return this.liveness.status; }
  get usable(): boolean { return this.liveness.status === PathStatus.Up; }
  get suspect(): boolean { return this.liveness.status === PathStatus.Suspect; }
  /** Smoothed RTT; the configured initial guess until `rttMeasured`. */
  get srttMs(): number { return this.rtt.smoothed; }
  /** At least one RTT sample (ack or probe reply) has been taken. */
  get rttMeasured(): boolean { return this.rtt.hasSample; }
  get rttVarMs(): number { return this.rtt.variation; }
  get minRttMs(): number { return this.rtt.min; }
  /**
   * Queueing delay now in the network: smoothed OWD above its minimum (or RTT
   * above min RTT), but never more than what is in flight could occupy, so a
   * queue seen long ago does not keep an idle path looking slow.
   */
  get queueDelayMs(): number {
    let q: number;
    if (!Number.isNaN(this.smoothedOwdMs) && !this.baseOwd.empty) q = this.smoothedOwdMs - this.baseOwd.value;
    else q = this.rtt.hasSample ? this.rtt.srtt - this.rtt.min : 0;
    return Math.max(0, Math.min(q, this.ledger.inflightBytes / this.rate.bandwidth));
  }
  /** Estimated bottleneck bandwidth, B/ms. */
  get rateBytesPerMs(): number { return this.rate.bandwidth; }
  get inflightBytes(): number { return this.ledger.inflightBytes; }
  get cwndBytes(): number { return this.rate.cwnd(this.rtt.min); }

  /** Earliest time a datagram of `size` may go: pacing, and Infinity while the window is full. */
  sendableAt(size: number): number {
    if (this.ledger.inflightBytes + size > this.cwndBytes && this.ledger.inflightBytes > 0) return Infinity;
    return this.rate.nextSendTime;
  }

  // ---- sending ----
  /** Records a data datagram of `size` wire bytes carrying global `seq`; returns its pathSeq. */
  onDataSent(now: number, seq: number, size: number, reinjected: boolean): number {
    // sent slower than the pacer allows (the scheduler preferred other paths, or
    // there was nothing to send): rate samples then say little about capacity
    // BBR: once a gap is seen, every datagram sent until what is in flight now
    // has been delivered carries an app-limited sample
    // a path held back by its full window is not app-limited, however long it waited
    const windowLimited = this.ledger.inflightBytes + size > 0.9 * this.cwndBytes;
    const gap = !windowLimited && (this.rate.wasIdle(now) || now - this.lastSendTime > (1.25 * size) / this.rate.pacingRate);
    if (gap) this.appLimitedUntil = this.deliveredBytes + this.ledger.inflightBytes + size;
    const appLimited = this.deliveredBytes < this.appLimitedUntil;
    this.lastSendTime = now;
    if (this.ledger.count === 0) {
      // after an idle period, rate samples start from here, not from the last ack long ago
      this.firstSentTime = now;
      this.deliveredTime = now;
    }
    const ps = this.ledger.push(seq, size, now, this.deliveredBytes, this.deliveredTime, this.firstSentTime, appLimited);
    this.rate.onSend(now, size, gap);
    this.liveness.onSent(now);
    this.prevSeq = seq;
    this.sentPackets++;
    this.sentBytes += size;
    if (reinjected) this.reinjectedPackets++;
    return ps;
  }

  /** True when a probe should go now. */
  probeDue(now: number): boolean {
    return now >= this.nextProbeTime(now);
  }

  nextProbeTime(now: number): number {
    switch (this.liveness.status) {
      case PathStatus.Up: {
        // data feedback doubles as probing: only probe when nothing was heard lately
        const last = Math.max(this.lastProbeSent, this.liveness.lastHeard);
        return last + this.idleProbeMs;
      }
      case PathStatus.Suspect:
        return this.lastProbeSent + this.suspectProbeMs;
      default: {
        const longDown = this.liveness.status === PathStatus.Down && now - this.liveness.downSince > 10_000;
        return this.lastProbeSent + (longDown ? Math.max(500, this.downProbeMs) : this.downProbeMs);
      }
    }
  }

  onProbeSent(now: number): number {
    this.lastProbeSent = now;
    this.liveness.onSent(now);
    const id = this.nextProbeId++;
    this.probeSentAt[id % PROBE_SLOTS] = now;
    this.probeIdAt[id % PROBE_SLOTS] = id;
    return id;
  }

  // ---- feedback ----
  onProbeReply(now: number, probeSentAt: number, holdMs: number, probeId = -1): Transition {
    const slot = probeId % PROBE_SLOTS;
    if (probeId >= 0 && this.probeIdAt[slot] === probeId && !Number.isNaN(this.probeSentAt[slot])) {
      this.probeSentAt[slot] = NaN;
      this.onProbeOutcome(false);
    }
    const rtt = now - probeSentAt - holdMs;
    if (this.liveness.status === PathStatus.Up || this.liveness.status === PathStatus.Suspect || this.liveness.status === PathStatus.Probing) {
      this.rtt.onSample(now, rtt);
      this.rate.onRttSample(now, rtt, this.rtt.min);
    }
    const t = this.liveness.onProbeReply(now, probeSentAt);
    // the reply answers for what went out before the probe, not for data still unacked after it
    if (this.ledger.count > 0 && (this.liveness.status === PathStatus.Up || this.liveness.status === PathStatus.Suspect)) {
      this.liveness.firstUnanswered = Math.max(probeSentAt, this.ledger.sendTimeAt(this.ledger.first));
    }
    return t;
  }

  /**
   * Per-path receive statistics from an ack. `sameLink` says the ack arrived
   * on this path, so echo minus now is this path's RTT.
   */
  onReceiveStats(now: number, s: PathReceiveStats, sameLink: boolean): Transition {
    if (sameLink && s.highestPathSeq > 0) {
      // valid even when stale or already reported through another path: the
      // echo plus the ack delay measured when this ack left give this path's round trip
      const rtt = now - s.echoSendTimeUs / 1000 - s.ackDelayUs / 1000;
      this.rtt.onSample(now, rtt);
      this.rate.onRttSample(now, rtt, this.rtt.min);
    }
    if (s.packets < this.ackedPackets || s.highestPathSeq < this.ackedHighest) return Transition.None; // stale
    const newHighest = s.highestPathSeq > this.ackedHighest;
    const progress = newHighest || s.packets > this.ackedPackets;
    if (!progress) return Transition.None;
    if (newHighest) {
      const owd = s.owdUs / 1000;
      this.baseOwd.update(now, owd);
      this.smoothedOwdMs = Number.isNaN(this.smoothedOwdMs) ? owd : this.smoothedOwdMs + (owd - this.smoothedOwdMs) / 8;
    }
    const resolved = s.highestPathSeq - this.ackedHighest;
    const newlyDelivered = s.packets - this.ackedPackets;
    const cumLost = Math.max(0, s.highestPathSeq - s.packets);
    const lost = cumLost - this.cumLost;
    this.cumLost = cumLost;
    this.lostPackets = cumLost;
    // a report reaching back past an outage counts the outage as loss: not this path's loss rate
    const spansOutage = this.ackedHighest < this.drainedThrough;
    if (resolved > 0 && !spansOutage) {
      const a = Math.min(1, resolved / LOSS_EWMA_PACKETS);
      const sample = Math.min(1, Math.max(0, lost / resolved));
      this.lossRate += a * (sample - this.lossRate);
      this.resolvedSinceStart += resolved;
      if (!this.lossy && this.lossRate > LOSSY_ENTER && this.resolvedSinceStart >= LOSS_EWMA_PACKETS / 4) {
        this.lossy = true;
        this.probeLoss = LOSSY_ENTER;
      }
    }
    // how often this path's progress is heard: while it is dense, silence is noticed sooner
    const gap = now - this.lastProgressAt;
    this.lastProgressAt = now;
    this.progressGap = Number.isNaN(this.progressGap) ? gap : this.progressGap + (gap - this.progressGap) / 8;
    this.liveness.ackAllowanceMs = 3 * this.progressGap + 1;
    this.ackedHighest = s.highestPathSeq;
    this.ackedPackets = s.packets;
    this.deliveredPackets += newlyDelivered;
    if (s.bytes > this.deliveredBytes) this.deliveredBytes = s.bytes;
    this.deliveredTime = now;

    const ps = s.highestPathSeq;
    if (newHighest && this.ledger.has(ps)) {
      const sendElapsed = this.ledger.sendTimeAt(ps) - this.ledger.firstSentTimeAt(ps);
      const ackElapsed = now - this.ledger.deliveredTimeAt(ps);
      const interval = Math.max(sendElapsed, ackElapsed);
      const bytes = this.deliveredBytes - this.ledger.deliveredAt(ps);
      const rate = interval > 0 ? bytes / interval : NaN;
      const ackRate = ackElapsed > 0 ? bytes / ackElapsed : NaN;
      this.firstSentTime = this.ledger.sendTimeAt(ps);
      const sentDelivered = this.ledger.deliveredAt(ps);
      const appLimited = this.ledger.isAppLimited(ps);
      this.ledger.popThrough(ps);
      this.rate.onAck(now, sentDelivered, this.deliveredBytes, rate, ackRate, appLimited, this.rtt.min,
        spansOutage ? 0 : Math.max(0, lost), resolved, this.ledger.inflightBytes);
    } else {
      this.ledger.popThrough(ps);
    }
    if (this.lossScan < this.ledger.first) this.lossScan = this.ledger.first;
    const t = this.liveness.onHeard(now);
    // silence runs from the oldest datagram still unanswered, not from the next one sent:
    // a path that dies is noticed one srtt + 4 rttvar after its first lost datagram
    if (this.ledger.count > 0 && (this.liveness.status === PathStatus.Up || this.liveness.status === PathStatus.Suspect)) {
      this.liveness.firstUnanswered = this.ledger.sendTimeAt(this.ledger.first);
    }
    return t;
  }

  /** Time after which an unacked datagram on a live path counts as lost (tail loss). */
  lossTimeoutMs(): number {
    return this.rtt.smoothed + 4 * this.rtt.variation + this.maxAckDelayMs + Math.max(5, this.rtt.smoothed / 4);
  }

  /** A lossy path is judged by its probes: each reply, or its absence, is a sample. */
  private onProbeOutcome(lost: boolean): void {
    if (!this.lossy) return;
    this.probeLoss += ((lost ? 1 : 0) - this.probeLoss) / 16;
    if (this.probeLoss < LOSSY_EXIT) {
      this.lossy = false;
      this.lossRate = this.probeLoss;
      this.resolvedSinceStart = 0;
    }
  }

  /** The path restarts after an outage: old loss verdicts no longer apply. */
  resetLoss(): void {
    this.lossy = false;
    this.lossRate = 0;
    this.resolvedSinceStart = 0;
  }

  /** Declares datagrams lost whose ack is long overdue, so they stop holding the window. */
  detectTailLoss(now: number): void {
    if (this.lossy) {
      const cutoff = now - Math.max(1000, 3 * this.rtt.smoothed);
      for (let i = 0; i < PROBE_SLOTS; i++) {
        if (this.probeSentAt[i] <= cutoff) {
          this.probeSentAt[i] = NaN;
          this.onProbeOutcome(true);
        }
      }
    }
    const cutoff = now - this.lossTimeoutMs();
    const l = this.ledger;
    if (this.lossScan < l.first) this.lossScan = l.first;
    while (this.lossScan < l.next && l.sendTimeAt(this.lossScan) <= cutoff) l.markLost(this.lossScan++);
  }

  nextTailLossTime(): number {
    const l = this.ledger;
    const ps = Math.max(this.lossScan, l.first);
    return ps < l.next ? l.sendTimeAt(ps) + this.lossTimeoutMs() + 1e-3 : Infinity;
  }

  /** Applies liveness timeouts. */
  checkLiveness(now: number): Transition {
    return this.liveness.check(now, this.rtt.smoothed, this.rtt.variation);
  }

  nextLivenessCheck(): number {
    return this.liveness.nextCheck(this.rtt.smoothed, this.rtt.variation);
  }

  /**
   * Unacknowledged datagrams whose ack is overdue on a suspect path (or any
   * unacked one on a down path), not yet handed out; their seqs are appended
   * to `out` until `maxBytes` is used. Returns the bytes handed out.
   */
  takeStuck(now: number, out: number[], maxBytes: number): number {
    const l = this.ledger;
    const cutoff = this.liveness.status === PathStatus.Down ? Infinity : now - (this.rtt.smoothed + this.maxAckDelayMs);
    let bytes = 0;
    for (let ps = l.first; ps < l.next; ps++) {
      if (l.sendTimeAt(ps) > cutoff) break;
      if (l.isReinjected(ps)) continue;
      const size = l.sizeAt(ps);
      if (bytes + size > maxBytes) break;
      l.markReinjected(ps);
      out.push(l.seqAt(ps));
      bytes += size;
    }
    return bytes;
  }

  /** The path is gone: every unacked datagram not yet reinjected goes to `out`; the ledger empties. */
  drainForReinjection(out: number[]): void {
    const l = this.ledger;
    for (let ps = l.first; ps < l.next; ps++) if (!l.isReinjected(ps)) out.push(l.seqAt(ps));
    this.drainedThrough = l.next - 1;
    l.clear();
    this.lossScan = l.next;
  }
}
