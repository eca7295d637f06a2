/**
 * Receiver-side reorder buffer of the multipath data plane (sans-IO).
 *
 * Packets of one flow are delivered in global-seq order; flows never wait for
 * each other's packets; unordered flows pass straight through. A packet waits
 * for a missing predecessor only until the predecessor arrives, is proven lost
 * from per-path sequence numbers, or the adaptive hold bound expires. See
 * docs/reordering.md for the reasoning and the numbers.
 *
 * Which predecessor a packet waits for:
 * - `flowPrevSeq` on the frame (global seq of the previous packet of the same
 *   flow, 0 for none): the packet waits for exactly that seq. A hole in another
 *   flow never stalls it.
 * - no `flowPrevSeq`: the receiver cannot know which flow a missing seq
 *   belonged to, so an ordered packet waits until every lower seq is received
 *   or resolved (held packets of other flows do not block it; holes do).
 *
 * Payloads are kept by reference, not copied: the caller must hand over a
 * frame whose payload it will not reuse until the frame is delivered.
 */
import { DataFlags, type DataFrame } from '../wire/frames';
import { FlowQueue } from './flow-queue';
import { HoldBound, defaultHoldBoundOptions, type HoldBoundOptions } from './hold-bound';
import { HoldHistogram } from './hold-histogram';
import { PathGaps } from './path-gaps';
import { RecoveryDelay } from './recovery-delay';
import { SeqState, SeqWindow } from './seq-window';

/** A data frame as the reorder buffer reads it: `flowPrevSeq` is optional until the wire carries it. */
export type ReorderFrame = DataFrame & { flowPrevSeq?: number };

export interface ReorderOptions extends HoldBoundOptions {
  /** Sequence numbers tracked for dedup and loss (older seqs are dropped as too old). */
  windowSize: number;
  /** Cap on held payload bytes; beyond it the oldest holes are given up. */
  maxBytes: number;
  /** A packet that arrives after its flow has moved past it: deliver it anyway or drop it. */
  latePolicy: 'deliver' | 'drop';
  /** Flow states kept (idle ones are forgotten beyond this). */
  maxFlows: number;
}

export const defaultReorderOptions: ReorderOptions = {
  ...defaultHoldBoundOptions,
  windowSize: 1 << 16,
  maxBytes: 4 << 20,
  latePolicy: 'deliver',
  maxFlows: 1 << 14,
};

export interface ReorderCounters {
  /** Data frames pushed. */
  received: number;
  /** Frames handed out (ordered and unordered). */
  delivered: number;
  /** Unordered frames passed straight through. */
  unordered: number;
  /** Second and later copies of a seq, dropped. */
  duplicates: number;
  /** Seqs below the tracking window, dropped. */
  tooOld: number;
  /** Frames with an invalid seq, dropped. */
  invalid: number;
  /** Frames that arrived after their seq was declared lost or given up. */
  late: number;
  /** Late frames delivered behind a later packet of their flow (latePolicy 'deliver'). */
  lateOutOfOrder: number;
  /** Late frames dropped (latePolicy 'drop'). */
  lateDropped: number;
  /** Holes proven lost from per-path sequence numbers. */
  lossProven: number;
  /** Holes that blocked held packets and were resolved by a loss proof. */
  releasedByLossProof: number;
  /** Holes given up when the hold bound expired. */
  releasedByTimeout: number;
  /** Holes given up to respect maxBytes or the tracking window. */
  releasedByMemory: number;
  /** Proven-lost seqs whose resend arrived while their flow still waited (loss recovery). */
  recovered: number;
  /** Proven-lost seqs whose resend did not come within the recovery wait. */
  recoveryExpired: number;
}

/** Losses reported per ack at most; beyond it holes wait out their recovery and release (a burst this long is an outage). */
const MAX_NEWLY_LOST = 64;
const REASON_TIMEOUT = 0;
const REASON_MEMORY = 1;

export class ReorderBuffer {
  readonly options: ReorderOptions;
  readonly counters: ReorderCounters = {
    received: 0,
    delivered: 0,
    unordered: 0,
    duplicates: 0,
    tooOld: 0,
    invalid: 0,
    late: 0,
    lateOutOfOrder: 0,
    lateDropped: 0,
    lossProven: 0,
    releasedByLossProof: 0,
    releasedByTimeout: 0,
    releasedByMemory: 0,
    recovered: 0,
    recoveryExpired: 0,
  };
  readonly holdHistogram = new HoldHistogram();
  readonly holdBound: HoldBound;

