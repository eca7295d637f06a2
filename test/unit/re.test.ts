import { expect } from 'chai';
import fc from 'fast-check';
import { SeededRandom } from '../../src/core/random';
import { DECODE_MALFORMED, DECODE_MISS, ReDecoder, ReEncoder, simulateTransfer } from '../../src/core/re';
import { CutMap } from '../../src/core/re/cut-map';
import { HeldMap } from '../../src/core/re/held-map';

const MiB = 1 << 20;

/** Text-like bytes: words from a seeded vocabulary (no long repeats of its own). */
function textLike(seed: number, n: number): Uint8Array {
  const rnd = new SeededRandom(seed);
  const words = Array.from({ length: 4000 }, () => {
    const len = 2 + rnd.int(9);
    let w = '';
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + rnd.int(26));
    return w;
  });
  const out = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const w = words[rnd.int(words.length)];
    for (let k = 0; k < w.length && i < n; k++) out[i++] = w.charCodeAt(k);
    if (i < n) out[i++] = rnd.int(12) === 0 ? 10 : 32;
  }
  return out;
}

/** A "new version": the old bytes with a few small edits (changes, inserts, deletes). */
function edited(old: Uint8Array, seed: number, edits: number): Uint8Array {
  const rnd = new SeededRandom(seed);
  const parts: Uint8Array[] = [];
  let at = 0;
  const cuts = Array.from({ length: edits }, () => rnd.int(old.length)).sort((a, b) => a - b);
  for (const c of cuts) {
    parts.push(old.subarray(at, c));
    parts.push(textLike(rnd.nextU32(), 1 + rnd.int(200)));
    at = Math.min(old.length, c + rnd.int(100));
  }
  parts.push(old.subarray(at));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('RE encoder and decoder', () => {
  it('delivers every payload byte-exact and sends a repeated transfer as a small fraction', () => {
    const enc = new ReEncoder({ cacheBytes: 4 * MiB, gating: 'off' });
    const dec = new ReDecoder({ cacheBytes: 4 * MiB });
    const data = textLike(1, 300_000);
    const out = new Uint8Array(2000);
    const got = new Uint8Array(2000);
    let wireSecond = 0;
    for (let round = 0; round < 2; round++) {
      for (let off = 0; off < data.length; off += 1300) {
        const p = data.subarray(off, Math.min(data.length, off + 1300 - round * 77));
        const len = enc.encode(7 + round, p, out);
        expect(len).to.be.greaterThan(0);
        if (round === 1) wireSecond += len;
        const n = dec.decode(7 + round, out.subarray(0, len), got);
        expect(n).to.equal(p.length);
        expect(Buffer.compare(got.subarray(0, n), p)).to.equal(0);
      }
    }
    expect(wireSecond / data.length).to.be.below(0.03);
    expect(enc.hits).to.be.greaterThan(0);
    expect(dec.misses).to.equal(0);
  });

  it('sends a near-identical shifted transfer among 8 interleaved flows at ≤ 1 % of its bytes', () => {
    const old = textLike(2, 1_500_000);
    const r = simulateTransfer(old, old, { shift: 137, flows: 8, cacheBytes: 16 * MiB, seed: 3 });
    expect(r.verified).to.equal(true);
    expect(r.ratio_new).to.be.at.most(0.01);
  });

  it('sends an edited new version as a small fraction, all bytes verified', () => {
    const old = textLike(4, 1_000_000);
    const r = simulateTransfer(old, edited(old, 5, 40), { shift: 300, flows: 4, cacheBytes: 16 * MiB, seed: 6 });
    expect(r.verified).to.equal(true);
    expect(r.ratio_new).to.be.below(0.04);
  });

  it('finds moved blocks right after stretches it matched without chunking', () => {
    // OLD: blocks X0 Y0 X1 Y1 ...; NEW: the X blocks in place (whole packets at the
    // flow's last distance, so not chunked) and the Y blocks shuffled, so each Y
    // must be found by fingerprint lookups just after such a stretch
    const blocks = 60;
    const size = 6000;
    const xs = Array.from({ length: blocks }, (_, i) => textLike(100 + i, size));
    const ys = Array.from({ length: blocks }, (_, i) => textLike(500 + i, size));
    const order = Array.from({ length: blocks }, (_, i) => (i * 37) % blocks);
    const join = (parts: Uint8Array[]): Uint8Array => {
      const out = new Uint8Array(parts.length * size);
      parts.forEach((p, i) => out.set(p, i * size));
      return out;
    };
    const old = join(xs.flatMap((x, i) => [x, ys[i]]));
    const neu = join(xs.flatMap((x, i) => [x, ys[order[i]]]));
    const r = simulateTransfer(old, neu, { cacheBytes: 16 * MiB, ackLagBytes: 0, seed: 7 });
    expect(r.verified).to.equal(true);
    expect(r.ratio_new).to.be.below(0.015);
  });

  for (const gating of ['acked', 'flow', 'off'] as const) {
    it(`never delivers a wrong byte under 5 % loss with reordering (gating ${gating})`, () => {
      for (const seed of [11, 12, 13]) {
        const old = textLike(seed, 400_000);
        const r = simulateTransfer(old, edited(old, seed, 20), {
          shift: 61, flows: 4, loss: 0.05, seed, cacheBytes: 4 * MiB, ackLagBytes: 64 * 1024, gating,
        });
        expect(r.lost).to.be.greaterThan(0);
        expect(r.wrong).to.equal(0);
        expect(r.verified).to.equal(true);
        if (gating === 'off') expect(r.recoveries).to.be.greaterThan(0);
      }
    });
  }

  it('turns a reference to bytes the decoder never got into a miss, then recovers it by resend', () => {
    const enc = new ReEncoder({ cacheBytes: 4 * MiB, gating: 'off' });
    const dec = new ReDecoder({ cacheBytes: 4 * MiB });
    const data = textLike(8, 1300);
    const out = new Uint8Array(2000);
    const got = new Uint8Array(2000);
    expect(enc.encode(1, data, out)).to.be.greaterThan(0); // lost on the way: never decoded
    const len = enc.encode(2, data, out);
    expect(len).to.be.below(40); // one reference to the lost packet
    expect(dec.decode(2, out.subarray(0, len), got)).to.equal(DECODE_MISS);
    expect(dec.misses).to.equal(1);
    const miss = new Uint8Array(16);
    const m = dec.writeMissRequest(miss);
    const resend = new Uint8Array(2000);
    const r = enc.onMissRequest(miss.subarray(0, m), resend);
    expect(r).to.equal(data.length + 5); // the lost source packet's bytes
    expect(dec.decode(1, resend.subarray(0, r), got)).to.equal(data.length);
    expect(dec.recoveries).to.equal(1);
    // the source is held now: the missed packet decodes as it was sent
    got.fill(0);
    expect(dec.decode(2, out.subarray(0, len), got)).to.equal(data.length);
    expect(Buffer.compare(got.subarray(0, data.length), data)).to.equal(0);
    // a second MISS for the same source is not answered with the same bytes again
    expect(enc.onMissRequest(miss.subarray(0, m), resend)).to.equal(-1);
  });

  it("with gating 'flow' references the flow's own unacknowledged bytes, but not once they are reported lost", () => {
    const data = textLike(9, 1300);
    const out = new Uint8Array(2000);
    const sizes: number[] = [];
    for (const lose of [false, true]) {
      const enc = new ReEncoder({ cacheBytes: 4 * MiB, gating: 'flow' });
      expect(enc.encode(1, data, out)).to.equal(data.length + 5); // first copy: literal, not acknowledged
      if (lose) enc.onLost(enc.lastToken);
      sizes.push(enc.encode(1, data, out)); // the same bytes again on the same flow
    }
    expect(sizes[0]).to.be.below(20);
    expect(sizes[1]).to.equal(data.length + 5);
  });

  it("with gating 'acked' never references bytes whose packet was not reported delivered", () => {
    const enc = new ReEncoder({ cacheBytes: 4 * MiB, gating: 'acked' });
    const data = textLike(10, 1300);
    const out = new Uint8Array(2000);
    enc.encode(1, data, out);
    const token = enc.lastToken;
    expect(enc.encode(1, data, out)).to.equal(data.length + 5);
    enc.onDelivered(token);
    expect(enc.encode(2, data, out)).to.be.below(20);
  });

  it('delivers only right bytes under any order, loss and report pattern (property)', () => {
    const base = textLike(21, 60_000);
    fc.assert(
      fc.property(
        fc.constantFrom('acked' as const, 'flow' as const, 'off' as const),
        fc.array(fc.record({ flow: fc.integer({ min: 1, max: 3 }), from: fc.nat(58_000), len: fc.integer({ min: 64, max: 1400 }) }), { minLength: 20, maxLength: 120 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 120, maxLength: 120 }),
        (gating, sends, dice) => {
          const enc = new ReEncoder({ cacheBytes: 4 * MiB, gating });
          const dec = new ReDecoder({ cacheBytes: 4 * MiB });
          const wire: { flow: number; msg: Uint8Array; payload: Uint8Array; token: number }[] = [];
          const out = new Uint8Array(2000);
          for (const s of sends) {
            const payload = base.subarray(s.from, Math.min(base.length, s.from + s.len));
            const n = enc.encode(s.flow, payload, out);
            if (n >= 0) wire.push({ flow: s.flow, msg: out.slice(0, n), payload, token: enc.lastToken });
          }
          // deliver in a shuffled order, dropping some; report some deliveries and losses
          const order = wire.map((_, i) => i).sort((a, b) => (dice[a % dice.length] - dice[b % dice.length]) || a - b);
          const got = new Uint8Array(2000);
          const miss = new Uint8Array(32);
          const resend = new Uint8Array(2000);
          for (const i of order) {
            const w = wire[i];
            const d = dice[(i * 7) % dice.length];
            if (d < 150) {
              if (d < 75) enc.onLost(w.token);
              continue;
            }
            let n = dec.decode(w.flow, w.msg, got);
            for (let tries = 0; n === DECODE_MISS && tries < 4; tries++) {
              const missPos = dec.missPos;
              const r = enc.onMissRequest(miss.subarray(0, dec.writeMissRequest(miss)), resend);
              if (r < 0) break;
              n = dec.decode(w.flow, resend.subarray(0, r), got);
              // a resent source: the packet itself decodes now (or lacks another range)
              if (n >= 0 && dec.lastPos !== missPos) n = dec.decode(w.flow, w.msg, got);
            }
            if (n === DECODE_MISS) continue;
            expect(n).to.equal(w.payload.length);
            expect(Buffer.compare(got.subarray(0, n), w.payload)).to.equal(0);
            if (d % 3 !== 0) enc.onDelivered(w.token);
          }
        },
      ),
      { numRuns: 60, seed: 99 },
    );
  });

  it('stays exact when the cache wraps many times', () => {
    const enc = new ReEncoder({ cacheBytes: 4 * MiB });
    const dec = new ReDecoder({ cacheBytes: 4 * MiB });
    const chunk = textLike(31, 1_500_000);
    const rnd = new SeededRandom(5);
    const out = new Uint8Array(2000);
    const got = new Uint8Array(2000);
    let sent = 0;
    let saved = 0;
    while (sent < 14 * MiB) {
      // replay a random stretch of the same text: near repeats hit, far ones have been evicted
      const from = rnd.int(chunk.length - 200_000);
      for (let off = from; off < from + 200_000; off += 1300) {
        const p = chunk.subarray(off, off + 1300);
        const n = enc.encode(1 + (sent % 3), p, out);
        expect(dec.decode(1 + (sent % 3), out.subarray(0, n), got)).to.equal(p.length);
        expect(Buffer.compare(got.subarray(0, p.length), p)).to.equal(0);
        enc.onDelivered(enc.lastToken);
        sent += p.length;
        saved += p.length - n;
      }
    }
    expect(dec.misses).to.equal(0);
    expect(saved).to.be.greaterThan(0);
  });

  it('stays exact and keeps matching once cache positions pass 2^31 and 2^32', () => {
    // positions only grow; ring slots, index entries and message positions keep their low bits
    const enc = new ReEncoder({ cacheBytes: 4 * MiB });
    const dec = new ReDecoder({ cacheBytes: 4 * MiB });
    const out = new Uint8Array(2000);
    const got = new Uint8Array(2000);
    const rnd = new SeededRandom(9);
    let wraps = 0;
    let lastPos32 = 0;
    const send = (flow: number, p: Uint8Array): number => {
      const n = enc.encode(flow, p, out);
      expect(dec.decode(flow, out.subarray(0, n), got)).to.equal(p.length);
      expect(Buffer.compare(got.subarray(0, p.length), p)).to.equal(0);
      enc.onDelivered(enc.lastToken);
      const pos32 = (out[1] | (out[2] << 8) | (out[3] << 16) | (out[4] << 24)) >>> 0;
      if (pos32 < lastPos32) wraps++;
      lastPos32 = pos32;
      return n;
    };
    // six flows send 1 MiB each (their extents grow to 1 MiB); then each small packet
    // finds its flow's extent overwritten and opens a fresh 1 MiB one
    const noise = (len: number): Uint8Array => Uint8Array.from({ length: len }, () => rnd.int(256));
    for (let f = 0; f < 6; f++) for (let k = 0; k < 1 * MiB; k += 1300) send(10 + f, noise(1300));
    for (let k = 0; k < 4300; k++) send(10 + (k % 6), noise(64));
    expect(wraps).to.equal(1); // past 2^32
    const text = textLike(41, 300_000);
    let wire = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let off = 0; off < text.length; off += 1300) {
        const n = send(1, text.subarray(off, off + 1300));
        if (pass === 1) wire += n;
      }
    }
    expect(dec.misses).to.equal(0);
    expect(wire).to.be.lessThan(text.length * 0.02);
  });

  it('refuses to resend bytes it never sent as a packet', () => {
    const enc = new ReEncoder({ cacheBytes: 4 * MiB });
    const bogus = Uint8Array.from([0x13, 0, 0, 0, 0, 100]);
    expect(enc.onMissRequest(bogus, new Uint8Array(2000))).to.equal(-1);
    expect(enc.resendsRefused).to.equal(1);
  });

  it('sends payloads below minPayload raw and keeps them out of the cache', () => {
    const enc = new ReEncoder({ cacheBytes: 4 * MiB });
    expect(enc.encode(1, new Uint8Array(10), new Uint8Array(100))).to.equal(-1);
    expect(enc.rawPackets).to.equal(1);
  });

  it('never throws on arbitrary input and never returns bytes it cannot vouch for', () => {
    const dec = new ReDecoder({ cacheBytes: 4 * MiB });
    const out = new Uint8Array(70000);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, asPacket) => {
        const msg = bytes.slice();
        if (asPacket && msg.length > 0) msg[0] = 0x10; // PACKET: references to nothing held
        const n = dec.decode(1, msg, out);
        if (asPacket && msg.length >= 5 && n >= 0) {
          // only literal ops can succeed on an empty cache
          expect(dec.refBytes).to.equal(0);
        }
        expect(n === DECODE_MISS || n === DECODE_MALFORMED || n >= 0).to.equal(true);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('rejects a cache size that is not a power of two with a message naming the option', () => {
    expect(() => new ReEncoder({ cacheBytes: 5 * MiB })).to.throw(/re\.cacheBytes/);
    expect(() => new ReEncoder({ anchor: 100 })).to.throw(/re\.anchor/);
  });
});

describe('RE held map', () => {
  it('agrees with a byte-per-position model, across ring laps, marks and unmarks', () => {
    const cap = 1 << 16;
    fc.assert(
      fc.property(
        // writes long enough to fill whole 4 KiB pages (the map's summary) and short ones
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 * cap }), fc.integer({ min: 1, max: 12000 }), fc.integer({ min: 0, max: 3 })), { maxLength: 40 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 * cap }), fc.integer({ min: 0, max: 12000 })), { maxLength: 20 }),
        (writes, probes) => {
          const m = new HeldMap(cap);
          const model = new Map<number, number>(); // slot -> position held there
          for (const [pos, len, kind] of writes) {
            if (kind === 0) {
              // the decoder said it lacks these bytes
              m.unmark(pos, len);
              for (let p = pos; p < pos + len; p++) if (model.get(p % cap) === p) model.delete(p % cap);
              continue;
            }
            m.mark(pos, len);
            // a granule moved to another lap forgets its older bytes
            for (let p = pos - (pos % 32); p < pos + len; p += 32) {
              for (let q = p; q < p + 32; q++) {
                const held = model.get(q % cap);
                if (held !== undefined && Math.floor(held / cap) !== Math.floor(q / cap)) model.delete(q % cap);
              }
            }
            for (let p = pos; p < pos + len; p++) model.set(p % cap, p);
          }
          const has = (p: number): boolean => model.get(p % cap) === p;
          for (const [pos, len] of probes) {
            let right = pos;
            while (right < pos + len && has(right)) right++;
            expect(m.runRight(pos, pos + len)).to.equal(right);
            let left = pos;
            while (left > pos - len && left > 0 && has(left - 1)) left--;
            expect(m.runLeft(pos, Math.max(0, pos - len))).to.equal(left);
          }
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe('RE boundary map', () => {
  it('agrees with a bit-per-slot model: word-wise clears, copies of a match\'s cuts and the last cut in a range', () => {
    const cap = 1 << 12;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: cap - 1 }), { maxLength: 300 }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: cap - 1 }), fc.integer({ min: 0, max: cap - 1 }), fc.integer({ min: 0, max: 700 })),
          { maxLength: 30 },
        ),
        (sets, ops) => {
          const m = new CutMap(cap);
          const model = new Uint8Array(cap);
          for (const ri of sets) {
            m.set(ri);
            model[ri] = 1;
          }
          for (const [kind, a, b, len] of ops) {
            if (kind === 0) {
              // a packet's slots about to be overwritten (never past the ring's end)
              const n = Math.min(len, cap - a);
              m.clear(a, n);
              model.fill(0, a, a + n);
            } else if (kind === 1) {
              // a match's cuts: the source may run past the ring's end (no slots there), the packet never
              const n = Math.min(len, cap - b);
              if (a < b + n && b < a + n) continue; // a source never overlaps the packet's slots
              m.copy(a, b, n);
              for (let k = 0; k < n && a + k < cap; k++) if (model[a + k]) model[b + k] = 1;
            } else {
              let last = 0;
              for (let k = 0; k < len && a + k < cap; k++) if (model[a + k]) last = k + 1;
              expect(m.lastIn(a, len)).to.equal(last);
            }
          }
          const bits = Array.from({ length: cap }, (_, ri) => m.lastIn(ri, 1));
          expect(bits).to.deep.equal(Array.from(model));
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});
