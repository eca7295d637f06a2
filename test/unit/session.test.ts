import { expect } from 'chai';
import { SessionPair, dataFrame } from './session-pair';

describe('session: handshake and data', () => {
  it('completes a Noise IK handshake in one round trip and carries frames both ways', () => {
    const pair = new SessionPair(1);
    const init = pair.a.connect(pair.now, 0);
    expect(init).to.have.length(1);
    const r1 = pair.b.handleDatagram(pair.now, init[0].slice());
    expect(r1.kind).to.equal('send');
    if (r1.kind !== 'send') return;
    const r2 = pair.a.handleDatagram(pair.now, r1.datagrams[0].slice());
    expect(r2.kind).to.equal('established');
    if (r2.kind !== 'established') return;
    // a can send at once; b only after a's key confirmation arrives
    expect(pair.a.sealFrame(pair.now, 0, dataFrame(1, Uint8Array.of(1)))).to.not.equal(null);
    expect(pair.b.sealFrame(pair.now, 0, dataFrame(1, Uint8Array.of(1)))).to.equal(null);
    const r3 = pair.b.handleDatagram(pair.now, r2.datagrams[0].slice());
    expect(r3).to.deep.equal({ kind: 'frame', peer: 0, frame: {} });
    expect(pair.a.sessionInfo(0, pair.now).established).to.equal(true);
    expect(pair.b.sessionInfo(0, pair.now).established).to.equal(true);

    const payload = new Uint8Array(1400).map((_, i) => i & 0xff);
    for (let i = 1; i <= 10; i++) {
      pair.deliver('b', pair.a.sealFrame(pair.now, 0, dataFrame(i, payload))!);
      pair.deliver('a', pair.b.sealFrame(pair.now, 0, dataFrame(100 + i, payload.subarray(0, i)))!);
    }
    const toB = pair.delivered.filter((d) => d.to === 'b' && d.frame.data);
    const toA = pair.delivered.filter((d) => d.to === 'a' && d.frame.data);
    expect(toB.map((d) => d.frame.data!.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(toA.map((d) => d.frame.data!.seq)).to.deep.equal([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
    expect(Buffer.from(toB[9].frame.data!.payload).equals(Buffer.from(payload))).to.equal(true);
    expect(toA[4].frame.data!.payload).to.deep.equal(payload.subarray(0, 5));
    expect(pair.a.counters.drops).to.satisfy((d: Record<string, number>) => Object.values(d).every((n) => n === 0));
  });
});
