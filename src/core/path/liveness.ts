/**
 * Is a path alive? Decided from tunnel-level feedback only (acks and probe
 * replies), never from interface state alone: the case that hurts is a path
 * that goes silent while its interface stays up.
 *
 *   probing ──first reply──▶ up ◀──any feedback── suspect
 *                            │ silence > suspectAfter ▲ │ silence > downAfter
 *                            └────────────────────────┘ ▼
 *                  up ◀──N good replies── recovering ◀──reply── down
 *
 * "Silence" is the age of the oldest datagram or probe sent since feedback
 * was last heard, so an idle path is never suspected for being idle. A
 * suspect path gets no new data and is probed every 10 ms; its stuck packets
 * may be reinjected. A path that was down needs `requiredGood` consecutive
 * probe replies to come back (3, doubled up to 24 each time it flaps within
 * 10 s of returning, reset after 30 s of staying up).
 */
export const enum PathStatus {
  Probing = 0,
  Up = 1,
  Suspect = 2,
  Down = 3,
  Recovering = 4,
}

export const PATH_STATUS_NAMES = ['probing', 'up', 'suspect', 'down', 'recovering'] as const;

export interface LivenessOptions {
  /** Floor of the suspect timeout, ms. Default 20. */
  minSuspectMs?: number;
  /** Floor of the down timeout, ms. Default 80. */
  minDownMs?: number;
  /** Longest time the peer holds an ack, ms. Default 10. */
  maxAckDelayMs?: number;
  /** Good probe replies needed to return after being down. Default 3. */
  goodRepliesToReturn?: number;
}

/** What a call changed; the caller turns transitions into events. */
export const enum Transition {
  None = 0,
  Up = 1,
  Suspect = 2,
  Down = 3,
}

const FLAP_WINDOW_MS = 10_000;
const STABLE_MS = 30_000;
const MAX_REQUIRED_GOOD = 24;
const MAX_SPURIOUS_STEPS = 3;
const SPURIOUS_DECAY_MS = 10_000;

export class Liveness {
  status = PathStatus.Probing;
  lastHeard = -Infinity;
  /** Send time of the oldest datagram or probe not followed by any feedback; NaN if none. */
  firstUnanswered = NaN;
  /** When the path last went down (replies to probes sent before this do not count). */
  downSince = -Infinity;
  upSince = -Infinity;
  /** When the path last came back from an outage (flap damping). */
  returnedAt = -Infinity;
  goodReplies = 0;
  requiredGood: number;
  private readonly baseRequiredGood: number;
  private readonly minSuspectMs: number;
  private readonly minDownMs: number;
  private readonly maxAckDelayMs: number;

  constructor(opts: LivenessOptions = {}) {
    this.minSuspectMs = opts.minSuspectMs ?? 20;
    this.minDownMs = opts.minDownMs ?? 80;
    this.maxAckDelayMs = opts.maxAckDelayMs ?? 10;
    this.baseRequiredGood = opts.goodRepliesToReturn ?? 3;
    this.requiredGood = this.baseRequiredGood;
  }

  /**
   * How long the peer may hold an ack: the configured maximum, or less while
   * data flows densely (acks every 2 datagrams come far sooner). Set by the path.
   */
  ackAllowanceMs = NaN;

  private get ackWait(): number {
    return Number.isNaN(this.ackAllowanceMs) ? this.maxAckDelayMs : Math.min(this.maxAckDelayMs, this.ackAllowanceMs);
  }

  /**
   * A busy path's RTT samples can be so steady that 4 × rttvar is well under a
   * millisecond, and then one late wake-up of either daemon (GC, a loaded
   * core) reads as silence: the lab saw a 40 Mbit/s path turn suspect ~2
   * times a second that way. As RACK does for reordering, a quarter of the
   * RTT is the least variation allowed.
   */
  private variationAllowance(srtt: number, rttvar: number): number {
    return Math.max(4 * rttvar, srtt / 4) * (1 + this.spuriousSteps);
  }

  /**
   * Suspicions that ended by feedback alone, without an outage, widen the
   * allowance one step each (up to 3 extra), as RACK widens its reordering
   * window after spurious retransmissions; a step is given back after 10 s
   * without one. A loaded host (both cores busy) thus stops flapping its
   * paths, while a quiet one keeps the fast verdict.
   */
  spuriousSuspicions = 0;
  private spuriousSteps = 0;
  private lastSpurious = -Infinity;

  private noteSpurious(now: number): void {
    this.spuriousSuspicions++;
    this.spuriousSteps = Math.min(MAX_SPURIOUS_STEPS, this.spuriousSteps + 1);
    this.lastSpurious = now;
  }

