/**
 * Cookie replies: under load a responder makes initiators prove their source
 * address before it does any X25519 work for them.
 */
import { expect } from 'chai';
import { SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import { buildInitiation, mac1KeyFor } from '../../src/core/session/handshake';
import { SessionPair } from './session-pair';

const opts = { cookieReplies: true, limits: { globalPerSecond: 100, globalBurst: 20 } };

/** Spends b's global handshake budget with initiations from strangers (each from its own spoofed source). */
function loadUp(pair: SessionPair, count: number): void {
  const rnd = new SeededRandomBytes(5);
  const bPub = publicKeyOf(pair.bKey);
  for (let i = 0; i < count; i++) {
    const privateKey = generatePrivateKey(rnd);
    const e = generatePrivateKey(rnd);
    const d = buildInitiation({ privateKey, publicKey: publicKeyOf(privateKey) }, bPub, mac1KeyFor(bPub), { privateKey: e, publicKey: publicKeyOf(e) }, i + 1, 1)!.datagram;
    pair.b.handleDatagram(pair.now, d, `spoofed-${i}`);
  }
}

describe('session: cookie replies under load', () => {
  it('answers with a cookie under load, and the initiator gets in with mac2 at once', () => {
    const pair = new SessionPair(41, opts);
    loadUp(pair, 15); // more than half of the 20 tokens gone: under load
    const repliesBefore = pair.b.counters.cookieRepliesSent;
    const init = pair.a.connect(pair.now, 0)[0];
    const r1 = pair.b.handleDatagram(pair.now, init.slice(), 'addr-a');
    expect(r1.kind).to.equal('reply');
    if (r1.kind !== 'reply') return;
    expect(r1.datagrams[0]).to.have.length(66);
    expect(pair.b.counters.responsesSent).to.equal(0);
    const r2 = pair.a.handleDatagram(pair.now, r1.datagrams[0].slice());
    expect(r2.kind).to.equal('send');
    if (r2.kind !== 'send') return;
    const again = r2.datagrams[0];
    expect(Array.from(again.subarray(137)).some((b) => b !== 0)).to.equal(true); // mac2 now set
    // the same initiation from another source doesn't carry that source's cookie
    expect(pair.b.handleDatagram(pair.now, again.slice(), 'addr-evil').kind).to.equal('reply');
    expect(pair.b.handleDatagram(pair.now, again.slice(), 'addr-a').kind).to.equal('send');
    expect(pair.a.counters.cookiesReceived).to.equal(1);
    expect(pair.b.counters.cookieRepliesSent - repliesBefore).to.equal(2);
  });

  it('processes initiations without cookies when not under load', () => {
    const pair = new SessionPair(42, opts);
    const r = pair.b.handleDatagram(pair.now, pair.a.connect(pair.now, 0)[0], 'addr-a');
    expect(r.kind).to.equal('send');
    expect(pair.b.counters.cookieRepliesSent).to.equal(0);
  });

  it('drops a cookie reply that does not open, or answers nothing of ours', () => {
    const pair = new SessionPair(43, opts);
    loadUp(pair, 15);
    const init = pair.a.connect(pair.now, 0)[0];
    const r1 = pair.b.handleDatagram(pair.now, init.slice(), 'addr-a');
    if (r1.kind !== 'reply') throw new Error('expected a cookie reply');
    const forged = r1.datagrams[0].slice();
    forged[40] ^= 1;
    expect(pair.a.handleDatagram(pair.now, forged)).to.deep.equal({ kind: 'drop', reason: 'bad_cookie' });
    const stray = r1.datagrams[0].slice();
    stray[2] ^= 1; // receiver index
    expect(pair.a.handleDatagram(pair.now, stray)).to.deep.equal({ kind: 'drop', reason: 'unknown_index' });
    expect(pair.a.handleDatagram(pair.now, r1.datagrams[0].slice()).kind).to.equal('send');
    // only one immediate re-send per initiation, whatever else arrives
    const r2 = pair.b.handleDatagram(pair.now, pair.a.connect(pair.now, 0)[0], 'addr-b-nat');
    if (r2.kind !== 'reply') throw new Error('expected a cookie reply');
    expect(pair.a.handleDatagram(pair.now, r2.datagrams[0].slice()).kind).to.equal('drop');
  });

  /** a connects to b 500 ms into a flood of 5,000 initiations/s from 1,000 spoofed sources; true if up 100 ms later. */
  function connectDuringFlood(cookieReplies: boolean): { pair: SessionPair; up: boolean } {
    // A small global budget (10/s) so luck can't get an initiation through it.
    const pair = new SessionPair(44, { cookieReplies, limits: { globalPerSecond: 10, globalBurst: 20 } });
    pair.latencyMs = 5;
    const rnd = new SeededRandomBytes(6);
    const bPub = publicKeyOf(pair.bKey);
    const junk: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const k = generatePrivateKey(rnd);
      const e = generatePrivateKey(rnd);
      junk.push(buildInitiation({ privateKey: k, publicKey: publicKeyOf(k) }, bPub, mac1KeyFor(bPub), { privateKey: e, publicKey: publicKeyOf(e) }, i + 1, 1)!.datagram);
    }
    let k = 0;
    pair.onTick = () => {
      for (let i = 0; i < 5; i++, k++) pair.b.handleDatagram(pair.now, junk[k % junk.length].slice(), `spoofed-${k % 1000}`);
    };
    pair.run(pair.now + 500, 1);
    for (const d of pair.a.connect(pair.now, 0)) pair.send('b', d);
    pair.run(pair.now + 100, 1);
    pair.onTick = null;
    pair.run(pair.now + 20);
    const up = pair.a.sessionInfo(0, pair.now).established && pair.b.sessionInfo(0, pair.now).established;
    return { pair, up };
  }

  it('lets a real peer connect at once during a flood from many spoofed sources', () => {
    const { pair, up } = connectDuringFlood(true);
    expect(up).to.equal(true);
    expect(pair.b.counters.cookieRepliesSent).to.be.greaterThan(2000);
    // the flood's X25519 work stays within the global budget (10/s, burst 20) over its 0.6 s
    const d = pair.b.counters.drops;
    expect(d.unknown_peer + d.handshake_failed).to.be.at.most(20 + 0.6 * 10);
    // without cookies the same initiation loses the race for the global budget and waits for a retry
    const without = connectDuringFlood(false);
    expect(without.up).to.equal(false);
    expect(without.pair.b.counters.drops.rate_limited).to.be.greaterThan(2000);
  });
});
