import { expect } from 'chai';
import fc from 'fast-check';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import type { DataFrame, Frame } from '../../src/core/wire/frames';
import { dataFrameOverhead, encodeFrame, frameSize } from '../../src/core/wire/frame-encoder';
import { decodeFrame } from '../../src/core/wire/frame-decoder';
import { MAX_DATA_FRAME_OVERHEAD } from '../../src/core/wire/envelope';

// dist-sess/test/unit -> repo root
const root = protobuf.loadSync(path.join(__dirname, '..', '..', '..', 'proto', 'braid.proto'));
const FrameType = root.lookupType('braid.Frame');

const u53 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200 }), fc.maxSafeNat());
const u32 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff }));
const s52 = fc.oneof(fc.constant(0), fc.integer({ min: -(2 ** 51), max: 2 ** 51 }));
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }));

const dataArb = fc.record({
  seq: u53,
  pathId: u32,
  pathSeq: u53,
  prevSeq: u53,
  flow: u32,
  flags: u32,
  sendTimeUs: u53,
  payload: fc.uint8Array({ maxLength: 1500 }),
  flowPrevGap: u53,
}).map(({ flowPrevGap, ...d }) => {
  // flowPrevSeq travels as the gap seq − flowPrevSeq; only a predecessor below seq has one
  const out: DataFrame = { ...d };
  if (flowPrevGap > 0 && flowPrevGap < d.seq) out.flowPrevSeq = d.seq - flowPrevGap;
  return out;
});
const ackArb = fc.record({
  ranges: fc.array(fc.record({ start: u53, end: u53 }), { maxLength: 5 }),
  paths: fc.array(
    fc.record({
      pathId: u32,
      highestPathSeq: u53,
      packets: u53,
      bytes: u53,
      echoSendTimeUs: u53,
      ackDelayUs: u53,
      owdUs: s52,
    }),
    { maxLength: 4 },
  ),
  lost: fc.array(u53, { maxLength: 6 }),
});
export const frameArb: fc.Arbitrary<Frame> = fc.record(
  {
    data: dataArb,
    ack: ackArb,
    probe: fc.record({ pathId: u32, probeId: u53, sendTimeUs: u53 }),
    probeReply: fc.record({ pathId: u32, probeId: u53, echoSendTimeUs: u53, holdUs: u53 }),
    pathJoin: fc.record({ pathId: u32, name: text }),
    close: fc.record({ reason: text }),
    re: fc.record({ msg: fc.uint8Array({ maxLength: 1500 }) }),
  },
  { requiredKeys: [] },
);

/** Plain, comparable form: byte arrays as number arrays, absent parts removed. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    // an empty repeated field is absent on the wire: protobufjs shows [], we leave it out
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined && !(Array.isArray(x) && x.length === 0 && k === 'lost')) out[k] = plain(x);
    return out;
  }
  return v;
}

/** The object protobufjs sees for a Frame: flowPrevSeq becomes the wire's flowPrevGap. */
function onWire(f: Frame): Record<string, unknown> {
  if (!f.data) return f as Record<string, unknown>;
  const { flowPrevSeq, ...d } = f.data;
  const gap = flowPrevSeq !== undefined && flowPrevSeq > 0 && flowPrevSeq < d.seq ? d.seq - flowPrevSeq : 0;
  return { ...f, data: { ...d, flowPrevGap: gap } };
}

function encode(f: Frame): Uint8Array {
  const buf = new Uint8Array(frameSize(f) + 8);
  const end = encodeFrame(f, buf, 3);
  expect(end).to.equal(3 + frameSize(f));
  return buf.subarray(3, end);
}

function viaProtobufjs(bytes: Uint8Array): unknown {
  const msg = FrameType.decode(bytes);
  return plain(FrameType.toObject(msg, { longs: Number, defaults: true, arrays: true }));
}