  private readonly window: SeqWindow;
  private readonly gaps = new PathGaps();
  private readonly flows = new Map<number, FlowQueue>();
  /** Flows with held packets. */
  private readonly holding: FlowQueue[] = [];
  /** Every seq <= floor is received, lost or given up (for frames without flowPrevSeq). */
  private floor = 0;
  private heldPacketCount = 0;
  /** Held packets without flowPrevSeq (they wait on the floor); gates the floor scan. */
  private heldFloorWaiters = 0;
  private heldByteCount = 0;
  /** A lower bound on the smallest held seq (exact after a scan). */
  private lowestHeldBound = Infinity;
  /** Deliverable frames in slots [outHead, outEnd); the array is reused, never shrunk. */
  private readonly out: DataFrame[] = [];
  private outHead = 0;
  private outEnd = 0;
  private readonly wakes: number[] = [];
  /**
   * How long a seq proven lost is still waited for, ms: the link names it in
   * its next ack (AckFrame.lost), the peer resends it, and the resend comes
   * about one round trip of the fastest path after the proof. 0: release at once.
   * Set by the link from its own RTT estimates.
   */
  recoverWaitMs = 0;
  /** Seqs that entered the recovery wait since the caller last emptied this (it tells the peer). */
  readonly newlyLost: number[] = [];
  /** Seqs in RECOVERING and when their wait ends, oldest first (ring of two arrays). */
  private readonly recoverSeqs: number[] = [];
  private readonly recoverUntil: number[] = [];
  private recoverHead = 0;
  /** How long resends actually take: the wait grows to cover them (recovery-delay.ts). */
  private readonly recoveryDelay = new RecoveryDelay();
  private readonly scratch: FlowQueue[] = [];
  private nowMs = 0;

  constructor(options: Partial<ReorderOptions> = {}) {
    this.options = { ...defaultReorderOptions, ...options };
    this.window = new SeqWindow(this.options.windowSize);
    this.holdBound = new HoldBound(this.options);
  }

  /** Held packets and payload bytes now. */
  get heldPackets(): number {
    return this.heldPacketCount;
  }

  get heldBytes(): number {
    return this.heldByteCount;
  }

  /** The hold bound in force, ms. */
  holdBoundMs(now: number = this.nowMs): number {
    return this.holdBound.boundMs(now);
  }

  /**
   * Take one received data frame. `size` is what counts against maxBytes
   * (default: payload length). Deliverable frames are then read with pollDeliver().
   */
  push(now: number, frame: ReorderFrame, size: number = frame.payload.length): void {
    this.nowMs = now;
    this.counters.received++;
    const seq = frame.seq;
    if (!Number.isSafeInteger(seq) || seq < 1) {
      this.counters.invalid++;
      return;
    }
    this.holdBound.onSample(now, frame.pathId, frame.sendTimeUs);
    if (seq > this.window.highest) this.advanceWindow(now, seq);
    if (frame.prevSeq !== seq) this.proveLoss(now, frame.prevSeq);
    if (this.gaps.onArrival(now, this.window, frame.pathId, frame.pathSeq, seq, frame.prevSeq, 2 * this.options.maxHoldMs) > 0) {
      const lost = this.gaps.provenLost();
      for (let i = 0; i < lost.length; i++) this.onLossProven(lost[i]);
      this.afterResolved(now);
    }

    const state = this.window.state(seq);
    if (state === SeqState.OLD) {
      this.counters.tooOld++;
      return;
    }
    if (state === SeqState.BUFFERED || state === SeqState.DONE) {
      this.counters.duplicates++;
      return;
    }
    if (state === SeqState.RECOVERING) this.counters.recovered++;
    this.recoveryDelay.onArrived(seq, now);
    const late = state === SeqState.LOST || state === SeqState.GIVEN_UP || state === SeqState.EVICTED;
    if (late) this.counters.late++;
    // It came after all, just after we stopped waiting: the bound is too short right now.
    if (state === SeqState.GIVEN_UP) this.holdBound.onLateAfterTimeout(now);

    if ((frame.flags & DataFlags.ORDERED) === 0) {
      this.counters.unordered++;
      this.emit(frame, seq);
      this.holdHistogram.observe(0);
      this.afterResolved(now);
      return;
    }

    const flow = this.flowFor(frame.flow, now);
    if (seq < flow.lastDelivered) {
      // The flow has moved past this seq: it can no longer be delivered in order.
      if (!late) this.counters.late++;
      if (this.options.latePolicy === 'drop') {
        this.counters.lateDropped++;
        this.window.set(seq, SeqState.DONE); // later copies are duplicates
      } else {
        this.counters.lateOutOfOrder++;
        this.emit(frame, seq);
        this.holdHistogram.observe(0);
      }
      this.afterResolved(now);
      return;
    }

    this.window.set(seq, SeqState.BUFFERED);
    flow.insert(frame, now, size);
    this.heldPacketCount++;
    if (frame.flowPrevSeq === undefined) this.heldFloorWaiters++;
    this.heldByteCount += size;
    if (seq < this.lowestHeldBound) this.lowestHeldBound = seq;
    if (flow.holdingIndex < 0) {
      flow.holdingIndex = this.holding.length;
      this.holding.push(flow);
    }
    this.drainFlow(flow, now);
    this.afterResolved(now);
    this.enforceMemory(now);
  }

