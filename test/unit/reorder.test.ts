import { expect } from 'chai';
import { DataFlags, type DataFrame } from '../../src/core/wire/frames';
import { ReorderBuffer, type ReorderFrame, type ReorderOptions } from '../../src/core/reorder/reorder-buffer';

/**
 * A tiny sender: assigns global seqs, per-path seqs and prevSeq exactly as the
 * data plane does, and (optionally) flowPrevSeq.
 */
class Sender {
  seq = 0;
  private pathSeq = new Map<number, number>();
  private pathPrev = new Map<number, number>();
  private flowPrev = new Map<number, number>();
  constructor(private readonly withFlowPrev: boolean) {}

  send(nowMs: number, pathId: number, flow: number, ordered = true): ReorderFrame {
    const seq = ++this.seq;
    const pathSeq = (this.pathSeq.get(pathId) ?? 0) + 1;
    this.pathSeq.set(pathId, pathSeq);
    const prevSeq = this.pathPrev.get(pathId) ?? 0;
    this.pathPrev.set(pathId, seq);
    const f: ReorderFrame = {
      seq,
      pathId,
      pathSeq,
      prevSeq,
      flow,
      flags: ordered ? DataFlags.ORDERED : 0,
      sendTimeUs: Math.round(nowMs * 1000),
      payload: new Uint8Array(100),
    };
    if (this.withFlowPrev) {
      f.flowPrevSeq = this.flowPrev.get(flow) ?? 0;
      this.flowPrev.set(flow, seq);
    }
    return f;
  }
}

function drain(rb: ReorderBuffer): DataFrame[] {
  const out: DataFrame[] = [];
  for (let f = rb.pollDeliver(); f !== undefined; f = rb.pollDeliver()) out.push(f);
  return out;
}

const seqs = (fs: DataFrame[]): number[] => fs.map((f) => f.seq);

/** Copy a frame as another path's transmission (reinjection / redundancy). */
function copyOn(f: ReorderFrame, pathId: number, pathSeq: number, prevSeq: number, flags: number): ReorderFrame {
  return { ...f, pathId, pathSeq, prevSeq, flags: f.flags | flags };
}

function make(opts: Partial<ReorderOptions> = {}): ReorderBuffer {
  return new ReorderBuffer(opts);
}

