import type { VirtualClock } from './clock';
import type { Delivery } from './model-receiver';
import type { Bond } from './scenario';
import { ipv4Packet, packetIndex } from './inner-packets';
import type { TunnelPair } from './tunnel-pair';

/**
 * What carries the flow's segments: the model tunnel (a Bond, with the
 * per-flow reorder buffer modelled here) or the real endpoints of a
 * TunnelPair (their own send queue and reorder buffer).
 */
export interface TcpCarrier {
  readonly clock: VirtualClock;
  /** Bytes waiting in the tunnel's send queue. */
  readonly backlogBytes: number;
  /** Sum of the usable paths' estimated rates, bytes per ms (CoDel's sojourn estimate). */
  readonly rateBytesPerMs: number;
  /** Hands segment `seg` of `size` bytes to the tunnel. */
  send(seg: number, size: number): void;
  /** Set by the TCP model: called for each segment the tunnel delivers, in delivery order. */
  onSegment: (seg: number, now: number) => void;
}

/**
 * A single bulk TCP flow (CUBIC growth, SACK loss recovery, RTO) carried by
 * the model tunnel, with a per-flow reorder buffer at the tunnel's far end
 * (or by the real endpoints of a TunnelPair, see TunnelCarrier):
 *
 *   TCP sender → tunnel queue (drop-tail, `queueLimitBytes`) → ModelSender →
 *   simulated paths → ModelReceiver → reorder (hold `holdMs`) → TCP receiver
 *   → acks back over a fixed `ackDelayMs` pipe.
 *
 * It is a model for judging schedulers and rate control with a real
 * congestion-controlled flow on top, not a TCP implementation: segments are
 * numbered, SACK information is exact, and the reverse direction is ideal.
 */
export interface TcpModelOptions {
  mss?: number;
  flow?: number;
  /** Tunnel send queue limit (TUN txqueue + daemon queue), bytes. Default 512 KB. */
  queueLimitBytes?: number;
  /**
   * What a full tunnel queue does: 'backpressure' (the TCP sender waits, as
   * with TCP small queues on a local device; default) or 'drop' (tail drop).
   */
  queueMode?: 'backpressure' | 'drop' | 'codel';
  /** CoDel target and interval, ms (queueMode 'codel'). Default 5 and 100. */
  codelTargetMs?: number;
  codelIntervalMs?: number;
  /** Reorder hold for a missing tunnel seq (model tunnel only), ms. Default 80. */
  holdMs?: number;
  /** One-way delay of the TCP acks, ms. Default 10. */
  ackDelayMs?: number;
}

const CUBIC_C = 0.4;
const CUBIC_BETA = 0.7;
const DUP_THRESH = 3;
/** Reno-equivalent growth of CUBIC per RTT, segments: 3(1 − β)/(1 + β). */
const RENO_FRIENDLY = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

export class TcpModel {
  readonly mss: number;
  readonly flow: number;
  private readonly queueLimit: number;
  private readonly backpressure: boolean;
  private readonly codel: boolean;
  private readonly codelTarget: number;
  private readonly codelInterval: number;
  private firstAbove = NaN;
  private dropNext = NaN;
  private dropCount = 0;
  codelDrops = 0;
  private readonly ackDelayMs: number;
  private readonly carrier: TcpCarrier;
  // sender
  private una = 0;
  private nxt = 0;
  private cwnd = 10;
  private ssthresh = Infinity;
  private wMax = 0;
  private epochStart = NaN;
  private inRecovery = false;
  private recoverSeq = 0;
  private readonly sacked = new Set<number>();
  private readonly retransmitted = new Set<number>();
  private readonly sentAt = new Map<number, number>();
  private srtt = NaN;
  private rttvar = 0;
  private rtoTimerAt = Infinity;
  private rtoUna = -1;
  private polling = false;
  private highestSacked = -1;
  // receiver
  private rcvNxt = 0;
  private readonly ooo = new Set<number>();
  private unackedSegs = 0;
  // stats
  deliveredBytes = 0;
  tunnelDrops = 0;
  retransmits = 0;
  rtos = 0;
  /** One-way delay from the TCP sender's send to in-order delivery, ms (every 16th segment). */
  readonly appDelays: number[] = [];

