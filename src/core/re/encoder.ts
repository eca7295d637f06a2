/**
 * RE encoder: one per session direction. See index.ts for the protocol and API.
 *
 * Per packet: continue the flow's chunker over the payload, look each boundary
 * fingerprint up, byte-compare every candidate and extend the match left and
 * right across chunk boundaries up to the packet's edges (or the previous
 * match), keep the longest, and emit literals plus one reference per match.
 * Then the payload enters the byte cache at the flow's next position and its
 * boundaries enter the index.
 *
 * Cache layout: positions are handed out in extents per flow, so one flow's
 * bytes stay contiguous even when many flows interleave; an extent never
 * straddles the end of the ring, so a contiguous range is one slice of it.
 */
import { commonPrefix, commonSuffix } from './byte-compare';
import { chunkParams, findBoundaries, type ChunkParams, type ChunkerState } from './gear-chunker';
import { FingerprintIndex } from './fingerprint-index';
import { HeldMap } from './held-map';
import {
  HEADER_BYTES, KIND_LITERAL, KIND_MISS, KIND_PACKET, KIND_RESEND, OP_LIT, OP_REF, OP_SAME, VERSION,
  readPos32, unwrapPos, writeOp, writePos32, writeVarint, zigzag,
} from './re-format';
import { validateCacheBytes, validateAnchor } from './re-options';
import { ConfigError } from '../../errors';

export type ReGating = 'acked' | 'flow' | 'off';

export interface ReEncoderOptions {
  /** Byte cache size, a power of two from 4 MiB to 512 MiB (default 64 MiB); both ends must agree. */
  cacheBytes?: number;
  /** Nominal chunk (anchor) size in bytes, a power of two from 32 to 4096 (default 128). */
  anchor?: number;
  /**
   * Which cached bytes may be referenced (default 'acked'):
   * - 'acked': only bytes of packets reported delivered (onDelivered): a miss needs a lost ack;
   * - 'flow': those, plus bytes this same flow sent earlier in its current and previous
   *   extent (≥ its last ~1 MiB). The tunnel delivers a flow in order, so such a reference
   *   misses only when the packet it points into was lost, and then the inner TCP is already
   *   waiting for that packet's retransmission: the resend costs bytes, hardly time;
   * - 'off': every byte sent (misses on every loss; for measurements).
   */
  gating?: ReGating;
  /** Payloads shorter than this go raw and stay out of the cache (default 64). */
  minPayload?: number;
  /** Commit the cache's memory now instead of page by page on first use (steady speed from the start). */
  prefault?: boolean;
}

/** A match shorter than this is not worth a reference (tag + dist ≈ 6 bytes). */
const MIN_MATCH = 16;
const MAX_PAYLOAD = 65535;
const MIN_EXTENT = 4096;
const MAX_EXTENT = 1 << 20;
const TOKEN_RING = 1 << 16;
const MAX_FLOWS = 8192;
const CANDIDATES = 4;
const LOST_RING = 64;
/** Largest skip tried when a match's distance may resume after a changed stretch. */
const RESYNC_MAX = 32;
/** Bytes an acknowledged source may lose to an unacknowledged one and still be preferred. */
const RISK_PENALTY = 64;

interface FlowState extends ChunkerState {
  /** Next cache position of this flow and the end of its extent. */
  writePos: number;
  extEnd: number;
  /** Start of the current extent, and the previous extent's written range. */
  extStart: number;
  prevStart: number;
  prevEnd: number;
  /** Payload bytes cached for this flow so far (sizes its next extent). */
  bytes: number;
  /** Distance of the flow's last reference (0: none): the first guess for the next match. */
  lastDist: number;
}

export class ReEncoder {
  // counters (plain numbers; the metrics helper exports them)
  packets = 0;
  rawPackets = 0;
  literalPackets = 0;
  bytesIn = 0;
  bytesOut = 0;
  hits = 0;
  matchedBytes = 0;
  resends = 0;
  resendsRefused = 0;
  lostPackets = 0;
  /** Token of the last packet encode() or onMissRequest() produced (for onDelivered). */
  lastToken = 0;

