import { ReceiveTracker } from '../../src/core/path/receive-tracker';
import type { DataFrame, Frame, PathReceiveStats } from '../../src/core/wire/frames';
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
 * acks each path every 2 datagrams or 10 ms (on that path, with SACK ranges
 * and every path's receive stats), and answers probes at once.
 */
export class ModelReceiver {
  readonly tracker = new ReceiveTracker(2, 10);
  readonly received = new SeqRanges(256);
  uniquePackets = 0;
  uniqueBytes = 0;
  duplicatePackets = 0;
  /** Every first copy, in arrival order, when `keepDeliveries`. */
  readonly deliveries: Delivery[] = [];
  onDeliver?: (d: Delivery) => void;
  private ackTimerAt = Infinity;
  private readonly stats: PathReceiveStats[] = [];
  /** SACK ranges per ack (newest first). */
  sackRanges = 8;

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
    this.tracker.onData(now, d.pathId, d.pathSeq, d.sendTimeUs, size);
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
    for (let path = this.tracker.pollAckPath(now); path >= 0; path = this.tracker.pollAckPath(now)) {
      const paths = this.tracker.fillStats(now, path, this.stats).slice();
      const ack: Frame = { ack: { ranges: this.received.newest(this.sackRanges), paths } };
      this.net.send(this.side, path, ack, 60 + 8 * ack.ack!.ranges.length + 24 * paths.length);
    }
    const next = this.tracker.nextAckTime();
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
