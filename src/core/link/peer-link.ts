/**
 * The multipath data plane between this endpoint and one peer, both
 * directions, at the level of frames (the SecureEndpoint seals them).
 * Sans-IO: every call takes `now` (ms).
 *
 * Sending: inner packets are classified into flows, numbered (global seq,
 * flow predecessor) and queued; the scheduler picks a path for the packet at
 * the head whenever a path's rate control lets it send; a copy stays in the
 * send buffer until the peer acknowledges it, so packets caught on a path
 * that dies are sent again on a live path ahead of new data.
 *
 * Receiving: data frames go through the per-flow reorder buffer and come out
 * of pollDeliver(); acks and probe replies feed the per-path estimators;
 * probes are answered on the path they came on.
 */
import { AckGenerator, type AckOptions } from '../ack/ack-generator';
import { FlowClassifier, FlowInfo, type FlowOrderingOptions } from '../flow/classify';
import { PathSet, type PathEvent } from '../path/path-set';
import type { PathConfig, PathState } from '../path/path-state';
import { ReinjectBudget } from '../path/reinject-budget';
import { ReorderBuffer, type ReorderOptions } from '../reorder/reorder-buffer';
import { createScheduler, DEFAULT_SCHEDULER } from '../sched/registry';
import { Pick, type PickRequest, type Scheduler } from '../sched/scheduler';
import { DataFlags, type AckFrame, type DataFrame, type Frame, type ProbeReplyFrame } from '../wire/frames';
import { FlowChain } from './flow-chain';
import { SendBuffer, type SentPacket } from './send-buffer';
import { SendQueue, type QueuedPacket } from './send-queue';
import { LinkCounters } from './link-counters';
import { ReCodec, type ReLinkOptions } from './re-codec';
import { PacketSlab } from './packet-slab';
import { FragmentReassembler } from './fragment-reassembler';
import { TcpSegmenter, tcpHeaderEnd } from '../flow/tcp-segment';
import { cutPieces, MAX_PIECE_GSO, pieceBytes } from './super-pieces';

export interface PeerLinkOptions {
  paths?: PathConfig[];
  scheduler?: string;
  reorder?: Partial<ReorderOptions>;
  ack?: Partial<AckOptions>;
  flowOrdering?: Partial<FlowOrderingOptions>;
  /**
   * Bytes of new data that may wait for a path at the least; beyond the cap the fattest flow loses packets.
   * The cap grows with the paths' estimated rate to 40 ms of it (2 × the CoDel target, at most 16 MiB),
   * so on a fast path the sojourn-time law, not the byte cap, decides. Default 512 KiB.
   */
  sendQueueBytes?: number;
  /** Sojourn time a flow's packets may keep above before the queue drops from it (CoDel target), ms. Default 20. */
  queueTargetMs?: number;
  /** Packets kept for reinjection until acknowledged. Default 32768. */
  sendBufferPackets?: number;
  /** Seed for the flow hash (per session, so flows can't be steered into collisions). */
  flowSeed?: number;
  /** Redundancy elimination of TCP payloads (both ends must enable it with the same cache size). */
  re?: ReLinkOptions;
  /**
   * Tunnel-level loss recovery (default on; set it the same on both ends): a
   * packet proven lost on its path is sent again at once, ahead of new data,
   * within the reinjection budget, and the receiver keeps the hole open about
   * one and a half round trips of the fastest path for it, so the inner TCP sees a little
   * delay instead of a loss.
   */
  recoverLosses?: boolean;
}

/** One frame to seal and send on `pathId`. Reused between calls: seal it before calling pollTransmit again. */
export interface Transmit {
  pathId: number;
  frame: Frame;
}

/** The send queue's byte cap: this many ms at the paths' summed rate, within [sendQueueBytes, MAX_QUEUE_BYTES]. */
const QUEUE_MS = 40;
const RETUNE_MS = 5;
const MAX_QUEUE_BYTES = 16 << 20;