  readonly cacheBytes: number;
  readonly anchor: number;
  readonly gating: ReGating;
  private readonly minPayload: number;
  private readonly params: ChunkParams;
  private readonly ring: Uint8Array;
  private readonly view: DataView;
  private readonly held: HeldMap;
  private readonly index: FingerprintIndex;
  private readonly flows = new Map<number, FlowState>();
  /** Reserved end of the cache: no position at or above it was ever written. */
  private head = 0;
  /** Gating 'flow': recent lost ranges, never referenced on trust. */
  private readonly lostStart = new Float64Array(LOST_RING);
  private readonly lostEnd = new Float64Array(LOST_RING);
  private lostCount = 0;
  private at = 0;
  private tokenCount = 0;
  private readonly tokSerial = new Float64Array(TOKEN_RING);
  private readonly tokPos = new Float64Array(TOKEN_RING);
  private readonly tokLen = new Int32Array(TOKEN_RING);
  // per-packet scratch
  private readonly cuts = new Int32Array(4096);
  private readonly fps = new Int32Array(4096);
  private readonly cands = new Float64Array(CANDIDATES);
  private readonly mStart = new Int32Array(1024);
  private readonly mEnd = new Int32Array(1024);
  private readonly mSrc = new Float64Array(1024);
  /** The flow and cache position of the packet being encoded. */
  private cur: FlowState = { gear: 0, chunkLen: 0, writePos: 0, extEnd: 0, extStart: 0, prevStart: 0, prevEnd: 0, bytes: 0, lastDist: 0 };
  private curPos = 0;
  private bestLen = 0;
  private bestScore = 0;
  private bestStart = 0;
  private bestSrc = 0;

  constructor(opts: ReEncoderOptions = {}) {
    this.cacheBytes = validateCacheBytes(opts.cacheBytes ?? 64 << 20);
    this.anchor = validateAnchor(opts.anchor ?? 128);
    this.gating = opts.gating ?? 'acked';
    if (this.gating !== 'acked' && this.gating !== 'flow' && this.gating !== 'off') {
      throw new ConfigError('re.gating', `must be 'acked', 'flow' or 'off', got '${String(this.gating)}'`);
    }
    this.minPayload = Math.max(1, opts.minPayload ?? 64);
    this.params = chunkParams(this.anchor);
    this.ring = new Uint8Array(this.cacheBytes);
    this.view = new DataView(this.ring.buffer);
    if (opts.prefault) this.ring.fill(1).fill(0);
    this.held = new HeldMap(this.cacheBytes);
    this.index = new FingerprintIndex(Math.ceil(this.cacheBytes / this.params.normalSize)); // about one entry per chunk cached
    this.tokSerial.fill(-1);
  }

  /** Bytes of memory held by the cache, possession map and index. */
  get memoryBytes(): number {
    return this.ring.byteLength + this.held.memoryBytes + this.index.memoryBytes;
  }

  /**
   * Encodes one TCP payload of flow `flowKey` into `out` (at least
   * payload.length + 5 bytes). Returns the encoded length, or -1 when the
   * payload should go raw (too short or too long); it then stays out of the cache.
   */
  encode(flowKey: number, payload: Uint8Array, out: Uint8Array): number {
    const n = payload.length;
    if (n < this.minPayload || n > MAX_PAYLOAD || out.length < n + HEADER_BYTES) {
      this.rawPackets++;
      return -1;
    }
    const flow = this.flow(flowKey);
    const pos = this.allocate(flow, n);
    // the payload enters the cache first: chunking, matching and literal
    // copies then read one monomorphic buffer whatever type the caller passed
    const pi = pos % this.cacheBytes;
    // (no held-map work here: bits of an older lap never count for this one)
    this.ring.set(payload, pi);
    const nb = findBoundaries(this.params, flow, this.ring, pi, pi + n, this.cuts, this.fps);
    for (let k = 0; k < nb; k++) this.cuts[k] -= pi;
    this.cur = flow;
    this.curPos = pos;
    const nm = this.findMatches(flow, n, pos, nb);
    let len = nm > 0 ? this.writeOps(pi, n, pos, nm, out) : -1;
    if (len < 0) {
      out[0] = VERSION | KIND_LITERAL;
      writePos32(out, 1, pos);
      out.set(payload, HEADER_BYTES);
      len = n + HEADER_BYTES;
      this.literalPackets++;
    }
    this.store(flow, n, pos, nb);
    this.lastToken = this.remember(pos, n);
    this.packets++;
    this.bytesIn += n;
    this.bytesOut += len;
    return len;
  }

