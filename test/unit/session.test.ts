import { expect } from 'chai';
import { SessionPair, Side, dataFrame } from './session-pair';
import { SeededRandom } from '../../src/core/random';
import { REPLAY_WINDOW } from '../../src/core/session';

function noDrops(pair: SessionPair): void {
  for (const side of ['a', 'b'] as const) {
    const bad = Object.entries(pair.ep(side).counters.drops).filter(([, n]) => n > 0);
    expect(bad, `drops at ${side}`).to.deep.equal([]);
  }
}

/** Both sides send one data frame per tick; returns what each side sealed (by seq). */
function continuousTraffic(pair: SessionPair): { sent: Record<Side, number[]>; refused: number } {
  const sent: Record<Side, number[]> = { a: [], b: [] };
  const stats = { sent, refused: 0 };
  let seq = 0;
  const payload = new Uint8Array(200).fill(0xab);
  pair.onTick = () => {
    for (const side of ['a', 'b'] as const) {
      const to: Side = side === 'a' ? 'b' : 'a';
      const d = pair.ep(side).sealFrame(pair.now, 0, dataFrame(++seq, payload));
      if (d === null) stats.refused++;
      else {
        sent[side].push(seq);
        pair.send(to, d);
      }
    }
  };
  return stats;
}

function receivedSeqs(pair: SessionPair, to: Side): number[] {
  return pair.delivered.filter((d) => d.to === to && d.frame.data).map((d) => d.frame.data!.seq);
}

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
      pair.receive('b', pair.a.sealFrame(pair.now, 0, dataFrame(i, payload))!);
      pair.receive('a', pair.b.sealFrame(pair.now, 0, dataFrame(100 + i, payload.subarray(0, i)))!);
    }
    expect(receivedSeqs(pair, 'b')).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(receivedSeqs(pair, 'a')).to.deep.equal([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
    const last = pair.delivered.filter((d) => d.to === 'b').pop()!;
    expect(Buffer.from(last.frame.data!.payload).equals(Buffer.from(payload))).to.equal(true);
    noDrops(pair);
  });

  it('seals into a caller buffer at an offset, the same bytes the peer opens', () => {
    const pair = new SessionPair(2);
    pair.handshake();
    const out = new Uint8Array(2048);
    const n = pair.a.sealFrameInto(pair.now, 0, dataFrame(5, Uint8Array.of(1, 2, 3)), out, 100);
    expect(n).to.be.greaterThan(0);
    const r = pair.receive('b', out.subarray(100, 100 + n));
    expect(r.kind === 'frame' && Array.from(r.frame.data!.payload)).to.deep.equal([1, 2, 3]);
    expect(pair.a.sealFrameInto(pair.now, 0, dataFrame(6, new Uint8Array(100)), new Uint8Array(60))).to.equal(-1);
  });

  it('has no session to seal with before connecting, and an initiator keeps retrying with growing gaps', () => {
    const pair = new SessionPair(3, { timing: { handshakeRetryMs: 1000, handshakeRetryMaxMs: 8000 } });
    expect(pair.a.sealFrame(pair.now, 0, {})).to.equal(null);
    const first = pair.a.connect(pair.now, 0); // lost: b never sees it
    expect(first).to.have.length(1);
    const sentAt: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t = pair.a.pollTimeout()!;
      pair.now = t;
      const out = pair.a.handleTimeout(t);
      expect(out).to.have.length(1);
      sentAt.push(t);
    }
    const gaps = sentAt.slice(1).map((t, i) => t - sentAt[i]);
    expect(gaps[0]).to.be.within(2000, 2500); // second retry: 2 s + up to 25 % jitter
    expect(gaps[1]).to.be.within(4000, 5000);
    expect(gaps[4]).to.be.within(8000, 10000); // capped
    expect(pair.a.counters.initiationRetries).to.equal(6);
    // when the peer finally answers, the session comes up
    const last = pair.a.connect(pair.now, 0)[0];
    pair.receive('b', last);
    pair.run(pair.now + 1);
    expect(pair.a.sessionInfo(0, pair.now).established).to.equal(true);
    expect(pair.b.sessionInfo(0, pair.now).established).to.equal(true);
  });
});