/** Frame bytes around an RE control message: Frame.re key and length, ReControlFrame.msg key and length. */
const RE_FRAME_ROOM = 8;

/** Bytes of header a data frame adds in the worst case besides the ack (see wire/envelope.ts). */
const ACK_ROOM = 600;

export class PeerLink {
  readonly paths: PathSet;
  scheduler: Scheduler;
  readonly counters = new LinkCounters();
  readonly reorder: ReorderBuffer;
  readonly ack: AckGenerator;
  private readonly classifier: FlowClassifier;
  private readonly flowInfo = new FlowInfo();
  private readonly chain = new FlowChain();
  private readonly queue: SendQueue;
  private readonly sent: SendBuffer;
  readonly re: ReCodec | null;
  private readonly onAckedPacket = (p: SentPacket): void => {
    if (p.reToken !== 0) this.re!.onDelivered(p.reToken);
  };
  private readonly budget = new ReinjectBudget();
  private readonly pick = new Pick();
  private readonly req: PickRequest = { now: 0, size: 0, backlogBytes: 0, flow: 0, urgent: false };
  private nextSeq = 1;
  /** Paths still to receive the packet at the head (redundant scheduler picks several). */
  private pendingPaths: number[] = [];
  private pendingPacket: QueuedPacket | undefined;
  private readonly probeReplies: ProbeReplyFrame[] = [];
  /** Control frames to send before data (path announcements), each on its path. */
  private readonly controls: Array<{ pathId: number; frame: Frame }> = [];
  private readonly stuck: number[] = [];
  private readonly recoverLosses: boolean;
  private readonly minQueueBytes: number;
  private nextRetune = -Infinity;
  private waitUntil = Infinity;
  /** An ack was due but a data frame went first: the next call sends the ack. */
  private ackWaited = false;
  private readonly out: Transmit = { pathId: 0, frame: {} };
  private readonly dataOut: DataFrame = {
    seq: 0, pathId: 0, pathSeq: 0, prevSeq: 0, flow: 0, flowPrevSeq: 0, flags: 0, sendTimeUs: 0, payload: new Uint8Array(0),
  };
  /** The frames pollTransmit hands out for data (alone or carrying an ack): no object per packet. */
  private readonly dataFrame: Frame = { data: this.dataOut };
  private readonly dataAckFrame: Frame = { data: this.dataOut, ack: undefined };
  /** Where copies of kept packets (queued, unacknowledged, held for reordering) live. */
  private readonly copies = new PacketSlab();
  /** Largest datagram payload (frame bytes) a path takes; data frames leave room for an ack only when it fits. */
  maxFrameBytes = 1400;
  /** Segment size of the packet pollDeliver() returned last: > 0 for a TCP super-packet the TUN write should cut at that size. */
  deliveredGsoSize = 0;
  /** Joins the pieces of TCP super-packets the peer sent whole. */
  readonly reassembler = new FragmentReassembler();
  private segmenter: TcpSegmenter | null = null;
  private readonly piecesOut: QueuedPacket[] = [];
  /** Segment sizes of RE-encoded super-packets parked for missing bytes (see decodeSuper). */
  private readonly parkedGso = new WeakMap<DataFrame, number>();
  /** Entries set in parkedGso and not yet delivered (one given up stays counted: lookups then go on, harmlessly). */
  private parkedSupers = 0;
  /** Liveness transitions per path id since start (failovers = down), for status and metrics. */
  readonly transitions = new Map<number, Record<PathEvent['kind'], number>>();
  /** Datagrams and bytes received per path id (any frame), for status and metrics. */
  readonly rxByPath = new Map<number, { packets: number; bytes: number }>();