  /**
   * The packet with this token is lost (the tunnel proved it or gave up on
   * it). With gating 'flow' its bytes are no longer referenced on trust: a
   * retransmitted segment would otherwise keep pointing at the lost copy of
   * itself.
   */
  onLost(token: number): void {
    const slot = token & (TOKEN_RING - 1);
    if (this.tokSerial[slot] !== token) return;
    this.lostPackets++;
    this.rememberLost(this.tokPos[slot], this.tokLen[slot]);
  }

  /** Keeps [pos, pos+len) out of gating-'flow' optimism (a short ring of recent losses). */
  private rememberLost(pos: number, len: number): void {
    const i = this.lostCount++ & (LOST_RING - 1);
    this.lostStart[i] = pos;
    this.lostEnd[i] = pos + len;
  }

  /** The packet with this token reached the decoder: its bytes may now be referenced. */
  onDelivered(token: number): void {
    const slot = token & (TOKEN_RING - 1);
    if (this.tokSerial[slot] !== token) return;
    const pos = this.tokPos[slot];
    if (pos < this.head - this.cacheBytes) return; // already overwritten
    if (this.gating !== 'off') this.held.mark(pos, this.tokLen[slot]);
  }

  /**
   * Answers a decoder's MISS message: writes a RESEND message into `out` and
   * returns its length, or -1 when the bytes are no longer cached (or the
   * request names no packet this encoder sent); the data is then lost to RE
   * and the inner transport retransmits.
   */
  onMissRequest(msg: Uint8Array, out: Uint8Array): number {
    if (msg.length < HEADER_BYTES + 1 || msg[0] !== (VERSION | KIND_MISS)) return this.refuse();
    const pos = unwrapPos(readPos32(msg, 1), this.head);
    this.at = HEADER_BYTES;
    const len = this.varint(msg);
    // the source range the decoder lacked (lost on the way): never trust it again
    if (this.at + 4 <= msg.length) {
      const src = unwrapPos(readPos32(msg, this.at), this.head);
      this.at += 4;
      const srcLen = this.varint(msg);
      if (srcLen > 0 && srcLen <= MAX_PAYLOAD) this.rememberLost(src, srcLen);
    }
    if (len <= 0 || len > MAX_PAYLOAD || out.length < len + HEADER_BYTES) return this.refuse();
    if (pos < this.head - this.cacheBytes || !this.sentExactly(pos, len)) return this.refuse();
    out[0] = VERSION | KIND_RESEND;
    writePos32(out, 1, pos);
    const ri = pos % this.cacheBytes;
    out.set(this.ring.subarray(ri, ri + len), HEADER_BYTES);
    this.lastToken = this.remember(pos, len);
    this.resends++;
    return len + HEADER_BYTES;
  }

  /** Reads a varint at this.at (at most 3 bytes: lengths only); -1 when malformed. */
  private varint(msg: Uint8Array): number {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 3 && this.at < msg.length; k++) {
      const b = msg[this.at++];
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
    return -1;
  }

  private refuse(): number {
    this.resendsRefused++;
    return -1;
  }

  /** True when a packet of exactly [pos, pos+len) is among the recent tokens. */
  private sentExactly(pos: number, len: number): boolean {
    const oldest = Math.max(1, this.tokenCount - TOKEN_RING + 1);
    for (let t = this.tokenCount; t >= oldest; t--) {
      const s = t & (TOKEN_RING - 1);
      if (this.tokPos[s] === pos && this.tokLen[s] === len) return true;
    }
    return false;
  }

  private remember(pos: number, len: number): number {
    const t = ++this.tokenCount;
    const s = t & (TOKEN_RING - 1);
    this.tokSerial[s] = t;
    this.tokPos[s] = pos;
    this.tokLen[s] = len;
    return t;
  }

