/**
 * A handshake flood does not stop an established session: data keeps
 * flowing with zero loss, the Noise work the victim does is capped by the
 * rate limits, and a real peer's rekey still gets through.
 */
import { expect } from 'chai';
import { SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import { buildInitiation, mac1KeyFor } from '../../src/core/session/handshake';
import { DEFAULT_LIMITS } from '../../src/core/session/options';
import { SessionPair, Side, dataFrame } from './session-pair';

function keyPair(rnd: SeededRandomBytes): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = generatePrivateKey(rnd);
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** Initiations an attacker who knows b's public key (but no peer's private key) can make. */
function attackerInitiations(pair: SessionPair, count: number): Uint8Array[] {
  const rnd = new SeededRandomBytes(77);
  const bPub = publicKeyOf(pair.bKey);
  const aPub = publicKeyOf(pair.aKey);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    // Half use their own (unknown) key; half claim to be a without a's private key.
    const local = i % 2 === 0 ? keyPair(rnd) : { privateKey: generatePrivateKey(rnd), publicKey: aPub };
    const built = buildInitiation(local, bPub, mac1KeyFor(bPub), keyPair(rnd), i + 1, Date.UTC(2030, 0) * 1000 + i);
    out.push(built!.datagram);
  }
  return out;
}

function flood(pair: SessionPair, junk: Uint8Array[], perTick: number, sources: number): void {
  let k = 0;
  const realInitiation = pair.wire.find((m) => m.to === 'b' && m.datagram[0] === 1)!.datagram;
  const payload = new Uint8Array(100);
  let seq = 0;
  pair.onTick = () => {
    for (const side of ['a', 'b'] as const) {
      const to: Side = side === 'a' ? 'b' : 'a';
      const d = pair.ep(side).sealFrame(pair.now, 0, dataFrame(++seq, payload));
      expect(d, `${side} lost its session at ${pair.now}`).to.not.equal(null);
      pair.send(to, d!);
    }
    for (let i = 0; i < perTick; i++, k++) {
      const d = k % 10 === 0 ? realInitiation : junk[k % junk.length]; // some replays of a's real initiation
      pair.b.handleDatagram(pair.now, d.slice(), `evil-${k % sources}`);
    }
  };
}

function handshakeWork(pair: SessionPair): number {
  const d = pair.b.counters.drops;
  return d.handshake_failed + d.unknown_peer + d.handshake_replayed + pair.b.counters.responsesSent;
}

describe('session: handshake flood', () => {
  const timing = { rekeyAfterMs: 2000, rejectAfterMs: 8000 };

  it('keeps an established session carrying data with zero loss, and caps the Noise work', () => {
    const pair = new SessionPair(21, { timing });
    pair.latencyMs = 5;
    pair.handshake();
    const junk = attackerInitiations(pair, 200);
    const start = pair.now;
    const workBefore = handshakeWork(pair);
    // 5 initiations per ms = 5,000/s from 1,000 spoofed sources, for 3 s
    flood(pair, junk, 5, 1000);
    pair.run(start + 3000, 1);
    pair.onTick = null;
    pair.run(pair.now + 50);
    const sentA = pair.a.counters.datagramsSealed;
    const gotB = pair.delivered.filter((x) => x.to === 'b').length;
    expect(gotB).to.equal(sentA); // zero loss, keepalives included
    expect(pair.b.counters.drops.rate_limited).to.be.greaterThan(10_000);
    const cap = DEFAULT_LIMITS.globalBurst + (DEFAULT_LIMITS.globalPerSecond * 3000) / 1000;
    expect(handshakeWork(pair) - workBefore).to.be.within(cap - 50, cap);
    expect(pair.b.counters.drops.decrypt_failed).to.equal(0);
  });

  it('lets the real peer rekey through a flood from one source', () => {
    const pair = new SessionPair(22, { timing });
    pair.latencyMs = 5;
    pair.handshake();
    const junk = attackerInitiations(pair, 100);
    const rekeysBefore = pair.a.counters.rekeys;
    flood(pair, junk, 5, 1); // 5,000/s from one address: its own per-source limit absorbs it
    pair.run(pair.now + 5000, 1);
    pair.onTick = null;
    expect(pair.a.counters.rekeys - rekeysBefore).to.be.at.least(2);
    expect(pair.b.counters.drops.rate_limited).to.be.greaterThan(20_000);
    expect(handshakeWork(pair)).to.be.below(500);
  });
});