describe('session: disconnect', () => {
  it('forgets the keys: nothing seals, old datagrams are unknown, no timers remain', () => {
    const pair = new SessionPair(12);
    pair.handshake();
    const inFlight = pair.b.sealFrame(pair.now, 0, dataFrame(1, Uint8Array.of(1)))!;
    pair.a.disconnect(0);
    expect(pair.a.sealFrame(pair.now, 0, {})).to.equal(null);
    expect(pair.a.handleDatagram(pair.now, inFlight)).to.deep.equal({ kind: 'drop', reason: 'unknown_index' });
    expect(pair.a.pollTimeout()).to.equal(undefined);
    expect(pair.a.sessionInfo(0, pair.now).established).to.equal(false);
  });
});

describe('session: rekey', () => {
  it('rekeys by time under continuous reordered traffic with zero loss', () => {
    const pair = new SessionPair(4, { timing: { rekeyAfterMs: 2000, rejectAfterMs: 3000 } });
    pair.latencyMs = 20;
    pair.jitterMs = 30; // reorders
    pair.handshake();
    const traffic = continuousTraffic(pair);
    pair.run(pair.now + 10_000, 5);
    pair.onTick = null;
    pair.run(pair.now + 200); // drain
    expect(traffic.refused).to.equal(0);
    expect(receivedSeqs(pair, 'b').sort((x, y) => x - y)).to.deep.equal(traffic.sent.a);
    expect(receivedSeqs(pair, 'a').sort((x, y) => x - y)).to.deep.equal(traffic.sent.b);
    expect(traffic.sent.a.length).to.be.greaterThan(1900);
    expect(pair.a.counters.rekeys).to.be.at.least(4);
    expect(pair.b.counters.rekeys).to.be.at.least(4);
    noDrops(pair);
  });

  it('rekeys by message count under continuous traffic with zero loss', () => {
    const pair = new SessionPair(5, { timing: { rekeyAfterMessages: 300, rejectAfterMessages: 600 } });
    pair.latencyMs = 10;
    pair.jitterMs = 10;
    pair.handshake();
    const traffic = continuousTraffic(pair);
    pair.run(pair.now + 6_000, 2);
    pair.onTick = null;
    pair.run(pair.now + 100);
    expect(traffic.refused).to.equal(0);
    expect(receivedSeqs(pair, 'b').sort((x, y) => x - y)).to.deep.equal(traffic.sent.a);
    expect(receivedSeqs(pair, 'a').sort((x, y) => x - y)).to.deep.equal(traffic.sent.b);
    expect(pair.a.counters.rekeys + pair.b.counters.rekeys).to.be.at.least(8);
    noDrops(pair);
  });

  it('expires sessions nobody can rekey; the side that connected retries until the peer is back', () => {
    const pair = new SessionPair(6, {
      timing: { rekeyAfterMs: 1000, rejectAfterMs: 1500, rekeyAttemptMs: 2000, responderRekeyDelayMs: 200 },
    });
    pair.handshake();
    pair.blackhole = true;
    pair.run(pair.now + 1600);
    for (const side of ['a', 'b'] as const) {
      expect(pair.ep(side).sealFrame(pair.now, 0, {}), side).to.equal(null);
      expect(pair.ep(side).sessionInfo(0, pair.now).established, side).to.equal(false);
    }
    pair.run(pair.now + 20_000);
    // b never called connect: its own rekey attempt gave up; a keeps trying with backoff
    expect(pair.b.counters.handshakeTimeouts).to.equal(1);
    expect(pair.b.sessionInfo(0, pair.now).handshakeInProgress).to.equal(false);
    expect(pair.a.sessionInfo(0, pair.now).handshakeInProgress).to.equal(true);
    expect(pair.a.counters.initiationRetries).to.be.within(3, 8);
    pair.blackhole = false;
    pair.run(pair.now + 40_000);
    expect(pair.a.sessionInfo(0, pair.now).established).to.equal(true);
    expect(pair.b.sessionInfo(0, pair.now).established).to.equal(true);
  });
});