  private flow(key: number): FlowState {
    let f = this.flows.get(key);
    if (f === undefined) {
      if (this.flows.size >= MAX_FLOWS) {
        const oldest = this.flows.keys().next().value as number;
        this.flows.delete(oldest);
      }
      f = { gear: 0, chunkLen: 0, writePos: 0, extEnd: 0, extStart: 0, prevStart: 0, prevEnd: 0, bytes: 0, lastDist: 0 };
      this.flows.set(key, f);
    }
    return f;
  }

  /** Cache position for the flow's next n bytes, opening a new extent when needed. */
  private allocate(f: FlowState, n: number): number {
    const cap = this.cacheBytes;
    if (f.writePos + n > f.extEnd || f.writePos < this.head - cap) {
      let size = MIN_EXTENT;
      while (size < f.bytes && size < MAX_EXTENT) size *= 2;
      if (size < n) size = n;
      const ri = this.head % cap;
      if (ri + size > cap) this.head += cap - ri; // never straddle the ring's end
      f.prevStart = f.extStart;
      f.prevEnd = f.writePos;
      f.extStart = this.head;
      f.writePos = this.head;
      f.extEnd = this.head + size;
      this.head += size;
    }
    const pos = f.writePos;
    f.writePos += n;
    return pos;
  }

  /**
   * Finds non-overlapping matches in payload order; returns their count (in
   * mStart/mEnd/mSrc). The flow's last reference distance is tried first at
   * the packet's start and at every boundary: a shifted copy of old data keeps
   * one distance, so most packets match without an index lookup.
   */
  private findMatches(f: FlowState, n: number, pos: number, nb: number): number {
    const pi = pos % this.cacheBytes; // the payload is already in the cache there
    let litStart = 0;
    let nm = 0;
    if (f.lastDist !== 0) {
      this.bestLen = 0;
      this.bestScore = 0;
      this.tryCandidate(pi, n, 0, pos - f.lastDist, 0);
      if (this.bestLen > 0) {
        nm = this.resync(f, pi, n, pos, this.takeBest(f, pos, 0));
        litStart = this.mEnd[nm - 1];
      }
    }
    for (let k = 0; k < nb && litStart < n && nm < this.mStart.length; k++) {
      const b = this.cuts[k];
      if (b < litStart) continue;
      this.bestLen = 0;
      this.bestScore = 0;
      if (f.lastDist !== 0) this.tryCandidate(pi, n, b, pos + b - f.lastDist, litStart);
      if (this.bestStart !== litStart || this.bestScore !== n - litStart) {
        const nc = this.index.lookup(this.fps[k], this.head, this.cands);
        for (let c = 0; c < nc; c++) {
          if (this.tryCandidate(pi, n, b, this.cands[c], litStart)) break;
        }
      }
      if (this.bestLen > 0) {
        nm = this.resync(f, pi, n, pos, this.takeBest(f, pos, nm));
        litStart = this.mEnd[nm - 1];
      }
    }
    return nm;
  }

  /**
   * After a match that stopped short of the packet's end, the same distance
   * often resumes a few bytes on (a changed digit or word of equal length):
   * try it at growing skips before waiting for the next chunk boundary.
   */
  private resync(f: FlowState, pi: number, n: number, pos: number, nm: number): number {
    while (nm < this.mStart.length) {
      const e = this.mEnd[nm - 1];
      this.bestLen = 0;
      this.bestScore = 0;
      for (let d = 1; d <= RESYNC_MAX && e + d < n && this.bestLen === 0; d = d < 4 ? d + 1 : d * 2) {
        this.tryCandidate(pi, n, e + d, pos + e + d - f.lastDist, e);
      }
      if (this.bestLen === 0) return nm;
      nm = this.takeBest(f, pos, nm);
    }
    return nm;
  }

  private takeBest(f: FlowState, pos: number, nm: number): number {
    this.mStart[nm] = this.bestStart;
    this.mEnd[nm] = this.bestStart + this.bestLen;
    this.mSrc[nm] = this.bestSrc;
    f.lastDist = pos + this.bestStart - this.bestSrc;
    this.hits++;
    return nm + 1;
  }