  /** Next frame to hand to the TUN, or undefined. */
  pollDeliver(): DataFrame | undefined {
    if (this.outHead === this.outEnd) return undefined;
    const f = this.out[this.outHead];
    this.out[this.outHead++] = undefined as unknown as DataFrame;
    if (this.outHead === this.outEnd) {
      this.outHead = 0;
      this.outEnd = 0;
    }
    return f;
  }

  /** When handleTimeout must next be called, ms, or undefined when nothing is held. */
  pollTimeout(): number | undefined {
    if (this.heldPacketCount === 0) return undefined;
    let earliest = Infinity;
    for (let i = 0; i < this.holding.length; i++) {
      const a = this.holding[i].minArrivalMs;
      if (a < earliest && !this.waitsOnRecovery(this.holding[i])) earliest = a;
    }
    const t = earliest + this.holdBound.boundMs(this.nowMs);
    return this.recoverHead < this.recoverSeqs.length ? Math.min(t, this.recoverUntil[this.recoverHead]) : t;
  }

  /** Release every packet that has waited the hold bound. */
  handleTimeout(now: number): void {
    this.nowMs = now;
    this.expireRecovery(now);
    if (this.heldPacketCount === 0) return;
    // Compare `arrival + bound <= now`, exactly the sum pollTimeout() returns, so a
    // call at that deadline always releases (no float gap between the two).
    const bound = this.holdBound.boundMs(now);
    const due = this.scratch;
    due.length = 0;
    for (let i = 0; i < this.holding.length; i++) {
      const f = this.holding[i];
      // a hole proven lost whose resend is expected has its own deadline (expireRecovery)
      if (f.minArrivalMs + bound <= now && !this.waitsOnRecovery(f)) due.push(f);
    }
    // Oldest seq first, so a release in seq order is what the flows see.
    due.sort((a, b) => a.headSeq() - b.headSeq());
    for (let i = 0; i < due.length; i++) {
      const f = due[i];
      if (f.length === 0) continue;
      const idx = f.lastDueBy(now, bound);
      if (idx >= 0) this.forceRelease(f, f.seqAt(idx), now, REASON_TIMEOUT);
    }
    due.length = 0;
  }

  /**
   * A one-way-delay sample from something other than data (a probe): keeps the
   * hold bound right before data flows on a path, and on idle paths.
   */
  onPathSample(now: number, pathId: number, sendTimeUs: number): void {
    this.nowMs = now;
    this.holdBound.onSample(now, pathId, sendTimeUs);
  }

  /** A path closed: its delay no longer counts in the hold bound. */
  onPathClosed(pathId: number): void {
    this.holdBound.removePath(pathId);
    this.gaps.removePath(pathId);
  }

  // --- internals ---

  /** Per-path loss proof: the packet before this one on its path was `prevSeq`; if it is not here, it is lost. */
  private proveLoss(now: number, prevSeq: number): void {
    if (!(prevSeq >= 1) || prevSeq > this.window.highest) return;
    if (this.window.state(prevSeq) !== SeqState.UNKNOWN) return;
    this.window.set(prevSeq, SeqState.LOST);
    this.onLossProven(prevSeq);
    this.afterResolved(now);
  }

  /** `seq` was just marked LOST: count it and wake what waited for it, or wait a little longer for its resend. */
  private onLossProven(seq: number): void {
    this.counters.lossProven++;
    if (this.recoverWaitMs > 0) {
      this.window.set(seq, SeqState.RECOVERING);
      if (this.newlyLost.length < MAX_NEWLY_LOST) this.newlyLost.push(seq);
      this.recoverSeqs.push(seq);
      this.recoverUntil.push(this.nowMs + this.recoveryDelay.waitMs(this.recoverWaitMs, this.nowMs, this.options.maxHoldMs));
      this.recoveryDelay.onProven(seq, this.nowMs);
      return;
    }
    this.wakeForLost(seq);
  }