  constructor(bondOrCarrier: Bond | TcpCarrier, opts: TcpModelOptions = {}) {
    this.mss = opts.mss ?? 1400;
    this.flow = opts.flow ?? 1;
    this.queueLimit = opts.queueLimitBytes ?? 512 * 1024;
    this.backpressure = (opts.queueMode ?? 'backpressure') !== 'drop';
    this.codel = opts.queueMode === 'codel';
    this.codelTarget = opts.codelTargetMs ?? 5;
    this.codelInterval = opts.codelIntervalMs ?? 100;
    this.ackDelayMs = opts.ackDelayMs ?? 10;
    this.carrier = 'sender' in bondOrCarrier ? new BondCarrier(bondOrCarrier, this.flow, opts.holdMs ?? 80) : bondOrCarrier;
    this.carrier.onSegment = (seg, now) => this.tcpReceive(seg, now);
    this.clock.at(this.clock.now, () => this.trySend());
  }

  private get clock(): VirtualClock {
    return this.carrier.clock;
  }

  // ---------------- sender ----------------
  private trySend(): void {
    const now = this.clock.now;
    for (;;) {
      const inflight = this.nxt - this.una - this.sacked.size;
      if (inflight >= this.cwnd) break;
      const full = this.carrier.backlogBytes + this.mss > this.queueLimit;
      if (full && this.backpressure) {
        this.pollQueue();
        break;
      }
      const seg = this.nextToSend(now);
      if (seg < 0) break;
      if (full || this.codelDrop(now)) {
        this.tunnelDrops++; // tail drop at the tunnel's queue: the segment is lost
      } else {
        this.carrier.send(seg, this.mss);
      }
      this.sentAt.set(seg, now);
      if (seg === this.nxt) this.nxt++;
    }
    this.armRto(now);
  }

  /**
   * CoDel, simplified: the sojourn of a new packet is estimated from the
   * backlog and the paths' rates; above target for an interval, drop, then
   * drop again at interval / sqrt(count) while it stays above.
   */
  private codelDrop(now: number): boolean {
    if (!this.codel) return false;
    const rate = this.carrier.rateBytesPerMs;
    const sojourn = rate > 0 ? this.carrier.backlogBytes / rate : 0;
    if (sojourn < this.codelTarget) {
      this.firstAbove = NaN;
      this.dropCount = 0;
      this.dropNext = NaN;
      return false;
    }
    if (Number.isNaN(this.firstAbove)) {
      this.firstAbove = now + this.codelInterval;
      return false;
    }
    if (now < this.firstAbove) return false;
    if (Number.isNaN(this.dropNext) || now >= this.dropNext) {
      this.dropCount++;
      this.dropNext = now + this.codelInterval / Math.sqrt(this.dropCount);
      this.codelDrops++;
      return true;
    }
    return false;
  }

  /** Waits for room in the tunnel queue (the model has no callback for it: poll every 0.2 ms). */
  private pollQueue(): void {
    if (this.polling) return;
    this.polling = true;
    this.clock.after(0.2, () => {
      this.polling = false;
      this.trySend();
    });
  }

  /** A lost segment first (SACK: DupThresh segments above it were sacked), else new data. */
  private nextToSend(now: number): number {
    if (this.inRecovery || this.sacked.size > 0) {
      const end = Math.min(this.nxt, this.highestSacked - DUP_THRESH + 1, this.una + 4096);
      for (let s = this.una; s < end; s++) {
        // RACK-like: a retransmission unanswered for well over an RTT is lost again
        const again = this.retransmitted.has(s) && now - (this.sentAt.get(s) ?? 0) > 1.5 * (this.srtt || 100) + 10;
        if (!this.sacked.has(s) && (!this.retransmitted.has(s) || again)) {
          this.retransmitted.add(s);
          this.retransmits++;
          return s;
        }
      }
    }
    return this.nxt;
  }

