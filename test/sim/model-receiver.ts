import { AckGenerator } from '../../src/core/ack/ack-generator';
import type { DataFrame, Frame } from '../../src/core/wire/frames';
import type { SimNetwork, Side } from './network';
import { SeqRanges } from './seq-ranges';

export interface Delivery {
  seq: number;
  size: number;
  flow: number;
  pathId: number;
  /** Receiver time of the first copy. */
  at: number;
  /** One-way latency of the first copy (sim clocks are shared). */
  latencyMs: number;
}

/**
 * Model of the receiving endpoint: keeps the first copy of each global seq,
 * acks with the product's AckGenerator (each path every 2 datagrams, 10 ms,
 * or at once after a pathSeq gap, on that path, with SACK ranges and every
 * path's receive stats), and answers probes at once.
 */
export class ModelReceiver {
  readonly acks = new AckGenerator({ everyPackets: 2, maxDelayMs: 10, maxRanges: 8, trackedRanges: 256 });
  readonly received = new SeqRanges(256);
  uniquePackets = 0;
  uniqueBytes = 0;
  duplicatePackets = 0;
  /** Every first copy, in arrival order, when `keepDeliveries`. */
  readonly deliveries: Delivery[] = [];
  onDeliver?: (d: Delivery) => void;
  private ackTimerAt = Infinity;

  /** SACK ranges per ack (newest first). */
  get sackRanges(): number {
    return this.acks.options.maxRanges;
  }

  set sackRanges(n: number) {
    this.acks.options.maxRanges = n;
  }

  constructor(
    private readonly net: SimNetwork<Frame>,
    private readonly side: Side = 'B',
    private readonly keepDeliveries = false,
  ) {
    net.onReceive(side, (pathId, frame, now) => this.receive(pathId, frame, now));
  }

  private receive(pathId: number, frame: Frame, now: number): void {
    if (frame.probe) {
      const p = frame.probe;
      const reply: Frame = { probeReply: { pathId: p.pathId, probeId: p.probeId, echoSendTimeUs: p.sendTimeUs, holdUs: 0 } };
      this.net.send(this.side, pathId, reply, 40);
    }
    if (frame.data) this.onData(pathId, frame.data, now);
    this.maybeAck(now);
  }

  private onData(pathId: number, d: DataFrame, now: number): void {
    const size = d.payload.length;
    this.acks.onData(now, d, size);
    if (!this.received.add(d.seq)) {
      this.duplicatePackets++;
      return;
    }
    this.uniquePackets++;
    this.uniqueBytes += size;
    if (this.keepDeliveries || this.onDeliver) {
      const delivery: Delivery = { seq: d.seq, size, flow: d.flow, pathId, at: now, latencyMs: now - d.sendTimeUs / 1000 };
      if (this.keepDeliveries) this.deliveries.push(delivery);
      this.onDeliver?.(delivery);
    }
  }

  private maybeAck(now: number): void {
    for (let path = this.acks.pollAckPath(now); path >= 0; path = this.acks.pollAckPath(now)) {
      const ack = this.acks.buildAck(now, path);
      this.net.send(this.side, path, { ack }, 60 + 8 * ack.ranges.length + 24 * ack.paths.length);
    }
    const next = this.acks.pollTimeout() ?? Infinity;
    if (next < this.ackTimerAt) {
      // a superseded timer finds ackTimerAt changed and does nothing
      this.ackTimerAt = next;
      this.net.clock.at(next, (t) => {
        if (t !== this.ackTimerAt) return;
        this.ackTimerAt = Infinity;
        this.maybeAck(t);
      });
    }
  }
}