  /** Recovery waits that ended without the resend: the seq is lost after all. */
  private expireRecovery(now: number): void {
    const seqs = this.recoverSeqs;
    if (this.recoverHead === seqs.length) return;
    let expired = false;
    while (this.recoverHead < seqs.length && this.recoverUntil[this.recoverHead] <= now) {
      const seq = seqs[this.recoverHead++];
      if (this.window.state(seq) !== SeqState.RECOVERING) continue; // it came, or was given up
      this.window.set(seq, SeqState.LOST);
      this.counters.recoveryExpired++;
      this.wakeForLost(seq);
      expired = true;
    }
    this.recoveryDelay.prune(now - 2 * this.options.maxHoldMs);
    if (this.recoverHead === seqs.length) {
      seqs.length = 0;
      this.recoverUntil.length = 0;
      this.recoverHead = 0;
    } else if (this.recoverHead >= 256 && 2 * this.recoverHead >= seqs.length) {
      // steady losses never empty the queue: drop the consumed front so it cannot grow for ever
      seqs.splice(0, this.recoverHead);
      this.recoverUntil.splice(0, this.recoverHead);
      this.recoverHead = 0;
    }
    if (expired) this.afterResolved(now);
  }

  private wakeForLost(seq: number): void {
    const waiter = this.window.waiter(seq);
    if (waiter >= 0) {
      this.counters.releasedByLossProof++;
      this.window.clearWaiter(seq);
      this.wakes.push(waiter);
    } else if (this.heldFloorWaiters > 0 && seq === this.floor + 1) {
      this.counters.releasedByLossProof++;
    }
  }

  /** A seq became resolved: move the floor and drain what that unblocked. */
  private afterResolved(now: number): void {
    const w = this.window;
    const before = this.floor;
    if (this.floor < w.lowest - 1) this.floor = w.lowest - 1;
    for (;;) {
      if (this.floor >= w.highest) break;
      const st = w.state(this.floor + 1);
      if (st === SeqState.UNKNOWN || st === SeqState.RECOVERING) break;
      this.floor++;
    }
    if (this.floor !== before && this.heldFloorWaiters > 0) {
      for (let i = 0; i < this.holding.length; i++) {
        const f = this.holding[i];
        if ((f.headFrame() as ReorderFrame).flowPrevSeq === undefined && f.headSeq() - 1 <= this.floor) this.wakes.push(f.flow);
      }
    }
    while (this.wakes.length > 0) {
      const f = this.flows.get(this.wakes.pop() as number);
      if (f !== undefined && f.length > 0) this.drainFlow(f, now);
    }
  }

  /** Is the head of `f` blocked by a seq proven lost whose resend is still awaited? */
  private waitsOnRecovery(f: FlowQueue): boolean {
    if (this.recoverHead === this.recoverSeqs.length || f.length === 0) return false;
    const prev = (f.headFrame() as ReorderFrame).flowPrevSeq;
    return this.window.state(prev === undefined ? this.floor + 1 : prev) === SeqState.RECOVERING;
  }

  /** Can the head of `f` go now? Registers a waiter when it waits on a flowPrevSeq. */
  private headReady(f: FlowQueue): boolean {
    const frame = f.headFrame() as ReorderFrame;
    const prev = frame.flowPrevSeq;
    if (prev === undefined) return f.headSeq() - 1 <= this.floor;
    if (!(prev >= 1) || prev >= frame.seq) return true;
    const st = this.window.state(prev);
    if (st === SeqState.UNKNOWN || st === SeqState.BUFFERED || st === SeqState.RECOVERING) {
      this.window.setWaiter(prev, f.flow);
      return false;
    }
    return true;
  }

  private drainFlow(f: FlowQueue, now: number): void {
    while (f.length > 0 && this.headReady(f)) this.deliverHead(f, now);
  }

  private deliverHead(f: FlowQueue, now: number): void {
    const frame = f.headFrame();
    const seq = f.headSeq();
    this.holdHistogram.observe(now - f.headArrival());
    this.heldPacketCount--;
    if ((frame as ReorderFrame).flowPrevSeq === undefined) this.heldFloorWaiters--;
    this.heldByteCount -= f.headSize();
    f.pop();
    if (seq > f.lastDelivered) f.lastDelivered = seq;
    if (f.length === 0) this.removeHolding(f);
    this.emit(frame, seq);
  }