  private onAck(cumAck: number, sacks: readonly number[], echoSeg: number): void {
    const now = this.clock.now;
    const sent = this.sentAt.get(echoSeg);
    if (sent !== undefined && !this.retransmitted.has(echoSeg)) this.rttSample(now - sent);
    let newlyAcked = 0;
    if (cumAck > this.una) {
      for (let s = this.una; s < cumAck; s++) {
        if (!this.sacked.delete(s)) newlyAcked++;
        this.retransmitted.delete(s);
        this.sentAt.delete(s);
      }
      this.una = cumAck;
    }
    for (const s of sacks) {
      if (s >= this.una && !this.sacked.has(s)) {
        this.sacked.add(s);
        newlyAcked++;
        if (s > this.highestSacked) this.highestSacked = s;
      }
    }
    if (this.inRecovery && this.una >= this.recoverSeq) this.inRecovery = false;
    const lossSeen = this.highestSacked - DUP_THRESH >= this.una && !this.sacked.has(this.una);
    if (lossSeen && !this.inRecovery) this.enterRecovery(now);
    else if (!this.inRecovery) this.grow(now, newlyAcked);
    this.trySend();
  }

  private enterRecovery(now: number): void {
    this.inRecovery = true;
    this.recoverSeq = this.nxt;
    this.wMax = this.cwnd;
    this.cwnd = Math.max(2, this.cwnd * CUBIC_BETA);
    this.ssthresh = this.cwnd;
    this.epochStart = NaN;
    void now;
  }

  private grow(now: number, acked: number): void {
    for (let i = 0; i < acked; i++) {
      if (this.cwnd < this.ssthresh) {
        this.cwnd += 1;
        continue;
      }
      if (Number.isNaN(this.epochStart)) {
        this.epochStart = now;
        if (this.wMax < this.cwnd) this.wMax = this.cwnd;
      }
      const t = (now - this.epochStart) / 1000;
      const k = Math.cbrt((this.wMax * (1 - CUBIC_BETA)) / CUBIC_C);
      const target = CUBIC_C * (t - k) ** 3 + this.wMax;
      // never slower than Reno's additive increase (RFC 8312's TCP-friendly region: β 0.7 gives
      // ~0.53 segments per RTT), or a window reset to 2 by an RTO would take minutes to regrow
      const cubic = target > this.cwnd ? (target - this.cwnd) / this.cwnd : 0.01 / this.cwnd;
      this.cwnd += Math.max(cubic, RENO_FRIENDLY / this.cwnd);
    }
  }

  private rttSample(r: number): void {
    if (Number.isNaN(this.srtt)) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar += (Math.abs(this.srtt - r) - this.rttvar) / 4;
      this.srtt += (r - this.srtt) / 8;
    }
  }

  /** The RTO runs from the last forward progress, not from the last send. */
  private armRto(now: number): void {
    if (this.una === this.nxt) return;
    if (this.rtoUna === this.una && this.rtoTimerAt < Infinity) return;
    this.rtoUna = this.una;
    const rto = Number.isNaN(this.srtt) ? 1000 : Math.max(200, this.srtt + 4 * this.rttvar);
    const at = now + rto;
    this.rtoTimerAt = at;
    const una = this.una;
    this.clock.at(at, (t) => {
      if (t !== this.rtoTimerAt) return;
      this.rtoTimerAt = Infinity;
      if (this.una !== una) {
        this.armRto(t);
        return;
      }
      this.rtos++;
      this.wMax = this.cwnd;
      this.ssthresh = Math.max(2, this.cwnd * CUBIC_BETA);
      this.cwnd = 2;
      this.epochStart = NaN;
      this.inRecovery = false;
      this.retransmitted.clear();
      this.sacked.clear();
      this.highestSacked = -1;
      this.nxt = this.una; // go back N
      this.trySend();
    });
  }

  // ---------------- TCP receiver ----------------
  private tcpReceive(seg: number, now: number): void {
    let inOrder = false;
    if (seg === this.rcvNxt) {
      inOrder = true;
      this.rcvNxt++;
      while (this.ooo.delete(this.rcvNxt)) this.rcvNxt++;
      this.deliveredBytes = this.rcvNxt * this.mss;
      const sentAt = this.sentAt.get(seg);
      if ((seg & 15) === 0 && sentAt !== undefined) this.appDelays.push(now - sentAt);
    } else if (seg > this.rcvNxt) {
      this.ooo.add(seg);
    }
    this.unackedSegs++;
    if (!inOrder || this.unackedSegs >= 2 || this.ooo.size > 0) {
      this.unackedSegs = 0;
      const cum = this.rcvNxt;
      const sacks = [...this.ooo];
      this.clock.at(now + this.ackDelayMs, () => this.onAck(cum, sacks, seg));
    }
  }
}