for (const withFlowPrev of [true, false]) {
  describe(`reorder buffer (${withFlowPrev ? 'with' : 'without'} flowPrevSeq)`, () => {
    it('delivers one flow in order when two paths with different delays interleave it', () => {
      const rb = make();
      const tx = new Sender(withFlowPrev);
      // Path 1 takes 10 ms, path 2 takes 40 ms; packets alternate paths every ms.
      // Probes have shown both paths' delays before data flows.
      rb.onPathSample(-50, 1, -60_000);
      rb.onPathSample(-50, 2, -90_000);
      const arrivals: Array<[number, ReorderFrame]> = [];
      for (let i = 0; i < 40; i++) {
        const path = (i % 2) + 1;
        const f = tx.send(i, path, 7);
        arrivals.push([i + (path === 1 ? 10 : 40), f]);
      }
      arrivals.sort((a, b) => a[0] - b[0]);
      const got: DataFrame[] = [];
      for (const [t, f] of arrivals) {
        rb.handleTimeout(t);
        rb.push(t, f);
        got.push(...drain(rb));
      }
      rb.handleTimeout(1000);
      got.push(...drain(rb));
      expect(seqs(got)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(rb.counters.releasedByTimeout).to.equal(0);
      expect(rb.heldPackets).to.equal(0);
    });

    it('releases on a proven loss at the next packet of that path, not at the timeout', () => {
      const rb = make();
      const tx = new Sender(withFlowPrev);
      const f1 = tx.send(0, 1, 7); // path 1
      const f2 = tx.send(0, 2, 7); // path 2
      const f3 = tx.send(0, 1, 7); // path 1: lost
      const f4 = tx.send(0, 2, 7); // path 2
      const f5 = tx.send(1, 1, 7); // path 1, prevSeq = 3
      expect(f3.seq).to.equal(3);
      rb.push(10, f1);
      rb.push(10, f2);
      rb.push(10.2, f4);
      expect(seqs(drain(rb))).to.deep.equal([1, 2]);
      expect(rb.pollTimeout()).to.be.greaterThan(10.2);
      rb.push(11, f5); // one packet time later on path 1: seq 3 cannot arrive any more
      expect(seqs(drain(rb))).to.deep.equal([4, 5]);
      expect(rb.counters.lossProven).to.equal(1);
      expect(rb.counters.releasedByLossProof).to.equal(1);
      expect(rb.counters.releasedByTimeout).to.equal(0);
      expect(rb.heldPackets).to.equal(0);
    });

    it('with loss recovery, keeps a proven hole open for its resend and delivers it in order; without it, only until the wait ends', () => {
      for (const resent of [true, false]) {
        const rb = make();
        rb.recoverWaitMs = 25;
        const tx = new Sender(withFlowPrev);
        const f1 = tx.send(0, 1, 7);
        const f2 = tx.send(0, 1, 7); // lost on path 1
        const f3 = tx.send(0, 1, 7); // proves 2 lost at t = 11
        const f4 = tx.send(0, 2, 7);
        rb.push(10, f1);
        rb.push(11, f3);
        rb.push(12, f4);
        expect(seqs(drain(rb))).to.deep.equal([1]);
        expect(rb.counters.lossProven).to.equal(1);
        expect(rb.pollTimeout()).to.equal(36);
        if (resent) {
          rb.handleTimeout(30);
          rb.push(30, copyOn(f2, 2, 2, 4, DataFlags.REINJECTED)); // the sender's resend, on the fast path
          expect(seqs(drain(rb))).to.deep.equal([2, 3, 4]);
          expect(rb.counters.recovered).to.equal(1);
          expect(rb.counters.late).to.equal(0);
        } else {
          rb.handleTimeout(35.9);
          expect(seqs(drain(rb))).to.deep.equal([]);
          rb.handleTimeout(36);
          expect(seqs(drain(rb))).to.deep.equal([3, 4]);
          expect(rb.counters.recoveryExpired).to.equal(1);
          expect(rb.counters.releasedByTimeout).to.equal(0);
        }
        expect(rb.heldPackets).to.equal(0);
      }
    });

    it('proves a burst of losses on one path once the other path has filled the interval', () => {
      const rb = make();
      const tx = new Sender(withFlowPrev);
      const sent: ReorderFrame[] = [];
      for (let i = 0; i < 10; i++) sent.push(tx.send(i * 0.1, (i % 2) + 1, 7)); // odd seqs on path 1, even on path 2
      const bySeq = (s: number): ReorderFrame => sent[s - 1];
      // Path 1 loses 3, 5 and 7 (pathSeq 2..4); 9 arrives first, then the slow path 2.
      rb.push(10, bySeq(1));
      rb.push(10.9, bySeq(9));
      expect(seqs(drain(rb))).to.deep.equal([1]);
      expect(rb.counters.lossProven).to.equal(1); // only 7 is named by prevSeq so far
      rb.push(30, bySeq(2));
      rb.push(30.2, bySeq(4));
      expect(seqs(drain(rb))).to.deep.equal([2]); // 3 is not proven yet: 6 might be it
      rb.push(30.4, bySeq(6)); // now 2..6 can only be missing 3 and 5, both path 1's
      expect(seqs(drain(rb))).to.deep.equal([4, 6]);
      rb.push(30.6, bySeq(8));
      expect(seqs(drain(rb))).to.deep.equal([8, 9]);
      expect(rb.counters.lossProven).to.equal(3);
      expect(rb.counters.releasedByTimeout).to.equal(0);
    });

    it('waits at most the hold bound for a hole it cannot prove lost', () => {
      const rb = make({ minHoldMs: 5, maxHoldMs: 250 });
      const tx = new Sender(withFlowPrev);
      const f1 = tx.send(0, 1, 7);
      tx.send(0, 1, 7); // lost, and nothing follows on path 1
      const f3 = tx.send(0, 2, 7);
      rb.push(10, f1);
      rb.push(10, f3);
      expect(seqs(drain(rb))).to.deep.equal([1]);
      const deadline = rb.pollTimeout() as number;
      expect(deadline).to.be.within(15, 15 + 1e-9); // one path sample each: no skew, no jitter: the 5 ms floor
      rb.handleTimeout(deadline - 0.5);
      expect(drain(rb)).to.have.length(0);
      rb.handleTimeout(deadline);
      expect(seqs(drain(rb))).to.deep.equal([3]);
      expect(rb.counters.releasedByTimeout).to.equal(1);
      expect(rb.pollTimeout()).to.equal(undefined);
    });

    it('delivers a late reinjected copy of a "lost" seq once, and its later copies are duplicates', () => {
      for (const latePolicy of ['deliver', 'drop'] as const) {
        const rb = make({ latePolicy });
        const tx = new Sender(withFlowPrev);
        const f1 = tx.send(0, 1, 7);
        const f2 = tx.send(0, 1, 7); // lost on path 1, reinjected on path 2 later
        const f3 = tx.send(0, 1, 7); // proves 2 lost
        rb.push(10, f1);
        rb.push(11, f3);
        expect(seqs(drain(rb))).to.deep.equal([1, 3]);
        rb.push(30, copyOn(f2, 2, 1, 0, DataFlags.REINJECTED));
        rb.push(31, copyOn(f2, 3, 1, 0, DataFlags.REINJECTED));
        expect(seqs(drain(rb))).to.deep.equal(latePolicy === 'deliver' ? [2] : []);
        expect(rb.counters.late).to.equal(1);
        expect(rb.counters.duplicates).to.equal(1);
      }
    });

    it('records how long delivered packets were held', () => {
      const rb = make();
      const tx = new Sender(withFlowPrev);
      const f1 = tx.send(0, 1, 7);
      const f2 = tx.send(0, 2, 7);
      rb.push(10, f1);
      rb.push(10, tx.send(0, 1, 7)); // seq 3 waits for 2
      rb.push(13, f2);
      expect(seqs(drain(rb))).to.deep.equal([1, 2, 3]);
      const h = rb.holdHistogram;
      expect(h.count).to.equal(3);
      expect(h.sumMs).to.equal(3);
      expect(h.cumulative()[0]).to.equal(2); // two delivered on arrival
      expect(h.cumulative()[3]).to.equal(3); // the third within 5 ms
    });

    it('drops every duplicate copy exactly once and delivers the first', () => {
      const rb = make();
      const tx = new Sender(withFlowPrev);
      const frames = [tx.send(0, 1, 7), tx.send(0, 1, 7), tx.send(0, 1, 7)];
      for (const f of frames) rb.push(5, f);
      let pathSeq = 0;
      let prev = 0;
      for (const f of frames) {
        rb.push(20, copyOn(f, 2, ++pathSeq, prev, DataFlags.REDUNDANT));
        prev = f.seq;
      }
      rb.push(21, copyOn(frames[1], 3, 1, 0, DataFlags.REINJECTED));
      expect(seqs(drain(rb))).to.deep.equal([1, 2, 3]);
      expect(rb.counters.duplicates).to.equal(4);
      expect(rb.counters.delivered).to.equal(3);
    });

    it('passes unordered packets at once even behind a hole', () => {
      const rb = make();
      const tx = new Sender(withFlowPrev);
      const f1 = tx.send(0, 1, 7);
      tx.send(0, 1, 7); // lost
      const u = tx.send(0, 2, 9, false);
      const f4 = tx.send(0, 2, 7);
      rb.push(1, f1);
      rb.push(2, u);
      rb.push(2, f4);
      expect(seqs(drain(rb))).to.deep.equal([1, 3]);
      expect(rb.counters.unordered).to.equal(1);
    });

    it('keeps held bytes under maxBytes by giving up the oldest holes', () => {
      const rb = make({ maxBytes: 1000 });
      const tx = new Sender(withFlowPrev);
      const got: DataFrame[] = [];
      rb.push(0, tx.send(0, 1, 7));
      for (let i = 0; i < 50; i++) {
        tx.send(0, 2, 7); // every other packet lost, never proven (path 2 is silent)
        rb.push(1, tx.send(0, 1, 7)); // path 1 prevSeq chain stays intact
        expect(rb.heldBytes).to.be.at.most(1000);
        got.push(...drain(rb));
      }
      expect(rb.counters.releasedByMemory).to.be.greaterThan(0);
      const s = seqs(got);
      expect(s).to.deep.equal([...s].sort((a, b) => a - b));
    });

    it('adapts the hold bound to the one-way-delay difference of the paths', () => {
      const rb = make();
      const tx = new Sender(withFlowPrev);
      // Path 1: 10 ms, path 2: 70 ms, steady: ΔOWD = 60 ms, no jitter.
      for (let i = 0; i < 200; i++) {
        rb.push(i + 10, tx.send(i, 1, 1, false));
        rb.push(i + 70, tx.send(i, 2, 2, false));
      }
      expect(rb.holdBoundMs(270)).to.be.within(59, 61);
      // A hole that nothing proves is now held for that long, not for the 5 ms floor.
      rb.push(270, tx.send(260, 1, 3)); // ordered flow 3 on path 1
      tx.send(260, 2, 3); // lost on path 2, and path 2 then goes quiet
      const after = tx.send(261, 1, 3);
      rb.push(271, after);
      drain(rb);
      expect(rb.heldPackets).to.equal(1);
      expect(rb.pollTimeout()).to.be.within(271 + 59, 271 + 61);
      rb.handleTimeout(271 + 50);
      expect(drain(rb)).to.have.length(0);
      rb.handleTimeout(rb.pollTimeout() as number);
      expect(seqs(drain(rb))).to.deep.equal([after.seq]);
      const fast = make();
      const tx2 = new Sender(withFlowPrev);
      for (let i = 0; i < 200; i++) {
        fast.push(i + 10, tx2.send(i, 1, 1, false));
        fast.push(i + 12, tx2.send(i, 2, 2, false));
      }
      expect(fast.holdBoundMs(270)).to.equal(5); // 2 ms skew: the 5 ms floor
    });
  });
}

describe('reorder buffer per-flow independence (flowPrevSeq)', () => {
  it('a hole in one flow does not hold another flow', () => {
    const rb = make();
    const tx = new Sender(true);
    const a1 = tx.send(0, 1, 100);
    tx.send(0, 1, 100); // a2 lost, nothing proves it
    const b1 = tx.send(0, 2, 200);
    const b2 = tx.send(0, 2, 200);
    const a3 = tx.send(0, 2, 100);
    rb.push(1, a1);
    rb.push(1, b1);
    rb.push(1, b2);
    rb.push(1, a3);
    expect(seqs(drain(rb))).to.deep.equal([1, 3, 4]);
    rb.handleTimeout(rb.pollTimeout() as number);
    expect(seqs(drain(rb))).to.deep.equal([5]);
  });
});

describe('reorder buffer loss recovery under steady loss', () => {
  it('keeps its recovery queue bounded when losses never stop (every 10th packet of a path lost, 100 000 packets)', () => {
    const rb = new ReorderBuffer();
    rb.recoverWaitMs = 30;
    const tx = new Sender(true);
    const queue = (rb as unknown as { recoverSeqs: number[] }).recoverSeqs;
    let delivered = 0;
    let longest = 0;
    for (let i = 0; i < 100_000; i++) {
      const now = i * 0.1;
      const f = tx.send(now, 1, 7);
      rb.handleTimeout(now + 10);
      if (i % 10 !== 5) rb.push(now + 10, f);
      delivered += drain(rb).length;
      longest = Math.max(longest, queue.length);
    }
    rb.handleTimeout(1e9);
    delivered += drain(rb).length;
    expect(delivered).to.equal(90_000);
    expect(rb.counters.recoveryExpired).to.equal(10_000);
    expect(longest).to.be.below(1000);
  });
});
