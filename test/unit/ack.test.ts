import { expect } from 'chai';
import fc from 'fast-check';
import { DataFlags, type DataFrame } from '../../src/core/wire/frames';
import { AckGenerator } from '../../src/core/ack/ack-generator';
import { SeqRanges } from '../../src/core/ack/seq-ranges';

function data(seq: number, pathId: number, pathSeq: number, sendTimeUs: number): DataFrame {
  return { seq, pathId, pathSeq, prevSeq: 0, flow: 1, flags: DataFlags.ORDERED, sendTimeUs, payload: new Uint8Array(10) };
}

describe('ack generation', () => {
  it('acks every 2 data packets of a path', () => {
    const g = new AckGenerator();
    g.onData(0, data(1, 1, 1, 0), 100);
    expect(g.shouldAck(0)).to.equal(false);
    g.onData(1, data(2, 1, 2, 1000), 100);
    expect(g.shouldAck(1)).to.equal(true);
    const ack = g.buildAck(1.5);
    expect(ack.ranges).to.deep.equal([{ start: 1, end: 2 }]);
    expect(ack.paths).to.deep.equal([
      { pathId: 1, highestPathSeq: 2, packets: 2, bytes: 200, echoSendTimeUs: 1000, ackDelayUs: 500, owdUs: 0 },
    ]);
    expect(g.shouldAck(1.5)).to.equal(false);
  });

  it('acks a lone packet 10 ms after it arrived', () => {
    const g = new AckGenerator();
    g.onData(100, data(1, 1, 1, 40_000), 100);
    expect(g.pollTimeout()).to.equal(110);
    expect(g.shouldAck(109.9)).to.equal(false);
    expect(g.shouldAck(110)).to.equal(true);
    const ack = g.buildAck(110);
    expect(ack.paths[0].owdUs).to.equal(60_000);
    expect(ack.paths[0].ackDelayUs).to.equal(10_000);
    expect(g.pollTimeout()).to.equal(undefined);
  });

  it('acks at once when a path skips a sequence number (a loss on that path)', () => {
    const g = new AckGenerator({ everyPackets: 10 });
    g.onData(0, data(1, 1, 1, 0), 100);
    g.onData(0, data(2, 2, 1, 0), 100); // a second path: global seq gaps are normal
    g.onData(0, data(5, 2, 2, 0), 100);
    expect(g.shouldAck(0)).to.equal(false);
    g.onData(1, data(6, 1, 3, 0), 100); // path 1 pathSeq 2 missing
    expect(g.shouldAck(1)).to.equal(true);
    expect(g.pollAckPath(1)).to.equal(1);
    expect(g.pollTimeout()).to.equal(1);
    const ack = g.buildAck(1, 1);
    expect(g.pollAckPath(1)).to.equal(-1); // path 2 owes nothing yet (2 of 10 packets)
    expect(ack.ranges).to.deep.equal([
      { start: 5, end: 6 },
      { start: 1, end: 2 },
    ]);
    expect(ack.paths.map((p) => [p.pathId, p.highestPathSeq])).to.deep.equal([
      [1, 3],
      [2, 2],
    ]);
  });

  it('acks per path: resetting one path leaves the other one due', () => {
    const g = new AckGenerator();
    g.onData(0, data(1, 1, 1, 0), 100);
    g.onData(0, data(2, 2, 1, 0), 100);
    g.onData(0, data(3, 1, 2, 0), 100);
    g.onData(0, data(4, 2, 2, 0), 100);
    expect(g.pollAckPath(0)).to.equal(1);
    g.buildAck(0, 1);
    expect(g.pollAckPath(0)).to.equal(2);
    const ack = g.buildAck(0, 2);
    expect(ack.paths).to.have.length(2);
    expect(g.pollAckPath(0)).to.equal(-1);
    expect(g.pollTimeout()).to.equal(undefined);
  });

  it('finds the ack due at the very time pollTimeout names, for any arrival time (a timer never spins)', () => {
    // 8.33 + 10 - 8.33 is 9.999999999999998 in doubles: a timer at pollTimeout() must still fire the ack
    const g0 = new AckGenerator();
    g0.onData(8.33, data(1, 1, 1, 0), 100);
    expect(g0.pollAckPath(g0.pollTimeout()!)).to.equal(1);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.double({ min: 0.001, max: 100, noNaN: true }), (at, delay) => {
        const g = new AckGenerator({ maxDelayMs: delay });
        g.onData(at, data(1, 1, 1, 0), 100);
        const t = g.pollTimeout()!;
        return t >= at && g.pollAckPath(t) === 1;
      }),
    );
  });

  it('reports a bounded number of ranges, newest first', () => {
    const g = new AckGenerator({ maxRanges: 3 });
    for (let s = 1; s <= 20; s += 2) g.onData(0, data(s, 1, s, 0), 10);
    const ack = g.buildAck(0);
    expect(ack.ranges).to.deep.equal([
      { start: 19, end: 19 },
      { start: 17, end: 17 },
      { start: 15, end: 15 },
    ]);
  });
});

describe('seq ranges', () => {
  it('matches a plain set for any insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 300 }), (xs) => {
        const r = new SeqRanges(1000);
        const set = new Set<number>();
        for (const x of xs) {
          expect(r.add(x)).to.equal(!set.has(x));
          set.add(x);
        }
        const expanded: number[] = [];
        for (const { start, end } of r.newest(1000).reverse()) {
          for (let s = start; s <= end; s++) expanded.push(s);
        }
        expect(expanded).to.deep.equal([...set].sort((a, b) => a - b));
        const ranges = r.newest(1000);
        for (let i = 1; i < ranges.length; i++) expect(ranges[i].end).to.be.below(ranges[i - 1].start - 1);
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('forgets the oldest ranges beyond its cap', () => {
    const r = new SeqRanges(4);
    for (let s = 1; s <= 20; s += 2) r.add(s);
    expect(r.count).to.equal(4);
    expect(r.has(13)).to.equal(true);
    expect(r.has(1)).to.equal(false);
  });
});
