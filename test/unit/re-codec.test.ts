import { expect } from 'chai';
import { SeededRandom } from '../../src/core/random';
import { ReCodec } from '../../src/core/link/re-codec';
import { DataFlags, type DataFrame } from '../../src/core/wire/frames';

const MiB = 1 << 20;

/** An IPv4 TCP packet (20 + 20 bytes of headers) carrying `payload`. */
function tcp(payload: Uint8Array, seq: number): Uint8Array {
  const p = new Uint8Array(40 + payload.length);
  p[0] = 0x45;
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  p[9] = 6;
  p[32] = 0x50; // data offset 5 words
  new DataView(p.buffer).setUint32(24, seq);
  p.set(payload, 40);
  return p;
}

function text(seed: number, n: number): Uint8Array {
  const rnd = new SeededRandom(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 32 + rnd.int(90);
  return b;
}

function frame(payload: Uint8Array, seq: number): DataFrame {
  return { seq, pathId: 0, pathSeq: seq, prevSeq: seq - 1, flow: 7, flags: DataFlags.RE_ENCODED | DataFlags.ORDERED, sendTimeUs: 0, payload };
}

/**
 * Sender A sends packet 1 (lost, 1200 bytes) and packet 2, which repeats
 * 1100 of them and so, with gating 'flow', is one reference to packet 1.
 */
function lostSource(): { a: ReCodec; b: ReCodec; sent2: Uint8Array; f2: DataFrame } {
  const a = new ReCodec({ cacheBytes: 4 * MiB });
  const b = new ReCodec({ cacheBytes: 4 * MiB, missRetryMs: 100 });
  const body = text(1, 1200);
  const p1 = tcp(body, 1);
  const sent2 = tcp(body.subarray(100), 2);
  expect(a.encode(p1, 7)).to.not.equal(null); // lost on the way
  const e2 = a.encode(sent2, 7)!;
  expect(e2.length).to.be.below(80); // headers and one reference
  return { a, b, sent2, f2: frame(e2, 2) };
}

describe('RE in the data plane: a packet whose source was lost (ReCodec)', () => {
  it('stays encoded on arrival, misses again at delivery, and is delivered byte-exact once the lost source is resent', () => {
    const { a, b, sent2, f2 } = lostSource();
    expect(b.decode(f2.payload, 7, 0)).to.equal(null);
    expect(b.lastMissed).to.equal(true); // not malformed: keep it encoded
    expect(b.decodeLate(f2)).to.equal(false);
    expect(b.misses).to.equal(1);
    const miss = b.pollControl()!;
    expect(miss[0]).to.equal(0x13);
    a.onControl(miss);
    const resend = a.pollControl()!;
    expect(resend[0]).to.equal(0x12);
    expect(resend.length).to.equal(1200 + 5); // the lost packet's payload, not the missed one (1100)
    b.onControl(resend);
    const got = b.pollRecovered()!;
    expect(got).to.equal(f2);
    expect(Buffer.compare(Buffer.from(got.payload), Buffer.from(sent2))).to.equal(0);
    expect(got.flags & DataFlags.RE_ENCODED).to.equal(0);
    expect(b.recovered).to.equal(1);
    expect(b.parkedPackets).to.equal(0);
  });

  it('asks for the packet itself when the source does not come, then delivers it from that RESEND', () => {
    const { a, b, sent2, f2 } = lostSource();
    b.decode(f2.payload, 7, 0);
    b.decodeLate(f2);
    b.pollControl(); // the first MISS is lost
    expect(b.pollTimeout()).to.equal(100);
    b.handleTimeout(99);
    expect(b.pollControl()).to.equal(undefined);
    b.handleTimeout(100);
    const retry = b.pollControl()!;
    a.onControl(retry);
    const resend = a.pollControl()!;
    expect(resend.length).to.equal(1100 + 5); // the missed packet's own payload
    b.onControl(resend);
    const got = b.pollRecovered()!;
    expect(Buffer.compare(Buffer.from(got.payload), Buffer.from(sent2))).to.equal(0);
  });

  it('gives a parked packet up after the retry went unanswered, and keeps nothing', () => {
    const { b, f2 } = lostSource();
    b.decode(f2.payload, 7, 0);
    b.decodeLate(f2);
    b.handleTimeout(100);
    b.handleTimeout(200);
    expect(b.givenUp).to.equal(1);
    expect(b.parkedPackets).to.equal(0);
    expect(b.pollTimeout()).to.equal(Infinity);
    expect(b.pollRecovered()).to.equal(undefined);
  });

  it('delivers parked packets when their source arrives late, without any RESEND', () => {
    const a = new ReCodec({ cacheBytes: 4 * MiB });
    const b = new ReCodec({ cacheBytes: 4 * MiB });
    const body = text(2, 1200);
    const e1 = a.encode(tcp(body, 1), 7)!;
    const sent2 = tcp(body, 2);
    const f2 = frame(a.encode(sent2, 7)!, 2);
    b.decode(f2.payload, 7, 0);
    b.decodeLate(f2); // its flow moved on without packet 1 (given up by the reorder buffer)
    expect(b.decode(e1, 7, 5)).to.not.equal(null); // packet 1 arrives after all
    const got = b.pollRecovered()!;
    expect(Buffer.compare(Buffer.from(got.payload), Buffer.from(sent2))).to.equal(0);
  });
});
