/**
 * Finds, for one packet already written into the cache, the stretches that
 * equal bytes the decoder holds: each chunk-boundary fingerprint is looked up,
 * every candidate byte-compared and extended left and right across chunk
 * boundaries up to the packet's edges (or the previous match), and the
 * longest kept. The flow's last distance is tried first (at the packet start,
 * at each boundary, and a few bytes past a mismatch): a shifted copy of old
 * data keeps one distance, so most packets of a repeated transfer match
 * without an index lookup.
 */
import { commonPrefix, commonSuffix } from './byte-compare';
import type { FingerprintIndex } from './fingerprint-index';
import type { HeldMap } from './held-map';
import type { LostRanges } from './lost-ranges';

/** A match shorter than this is not worth a reference (tag + dist ≈ 6 bytes). */
const MIN_MATCH = 12;
const CANDIDATES = 6;
/** Largest skip tried when a match's distance may resume after a changed stretch. */
const RESYNC_MAX = 32;
/** Bytes an acknowledged source may lose to an unacknowledged one and still be preferred. */
const RISK_PENALTY = 8;
const MAX_MATCHES = 1024;

/** What the finder needs to know about the flow of the packet. */
export interface MatchFlow {
  /** Distance of the flow's last reference (0: none); updated by find(). */
  lastDist: number;
  /** The flow's own extents: current from extStart, previous [prevStart, prevEnd). */
  extStart: number;
  prevStart: number;
  prevEnd: number;
}

export class MatchFinder {
  /** Matches found by the last find(): payload offsets [start, end) and cache source positions. */
  readonly starts = new Int32Array(MAX_MATCHES);
  readonly ends = new Int32Array(MAX_MATCHES);
  readonly sources = new Float64Array(MAX_MATCHES);
  hits = 0;
  /** Matches of the packet so far, and the payload offset up to which it is matched or passed over. */
  count = 0;
  covered = 0;

  private readonly cands = new Float64Array(CANDIDATES);
  private readonly view: DataView;
  // the packet being matched
  private f: MatchFlow = { lastDist: 0, extStart: 0, prevStart: 0, prevEnd: 0 };
  private pos = 0;
  private pi = 0;
  private n = 0;
  private head = 0;
  private trustOwn = false;
  // the best candidate so far
  private bestLen = 0;
  private bestScore = 0;
  private bestStart = 0;
  private bestSrc = 0;

  constructor(
    private readonly ring: Uint8Array,
    private readonly held: HeldMap,
    private readonly index: FingerprintIndex,
    private readonly lost: LostRanges,
  ) {
    this.view = new DataView(ring.buffer, ring.byteOffset, ring.byteLength);
  }

  /**
   * Starts matching the n payload bytes at cache position pos (ring offset
   * pos % size): tries the flow's last distance at the packet start (and
   * resyncs after it). head is the cache's end; trustOwn allows the flow's own
   * unacknowledged bytes (gating 'flow'). Then call boundary() for each chunk
   * boundary in order; `count` matches are in starts/ends/sources, and
   * payload bytes before `covered` need no more boundaries.
   */
  start(f: MatchFlow, pos: number, n: number, head: number, trustOwn: boolean): void {
    this.f = f;
    this.pos = pos;
    this.pi = pos & (this.ring.length - 1);
    this.n = n;
    this.head = head;
    this.trustOwn = trustOwn;
    this.count = 0;
    this.covered = 0;
    if (f.lastDist === 0) return;
    this.reset();
    this.tryCandidate(0, pos - f.lastDist, 0);
    if (this.bestLen > 0) this.settle(this.resync(this.take(0)));
  }

  /** Looks for a match at the chunk boundary at payload offset b (fingerprint fp). */
  boundary(b: number, fp: number): void {
    const litStart = this.covered;
    const n = this.n;
    if (b < litStart || litStart >= n || this.count >= MAX_MATCHES) return;
    const f = this.f;
    this.reset();
    if (f.lastDist !== 0) this.tryCandidate(b, this.pos + b - f.lastDist, litStart);
    if (this.bestStart !== litStart || this.bestScore !== n - litStart) {
      const nc = this.index.lookup(fp, this.head, this.cands);
      for (let c = 0; c < nc; c++) {
        if (this.tryCandidate(b, this.cands[c], litStart)) break;
      }
    }
    if (this.bestLen > 0) this.settle(this.resync(this.take(this.count)));
  }

  private settle(nm: number): void {
    this.count = nm;
    this.covered = this.ends[nm - 1];
  }