/** The model tunnel (ModelSender → ModelReceiver) plus a per-flow reorder buffer holding a hole up to `holdMs`. */
class BondCarrier implements TcpCarrier {
  onSegment: (seg: number, now: number) => void = () => undefined;
  private readonly segOfSeq = new Map<number, number>();
  private readonly flowSeqs: number[] = [];
  private flowSeqHead = 0;
  private readonly held = new Map<number, Delivery>();
  private holeSince = NaN;

  constructor(private readonly bond: Bond, private readonly flow: number, private readonly holdMs: number) {
    const prev = bond.receiver.onDeliver;
    bond.receiver.onDeliver = (d) => {
      if (d.flow === this.flow) {
        this.held.set(d.seq, d);
        this.release(d.at);
      }
      prev?.(d);
    };
  }

  get clock(): VirtualClock {
    return this.bond.net.clock;
  }

  get backlogBytes(): number {
    return this.bond.sender.backlogBytes;
  }

  get rateBytesPerMs(): number {
    let rate = 0;
    for (const p of this.bond.sender.paths.paths) if (p.usable) rate += p.rateBytesPerMs;
    return rate;
  }

  send(seg: number, size: number): void {
    const seq = this.bond.sender.enqueue(size, this.flow);
    this.segOfSeq.set(seq, seg);
    this.flowSeqs.push(seq);
  }

  private release(now: number): void {
    const seqs = this.flowSeqs;
    while (this.flowSeqHead < seqs.length) {
      const want = seqs[this.flowSeqHead];
      if (this.held.delete(want)) {
        this.flowSeqHead++;
        this.holeSince = NaN;
        this.onSegment(this.segOfSeq.get(want)!, now);
        continue;
      }
      if (this.held.size === 0) return;
      if (Number.isNaN(this.holeSince)) {
        this.holeSince = now;
        this.clock.at(now + this.holdMs, (t) => this.release(t));
        return;
      }
      if (now - this.holeSince < this.holdMs) return;
      this.flowSeqHead++; // give up on the hole
      this.holeSince = NaN;
    }
  }
}

const SERVER = '10.254.0.10';
const EDGE = '10.77.0.2';

/**
 * A download through the real endpoints of a TunnelPair: the gateway's TUN
 * gets one inner TCP/IPv4 packet per segment (index = segment number), the
 * edge's TUN delivers them through the product's send queue, scheduler,
 * paths, loss recovery and reorder buffer. The TCP acks take the model's
 * ideal return pipe.
 */
export class TunnelCarrier implements TcpCarrier {
  onSegment: (seg: number, now: number) => void = () => undefined;

  constructor(private readonly pair: TunnelPair, private readonly sport = 80, private readonly dport = 40000) {
    pair.onDeliver = (side, packet, at) => {
      if (side === 'A') this.onSegment(packetIndex(packet), at);
    };
  }

  get clock(): VirtualClock {
    return this.pair.net.clock;
  }

  get backlogBytes(): number {
    return this.pair.gw.link(0)?.queuedBytes ?? 0;
  }

  get rateBytesPerMs(): number {
    let rate = 0;
    const link = this.pair.gw.link(0);
    if (link) for (const p of link.paths.paths) if (p.usable) rate += p.rateBytesPerMs;
    return rate;
  }

  send(seg: number, size: number): void {
    this.pair.gwSend(ipv4Packet({ src: SERVER, dst: EDGE, sport: this.sport, dport: this.dport, index: seg, size }));
  }
}
