import { PathSet } from '../../src/core/path/path-set';
import type { PathConfig } from '../../src/core/path/path-state';
import { ReinjectBudget } from '../../src/core/path/reinject-budget';
import { createScheduler } from '../../src/core/sched/registry';
import { Pick, type PickRequest, type Scheduler } from '../../src/core/sched/scheduler';
import { DataFlags, type AckFrame, type Frame, type SeqRange } from '../../src/core/wire/frames';
import type { SimNetwork, Side } from './network';
import { SeqRanges } from './seq-ranges';

interface Queued {
  seq: number;
  size: number;
  flow: number;
  flags: number;
}

const PAYLOAD = new Uint8Array(65536);

export interface ModelSenderOptions {
  paths: PathConfig[];
  scheduler?: string;
  /** Keep this many bytes queued at all times (a saturating source); 0 for none. */
  saturateBytes?: number;
  /** Datagram size of the saturating source. Default 1400. */
  packetSize?: number;
  side?: Side;
  /** Resend datagrams proven lost within this many ms of sending (0: never). */
  recoverLossWithinMs?: number;
}

/**
 * Model of the sending endpoint: a send queue (reinjections at the head),
 * the PathSet (estimators, rate control, liveness) and a scheduler, driven
 * by the virtual clock the way the daemon will drive the real connection:
 * on every datagram received and at `pollTimeout` / the scheduler's wait.
 */
