import type { Random } from '../../src/core/random';
import type { VirtualClock } from './clock';

/** One direction of a simulated path. */
export interface LinkProfile {
  /** Bottleneck rate in Mbit/s (datagrams are serialized at this rate). Default: no limit. */
  rateMbit?: number;
  /** One-way propagation delay, ms. */
  delayMs: number;
  /** Each datagram's delay varies uniformly within ±jitterMs (never below 0). Default 0. */
  jitterMs?: number;
  /**
   * Lab-style jitter instead (src/lab/impairment.ts): a Gaussian offset with
   * standard deviation `jitterMs`, clipped at 3σ, drawn once per this many ms
   * and shared by every datagram meanwhile, so datagrams bunch up when the
   * delay falls. Default 0: uniform per-datagram jitter.
   */
  jitterHoldMs?: number;
  /** Let jitter reorder datagrams; by default the link stays FIFO (late ones hold back the rest). */
  reorder?: boolean;
  /** Random loss probability, 0..1. Default 0. */
  loss?: number;
  /** Drop-tail queue limit in bytes. Default: 100 ms at the rate, at least 64 KB. */
  queueBytes?: number;
  /** Larger datagrams are dropped. Default 1500. */
  mtu?: number;
}

export interface LinkStats {
  sent: number;
  sentBytes: number;
  delivered: number;
  deliveredBytes: number;
  droppedQueue: number;
  droppedLoss: number;
  droppedOutage: number;
  droppedMtu: number;
  /** Largest queueing delay (wait before serialization) seen, ms. */
  maxQueueDelayMs: number;
  /** Sum of queueing delays, ms (divide by sent - dropped for the mean). */
  sumQueueDelayMs: number;
}

export class Link<T> {
  up = true;
  readonly stats: LinkStats = {
    sent: 0, sentBytes: 0, delivered: 0, deliveredBytes: 0,
    droppedQueue: 0, droppedLoss: 0, droppedOutage: 0, droppedMtu: 0, maxQueueDelayMs: 0, sumQueueDelayMs: 0,
  };
  private profile!: Required<LinkProfile>;
  /** Bytes per ms. */
  private rate = Infinity;
  /** When the serializer is free again. */
  private busyUntil = 0;
  private lastDelivery = 0;
  private jitterOffset = 0;
  private jitterUntil = -Infinity;

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Random,
    profile: LinkProfile,
    private readonly deliver: (item: T, now: number) => void,
  ) {
    this.set(profile);
  }

  /** Changes the profile from now on (datagrams already queued keep their timing). */
  set(profile: LinkProfile): void {
    const rateMbit = profile.rateMbit ?? Infinity;
    this.rate = (rateMbit * 1e6) / 8 / 1000;
    this.profile = {
      rateMbit,
      delayMs: profile.delayMs,
      jitterMs: profile.jitterMs ?? 0,
      jitterHoldMs: profile.jitterHoldMs ?? 0,
      reorder: profile.reorder ?? false,
      loss: profile.loss ?? 0,
      queueBytes: profile.queueBytes ?? Math.max(64 * 1024, Number.isFinite(this.rate) ? this.rate * 100 : 0),
      mtu: profile.mtu ?? 1500,
    };
  }

  get current(): Readonly<Required<LinkProfile>> {
    return this.profile;
  }

  /** Bytes waiting for the serializer now. */
  queuedBytes(now: number): number {
    return Number.isFinite(this.rate) ? Math.max(0, this.busyUntil - now) * this.rate : 0;
  }

  private jitter(now: number, p: Required<LinkProfile>): number {
    if (p.jitterHoldMs <= 0) return (this.rng.next() * 2 - 1) * p.jitterMs;
    if (now >= this.jitterUntil) {
      // Box-Muller, one of the pair
      const g = Math.sqrt(-2 * Math.log(1 - this.rng.next())) * Math.cos(2 * Math.PI * this.rng.next());
      this.jitterOffset = Math.max(-3, Math.min(3, g)) * p.jitterMs;
      this.jitterUntil = now + p.jitterHoldMs;
    }
    return this.jitterOffset;
  }

  send(item: T, size: number): void {
    const now = this.clock.now;
    const p = this.profile;
    this.stats.sent++;
    this.stats.sentBytes += size;
    if (size > p.mtu) {
      this.stats.droppedMtu++;
      return;
    }
    if (!this.up) {
      this.stats.droppedOutage++;
      return;
    }
    if (this.queuedBytes(now) + size > p.queueBytes) {
      this.stats.droppedQueue++;
      return;
    }
    const start = Math.max(now, this.busyUntil);
    const wait = start - now;
    this.stats.sumQueueDelayMs += wait;
    if (wait > this.stats.maxQueueDelayMs) this.stats.maxQueueDelayMs = wait;
    this.busyUntil = start + size / this.rate;
    if (p.loss > 0 && this.rng.next() < p.loss) {
      this.stats.droppedLoss++; // lost after using its share of the bottleneck
      return;
    }
    let at = this.busyUntil + p.delayMs;
    if (p.jitterMs > 0) at = Math.max(this.busyUntil, at + this.jitter(now, p));
    if (!p.reorder) at = Math.max(at, this.lastDelivery);
    this.lastDelivery = Math.max(this.lastDelivery, at);
    this.clock.at(at, (t) => {
      if (!this.up) {
        this.stats.droppedOutage++; // cut while in flight
        return;
      }
      this.stats.delivered++;
      this.stats.deliveredBytes += size;
      this.deliver(item, t);
    });
  }
}