describe('wire: Frame codec against protobufjs', () => {
  it('protobufjs decodes the hand-written encoding to the same fields', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        expect(viaProtobufjs(encode(f))).to.deep.equal(plain(onWire(f)));
      }),
      { numRuns: 400 },
    );
  });

  it('produces exactly the bytes protobufjs produces', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        const theirs = FrameType.encode(FrameType.fromObject(onWire(f))).finish();
        expect(Buffer.from(encode(f)).toString('hex')).to.equal(Buffer.from(theirs).toString('hex'));
      }),
      { numRuns: 400 },
    );
  });

  it('decodes protobufjs encodings to the same fields', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        const theirs = FrameType.encode(FrameType.fromObject(onWire(f))).finish();
        const copy = new Uint8Array(theirs.length + 4);
        copy.set(theirs, 2);
        expect(plain(decodeFrame(copy, 2, 2 + theirs.length))).to.deep.equal(plain(f));
      }),
      { numRuns: 400 },
    );
  });

  it('gives the payload as a view into the datagram, not a copy', () => {
    const payload = Uint8Array.of(9, 8, 7);
    const bytes = encode({ data: { seq: 1, pathId: 1, pathSeq: 1, prevSeq: 0, flow: 0, flags: 0, sendTimeUs: 1, payload } });
    const f = decodeFrame(bytes, 0, bytes.length)!;
    expect(f.data!.payload.buffer).to.equal(bytes.buffer);
    expect(Array.from(f.data!.payload)).to.deep.equal([9, 8, 7]);
  });

  it('skips unknown fields so newer peers can add some', () => {
    const writer = protobuf.Writer.create();
    writer.uint32((9 << 3) | 0).uint64(77); // unknown varint field 9
    writer.uint32((6 << 3) | 2).fork().uint32((1 << 3) | 2).string('bye').uint32((15 << 3) | 5).fixed32(1).ldelim();
    const bytes = writer.finish();
    expect(decodeFrame(bytes, 0, bytes.length)).to.deep.equal({ close: { reason: 'bye' } });
  });

  it('never throws on random or truncated input, and returns null for malformed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const f = decodeFrame(bytes, 0, bytes.length);
        expect(f === null || typeof f === 'object').to.equal(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(frameArb, fc.nat(), (f, cut) => {
        const bytes = encode(f);
        if (bytes.length === 0) return;
        const end = cut % bytes.length; // strictly shorter
        const r = decodeFrame(bytes, 0, end);
        // A cut exactly at a top-level field boundary is a valid shorter frame; anything else is null.
        if (r !== null) expect(frameSize(r)).to.equal(end);
      }),
      { numRuns: 500 },
    );
  });

  it('carries an RE control message (MISS or RESEND) in field 7, as a view into the datagram', () => {
    const msg = Uint8Array.of(0x13, 1, 2, 3, 4, 5);
    const bytes = encode({ re: { msg } });
    expect(Array.from(bytes.subarray(0, 4))).to.deep.equal([0x3a, 8, 0x0a, 6]);
    const f = decodeFrame(bytes, 0, bytes.length)!;
    expect(Array.from(f.re!.msg)).to.deep.equal(Array.from(msg));
    expect(f.re!.msg.buffer).to.equal(bytes.buffer);
  });

  it('refuses to write past the end of the buffer', () => {
    const f: Frame = { close: { reason: 'shutting down' } };
    const buf = new Uint8Array(frameSize(f) - 1);
    expect(encodeFrame(f, buf, 0)).to.equal(-1);
    expect(Array.from(buf).every((b) => b === 0)).to.equal(true);
  });

  it('keeps data frame overhead within the documented worst case', () => {
    const big = 2 ** 49 - 1;
    const worst = { seq: big, pathId: 2 ** 21 - 1, pathSeq: big, prevSeq: big, flowPrevSeq: 1, flow: 0xffffffff, flags: 2 ** 21 - 1, sendTimeUs: big, payload: new Uint8Array(65535) };
    expect(dataFrameOverhead(worst)).to.equal(MAX_DATA_FRAME_OVERHEAD);
    const typical = { seq: 123456, pathId: 2, pathSeq: 60000, prevSeq: 123450, flow: 0x9e3779b9, flags: 8, sendTimeUs: 3_600_000_000, payload: new Uint8Array(1400) };
    expect(dataFrameOverhead(typical)).to.be.below(40);
  });
});