  private decaySpurious(now: number): void {
    if (this.spuriousSteps > 0 && now - this.lastSpurious > SPURIOUS_DECAY_MS) {
      this.spuriousSteps--;
      this.lastSpurious = now;
    }
  }

  suspectAfter(srtt: number, rttvar: number): number {
    return Math.max(this.minSuspectMs, srtt + this.variationAllowance(srtt, rttvar) + this.ackWait);
  }

  downAfter(srtt: number, rttvar: number): number {
    return Math.max(this.minDownMs, 3 * srtt + this.variationAllowance(srtt, rttvar) + this.maxAckDelayMs,
      this.suspectAfter(srtt, rttvar) + 20);
  }

  onSent(now: number): void {
    if (Number.isNaN(this.firstUnanswered)) this.firstUnanswered = now;
  }

  /** Data feedback (an ack that moved this path forward). Does not end an outage by itself. */
  onHeard(now: number): Transition {
    if (this.status === PathStatus.Down || this.status === PathStatus.Recovering) return Transition.None;
    this.lastHeard = now;
    this.firstUnanswered = NaN;
    if (this.status === PathStatus.Suspect) {
      this.noteSpurious(now);
      this.status = PathStatus.Up;
      return Transition.Up;
    }
    return Transition.None;
  }

  /** A probe reply for a probe sent at `probeSentAt`. */
  onProbeReply(now: number, probeSentAt: number): Transition {
    if (this.status !== PathStatus.Down && this.status !== PathStatus.Recovering) {
      const wasProbing = this.status === PathStatus.Probing;
      const t = this.onHeard(now);
      if (wasProbing) return this.becomeUp(now);
      return t;
    }
    if (probeSentAt < this.downSince) return Transition.None; // an echo from before the outage
    this.lastHeard = now;
    this.firstUnanswered = NaN;
    this.goodReplies++;
    if (this.goodReplies >= this.requiredGood) {
      this.returnedAt = now;
      return this.becomeUp(now);
    }
    this.status = PathStatus.Recovering;
    return Transition.None;
  }

  /** Forces the path down (interface went away, or the peer abandoned it). */
  forceDown(now: number): Transition {
    if (this.status === PathStatus.Down) return Transition.None;
    return this.becomeDown(now);
  }

  /** Applies timeouts; call on every timer tick and after feedback. */
  check(now: number, srtt: number, rttvar: number): Transition {
    if (this.status === PathStatus.Up && now - this.upSince > STABLE_MS) this.requiredGood = this.baseRequiredGood;
    this.decaySpurious(now);
    if (Number.isNaN(this.firstUnanswered)) return Transition.None;
    const silence = now - this.firstUnanswered;
    switch (this.status) {
      case PathStatus.Up:
        if (silence > this.downAfter(srtt, rttvar)) return this.becomeDown(now);
        if (silence > this.suspectAfter(srtt, rttvar)) {
          this.status = PathStatus.Suspect;
          return Transition.Suspect;
        }
        return Transition.None;
      case PathStatus.Suspect:
        return silence > this.downAfter(srtt, rttvar) ? this.becomeDown(now) : Transition.None;
      case PathStatus.Recovering:
        // a lost reply while recovering starts the count again
        if (silence > this.downAfter(srtt, rttvar) + 100) {
          this.status = PathStatus.Down;
          this.goodReplies = 0;
          this.firstUnanswered = NaN;
        }
        return Transition.None;
      default:
        return Transition.None;
    }
  }

  /** Next time `check` may change something, given the current estimates. */
  nextCheck(srtt: number, rttvar: number): number {
    if (Number.isNaN(this.firstUnanswered)) return Infinity;
    switch (this.status) {
      case PathStatus.Up:
        return this.firstUnanswered + this.suspectAfter(srtt, rttvar) + 1e-3;
      case PathStatus.Suspect:
        return this.firstUnanswered + this.downAfter(srtt, rttvar) + 1e-3;
      case PathStatus.Recovering:
        return this.firstUnanswered + this.downAfter(srtt, rttvar) + 100 + 1e-3;
      default:
        return Infinity;
    }
  }

  private becomeUp(now: number): Transition {
    this.status = PathStatus.Up;
    this.upSince = now;
    this.goodReplies = 0;
    return Transition.Up;
  }

  private becomeDown(now: number): Transition {
    if (now - this.returnedAt < FLAP_WINDOW_MS) this.requiredGood = Math.min(MAX_REQUIRED_GOOD, this.requiredGood * 2);
    this.status = PathStatus.Down;
    this.downSince = now;
    this.goodReplies = 0;
    this.firstUnanswered = NaN;
    return Transition.Down;
  }
}