export class ModelSender {
  readonly paths: PathSet;
  scheduler: Scheduler;
  readonly budget = new ReinjectBudget();
  readonly acked = new SeqRanges(256);
  private readonly queue: Queued[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  /** Bytes queued per flow: a packet's backlog is its own flow's (a ping does not wait behind bulk data). */
  private readonly flowBytes = new Map<number, number>();
  private nextSeq = 1;
  private readonly pick = new Pick();
  private readonly req: PickRequest = { now: 0, size: 0, backlogBytes: 0, flow: 0 };
  private wakeAt = Infinity;
  private readonly stuck: number[] = [];
  private readonly sizes = new Map<number, Queued>();
  readonly saturateBytes: number;
  readonly packetSize: number;
  private readonly side: Side;
  /** Sends per path id, for tests. */
  readonly sentOn = new Map<number, number>();
  /** Set when a datagram was sent on a path that was not up or suspect: a scheduler bug. */
  sentOnDownPath = 0;
  /** Data sent on a suspect path while another path was up. */
  sentOnSuspectWhileUp = 0;
  /** Data sent on a path before its pacer or window allowed it. */
  capacityViolations = 0;
  reinjectedPackets = 0;
  /** Datagrams resent because they were proven lost. */
  recoveredPackets = 0;
  private readonly recoverLossWithinMs: number;
  private readonly lost: number[] = [];
  private readonly ackedHighest = new Map<number, number>();
  readonly events: { kind: string; pathId: number; at: number; count: number }[] = [];

  constructor(private readonly net: SimNetwork<Frame>, opts: ModelSenderOptions) {
    this.paths = new PathSet(opts.paths);
    this.recoverLossWithinMs = opts.recoverLossWithinMs ?? 0;
    this.scheduler = createScheduler(opts.scheduler);
    this.saturateBytes = opts.saturateBytes ?? 0;
    this.packetSize = opts.packetSize ?? 1400;
    this.side = opts.side ?? 'A';
    net.onReceive(this.side, (pathId, frame, now) => this.receive(pathId, frame, now));
    net.clock.at(0, (t) => this.service(t));
  }

  /** Queues one packet of new data; returns its seq. */
  enqueue(size: number, flow = 0, urgent = false): number {
    const q: Queued = { seq: this.nextSeq++, size, flow, flags: 0 };
    if (urgent) this.queue.splice(this.queueHead, 0, q);
    else this.queue.push(q);
    this.account(q, 1);
    this.sizes.set(q.seq, q);
    this.forget(q.seq);
    this.service(this.net.clock.now);
    return q.seq;
  }

  get backlogBytes(): number {
    return this.queuedBytes;
  }

  private receive(pathId: number, frame: Frame, now: number): void {
    if (frame.ack) {
      if (this.recoverLossWithinMs > 0) this.findLost(now, frame.ack);
      this.paths.onAck(now, frame.ack, pathId);
      for (const r of frame.ack.ranges) this.markAcked(r);
    }
    if (frame.probeReply) this.paths.onProbeReply(now, frame.probeReply);
    this.service(now);
  }

  /**
   * The model's loss recovery, inferred by the sender (the product's receiver
   * names proven losses in AckFrame.lost instead): datagrams the peer has
   * passed on their path (pathSeq <= highest) whose global seq the SACK ranges
   * do not cover although they cover older ones are lost (paths are FIFO);
   * those sent within `recoverLossWithinMs` are resent. Runs before the ack
   * pops the path's ledger.
   */
  private findLost(now: number, ack: AckFrame): void {
    if (ack.ranges.length === 0) return;
    let oldest = Infinity;
    for (const r of ack.ranges) if (r.start < oldest) oldest = r.start;
    for (const s of ack.paths) {
      const p = this.paths.get(s.pathId);
      if (!p || s.highestPathSeq <= (this.ackedHighest.get(s.pathId) ?? 0)) continue;
      this.ackedHighest.set(s.pathId, s.highestPathSeq);
      const l = p.ledger;
      const end = Math.min(s.highestPathSeq, l.next - 1);
      for (let ps = l.first; ps <= end; ps++) {
        const seq = l.seqAt(ps);
        if (seq < oldest || l.isReinjected(ps) || now - l.sendTimeAt(ps) > this.recoverLossWithinMs) continue;
        if (!ack.ranges.some((r) => seq >= r.start && seq <= r.end)) {
          l.markReinjected(ps);
          this.lost.push(seq);
        }
      }
    }
  }

  private markAcked(r: SeqRange): void {
    this.acked.addRange(r.start, r.end);
  }

  private service(now: number): void {
    this.paths.handleTimeout(now);
    for (let e = this.paths.pollEvent(); e; e = this.paths.pollEvent()) {
      this.events.push({ kind: e.kind, pathId: e.pathId, at: e.at, count: e.reinject.length });
      if (e.kind === 'down') this.requeue(e.reinject);
    }
    this.stuck.length = 0;
    if (this.paths.collectStuck(now, this.budget, this.stuck) > 0) this.requeue(this.stuck);
    if (this.lost.length > 0) {
      this.recoveredPackets += this.lost.length;
      this.requeue(this.lost);
      this.lost.length = 0;
    }
    for (let probe = this.paths.pollProbe(now); probe; probe = this.paths.pollProbe(now)) {
      this.net.send(this.side, probe.pathId, { probe }, 40);
    }
    this.refill();
    const wait = this.sendQueued(now);
    this.arm(Math.min(wait, this.paths.pollTimeout(now)));
  }

  /** Puts packets sent on a dead or stuck path back at the head of the queue (skipping acked ones). */
  private requeue(seqs: readonly number[]): void {
    const again: Queued[] = [];
    for (const seq of seqs) {
      const q = this.sizes.get(seq);
      if (!q || this.acked.has(seq)) continue;
      again.push({ seq, size: q.size, flow: q.flow, flags: DataFlags.REINJECTED });
      this.account(again[again.length - 1], 1);
    }
    this.reinjectedPackets += again.length;
    this.queue.splice(this.queueHead, 0, ...again);
  }

  /** Packets long gone are not reinjected any more: forget their sizes. */
  private forget(newest: number): void {
    this.sizes.delete(newest - 65536);
  }

  private account(q: Queued, sign: 1 | -1): void {
    this.queuedBytes += sign * q.size;
    this.flowBytes.set(q.flow, (this.flowBytes.get(q.flow) ?? 0) + sign * q.size);
  }

  private refill(): void {
    while (this.saturateBytes > 0 && this.queuedBytes < this.saturateBytes) {
      const q: Queued = { seq: this.nextSeq++, size: this.packetSize, flow: 1, flags: 0 };
      this.queue.push(q);
      this.sizes.set(q.seq, q);
      this.forget(q.seq);
      this.account(q, 1);
    }
  }

  /** Sends while the scheduler allows; returns when to try again. */
  private sendQueued(now: number): number {
    const req = this.req;
    while (this.queueHead < this.queue.length) {
      const q = this.queue[this.queueHead];
      req.now = now;
      req.size = q.size;
      req.backlogBytes = this.flowBytes.get(q.flow) ?? q.size;
      req.flow = q.flow;
      this.scheduler.pick(req, this.paths.paths, this.pick);
      if (this.pick.count === 0) return this.pick.waitUntil;
      for (let k = 0; k < this.pick.count; k++) this.transmit(now, this.pick.pathIds[k], q, this.pick.count > 1);
      this.queueHead++;
      this.account(q, -1);
      if (this.queueHead > 4096) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.refill();
    }
    return Infinity;
  }

  private transmit(now: number, pathId: number, q: Queued, redundant: boolean): void {
    const path = this.paths.get(pathId)!;
    if (!path.usable && !path.suspect) this.sentOnDownPath++;
    if (path.suspect && this.paths.paths.some((p) => p.usable)) this.sentOnSuspectWhileUp++;
    if (path.sendableAt(q.size) > now + 1e-9) this.capacityViolations++;
    const prevSeq = path.prevSeq;
    const reinjected = (q.flags & DataFlags.REINJECTED) !== 0;
    const pathSeq = this.paths.onDataSent(now, pathId, q.seq, q.size, reinjected);
    this.budget.onSent(q.size);
    this.sentOn.set(pathId, (this.sentOn.get(pathId) ?? 0) + 1);
    const frame: Frame = {
      data: {
        seq: q.seq, pathId, pathSeq, prevSeq, flow: q.flow,
        flags: q.flags | (redundant ? DataFlags.REDUNDANT : 0),
        sendTimeUs: Math.round(now * 1000), payload: PAYLOAD.subarray(0, q.size),
      },
    };
    this.net.send(this.side, pathId, frame, q.size);
  }

  private arm(at: number): void {
    if (!(at < Infinity)) return;
    const now = this.net.clock.now;
    if (at <= now) at = now + 0.001; // never spin at the same instant
    if (at >= this.wakeAt) return;
    // earlier wake-ups supersede later ones; a superseded timer finds wakeAt changed and does nothing
    this.wakeAt = at;
    this.net.clock.at(at, (t) => {
      if (t !== this.wakeAt) return;
      this.wakeAt = Infinity;
      this.service(t);
    });
  }
}
