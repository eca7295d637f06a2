/**
 * Content-defined chunking of one flow's byte stream (FastCDC-style gear hash
 * with normalized chunking). The state lives in the caller's per-flow record so
 * a stream cut into packets at arbitrary offsets yields the same boundaries as
 * the unbroken stream: the boundary decision never looks at packet edges.
 *
 * With `h = (h << 1) + GEAR[byte]` bit k of h depends only on the last k+1
 * bytes, so the masks test high bits (a 32-byte window). At a boundary the
 * hash value itself serves as the anchor fingerprint of the bytes before it;
 * every hit is byte-compared, so its weakness costs time, never correctness.
 */
import { SeededRandom } from '../random';

/** 256 fixed pseudo-random words; the seed is private to the encoder (the decoder never chunks). */
export const GEAR: Int32Array = (() => {
  const rnd = new SeededRandom(0x6ea7c0de);
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) t[i] = rnd.nextU32() | 0;
  return t;
})();

/**
 * The step tables in one array (one typed array to check and address per
 * loop iteration instead of two: 7 % faster chunking):
 * GEARS[b0 | b1 << 8] = (GEAR[b0] << 1) + GEAR[b1], the hash's step over two
 * bytes in one add, and GEARS[ONE + b] = GEAR[b] (257 KiB, stays in L2).
 */
const ONE = 65536;
const GEARS: Int32Array = (() => {
  const t = new Int32Array(ONE + 256);
  for (let x = 0; x < ONE; x++) t[x] = ((GEAR[x & 255] << 1) + GEAR[x >>> 8]) | 0;
  t.set(GEAR, ONE);
  return t;
})();

export interface ChunkParams {
  /** No boundary before this many bytes into a chunk. */
  minSize: number;
  /** Below this size the stricter mask applies (normalized chunking). */
  normalSize: number;
  /** A boundary is forced here. */
  maxSize: number;
  /** Mask tested below normalSize (more bits: boundaries rarer). */
  maskSmall: number;
  /** Mask tested at or above normalSize (fewer bits: boundaries likelier). */
  maskLarge: number;
}

/** Parameters for a nominal (average) chunk size; `anchor` must be a power of two in 32..65536. */
export function chunkParams(anchor: number): ChunkParams {
  const bits = Math.round(Math.log2(anchor));
  // high-bit masks: bits of h that depend on the most recent 32 bytes
  const high = (n: number): number => (n >= 32 ? -1 : ~((1 << (32 - n)) - 1)) | 0;
  return {
    minSize: anchor >> 2,
    normalSize: anchor,
    maxSize: anchor * 2,
    maskSmall: high(bits + 1),
    maskLarge: high(Math.max(1, bits - 1)),
  };
}

/** Per-flow chunker state: the rolling hash and the length of the chunk in progress. */
export interface ChunkerState {
  gear: number;
  chunkLen: number;
}

/** Bytes a gear hash remembers: after 32 shifts an older byte has left the 32-bit word. */
const WINDOW = 32;

/**
 * Scans data[from, to) continuing `st` (`view`: a DataView of data's bytes,
 * kept by the caller so that no call allocates one); writes each boundary's index (the
 * offset just past the chunk's last byte) to `cuts` and its fingerprint to
 * `fps` from index `first` on; returns the index after the last one written
 * (at most cuts.length). Stops right after a cut once that index reaches
 * `limit` (the state then continues from that cut).
 *
 * One tight loop per phase of a chunk, all in this function (a call per
 * phase and results through module variables cost 20 %): skip (bytes that
 * can neither end a chunk nor still be in the window at minSize), warm-up,
 * strict mask, loose mask. Skipping is exact: h restarts from 0 WINDOW bytes before minSize and
 * so equals the hash of the unbroken stream there.
 */
