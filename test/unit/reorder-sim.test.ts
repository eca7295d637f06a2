import { expect } from 'chai';
import { AckGenerator } from '../../src/core/ack/ack-generator';
import { ReorderBuffer, type ReorderFrame } from '../../src/core/reorder/reorder-buffer';
import { DataFlags, type DataFrame, type Frame } from '../../src/core/wire/frames';
import { ModelSender } from '../../test/sim/model-sender';
import { SimNetwork, type PathProfile } from '../../test/sim/network';

/**
 * The receiver this helper builds (AckGenerator + ReorderBuffer) behind the
 * simulator's model sender: real schedulers, real per-path delays, jitter and
 * loss. Every data frame is treated as ORDERED; the sender side is wrapped to
 * add flowPrevSeq (as the proposed wire field would).
 */
class Receiver {
  readonly acks = new AckGenerator();
  readonly rb = new ReorderBuffer();
  readonly delivered: DataFrame[] = [];
  readonly deliveredAt: number[] = [];
  private timerAt = Infinity;

  constructor(private readonly net: SimNetwork<Frame>) {
    net.onReceive('B', (pathId, frame, now) => this.receive(pathId, frame, now));
  }

  private receive(pathId: number, frame: Frame, now: number): void {
    if (frame.probe) {
      const p = frame.probe;
      this.rb.onPathSample(now, pathId, p.sendTimeUs);
      this.net.send('B', pathId, { probeReply: { pathId: p.pathId, probeId: p.probeId, echoSendTimeUs: p.sendTimeUs, holdUs: 0 } }, 40);
    }
    if (frame.data) {
      const d = frame.data;
      this.acks.onData(now, d, d.payload.length);
      this.rb.push(now, { ...d, flags: d.flags | DataFlags.ORDERED });
    }
    this.service(now);
  }

  private service(now: number): void {
    this.rb.handleTimeout(now);
    for (let f = this.rb.pollDeliver(); f !== undefined; f = this.rb.pollDeliver()) {
      this.delivered.push(f);
      this.deliveredAt.push(now);
    }
    for (let p = this.acks.pollAckPath(now); p >= 0; p = this.acks.pollAckPath(now)) {
      const ack = this.acks.buildAck(now, p);
      this.net.send('B', p, { ack }, 60 + 8 * ack.ranges.length + 24 * ack.paths.length);
    }
    let next = Math.min(this.rb.pollTimeout() ?? Infinity, this.acks.pollTimeout() ?? Infinity);
    if (next <= now) next = now + 0.001; // never spin at one instant
    if (next < this.timerAt || this.timerAt <= now) {
      this.timerAt = next;
      if (next < Infinity) {
        this.net.clock.at(next, (t) => {
          if (t === this.timerAt) this.service(t);
        });
      }
    }
  }
}

/** Adds flowPrevSeq to the sender's data frames (one chain per flow; copies keep their original's). */
function addFlowPrevSeq(net: SimNetwork<Frame>): void {
  const last = new Map<number, number>();
  const prevOf = new Map<number, number>();
  const send = net.send.bind(net);
  net.send = (from, pathId, datagram, size): void => {
    const d = datagram.data;
    if (from === 'A' && d !== undefined) {
      let prev = prevOf.get(d.seq);
      if (prev === undefined) {
        prev = last.get(d.flow) ?? 0;
        last.set(d.flow, d.seq);
        prevOf.set(d.seq, prev);
      }
      datagram = { ...datagram, data: { ...d, flowPrevSeq: prev } as ReorderFrame };
    }
    send(from, pathId, datagram, size);
  };
}

function runBond(paths: PathProfile[], withFlowPrev: boolean, seconds: number): { rx: Receiver; sender: ModelSender; net: SimNetwork<Frame> } {
  const net = new SimNetwork<Frame>(paths, { seed: 3 });
  if (withFlowPrev) addFlowPrevSeq(net);
  const rx = new Receiver(net);
  const sender = new ModelSender(net, { paths: net.pathIds.map((id) => ({ id })), saturateBytes: 128 * 1024 });
  // a small second flow: one packet every 5 ms
  for (let t = 0; t < seconds * 1000; t += 5) net.clock.at(t, () => sender.enqueue(200, 2));
  net.clock.runUntil(seconds * 1000);
  return { rx, sender, net };
}

/** Deliveries that went backwards within their flow. */
function inversions(fs: readonly DataFrame[]): number {
  const last = new Map<number, number>();
  let n = 0;
  for (const f of fs) {
    if (f.seq < (last.get(f.flow) ?? 0)) n++;
    else last.set(f.flow, f.seq);
  }
  return n;
}

const FAST: PathProfile = { ab: { rateMbit: 40, delayMs: 10, queueBytes: 200_000 } };
const SLOW: PathProfile = { ab: { rateMbit: 20, delayMs: 30, queueBytes: 300_000 } };
const SLOW_LOSSY: PathProfile = { ab: { rateMbit: 20, delayMs: 30, jitterMs: 5, loss: 0.01, queueBytes: 300_000 } };

describe('reorder buffer behind the simulated bond', () => {
  for (const withFlowPrev of [true, false]) {
    it(`puts a bulk flow back in order over 10 ms + 30 ms paths (${withFlowPrev ? 'with' : 'without'} flowPrevSeq)`, () => {
      const { rx, sender } = runBond([FAST, SLOW], withFlowPrev, 3);
      const c = rx.rb.counters;
      expect(sender.sentOn.get(0)).to.be.greaterThan(1000);
      expect(sender.sentOn.get(1)).to.be.greaterThan(1000);
      expect(c.delivered).to.be.greaterThan(5000);
      // Only packets that came after their hole was given up go backwards, and
      // those are rare: queues filling at startup outrun the delay estimate a
      // couple of times before the late-arrival feedback widens the bound.
      expect(inversions(rx.delivered)).to.equal(c.lateOutOfOrder);
      expect(c.lateOutOfOrder).to.be.at.most(3);
      expect(c.releasedByTimeout, 'no loss: (almost) nothing times out').to.be.at.most(3);
      // The hold bound tracks the paths' delay spread (20 ms + queueing), well under the 250 ms cap.
      expect(rx.rb.holdBoundMs()).to.be.within(5, 150);
    });

    it(`releases holes on a lossy path by proof, not by timeout (${withFlowPrev ? 'with' : 'without'} flowPrevSeq)`, () => {
      const { rx } = runBond([FAST, SLOW_LOSSY], withFlowPrev, 3);
      const c = rx.rb.counters;
      expect(c.lossProven).to.be.greaterThan(10);
      expect(inversions(rx.delivered)).to.equal(c.lateOutOfOrder);
      expect(c.lateOutOfOrder).to.be.at.most(3);
      // Proofs resolve almost every hole; the few timeouts are tail losses (nothing after them on the path).
      expect(c.releasedByTimeout).to.be.at.most(Math.max(2, c.lossProven / 10));
      expect(c.duplicates + c.delivered + c.lateDropped + c.tooOld + rx.rb.heldPackets).to.equal(c.received);
    });
  }
});
