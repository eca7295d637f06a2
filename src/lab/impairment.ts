/**
 * The lab's link impairment model, sans-IO and deterministic: given the
 * arrival time of a packet and a seeded random source it decides whether the
 * packet is dropped (and why) or when it leaves. The relay process holds the
 * packet until then; unit tests drive it with a fake clock.
 *
 * Every parameter applies to each direction of a path on its own (the relay
 * runs one model per direction), so `delayMs: 30` gives a 60 ms round trip
 * and `lossPct: 1` loses about 1 % of packets each way.
 */
import type { Random } from '../core/random';

export interface Impairment {
  /** One-way base delay, ms. */
  delayMs: number;
  /** Standard deviation of the one-way delay, ms (normal, clipped at ±3σ and at zero delay). */
  jitterMs: number;
  /** Average loss, percent of packets. */
  lossPct: number;
  /** Mean length of a loss burst in packets; 1 = independent losses (Bernoulli), >1 = Gilbert model. */
  burst: number;
  /** Percent of packets held back `reorderMs` longer than their turn, so later packets overtake them. */
  reorderPct: number;
  /** Extra hold of a reordered packet, ms. */
  reorderMs: number;
  /** Rate limit edge→gateway (upload), bit/s; 0 = unlimited. Enforced by tbf, not by this model. */
  rateUp: number;
  /** Rate limit gateway→edge (download), bit/s; 0 = unlimited. Enforced by tbf. */
  rateDown: number;
  /** Bottleneck buffer of the rate limiter, in ms of traffic at the rate (tbf latency). */
  queueMs: number;
  /** Link stays up but every packet vanishes. */
  outage: boolean;
  /** Path MTU (68..1500): larger packets are fragmented, or refused with ICMP "fragmentation needed" if DF. Applied to the path's TUNs, not by this model. */
  mtu: number;
  /** false: packets over the MTU vanish without an ICMP answer (a PMTU black hole). */
  pmtuIcmp: boolean;
}

export const NO_IMPAIRMENT: Readonly<Impairment> = Object.freeze({
  delayMs: 0,
  jitterMs: 0,
  lossPct: 0,
  burst: 1,
  reorderPct: 0,
  reorderMs: 10,
  rateUp: 0,
  rateDown: 0,
  queueMs: 50,
  outage: false,
  mtu: 1500,
  pmtuIcmp: true,
});

/** admit() results below zero: the packet is dropped, for this reason. */
export const DROP_OUTAGE = -1;
export const DROP_LOSS = -2;

/** A jitter draw holds this long, so back-to-back packets share a delay and stay in order, like on a real link. */
export const JITTER_HOLD_MS = 10;

export class ImpairmentModel {
  private params: Impairment = { ...NO_IMPAIRMENT };
  /** Gilbert model: P(good→bad) and P(bad→good) per packet. */
  private pEnterBad = 0;
  private pLeaveBad = 1;
  private bad = false;
  private jitterOffset = 0;
  private jitterUntil = -Infinity;
  /** Release time of the last in-order packet: nothing in order leaves before it. */
  private lastRelease = -Infinity;
  /** Whether the last admitted packet was picked for reordering (for counters). */
  reorderedLast = false;

  constructor(
    private readonly random: Random,
    params: Partial<Impairment> = {},
  ) {
    this.configure(params);
  }

  get current(): Readonly<Impairment> {
    return this.params;
  }

  /** Changes parameters; packets already admitted keep their release time. */
  configure(change: Partial<Impairment>): void {
    this.params = { ...this.params, ...change };
    const loss = Math.min(Math.max(this.params.lossPct, 0), 100) / 100;
    if (this.params.burst > 1 && loss > 0 && loss < 1) {
      // Stationary share of the bad state p/(p+r) equals the loss; mean sojourn in it is 1/r.
      this.pLeaveBad = 1 / this.params.burst;
      this.pEnterBad = (this.pLeaveBad * loss) / (1 - loss);
    } else {
      this.pLeaveBad = 1;
      this.pEnterBad = 0;
      this.bad = false;
    }
    this.jitterUntil = -Infinity;
  }

  /** Decides one packet arriving at `now` (ms): its release time (>= now) or DROP_OUTAGE / DROP_LOSS. */
  admit(now: number): number {
    const p = this.params;
    this.reorderedLast = false;
    if (p.outage) return DROP_OUTAGE;
    if (this.lose(p)) return DROP_LOSS;
    let delay = p.delayMs;
    if (p.jitterMs > 0) {
      if (now >= this.jitterUntil) {
        this.jitterOffset = clip(this.gaussian() * p.jitterMs, 3 * p.jitterMs);
        this.jitterUntil = now + JITTER_HOLD_MS;
      }
      delay = Math.max(0, delay + this.jitterOffset);
    }
    const release = now + delay;
    this.reorderedLast = p.reorderPct > 0 && this.random.next() * 100 < p.reorderPct;
    if (this.reorderedLast) return release + p.reorderMs;
    if (release < this.lastRelease) return this.lastRelease;
    this.lastRelease = release;
    return release;
  }

  private lose(p: Impairment): boolean {
    if (p.lossPct <= 0) return false;
    if (this.pEnterBad === 0) return this.random.next() * 100 < p.lossPct;
    const u = this.random.next();
    this.bad = this.bad ? u >= this.pLeaveBad : u < this.pEnterBad;
    return this.bad;
  }

  /** Standard normal by Box-Muller (one of the pair; simplicity over speed: one draw per JITTER_HOLD_MS). */
  private gaussian(): number {
    const u1 = 1 - this.random.next(); // (0, 1]: log stays finite
    const u2 = this.random.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

function clip(x: number, limit: number): number {
  return x > limit ? limit : x < -limit ? -limit : x;
}