export function findBoundaries(
  p: ChunkParams,
  st: ChunkerState,
  data: Uint8Array,
  view: DataView,
  from: number,
  to: number,
  cuts: Int32Array,
  fps: Int32Array,
  first = 0,
  limit = cuts.length,
): number {
  let h = st.gear;
  let len = st.chunkLen;
  let n = first;
  const { minSize, normalSize, maxSize, maskSmall, maskLarge } = p;
  const skipTo = minSize - WINDOW;
  // locals: an exported binding would be a property load of the module's exports per use
  const g = GEARS;
  const dv = view;
  let i = from;
  while (i < to) {
    const s0 = i;
    if (len < skipTo) {
      i = Math.min(to, i + (skipTo - len));
      len += i - s0;
      h = 0;
      continue;
    }
    if (len < minSize) {
      const stop = Math.min(to, i + (minSize - len));
      // four bytes per read: h after them is (h << 4) plus the pair steps of bytes 0-1 and 2-3
      for (; i + 4 <= stop; i += 4) {
        const w = dv.getInt32(i, true);
        h = ((h << 4) + (g[w & 65535] << 2) + g[w >>> 16]) | 0;
      }
      while (i < stop) h = ((h << 1) + g[ONE + data[i++]]) | 0;
      len += i - s0;
      continue;
    }
    // scan under the strict mask up to normalSize, then the loose one up to maxSize
    const strict = len < normalSize;
    const stop = Math.min(to, i + ((strict ? normalSize : maxSize) - len));
    const mask = strict ? maskSmall : maskLarge;
    let cut = false;
    // four bytes per read (little-endian: byte i is the low byte); the four
    // hashes come from two independent pair steps, so the shift-add chain is
    // half as long (the loop is the encoder's largest single cost)
    while (i + 4 <= stop) {
      const w = dv.getInt32(i, true);
      const h1 = ((h << 1) + g[ONE + (w & 255)]) | 0;
      const h2 = ((h << 2) + g[w & 65535]) | 0;
      const h3 = ((h2 << 1) + g[ONE + ((w >>> 16) & 255)]) | 0;
      const h4 = ((h2 << 2) + g[w >>> 16]) | 0;
      if ((h1 & mask) !== 0 && (h2 & mask) !== 0 && (h3 & mask) !== 0 && (h4 & mask) !== 0) {
        h = h4;
        i += 4;
        continue;
      }
      cut = true;
      if ((h1 & mask) === 0) {
        h = h1;
        i += 1;
      } else if ((h2 & mask) === 0) {
        h = h2;
        i += 2;
      } else if ((h3 & mask) === 0) {
        h = h3;
        i += 3;
      } else {
        h = h4;
        i += 4;
      }
      break;
    }
    if (!cut) {
      while (i < stop) {
        h = ((h << 1) + g[ONE + data[i++]]) | 0;
        if ((h & mask) === 0) {
          cut = true;
          break;
        }
      }
    }
    len += i - s0;
    if (!strict && len >= maxSize) cut = true;
    if (cut) {
      if (n < cuts.length) {
        cuts[n] = i;
        fps[n] = h;
        n++;
      }
      len = 0;
      if (n >= limit) break;
    }
  }
  st.gear = h;
  st.chunkLen = len;
  return n;
}

/**
 * The chunker's state right after data[0, to) when its last cut was at
 * `cut` (to - cut < maxSize): the hash of the bytes since the later of
 * (cut + skip) and to - 32 — the rolling hash forgets older bytes, and the
 * skip phase restarts it — as when the stream had been chunked through.
 * Also the fingerprint of a boundary at `to` (cut = to - maxSize). `view`:
 * a DataView of data (read four bytes at a time).
 */
export function stateAt(p: ChunkParams, st: ChunkerState, data: Uint8Array, view: DataView, cut: number, to: number): void {
  const g = GEARS;
  let h = 0;
  let i = Math.max(cut + Math.max(0, p.minSize - WINDOW), to - WINDOW);
  // four bytes per read, as in findBoundaries' warm-up
  for (; i + 4 <= to; i += 4) {
    const w = view.getInt32(i, true);
    h = ((h << 4) + (g[w & 65535] << 2) + g[w >>> 16]) | 0;
  }
  for (; i < to; i++) h = ((h << 1) + g[ONE + data[i]]) | 0;
  st.gear = h;
  st.chunkLen = to - cut;
}
