import { expect } from 'chai';
import { SeededRandom } from '../../src/core/random';
import { GEAR, chunkParams, findBoundaries, type ChunkParams } from '../../src/core/re/gear-chunker';

/**
 * The chunking rule written out byte by byte: one rolling hash over the whole
 * stream (bytes older than 32 have shifted out of it), no test before
 * minSize bytes, the strict mask up to normalSize, the loose one beyond, a
 * forced cut at maxSize. Returns [offset just past the cut, hash there].
 */
function referenceCuts(p: ChunkParams, data: Uint8Array): Array<[number, number]> {
  const cuts: Array<[number, number]> = [];
  let h = 0;
  let len = 0;
  for (let i = 0; i < data.length; i++) {
    h = ((h << 1) + GEAR[data[i]]) | 0;
    len++;
    if (len <= p.minSize) continue;
    const mask = len <= p.normalSize ? p.maskSmall : p.maskLarge;
    if ((h & mask) === 0 || len >= p.maxSize) {
      cuts.push([i + 1, h]);
      len = 0;
    }
  }
  return cuts;
}

/** Chunks data as the encoder does: packet by packet, one boundary per call. */
function packetCuts(p: ChunkParams, data: Uint8Array, rnd: SeededRandom): Array<[number, number]> {
  const st = { gear: 0, chunkLen: 0 };
  const cuts = new Int32Array(4096);
  const fps = new Int32Array(4096);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const got: Array<[number, number]> = [];
  for (let off = 0; off < data.length; ) {
    const end = Math.min(data.length, off + 1 + rnd.int(1500));
    let o = off;
    while (o < end) {
      if (findBoundaries(p, st, data, view, o, end, cuts, fps, 0, 1) === 0) break;
      got.push([cuts[0], fps[0]]);
      o = cuts[0];
    }
    off = end;
  }
  return got;
}

function textLike(rnd: SeededRandom, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd.int(9) === 0 ? 32 : 97 + rnd.int(26);
  return out;
}

describe('RE gear chunker', () => {
  for (const anchor of [32, 128, 1024]) {
    it(`cuts where the byte-by-byte rule cuts, whatever the packet edges (anchor ${anchor})`, () => {
      const rnd = new SeededRandom(anchor);
      const p = chunkParams(anchor);
      const random = Uint8Array.from({ length: 200_000 }, () => rnd.int(256));
      const zeros = new Uint8Array(5000); // forced cuts
      const data = new Uint8Array(random.length + zeros.length + 200_000);
      data.set(random, 0);
      data.set(textLike(rnd, 200_000), random.length + zeros.length);
      const want = referenceCuts(p, data);
      expect(want.length).to.be.greaterThan(data.length / (2 * p.maxSize));
      // the whole stream in one call, and packets of 1 to 1500 bytes one boundary at a time
      const cuts = new Int32Array(data.length);
      const fps = new Int32Array(data.length);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const n = findBoundaries(p, { gear: 0, chunkLen: 0 }, data, view, 0, data.length, cuts, fps);
      expect(Array.from({ length: n }, (_, k) => [cuts[k], fps[k]])).to.deep.equal(want);
      expect(packetCuts(p, data, rnd)).to.deep.equal(want);
    });
  }
});