  constructor(opts: PeerLinkOptions = {}) {
    this.recoverLosses = opts.recoverLosses ?? true;
    this.paths = new PathSet(opts.paths ?? []);
    this.scheduler = createScheduler(opts.scheduler ?? DEFAULT_SCHEDULER);
    this.reorder = new ReorderBuffer(opts.reorder);
    this.ack = new AckGenerator(opts.ack);
    this.classifier = new FlowClassifier(opts.flowOrdering, opts.flowSeed ?? 0);
    this.minQueueBytes = opts.sendQueueBytes ?? 512 * 1024;
    this.queue = new SendQueue({ maxBytes: this.minQueueBytes, targetMs: opts.queueTargetMs });
    this.sent = new SendBuffer(opts.sendBufferPackets ?? 1 << 15);
    this.re = opts.re ? new ReCodec(opts.re) : null;
  }

  setScheduler(name: string): void {
    this.scheduler = createScheduler(name);
  }

  addPath(cfg: PathConfig): PathState {
    return this.paths.get(cfg.id) ?? this.paths.add(cfg);
  }

  /** Queues a control frame (e.g. a path announcement) to go on `pathId` ahead of data. */
  sendControl(pathId: number, frame: Frame): void {
    this.controls.push({ pathId, frame });
  }

  /** Called for every liveness change of a path (logs). */
  onPathEvent: ((e: PathEvent) => void) | null = null;

  get queuedBytes(): number {
    return this.queue.bytes;
  }

  /** Packets the send queue dropped: over its byte cap, and by the sojourn-time law (CoDel). */
  get queueDrops(): { overflow: number; codel: number } {
    return { overflow: this.queue.overflowDrops, codel: this.queue.codelDrops };
  }

  get unackedPackets(): number {
    return this.sent.heldPackets;
  }

  // ---- input ----

  /**
   * An inner IP packet from the TUN. Copies it. Returns false if it was dropped (malformed or queue full).
   * gsoSize > 0: a TCP super-packet (TUN read with TSO) whose payload the kernel would cut every gsoSize bytes.
   */
  sendPacket(now: number, packet: Uint8Array, gsoSize = 0): boolean {
    if (gsoSize > 0) return this.sendSuper(now, packet, gsoSize);
    const info = this.classifier.classify(packet, this.flowInfo);
    if (!info.ok) {
      this.counters.dropMalformedInner++;
      return false;
    }
    const flags = info.ordered ? DataFlags.ORDERED : 0;
    // the TUN slab is reused: keep a copy until acked (RE-encoded when it leaves the queue)
    const payload = this.copies.copy(packet);
    // Numbered when it leaves the queue, so a packet the queue drops leaves no hole behind.
    this.queue.push({ seq: 0, flow: info.flow, flowPrevSeq: 0, flags, payload, queuedAt: now, reToken: 0, gso: 0 });
    this.counters.tunPackets++;
    this.counters.tunBytes += packet.length;
    return true;
  }

  /**
   * A TCP super-packet travels as pieces that fill whole datagrams, its
   * headers once (the receiver joins the pieces and hands its kernel the
   * super-packet to cut): at a 1500-byte path MTU a datagram then carries
   * ~1380 bytes of TCP payload instead of ~1330. With RE the packet waits
   * whole and is encoded as one when it leaves (a near-identical 64 KiB then
   * takes a single datagram), then cut (cutSuper).
   */
  private sendSuper(now: number, packet: Uint8Array, gsoSize: number): boolean {
    const info = this.classifier.classify(packet, this.flowInfo);
    if (!info.ok || tcpHeaderEnd(packet) === 0) {
      this.counters.dropMalformedInner++;
      return false;
    }
    if (gsoSize > MAX_PIECE_GSO) {
      // the first piece's size field has 15 bits: cut here (a TUN MTU over 32 KiB)
      const seg = (this.segmenter ??= new TcpSegmenter());
      const n = seg.segment(packet, gsoSize);
      for (let i = 0; i < n; i++) this.sendPacket(now, seg.out[i]);
      return true;
    }
    this.counters.superPackets++;
    this.counters.tunPackets++;
    this.counters.tunBytes += packet.length;
    if (this.re) {
      this.queue.push({ seq: 0, flow: info.flow, flowPrevSeq: 0, flags: DataFlags.ORDERED, payload: this.copies.copy(packet), queuedAt: now, reToken: 0, gso: gsoSize });
      return true;
    }
    const parts = this.pieces(now, packet, gsoSize, false, info.flow);
    for (let i = 0; i < parts.length; i++) this.queue.push(parts[i]);
    return true;
  }