  /** Hand a frame out and wake whoever waited for its seq. */
  private emit(frame: DataFrame, seq: number): void {
    if (this.outEnd === this.out.length) this.out.push(frame);
    else this.out[this.outEnd] = frame;
    this.outEnd++;
    this.counters.delivered++;
    this.window.set(seq, SeqState.DONE);
    const waiter = this.window.waiter(seq);
    if (waiter >= 0) {
      this.window.clearWaiter(seq);
      this.wakes.push(waiter);
    }
  }

  /** Deliver `f` up to and including `limitSeq`, giving up whatever its packets wait for. */
  private forceRelease(f: FlowQueue, limitSeq: number, now: number, reason: number): void {
    while (f.length > 0 && f.headSeq() <= limitSeq) {
      if (!this.headReady(f)) this.giveUpFor(f, reason);
      this.deliverHead(f, now);
    }
    this.drainFlow(f, now);
    this.afterResolved(now);
  }

  /** Mark the hole(s) the head of `f` waits for as given up. */
  private giveUpFor(f: FlowQueue, reason: number): void {
    const frame = f.headFrame() as ReorderFrame;
    const prev = frame.flowPrevSeq;
    if (prev !== undefined) {
      this.window.clearWaiter(prev);
      const st = this.window.state(prev);
      if (st === SeqState.UNKNOWN || st === SeqState.RECOVERING) {
        this.window.set(prev, reason === REASON_TIMEOUT ? SeqState.GIVEN_UP : SeqState.EVICTED);
        this.countGiveUp(reason);
      }
      return;
    }
    const seq = f.headSeq();
    for (let s = Math.max(this.floor + 1, this.window.lowest); s < seq; s++) {
      const st = this.window.state(s);
      if (st === SeqState.UNKNOWN || st === SeqState.RECOVERING) {
        this.window.set(s, reason === REASON_TIMEOUT ? SeqState.GIVEN_UP : SeqState.EVICTED);
        this.countGiveUp(reason);
      }
    }
    if (this.floor < seq - 1) this.floor = seq - 1;
  }

  private countGiveUp(reason: number): void {
    if (reason === REASON_TIMEOUT) this.counters.releasedByTimeout++;
    else this.counters.releasedByMemory++;
  }

  /** Before the window slides past held packets, release them (memory reason). */
  private advanceWindow(now: number, top: number): void {
    const newLowest = this.window.lowestAfter(top);
    if (this.heldPacketCount > 0 && newLowest > this.lowestHeldBound) {
      for (;;) {
        const oldest = this.oldestHolding();
        if (oldest === undefined || oldest.headSeq() >= newLowest) break;
        this.forceRelease(oldest, newLowest - 1, now, REASON_MEMORY);
      }
    }
    this.window.advanceTo(top);
  }

  /** Give up the oldest holes until held bytes fit maxBytes. */
  private enforceMemory(now: number): void {
    while (this.heldByteCount > this.options.maxBytes) {
      const oldest = this.oldestHolding();
      if (oldest === undefined) break;
      this.forceRelease(oldest, oldest.headSeq(), now, REASON_MEMORY);
    }
  }

  /** The holding flow whose head has the smallest seq; refreshes lowestHeldBound. */
  private oldestHolding(): FlowQueue | undefined {
    let best: FlowQueue | undefined;
    for (let i = 0; i < this.holding.length; i++) {
      const f = this.holding[i];
      if (best === undefined || f.headSeq() < best.headSeq()) best = f;
    }
    this.lowestHeldBound = best === undefined ? Infinity : best.headSeq();
    return best;
  }

  private removeHolding(f: FlowQueue): void {
    const i = f.holdingIndex;
    const last = this.holding.pop() as FlowQueue;
    if (last !== f) {
      this.holding[i] = last;
      last.holdingIndex = i;
    }
    f.holdingIndex = -1;
    if (this.heldPacketCount === 0) this.lowestHeldBound = Infinity;
  }

  private flowFor(id: number, now: number): FlowQueue {
    let f = this.flows.get(id);
    if (f === undefined) {
      if (this.flows.size >= this.options.maxFlows) this.evictIdleFlows();
      f = new FlowQueue(id);
      this.flows.set(id, f);
    }
    f.lastActiveMs = now;
    return f;
  }

  /** Forget the least recently created idle flows (a forgotten flow only loses its late-packet memory). */
  private evictIdleFlows(): void {
    const target = (this.options.maxFlows * 3) >> 2;
    for (const [id, f] of this.flows) {
      if (this.flows.size <= target) break;
      if (f.length === 0) this.flows.delete(id);
    }
  }
}
