import { SeededRandom, type Random } from '../../src/core/random';
import { VirtualClock } from './clock';
import { Link, type LinkProfile } from './link';

export type Side = 'A' | 'B';

/** A path between endpoint A and endpoint B: one link each way. */
export interface PathProfile {
  /** Path id (as the endpoints number their paths). Default: index. */
  id?: number;
  /** A → B direction. */
  ab: LinkProfile;
  /** B → A direction. Default: same as ab. */
  ba?: LinkProfile;
}

interface SimPath<T> {
  id: number;
  ab: Link<T>;
  ba: Link<T>;
}

export type Receiver<T> = (pathId: number, datagram: T, now: number) => void;

/**
 * N simulated paths between two endpoints, moving opaque datagrams (bytes or
 * objects) with per-path rate, queue, delay, jitter, loss, MTU and outages, on
 * a virtual clock with a seeded random source. Endpoints register a receiver
 * per side and call `send`; nothing else is assumed about them.
 */
export class SimNetwork<T> {
  readonly clock: VirtualClock;
  readonly rng: Random;
  private readonly paths: SimPath<T>[] = [];
  private readonly receivers: { A?: Receiver<T>; B?: Receiver<T> } = {};

  constructor(profiles: readonly PathProfile[], opts: { seed?: number; clock?: VirtualClock } = {}) {
    this.clock = opts.clock ?? new VirtualClock();
    this.rng = new SeededRandom(opts.seed ?? 1);
    profiles.forEach((p, i) => this.addPath(p, p.id ?? i));
  }

  addPath(profile: PathProfile, id: number): void {
    const ab = new Link<T>(this.clock, this.rng, profile.ab, (d, now) => this.receivers.B?.(id, d, now));
    const ba = new Link<T>(this.clock, this.rng, profile.ba ?? profile.ab, (d, now) => this.receivers.A?.(id, d, now));
    this.paths.push({ id, ab, ba });
  }

  get pathIds(): number[] {
    return this.paths.map((p) => p.id);
  }

  onReceive(side: Side, fn: Receiver<T>): void {
    this.receivers[side] = fn;
  }

  /** Sends from `from` to the other side on path `pathId`. Unknown paths drop silently. */
  send(from: Side, pathId: number, datagram: T, size: number): void {
    const p = this.find(pathId);
    if (!p) return;
    (from === 'A' ? p.ab : p.ba).send(datagram, size);
  }

  /** The link of a path in the direction starting at `from`. */
  link(pathId: number, from: Side = 'A'): Link<T> {
    const p = this.find(pathId);
    if (!p) throw new RangeError(`no simulated path ${pathId}`);
    return from === 'A' ? p.ab : p.ba;
  }

  /** Cuts a path both ways (interfaces stay "up": datagrams vanish) from `from` to `to` ms. */
  outage(pathId: number, from: number, to: number): void {
    this.clock.at(from, () => this.setUp(pathId, false));
    if (Number.isFinite(to)) this.clock.at(to, () => this.setUp(pathId, true));
  }

  setUp(pathId: number, up: boolean): void {
    const p = this.find(pathId);
    if (!p) return;
    p.ab.up = up;
    p.ba.up = up;
  }

  private find(pathId: number): SimPath<T> | undefined {
    return this.paths.find((p) => p.id === pathId);
  }
}