  /** `body` as queued pieces in piecesOut (super-pieces.ts). */
  private pieces(now: number, body: Uint8Array, gsoSize: number, encoded: boolean, flow: number): QueuedPacket[] {
    let maxPathId = 127; // a gateway learns paths later: any id below 128 costs the same byte
    const ps = this.paths.paths;
    for (let i = 0; i < ps.length; i++) if (ps[i].id > maxPathId) maxPathId = ps[i].id;
    const maxSeq = Math.max(this.nextSeq, this.counters.txDataPackets) + (1 << 20);
    const piece = pieceBytes(this.maxFrameBytes, maxSeq, now, maxPathId);
    this.counters.superPieces += cutPieces(this.copies, body, gsoSize, encoded, flow, piece, now, this.piecesOut);
    return this.piecesOut;
  }

  /**
   * A whole super-packet reached the head of the queue (RE on): encoded as
   * one, then cut into pieces in its place. Its RE token rides on the last
   * piece, so the encoder counts its bytes delivered only once all of it
   * may be; a piece lost for good costs a MISS and a RESEND, never wrong data.
   */
  private cutSuper(now: number, q: QueuedPacket): QueuedPacket {
    const enc = this.re!.encode(q.payload, q.flow);
    const parts = this.pieces(now, enc ?? q.payload, q.gso, enc !== null, q.flow);
    for (let i = 0; i < parts.length; i++) parts[i].queuedAt = q.queuedAt;
    if (enc) parts[parts.length - 1].reToken = this.re!.lastToken;
    this.queue.splitHead(parts);
    return parts[0];
  }

  /** A frame from the peer that arrived on `pathId` (-1 when unknown). `size` is the datagram's size. */
  handleFrame(now: number, pathId: number, frame: Frame, size: number): void {
    if (pathId >= 0) {
      let rx = this.rxByPath.get(pathId);
      if (!rx) this.rxByPath.set(pathId, (rx = { packets: 0, bytes: 0 }));
      rx.packets++;
      rx.bytes += size;
    }
    if (frame.ack) this.onAck(now, frame.ack, pathId);
    if (frame.probeReply) this.paths.onProbeReply(now, frame.probeReply);
    if (frame.probe) {
      this.reorder.onPathSample(now, frame.probe.pathId, frame.probe.sendTimeUs);
      this.probeReplies.push({ pathId: frame.probe.pathId, probeId: frame.probe.probeId, echoSendTimeUs: frame.probe.sendTimeUs, holdUs: 0 });
    }
    if (frame.data) {
      this.retune(now);
      this.onData(now, frame.data, size);
    }
    if (frame.re && this.re) this.re.onControl(frame.re.msg);
  }

