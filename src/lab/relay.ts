/**
 * The impairment relay of one lab path: reads every transit packet from the
 * path's two TUNs (one per direction), asks the impairment model for its
 * fate, holds it in a delay line and writes it back into the same TUN when
 * due. The kernel then forwards it on. Parameters change live with
 * configure(); nothing restarts.
 */
import { DROP_LOSS, DROP_OUTAGE, ImpairmentModel, type Impairment } from './impairment';
import { DelayLine } from './delay-line';
import type { Random } from '../core/random';

/** What the relay needs of a TUN (src/io/tun.ts), so tests can pass a fake. */
export interface PacketDevice {
  startReading(onBatch: (packets: Buffer[], count: number) => void, maxBatch?: number): void;
  stopReading(): void;
  writeBatch(packets: Uint8Array[], count: number): void;
  close(): void;
  readonly stats?: { writeDrops: number };
}

export interface DirectionCounters {
  rxPackets: number;
  rxBytes: number;
  forwardedPackets: number;
  forwardedBytes: number;
  /** Dropped by reason: outage (link "down"), loss (random or burst), overflow (delay line full). */
  dropOutage: number;
  dropLoss: number;
  dropOverflow: number;
  /** Packets the TUN would not take back (its queue was full). */
  dropWrite: number;
  reordered: number;
  /** Packets held right now. */
  held: number;
}

const RX = 0, RX_BYTES = 1, FWD = 2, FWD_BYTES = 3, D_OUTAGE = 4, D_LOSS = 5, D_OVERFLOW = 6, REORDERED = 7;
const BATCH = 64;
/** Timers fire late by up to ~1 ms; releasing packets due within half of that centres the error on zero. */
const RELEASE_SLACK_MS = 0.5;

class Direction {
  readonly counters = new Float64Array(8);
  readonly out: Buffer[] = new Array<Buffer>(BATCH);
  readonly model: ImpairmentModel;
  readonly line: DelayLine;

  constructor(
    readonly dev: PacketDevice,
    random: Random,
    params: Partial<Impairment>,
    capacity: number,
    slotSize: number,
  ) {
    this.model = new ImpairmentModel(random, params);
    this.line = new DelayLine(capacity, slotSize);
  }

  snapshot(): DirectionCounters {
    const c = this.counters;
    return {
      rxPackets: c[RX],
      rxBytes: c[RX_BYTES],
      forwardedPackets: c[FWD],
      forwardedBytes: c[FWD_BYTES],
      dropOutage: c[D_OUTAGE],
      dropLoss: c[D_LOSS],
      dropOverflow: c[D_OVERFLOW],
      dropWrite: this.dev.stats?.writeDrops ?? 0,
      reordered: c[REORDERED],
      held: this.line.length,
    };
  }
}

export interface RelayOptions {
  up: PacketDevice;
  down: PacketDevice;
  randomUp: Random;
  randomDown: Random;
  paramsUp: Partial<Impairment>;
  paramsDown: Partial<Impairment>;
  /** Milliseconds, monotonic, sub-ms resolution. */
  now: () => number;
  /** Packets held per direction at most (beyond: dropped as overflow). */
  capacity?: number;
  /** Largest packet held (the TUN MTU). */
  slotSize?: number;
}

export class Relay {
  private readonly dirs: Direction[];
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(opts: RelayOptions) {
    const capacity = opts.capacity ?? 8192;
    const slot = opts.slotSize ?? 2048;
    this.now = opts.now;
    this.dirs = [
      new Direction(opts.up, opts.randomUp, opts.paramsUp, capacity, slot),
      new Direction(opts.down, opts.randomDown, opts.paramsDown, capacity, slot),
    ];
  }

  start(): void {
    for (const d of this.dirs) d.dev.startReading((packets, count) => this.onBatch(d, packets, count), BATCH);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const d of this.dirs) {
      d.dev.stopReading();
      d.dev.close();
    }
  }

  /** Changes one direction (up = edge->gw) or both, live. */
  configure(change: Partial<Impairment>, direction: 'up' | 'down' | 'both' = 'both'): void {
    if (direction !== 'down') this.dirs[0].model.configure(change);
    if (direction !== 'up') this.dirs[1].model.configure(change);
  }

  params(direction: 'up' | 'down'): Impairment {
    return { ...this.dirs[direction === 'up' ? 0 : 1].model.current };
  }

  counters(): { up: DirectionCounters; down: DirectionCounters } {
    return { up: this.dirs[0].snapshot(), down: this.dirs[1].snapshot() };
  }

  private onBatch(d: Direction, packets: Buffer[], count: number): void {
    const now = this.now();
    const c = d.counters;
    const line = d.line;
    const model = d.model;
    const out = d.out;
    let direct = 0;
    for (let i = 0; i < count; i++) {
      const p = packets[i];
      c[RX]++;
      c[RX_BYTES] += p.length;
      const at = model.admit(now);
      if (at === DROP_OUTAGE) c[D_OUTAGE]++;
      else if (at === DROP_LOSS) c[D_LOSS]++;
      else if (at <= now && line.length === 0) {
        // No delay and nothing queued ahead: straight back out, in this batch.
        out[direct++] = p;
        c[FWD]++;
        c[FWD_BYTES] += p.length;
      } else {
        if (model.reorderedLast) c[REORDERED]++;
        if (!line.push(at, p)) c[D_OVERFLOW]++;
      }
    }
    if (direct > 0) d.dev.writeBatch(out, direct);
    this.releaseDue(now);
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    this.releaseDue(this.now());
  };

  private releaseDue(now: number): void {
    let next = Infinity;
    for (const d of this.dirs) {
      for (;;) {
        const n = d.line.popDue(now + RELEASE_SLACK_MS, d.out);
        if (n === 0) break;
        d.dev.writeBatch(d.out, n);
        d.counters[FWD] += n;
        for (let i = 0; i < n; i++) d.counters[FWD_BYTES] += d.out[i].length;
      }
      next = Math.min(next, d.line.nextReleaseAt());
    }
    this.arm(now, next);
  }

  private arm(now: number, at: number): void {
    if (at === Infinity || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - now - RELEASE_SLACK_MS));
  }
}