describe('session: a peer that restarts', () => {
  it('is noticed by silence after sending, and a new handshake brings the session back', () => {
    const pair = new SessionPair(10, { timing: { staleAfterMs: 15_000 } });
    pair.latencyMs = 10;
    pair.handshake();
    let seq = 0;
    pair.onTick = () => {
      // a sends every 100 ms; b answers only what it receives (like acks)
      const d = pair.a.sealFrame(pair.now, 0, dataFrame(++seq, Uint8Array.of(1)));
      if (d) pair.send('b', d);
    };
    const real = pair.receive.bind(pair);
    pair.receive = (to, d) => {
      const r = real(to, d);
      if (to === 'b' && r.kind === 'frame' && r.frame.data) {
        const back = pair.b.sealFrame(pair.now, 0, { probe: { pathId: 1, probeId: r.frame.data.seq, sendTimeUs: 0 } });
        if (back) pair.send('a', back);
      }
      return r;
    };
    pair.run(pair.now + 1000, 100);
    pair.restart('b', 99); // b forgets the session: a's datagrams now hit an unknown index
    const restartAt = pair.now;
    pair.run(pair.now + 20_000, 100);
    expect(pair.b.counters.drops.unknown_index).to.be.within(140, 170); // ~15 s of a's datagrams
    expect(pair.a.counters.rekeys).to.equal(1);
    expect(pair.a.sessionInfo(0, pair.now).lastHandshakeAgoMs).to.be.within(20_000 - (15_000 + 300) - 200, 20_000 - 15_000);
    const fromA = pair.delivered.filter((x) => x.to === 'b' && x.at > restartAt + 16_000 && x.frame.data);
    expect(fromA.length).to.be.within(35, 45); // flowing again
  });
});

describe('session: replay and reordering', () => {
  it('rejects a replay of every earlier datagram, handshakes included', () => {
    const pair = new SessionPair(7);
    pair.latencyMs = 5;
    pair.handshake();
    for (let i = 1; i <= 50; i++) {
      pair.send('b', pair.a.sealFrame(pair.now, 0, dataFrame(i, Uint8Array.of(i)))!);
      pair.send('a', pair.b.sealFrame(pair.now, 0, dataFrame(i, Uint8Array.of(i)))!);
      pair.run(pair.now + 1);
    }
    pair.run(pair.now + 10);
    const before = pair.delivered.length;
    const history = pair.wire.slice();
    const drops: string[] = [];
    for (const m of history) {
      const r = pair.ep(m.to).handleDatagram(pair.now, m.datagram.slice());
      expect(r.kind).to.equal('drop');
      if (r.kind === 'drop') drops.push(r.reason);
    }
    expect(pair.delivered.length).to.equal(before);
    const count = (reason: string) => drops.filter((d) => d === reason).length;
    expect(count('replayed')).to.equal(history.length - 2); // every transport datagram
    expect(count('handshake_replayed')).to.equal(1); // the initiation
    expect(count('unknown_index')).to.equal(1); // the response: its handshake is finished
    expect(pair.b.counters.drops.replayed + pair.a.counters.drops.replayed).to.equal(history.length - 2);
  });

  it('accepts reordered datagrams inside the window exactly once', () => {
    const pair = new SessionPair(8);
    pair.handshake();
    const sealed: Uint8Array[] = [];
    for (let i = 1; i <= 2000; i++) sealed.push(pair.a.sealFrame(pair.now, 0, dataFrame(i, Uint8Array.of(i & 0xff)))!);
    const rng = new SeededRandom(8);
    const order = [...sealed, ...sealed].map((d) => ({ d, k: rng.next() })).sort((x, y) => x.k - y.k);
    for (const { d } of order) pair.receive('b', d);
    const got = receivedSeqs(pair, 'b');
    expect(got).to.have.length(2000);
    expect(new Set(got).size).to.equal(2000);
    expect(pair.b.counters.drops.replayed).to.equal(2000);
  });

  it(`accepts a datagram ${REPLAY_WINDOW - 1} behind the newest and rejects one beyond the window`, () => {
    const pair = new SessionPair(9);
    pair.handshake();
    const first = pair.a.sealFrame(pair.now, 0, dataFrame(1, new Uint8Array(0)))!;
    const second = pair.a.sealFrame(pair.now, 0, dataFrame(2, new Uint8Array(0)))!;
    for (let i = 0; i < REPLAY_WINDOW - 2; i++) pair.a.sealFrame(pair.now, 0, {});
    const newest = pair.a.sealFrame(pair.now, 0, dataFrame(3, new Uint8Array(0)))!; // counter: window + 1 (counter 0 was the confirmation)
    expect(pair.receive('b', newest).kind).to.equal('frame');
    expect(pair.receive('b', second).kind).to.equal('frame'); // REPLAY_WINDOW - 1 behind
    expect(pair.receive('b', first)).to.deep.equal({ kind: 'drop', reason: 'replayed' }); // REPLAY_WINDOW behind
  });
});