  private reset(): void {
    this.bestLen = 0;
    this.bestScore = 0;
  }

  /**
   * After a match that stopped short of the packet's end, the same distance
   * often resumes a few bytes on (a changed digit or word of equal length):
   * try it at growing skips before waiting for the next chunk boundary.
   */
  private resync(nm: number): number {
    while (nm < MAX_MATCHES) {
      const e = this.ends[nm - 1];
      this.reset();
      const src = this.pos - this.f.lastDist;
      const size = this.ring.length;
      for (let d = 1; d <= RESYNC_MAX && e + d < this.n && this.bestLen === 0; d = d < 4 ? d + 1 : d * 2) {
        // the distance resumes at e+d only if that byte agrees: most tries end here
        if (this.ring[this.pi + e + d] !== this.ring[(src + e + d) & (size - 1)]) continue;
        this.tryCandidate(e + d, src + e + d, e);
      }
      if (this.bestLen === 0) return nm;
      nm = this.take(nm);
    }
    return nm;
  }

  private take(nm: number): number {
    this.starts[nm] = this.bestStart;
    this.ends[nm] = this.bestStart + this.bestLen;
    this.sources[nm] = this.bestSrc;
    this.f.lastDist = this.pos + this.bestStart - this.bestSrc;
    this.hits++;
    return nm + 1;
  }

  /**
   * Compares the payload around offset b with the cache around position cpos,
   * extending left to litStart and right to the packet's end, clipped to what
   * the decoder holds; keeps it when it beats the best. True when nothing can.
   */
  private tryCandidate(b: number, cpos: number, litStart: number): boolean {
    const size = this.ring.length;
    const lowest = this.head - size;
    if (cpos < lowest || cpos < 0 || cpos > this.head) return false;
    const ci = cpos & (size - 1); // the ring's size is a power of two; `%` on a position above 2^31 would be an fmod call
    const at = this.pi + b;
    // a match of MIN_MATCH bytes through b holds four equal bytes on one side
    // of it: two word reads reject most candidates without the compare calls
    const v = this.view;
    if (ci >= 4 && at >= 4 && ci + 4 <= size && at + 4 <= size &&
      v.getInt32(at - 4) !== v.getInt32(ci - 4) && v.getInt32(at) !== v.getInt32(ci)) return false;
    const left = commonSuffix(this.ring, this.view, at, ci, Math.min(b - litStart, Math.min(ci, cpos - lowest)));
    const maxRight = Math.min(this.n - b, size - ci, this.head - cpos);
    // a candidate that cannot beat the best even matching to the end needs no forward compare
    if (left + maxRight <= this.bestScore || left + maxRight < MIN_MATCH) return false;
    // to win it must reach `need` bytes past b: when the four bytes before
    // that differ, it cannot (zlib's check of the byte at the best length)
    const need = Math.max(this.bestScore + 1, MIN_MATCH) - left;
    if (need >= 4 && v.getInt32(at + need - 4) !== v.getInt32(ci + need - 4)) return false;
    const right = commonPrefix(this.ring, this.view, at, ci, maxRight);
    if (left + right <= this.bestScore || left + right < MIN_MATCH) return false;
    // keep only bytes the decoder is known to hold (or, trusting the flow, it sent itself)
    let lo = this.held.runLeft(cpos, cpos - left);
    let hi = this.held.runRight(cpos, cpos + right);
    let risky = false;
    if (this.trustOwn) {
      const f = this.f;
      const cur = cpos >= f.extStart && cpos <= this.pos;
      if (cur || (cpos >= f.prevStart && cpos <= f.prevEnd)) {
        this.lost.clip(cpos, Math.max(cpos - left, cur ? f.extStart : f.prevStart), Math.min(cpos + right, cur ? this.pos : f.prevEnd));
        if (this.lost.hi - this.lost.lo - RISK_PENALTY > hi - lo) {
          lo = this.lost.lo;
          hi = this.lost.hi;
          risky = true;
        }
      }
    }
    const len = hi - lo;
    // an unacknowledged source must be clearly longer to win: its loss costs a resend
    const score = risky ? len - RISK_PENALTY : len;
    if (score <= this.bestScore || len < MIN_MATCH) return false;
    this.bestLen = len;
    this.bestScore = score;
    this.bestStart = b - (cpos - lo);
    this.bestSrc = lo;
    return !risky && this.bestStart === litStart && len === this.n - litStart;
  }
}
