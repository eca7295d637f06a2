/**
 * Bad input never throws, never delivers, and is counted under the right
 * reason: random, truncated, oversized, bit-flipped, replayed, wrong-key and
 * unknown-type datagrams, as property tests.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { SecureEndpoint, SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import type { DropReason } from '../../src/core/session';
import { SessionPair, dataFrame } from './session-pair';

const MAX = 1600;

function established(seed: number): SessionPair {
  const pair = new SessionPair(seed, { maxDatagramBytes: MAX });
  pair.handshake();
  return pair;
}

/** Feeds a copy of `d` to b and checks: no throw, a drop, only `reason` (if given) counted once, nothing delivered. */
function expectDrop(pair: SessionPair, d: Uint8Array, reason?: DropReason | ((r: DropReason) => boolean)): DropReason {
  const before = { ...pair.b.counters.drops };
  const opened = pair.b.counters.datagramsOpened;
  const r = pair.b.handleDatagram(pair.now, d.slice());
  expect(r.kind).to.equal('drop');
  if (r.kind !== 'drop') throw new Error('unreachable');
  if (typeof reason === 'string') expect(r.reason).to.equal(reason);
  else if (reason) expect(reason(r.reason), r.reason).to.equal(true);
  for (const [k, n] of Object.entries(pair.b.counters.drops)) {
    expect(n - before[k as DropReason], k).to.equal(k === r.reason ? 1 : 0);
  }
  expect(pair.b.counters.datagramsOpened).to.equal(opened);
  return r.reason;
}

describe('session: bad datagrams are dropped and counted, never thrown', () => {
  const pair = established(11);
  const payload = new Uint8Array(300).fill(1);
  const fresh = (): Uint8Array => pair.a.sealFrame(pair.now, 0, dataFrame(1, payload))!;

  it('random bytes of any length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(5), (bytes, t) => {
        if (bytes.length > 0 && t < 4) bytes[0] = t + 1; // bias toward real type bytes
        expectDrop(pair, bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('truncated transport datagrams', () => {
    fc.assert(
      fc.property(fc.nat(), (cut) => {
        const d = fresh();
        const short = d.subarray(0, cut % d.length);
        expectDrop(pair, short, short.length < 29 ? 'truncated' : 'decrypt_failed');
      }),
      { numRuns: 300 },
    );
  });

  it('oversized datagrams', () => {
    const big = pair.a.sealFrame(pair.now, 0, dataFrame(1, new Uint8Array(MAX)))!;
    expectDrop(pair, big, 'oversized');
    const init = pair.a.connect(pair.now, 0)[0];
    const longer = new Uint8Array(init.length + 1);
    longer.set(init);
    expectDrop(pair, longer, 'oversized');
    expectDrop(pair, init.subarray(0, init.length - 1), 'truncated');
  });

  it('a flipped bit anywhere in a transport datagram', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(7), (at, bit) => {
        const d = fresh();
        const i = at % d.length;
        d[i] ^= 1 << bit;
        let expected: (r: DropReason) => boolean;
        if (i === 0) expected = (r) => ['unknown_type', 'truncated', 'oversized'].includes(r);
        else if (i <= 4) expected = (r) => r === 'unknown_index';
        else if (i <= 12) expected = (r) => ['decrypt_failed', 'expired'].includes(r);
        else expected = (r) => r === 'decrypt_failed';
        expectDrop(pair, d, expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('a flipped bit anywhere in a handshake initiation', () => {
    const other = established(12); // a separate pair, so accepted initiations don't disturb `pair`
    fc.assert(
      fc.property(fc.nat(), fc.nat(7), (at, bit) => {
        const d = other.a.connect(other.now, 0)[0].slice();
        other.now += 1000;
        // mac2 (the last 16 bytes) is only checked under load, as in WireGuard: leave it out here.
        const i = at % (d.length - 16);
        d[i] ^= 1 << bit;
        expectDrop(other, d, (r) => ['unknown_type', 'truncated', 'oversized', 'malformed', 'bad_mac'].includes(r));
      }),
      { numRuns: 300 },
    );
  });

  it('replayed datagrams', () => {
    const d = fresh();
    expect(pair.b.handleDatagram(pair.now, d.slice()).kind).to.equal('frame');
    expectDrop(pair, d, 'replayed');
  });

  it('datagrams sealed with another key', () => {
    const stranger = established(13);
    const index = fresh().subarray(1, 5); // b's session index for a
    fc.assert(
      fc.property(fc.nat(1400), (len) => {
        const d = stranger.a.sealFrame(stranger.now, 0, dataFrame(1, new Uint8Array(len)))!;
        d.set(index, 1); // aimed at b's session, but sealed with the stranger's keys
        expectDrop(pair, d, 'decrypt_failed');
      }),
      { numRuns: 100 },
    );
  });

  it('initiations from a key not in the peer list, or meant for another key', () => {
    const rnd = new SeededRandomBytes(14);
    const stranger = generatePrivateKey(rnd);
    const c = new SecureEndpoint({ privateKey: stranger, peers: [{ publicKey: publicKeyOf(pair.bKey) }], random: rnd });
    expectDrop(pair, c.connect(pair.now, 0)[0], 'unknown_peer');
    const wrongTarget = new SecureEndpoint({
      privateKey: pair.aKey,
      peers: [{ publicKey: publicKeyOf(generatePrivateKey(rnd)) }],
      random: rnd,
    });
    expectDrop(pair, wrongTarget.connect(pair.now, 0)[0], 'bad_mac');
  });

  it('unknown message types', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 255 }), fc.uint8Array({ maxLength: 200 }), (type, rest) => {
        const d = new Uint8Array(rest.length + 1);
        d[0] = type;
        d.set(rest, 1);
        expectDrop(pair, d, 'unknown_type');
      }),
      { numRuns: 300 },
    );
    expectDrop(pair, new Uint8Array(0), 'truncated');
  });

  it('still carries data after all of that', () => {
    const r = pair.b.handleDatagram(pair.now, fresh());
    expect(r.kind).to.equal('frame');
  });
});