  private onData(now: number, d: DataFrame, size: number): void {
    this.counters.rxDataPackets++;
    this.counters.rxDataBytes += d.payload.length;
    // Count payload bytes, as the sender's onDataSent does: the delivery rate compares the two.
    this.ack.onData(now, d, d.payload.length);
    // The payload is a view into the receive slab: keep a copy while it may be held.
    let payload: Uint8Array | null;
    if ((d.flags & DataFlags.RE_ENCODED) !== 0) {
      payload = this.re ? this.re.decode(d.payload, d.flow, now) : null;
      if (payload) d.flags &= ~DataFlags.RE_ENCODED;
      else if (this.re?.lastMissed) payload = this.copies.copy(d.payload); // decoded again when its flow delivers it
      else {
        // Undecodable (no RE here, or malformed): dropped; the next packet on its path proves it lost.
        this.counters.dropReUndecodable++;
        return;
      }
    } else payload = this.copies.copy(d.payload);
    if (d.flowPrevSeq === 0) {
      // a hand-built frame (the wire never decodes a 0): the reorder buffer reads "absent" as undefined
      const frame: DataFrame = { ...d, payload };
      delete frame.flowPrevSeq;
      this.reorder.push(now, frame);
      this.reportLost();
      return;
    }
    // The decoder builds a fresh frame per datagram: the reorder buffer may keep it as it is.
    d.payload = payload;
    this.reorder.push(now, d);
    this.reportLost();
  }

  /** Seqs the reorder buffer just proved lost and now waits for: the next ack asks the peer for them. */
  private reportLost(): void {
    const l = this.reorder.newlyLost;
    if (l.length === 0) return;
    for (let i = 0; i < l.length; i++) this.ack.onLost(l[i]);
    l.length = 0;
  }

  private onAck(now: number, ack: AckFrame, arrivedOn: number): void {
    this.paths.onAck(now, ack, arrivedOn);
    const onAcked = this.re ? this.onAckedPacket : undefined;
    for (let i = 0; i < ack.ranges.length; i++) this.sent.ackRange(ack.ranges[i].start, ack.ranges[i].end, onAcked);
    this.retune(now);
    if (this.recoverLosses && ack.lost !== undefined && ack.lost.length > 0) this.resendLost(now, ack.lost);
  }

  /** Queue cap and recovery wait follow the path estimates, which move over RTTs: refreshed at most every 5 ms. */
  private retune(now: number): void {
    if (now < this.nextRetune) return;
    this.nextRetune = now + RETUNE_MS;
    this.sizeQueue();
    this.updateRecoverWait();
  }

  /** Sends again, within the reinjection budget, what the peer proved lost on its path (once each: it names a seq once). */
  private resendLost(now: number, lost: number[]): void {
    let n = 0;
    for (let i = 0; i < lost.length; i++) {
      const p = this.sent.get(lost[i]);
      if (!p) continue;
      if (p.payload.length > this.budget.available) {
        // not sent again: its RE bytes never reach the peer, so nothing may reference them on trust
        if (p.reToken !== 0) this.re?.onLost(p.reToken);
        continue;
      }
      this.budget.spend(p.payload.length);
      lost[n++] = lost[i];
    }
    lost.length = n;
    if (n === 0) return;
    this.counters.lossResentPackets += n;
    this.requeue(now, lost);
  }