  /**
   * Byte-compares payload around index b with the cache around position cpos,
   * extending left to litStart and right to the packet's end, clipped to what
   * the decoder holds; keeps it in best* when longer. True when nothing can
   * beat it.
   */
  private tryCandidate(pi: number, n: number, b: number, cpos: number, litStart: number): boolean {
    const lowest = this.head - this.cacheBytes;
    if (cpos < lowest || cpos > this.head) return false;
    const ci = cpos % this.cacheBytes;
    const left = commonSuffix(this.ring, this.view, pi + b, ci, Math.min(b - litStart, ci - Math.max(0, ci - (cpos - lowest))));
    const right = commonPrefix(this.ring, this.view, pi + b, ci, Math.min(n - b, Math.min(this.cacheBytes, ci + (this.head - cpos)) - ci));
    const i = b - left;
    const i2 = b + right;
    if (i2 - i <= this.bestScore || i2 - i < MIN_MATCH) return false;
    // keep only bytes the decoder is known to hold (or, gating 'flow', this flow sent before)
    let lo = this.held.runLeft(cpos, cpos - (b - i));
    let hi = this.held.runRight(cpos, cpos + (i2 - b));
    let risky = false;
    if (this.gating === 'flow') {
      const f = this.cur;
      const own = cpos >= f.extStart && cpos <= this.curPos ? 1 : cpos >= f.prevStart && cpos <= f.prevEnd ? 2 : 0;
      if (own !== 0) {
        let olo = Math.max(cpos - (b - i), own === 1 ? f.extStart : f.prevStart);
        let ohi = Math.min(cpos + (i2 - b), own === 1 ? this.curPos : f.prevEnd);
        for (let k = 0; k < LOST_RING && k < this.lostCount; k++) {
          const ls = this.lostStart[k];
          const le = this.lostEnd[k];
          if (le <= olo || ls >= ohi) continue;
          if (ls <= cpos && cpos < le) ohi = olo; // the anchor itself was lost
          else if (le <= cpos) olo = le;
          else ohi = ls;
        }
        if (ohi - olo - RISK_PENALTY > hi - lo) {
          lo = olo;
          hi = ohi;
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
    return !risky && this.bestStart === litStart && len === n - litStart;
  }

  /** Writes a PACKET message; returns its length, or -1 when it would not beat a LITERAL one. */
  private writeOps(pi: number, n: number, pos: number, nm: number, out: Uint8Array): number {
    const limit = n + HEADER_BYTES;
    out[0] = VERSION | KIND_PACKET;
    writePos32(out, 1, pos);
    let at = HEADER_BYTES;
    let o = 0;
    let prevDist = NaN;
    let matched = 0;
    for (let m = 0; m < nm; m++) {
      const s = this.mStart[m];
      const e = this.mEnd[m];
      if (s > o) {
        if (at + 4 + (s - o) > limit) return -1;
        at = writeOp(out, at, OP_LIT, s - o);
        copyOut(this.ring, pi + o, out, at, s - o);
        at += s - o;
      }
      if (at + 12 > limit) return -1;
      const dist = pos + s - this.mSrc[m];
      if (dist === prevDist) at = writeOp(out, at, OP_SAME, e - s);
      else {
        at = writeOp(out, at, OP_REF, e - s);
        at = writeVarint(out, at, zigzag(dist));
        prevDist = dist;
      }
      matched += e - s;
      o = e;
    }
    if (o < n) {
      if (at + 4 + (n - o) > limit) return -1;
      at = writeOp(out, at, OP_LIT, n - o);
      copyOut(this.ring, pi + o, out, at, n - o);
      at += n - o;
    }
    if (at >= limit) return -1;
    this.matchedBytes += matched;
    return at;
  }

  /** Puts the payload into the cache at pos and its boundaries into the index. */
  private store(f: FlowState, n: number, pos: number, nb: number): void {
    if (this.gating === 'off') this.held.mark(pos, n);
    for (let k = 0; k < nb; k++) this.index.insert(this.fps[k], pos + this.cuts[k]);
    f.bytes += n;
  }
}

/** Copies len bytes; short runs by hand (a view object per run would cost more). */
function copyOut(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  if (len < 64) {
    for (let k = 0; k < len; k++) dst[to + k] = src[from + k];
  } else dst.set(src.subarray(from, from + len), to);
}