  /**
   * How long the receiver waits for the resend of a packet proven lost: the
   * loss report goes at once on the fastest path and the resend comes back
   * on it, so one of its round trips (our own estimate, which misses the
   * queue data meets on the way here: the reorder buffer's one-way-delay
   * samples add it) plus half again and 10 ms of ack and timer slack.
   */
  private updateRecoverWait(): void {
    if (!this.recoverLosses) return;
    let best: PathState | undefined;
    const ps = this.paths.paths;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      if (p.usable && p.rttMeasured && (best === undefined || p.srttMs < best.srttMs)) best = p;
    }
    if (best === undefined) {
      this.reorder.recoverWaitMs = 0;
      return;
    }
    let inboundQueueMs = 0;
    const delays = this.reorder.holdBound.pathDelays();
    for (let i = 0; i < delays.length; i++) {
      const d = delays[i];
      if (d.pathId === best.id && d.samples > 0) inboundQueueMs = (d.smoothedUs - d.minUs + 2 * d.jitterUs) / 1000;
    }
    this.reorder.recoverWaitMs = 1.5 * (best.srttMs + inboundQueueMs) + 10;
  }

  /**
   * The byte cap of the send queue follows the paths' rate: a fixed 512 KiB is
   * 14 ms at 300 Mbit/s, so a fast path whose rate estimate dips for a moment
   * overflowed it (hundreds of tail drops at once) long before CoDel's 20 ms
   * target could act with a single head drop.
   */
  private sizeQueue(): void {
    let rate = 0;
    const ps = this.paths.paths;
    for (let i = 0; i < ps.length; i++) if (ps[i].usable) rate += ps[i].rateBytesPerMs;
    this.queue.maxBytes = Math.min(MAX_QUEUE_BYTES, Math.max(this.minQueueBytes, rate * QUEUE_MS));
  }

  handleTimeout(now: number): void {
    this.retune(now);
    this.paths.handleTimeout(now);
    this.reorder.handleTimeout(now);
    this.re?.handleTimeout(now);
  }

  // ---- output ----

  /** Next inner packet to write to the TUN, in per-flow order (deliveredGsoSize says whether it is a super-packet). */
  pollDeliver(): Uint8Array | undefined {
    for (;;) {
      let f = this.re?.pollRecovered() ?? this.reorder.pollDeliver();
      // still RE-encoded: it lacked bytes on arrival; a miss now parks it until they come (re-codec.ts)
      while (f && (f.flags & DataFlags.RE_ENCODED) !== 0 && !this.re!.decodeLate(f)) f = this.re!.pollRecovered() ?? this.reorder.pollDeliver();
      if (!f) return undefined;
      let pkt: Uint8Array | undefined = f.payload;
      this.deliveredGsoSize = 0;
      if (this.parkedSupers > 0) {
        // a super-packet RE could decode only later (rare: looked up only while one is parked)
        const g = this.parkedGso.get(f);
        if (g !== undefined) {
          this.parkedGso.delete(f);
          this.parkedSupers--;
          this.deliveredGsoSize = g;
        }
      }
      if ((f.flags & DataFlags.FRAGMENT) !== 0) {
        const r = this.reassembler;
        const whole = r.push(f);
        if (!whole) continue;
        pkt = r.encoded ? this.decodeSuper(f, whole, r.gsoSize) : whole;
        if (!pkt) continue;
        this.deliveredGsoSize = r.gsoSize;
      }
      this.counters.deliveredPackets++;
      this.counters.deliveredBytes += pkt.length;
      return pkt;
    }
  }

  /**
   * An RE-encoded super-packet whose pieces all came, decoded in its flow's
   * order. If it lacks bytes it is parked like any RE packet (re-codec.ts)
   * and comes back out of pollRecovered, its segment size remembered here.
   */
  private decodeSuper(last: DataFrame, body: Uint8Array, gsoSize: number): Uint8Array | undefined {
    const flags = (last.flags & ~(DataFlags.FRAGMENT | DataFlags.FRAGMENT_FIRST | DataFlags.FRAGMENT_LAST)) | DataFlags.RE_ENCODED;
    const frame: DataFrame = { ...last, flags, payload: body };
    if (this.re && this.re.decodeLate(frame)) {
      if (tcpHeaderEnd(frame.payload) > 0) return frame.payload;
    } else if (this.re?.lastMissed) {
      this.parkedGso.set(frame, gsoSize);
      this.parkedSupers++;
      return undefined;
    }
    this.counters.dropReUndecodable++;
    return undefined;
  }

  /** The next frame to send, or undefined when nothing may go now (see pollTimeout). */
  pollTransmit(now: number): Transmit | undefined {
    this.serviceEvents(now);
    const out = this.out;
    const reply = this.probeReplies.shift();
    if (reply) return this.control(reply.pathId, { probeReply: reply });
    const c = this.controls.shift();
    if (c) return this.control(c.pathId, c.frame);
    let reMsg = this.re?.pollControl();
    // A RESEND of a super-packet's bytes can outgrow a datagram: not sent (the receiver gives the packet up and
    // the inner TCP retransmits; the MISS already told the encoder never to reference those bytes again).
    while (reMsg && reMsg.length + RE_FRAME_ROOM > this.maxFrameBytes) {
      this.counters.reControlTooLarge++;
      reMsg = this.re!.pollControl();
    }
    if (reMsg) {
      const pathId = this.fastestPath();
      if (pathId >= 0) return this.control(pathId, { re: { msg: reMsg } });
    }
    if (this.ack.hasLost) {
      // a loss report goes at once on the fastest path: the resend it asks for races the hole's recovery wait
      const pathId = this.fastestPath();
      if (pathId >= 0) return this.control(pathId, { ack: this.ack.buildAck(now) });
    }
    const probe = this.paths.pollProbe(now);
    if (probe) return this.control(probe.pathId, { probe });
    // An ack goes back on the path that owes it, so its echo is that path's RTT sample:
    // riding on a data frame sent there when it fits, otherwise alone (at most one data frame later).
    const ackPath = this.ack.pollAckPath(now);
    if (ackPath < 0 || !this.ackWaited) {
      const head = this.pendingPacket ?? this.queue.peek(now);
      const data = this.nextData(now);
      if (data) {
        const rides = ackPath >= 0 && data.pathId === ackPath && head !== undefined && head.payload.length + ACK_ROOM <= this.maxFrameBytes;
        if (rides) {
          this.dataAckFrame.ack = this.ack.buildAck(now, ackPath);
          out.frame = this.dataAckFrame;
        } else out.frame = this.dataFrame;
        out.pathId = data.pathId;
        this.ackWaited = ackPath >= 0 && !rides;
        return out;
      }
    }
    this.ackWaited = false;
    if (ackPath >= 0) {
      const p = this.paths.get(ackPath);
      const pathId = p && (p.usable || p.suspect) ? ackPath : this.fastestPath();
      if (pathId >= 0) return this.control(pathId, { ack: this.ack.buildAck(now, ackPath) });
    }
    return undefined;
  }

  /** When pollTransmit / handleTimeout next have work, ms (Infinity: only on new input). */
  pollTimeout(now: number): number {
    let t = this.paths.pollTimeout(now);
    const r = this.reorder.pollTimeout();
    if (r !== undefined && r < t) t = r;
    const a = this.ack.pollTimeout();
    if (a !== undefined && a < t) t = a;
    if (this.queue.length > 0 || this.pendingPaths.length > 0) t = Math.min(t, this.waitUntil);
    if (this.re) t = Math.min(t, this.re.hasWork ? now : this.re.pollTimeout()); // RE control to send, recovered packets, parked ones
    return t;
  }

  private control(pathId: number, frame: Frame): Transmit {
    this.out.pathId = pathId;
    this.out.frame = frame;
    return this.out;
  }

  private serviceEvents(now: number): void {
    for (let e = this.paths.pollEvent(); e; e = this.paths.pollEvent()) {
      let t = this.transitions.get(e.pathId);
      if (!t) this.transitions.set(e.pathId, (t = { up: 0, suspect: 0, down: 0 }));
      t[e.kind]++;
      this.onPathEvent?.(e);
      if (e.kind === 'down') {
        this.counters.pathDownEvents++;
        this.requeue(now, e.reinject);
      }
    }
    this.stuck.length = 0;
    if (this.paths.collectStuck(now, this.budget, this.stuck) > 0) this.requeue(now, this.stuck);
  }

  /** Sends again, ahead of new data, the packets caught on a dead or stuck path (skipping acknowledged ones). */
  private requeue(now: number, seqs: readonly number[]): void {
    const again: QueuedPacket[] = [];
    for (let i = 0; i < seqs.length; i++) {
      const p = this.sent.get(seqs[i]);
      if (!p) continue;
      again.push({ seq: p.seq, flow: p.flow, flowPrevSeq: p.flowPrevSeq, flags: p.flags | DataFlags.REINJECTED, payload: p.payload, queuedAt: now, reToken: p.reToken, gso: 0 });
      this.counters.reinjectedPackets++;
      this.counters.reinjectedBytes += p.payload.length;
    }
    this.queue.pushFront(again);
  }

  private nextData(now: number): DataFrame | undefined {
    let q = this.pendingPacket;
    if (!q || this.pendingPaths.length === 0) {
      this.pendingPacket = undefined;
      q = this.queue.peek(now);
      if (!q) return undefined;
      if (q.gso > 0) q = this.cutSuper(now, q);
      const req = this.req;
      req.now = now;
      req.size = q.payload.length;
      req.backlogBytes = this.queue.backlogOf(q.flow);
      req.flow = q.flow;
      // a resend races its hole's recovery wait: it goes where it arrives first, whatever its flow's backlog
      req.urgent = (q.flags & DataFlags.REINJECTED) !== 0;
      this.scheduler.pick(req, this.paths.paths, this.pick);
      if (this.pick.count === 0) {
        this.waitUntil = this.pick.waitUntil;
        return undefined;
      }
      this.waitUntil = Infinity;
      this.queue.shift(now);
      if (q.seq === 0) {
        q.seq = this.nextSeq++;
        q.flowPrevSeq = this.chain.next(q.flow, q.seq);
        if (this.re && (q.flags & DataFlags.FRAGMENT) === 0) this.reEncode(q);
      }
      this.pendingPacket = q;
      this.pendingPaths.length = 0;
      for (let k = 0; k < this.pick.count; k++) this.pendingPaths.push(this.pick.pathIds[k]);
      if (this.pick.count > 1) q.flags |= DataFlags.REDUNDANT;
      if (!this.sent.get(q.seq)) {
        // the queued packet itself is the record (one object per packet); a reinjection needs its own without the flag
        const reinjected = (q.flags & DataFlags.REINJECTED) !== 0;
        this.sent.store(reinjected ? { seq: q.seq, flow: q.flow, flowPrevSeq: q.flowPrevSeq, flags: q.flags & ~DataFlags.REINJECTED, payload: q.payload, reToken: q.reToken } : q);
      }
      this.budget.onSent(q.payload.length);
    }
    const pathId = this.pendingPaths.shift()!;
    const path = this.paths.get(pathId);
    if (!path) return this.nextData(now);
    const d = this.dataOut;
    d.prevSeq = path.prevSeq;
    d.pathSeq = this.paths.onDataSent(now, pathId, q.seq, q.payload.length, (q.flags & DataFlags.REINJECTED) !== 0);
    d.seq = q.seq;
    d.pathId = pathId;
    d.flow = q.flow;
    d.flowPrevSeq = q.flowPrevSeq;
    d.flags = q.flags;
    d.sendTimeUs = Math.round(now * 1000);
    d.payload = q.payload;
    this.counters.txDataPackets++;
    this.counters.txDataBytes += q.payload.length;
    if (this.pendingPaths.length === 0) this.pendingPacket = undefined;
    return d;
  }

  /** RE-encodes a packet leaving the queue (never one the queue dropped: those must not enter the byte cache). */
  private reEncode(q: QueuedPacket): void {
    const enc = this.re!.encode(q.payload, q.flow);
    if (!enc) return;
    q.payload = enc;
    q.flags |= DataFlags.RE_ENCODED;
    q.reToken = this.re!.lastToken;
  }

  /** The usable path with the lowest smoothed RTT (for acks), or -1. */
  private fastestPath(): number {
    let best = -1;
    let bestRtt = Infinity;
    const ps = this.paths.paths;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      if (!(p.usable || p.suspect)) continue;
      const r = p.usable ? p.srttMs : p.srttMs + 1e6;
      if (r < bestRtt) {
        bestRtt = r;
        best = p.id;
      }
    }
    if (best < 0 && ps.length > 0) best = ps[0].id;
    return best;
  }
}
