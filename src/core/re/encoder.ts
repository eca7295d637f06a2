/**
 * RE encoder: one per session direction. See index.ts for the protocol and API.
 *
 * Per packet: write the payload into the byte cache at the flow's next
 * position, continue the flow's chunker over it, let the MatchFinder find
 * stretches the decoder holds, emit literals plus one reference per match,
 * and index the packet's chunk boundaries.
 *
 * Cache layout: positions are handed out in extents per flow, so one flow's
 * bytes stay contiguous even when many flows interleave; an extent never
 * straddles the end of the ring, so a contiguous range is one slice of it.
 */
import { CutMap } from './cut-map';
import { chunkParams, findBoundaries, stateAt, type ChunkParams, type ChunkerState } from './gear-chunker';
import { FingerprintIndex } from './fingerprint-index';
import { HeldMap } from './held-map';
import { LostRanges } from './lost-ranges';
import { MatchFinder, type MatchFlow } from './match-finder';
import { SentPackets } from './sent-packets';
import {
  HEADER_BYTES, KIND_LITERAL, KIND_MISS, KIND_PACKET, KIND_PACKET_Z, KIND_RESEND, MISS_SELF, OP_LIT, OP_REF, OP_SAME, VERSION,
  readPos32, unwrapPos, writeOp, writePos32, writeVarint, zigzag,
} from './re-format';
import { validateCacheBytes, validateAnchor } from './re-options';
import { LITERAL_Z_MIN, deflateLiterals, type LiteralCodec } from './literal-codec';
import { ConfigError } from '../../errors';

export type ReGating = 'acked' | 'flow' | 'off';

export interface ReEncoderOptions {
  /** Byte cache size, a power of two from 4 MiB to 512 MiB (default 64 MiB); both ends must agree. */
  cacheBytes?: number;
  /** Nominal chunk (anchor) size in bytes, a power of two from 32 to 4096 (default 128). */
  anchor?: number;
  /**
   * Which cached bytes may be referenced (default 'flow'):
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
  /** Commit the memory of the cache, held map and index now instead of page by page on first use (steady speed from the start). */
  prefault?: boolean;
  /**
   * 'deflate': a packet's literal bytes (what found no reference) go raw-deflated when
   * that is smaller (new text costs about half); several µs of CPU per packet each way.
   * Default 'none'.
   */
  literalCodec?: LiteralCodec;
}

const MAX_PAYLOAD = 65535;
const MIN_EXTENT = 4096;
const MAX_EXTENT = 1 << 20;
const MAX_FLOWS = 8192;
/** Matched bytes past a boundary from which the chunker jumps to the match's end. */
const JUMP_MIN = 256;
/** RESENDs remembered so that several packets waiting on one lost source get it once. */
const RECENT_RESENDS = 16;

interface FlowState extends ChunkerState, MatchFlow {
  /** Next cache position of this flow and the end of its extent. */
  writePos: number;
  extEnd: number;
  /** Payload bytes cached for this flow so far (sizes its next extent). */
  bytes: number;
}

export class ReEncoder {
  // counters (plain numbers; the metrics helper exports them)
  packets = 0;
  rawPackets = 0;
  literalPackets = 0;
  bytesIn = 0;
  bytesOut = 0;
  matchedBytes = 0;
  resends = 0;
  resendsRefused = 0;
  lostPackets = 0;
  /** Token of the last packet encode() or onMissRequest() produced (for onDelivered). */
  lastToken = 0;

  readonly cacheBytes: number;
  readonly anchor: number;
  readonly gating: ReGating;
  readonly literalCodec: LiteralCodec;
  /** Packets whose literals went deflated. */
  literalZPackets = 0;
  private readonly minPayload: number;
  private readonly params: ChunkParams;
  private readonly ring: Uint8Array;
  /** The ring as a DataView (the chunker reads it four bytes at a time). */
  private readonly ringView: DataView;
  /** cacheBytes - 1: `pos & ringMask` is pos's ring slot (positions are integers below 2^53; `%` on them compiles to a slow fmod). */
  private readonly ringMask: number;
  private readonly held: HeldMap;
  private readonly index: FingerprintIndex;
  private readonly cutMap: CutMap;
  private readonly lost = new LostRanges();
  private readonly sent = new SentPackets();
  /** Cache positions of the last RESENDs (not repeated while listed here). */
  private readonly recentResends = new Float64Array(RECENT_RESENDS).fill(-1);
  private readonly matcher: MatchFinder;
  private readonly flows = new Map<number, FlowState>();
  /** Reserved end of the cache: no position at or above it was ever written. */
  private head = 0;
  private at = 0;
  // per-packet scratch
  private readonly cuts = new Int32Array(4096);
  private readonly fps = new Int32Array(4096);
  /** Literal bytes of the last writeOps, and PACKET_Z scratch. */
  private litBytes = 0;
  private readonly zOps = new Uint8Array(32768);
  private readonly zLits = new Uint8Array(MAX_PAYLOAD);
  private readonly zHead = new Uint8Array(8);

  constructor(opts: ReEncoderOptions = {}) {
    this.cacheBytes = validateCacheBytes(opts.cacheBytes ?? 64 << 20);
    this.anchor = validateAnchor(opts.anchor ?? 128);
    this.gating = opts.gating ?? 'flow';
    if (this.gating !== 'acked' && this.gating !== 'flow' && this.gating !== 'off') {
      throw new ConfigError('re.gating', `must be 'acked', 'flow' or 'off', got '${String(this.gating)}'`);
    }
    this.minPayload = Math.max(1, opts.minPayload ?? 64);
    this.literalCodec = opts.literalCodec ?? 'none';
    if (this.literalCodec !== 'none' && this.literalCodec !== 'deflate') {
      throw new ConfigError('re.literalCodec', `must be 'none' or 'deflate', got '${String(this.literalCodec)}'`);
    }
    this.params = chunkParams(this.anchor);
    this.ring = new Uint8Array(this.cacheBytes);
    this.ringMask = this.cacheBytes - 1;
    this.ringView = new DataView(this.ring.buffer, this.ring.byteOffset, this.ring.byteLength);
    if (opts.prefault) this.ring.fill(1).fill(0);
    this.held = new HeldMap(this.cacheBytes);
    this.index = new FingerprintIndex(Math.ceil(this.cacheBytes / this.params.normalSize)); // about one entry per chunk cached
    this.matcher = new MatchFinder(this.ring, this.held, this.index, this.lost);
    this.cutMap = new CutMap(this.cacheBytes);
    if (opts.prefault) {
      this.held.prefault();
      this.index.prefault();
      this.cutMap.prefault();
    }
  }

  /** Fingerprint hits that became references. */
  get hits(): number {
    return this.matcher.hits;
  }

  /** Bytes of memory held by the cache, possession map, index and boundary map. */
  get memoryBytes(): number {
    return this.ring.byteLength + this.held.memoryBytes + this.index.memoryBytes + this.cutMap.memoryBytes;
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
    const pi = pos & this.ringMask;
    // (no held-map work here: bits of an older lap never count for this one)
    this.ring.set(payload, pi);
    this.cutMap.clear(pi, n);
    const nb = this.chunkAndMatch(flow, pos, pi, n);
    const nm = this.matcher.count;
    let len = nm > 0 ? this.writeOps(pi, n, pos, nm, out) : -1;
    const litBytes = len < 0 ? n : this.litBytes;
    if (len < 0) {
      out[0] = VERSION | KIND_LITERAL;
      writePos32(out, 1, pos);
      out.set(payload, HEADER_BYTES);
      len = n + HEADER_BYTES;
      this.literalPackets++;
    }
    if (this.literalCodec === 'deflate' && litBytes >= LITERAL_Z_MIN) len = this.deflateLiterals(out, len);
    this.store(flow, n, pos, nb);
    this.lastToken = this.sent.add(pos, n);
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
    if (!this.sent.find(token)) return;
    this.lostPackets++;
    this.lost.add(this.sent.pos, this.sent.len);
  }

  /** The packet with this token reached the decoder: its bytes may now be referenced. */
  onDelivered(token: number): void {
    if (this.gating === 'off' || !this.sent.find(token)) return;
    if (this.sent.pos < this.head - this.cacheBytes) return; // already overwritten
    this.held.mark(this.sent.pos, this.sent.len);
  }

  /**
   * Answers a decoder's MISS message: writes a RESEND message into `out` and
   * returns its length, or -1 when there is nothing (new) to resend; the
   * inner transport then retransmits.
   *
   * What is resent is the packet holding the first source byte the decoder
   * lacked (a packet lost on the way): that one RESEND lets the decoder
   * finish every packet waiting on it, where resending each waiting packet
   * would cost one RESEND per reference to the lost bytes. Only when that
   * packet is gone is the missed packet itself resent. A packet resent in
   * the last few answers is not resent again (several waiting packets ask
   * for the same source).
   */
  onMissRequest(msg: Uint8Array, out: Uint8Array): number {
    if (msg.length < HEADER_BYTES + 1 || msg[0] !== (VERSION | KIND_MISS)) return this.refuse();
    const pos = unwrapPos(readPos32(msg, 1), this.head);
    this.at = HEADER_BYTES;
    const len = this.varint(msg);
    const live = this.head - this.cacheBytes;
    // the source range the decoder lacked (lost on the way): never trust it again
    if (this.at + 4 <= msg.length) {
      const src = unwrapPos(readPos32(msg, this.at), this.head);
      this.at += 4;
      const srcLen = this.varint(msg);
      const self = this.at < msg.length && (msg[this.at] & MISS_SELF) !== 0;
      if (srcLen > 0 && srcLen <= MAX_PAYLOAD) {
        this.lost.add(src, srcLen);
        // acknowledged once, yet not held (a packet the receiver could not decode and dropped)
        if (src >= live) this.held.unmark(src, srcLen);
        if (self) this.forget(pos);
        else if (src >= live && this.sent.findContaining(src)) {
          const r = this.resend(this.sent.pos, this.sent.len, out);
          return r > 0 ? r : this.refuse(); // 0: on its way already
        }
      }
    }
    if (len <= 0 || len > MAX_PAYLOAD || pos < live || !this.sent.sentExactly(pos, len)) return this.refuse();
    const r = this.resend(pos, len, out);
    return r !== 0 ? r : this.refuse();
  }

  /** Lets the RESEND of pos go again (a retry: the last one did not arrive). */
  private forget(pos: number): void {
    for (let k = 0; k < RECENT_RESENDS; k++) if (this.recentResends[k] === pos) this.recentResends[k] = -1;
  }

  /** Writes a RESEND of cache range [pos, pos+len) into out; 0 when it was resent lately, -1 when out is too small. */
  private resend(pos: number, len: number, out: Uint8Array): number {
    if (pos < this.head - this.cacheBytes) return 0;
    for (let k = 0; k < RECENT_RESENDS; k++) if (this.recentResends[k] === pos) return 0;
    if (out.length < len + HEADER_BYTES) return -1;
    this.recentResends[this.resends % RECENT_RESENDS] = pos;
    out[0] = VERSION | KIND_RESEND;
    writePos32(out, 1, pos);
    const ri = pos % this.cacheBytes;
    out.set(this.ring.subarray(ri, ri + len), HEADER_BYTES);
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

  /**
   * Finds the packet's matches, chunking it one boundary at a time and only
   * where a lookup can still help: the flow's last distance is tried first,
   * and bytes a match covers are not chunked — the chunker jumps to the
   * match's end, continuing from the source's boundaries (jumpTo). Leaves
   * the boundaries it found in cuts/fps (payload offsets); returns their count.
   */
  private chunkAndMatch(f: FlowState, pos: number, pi: number, n: number): number {
    const m = this.matcher;
    m.start(f, pos, n, this.head, this.gating === 'flow');
    let o = 0;
    if (m.count > 0 && this.jumpTo(f, pi, m.count - 1)) o = m.covered;
    let nb = 0;
    while (o < n && nb < this.cuts.length) {
      if (findBoundaries(this.params, f, this.ring, this.ringView, pi + o, pi + n, this.cuts, this.fps, nb, nb + 1) === nb) break;
      const b = this.cuts[nb] - pi;
      this.cuts[nb] = b;
      const before = m.count;
      m.boundary(b, this.fps[nb++]);
      o = m.count > before && m.covered - b > JUMP_MIN && this.jumpTo(f, pi, m.count - 1) ? m.covered : b;
    }
    return nb;
  }

  /**
   * Continues the flow's chunker at the end of match j as the source's
   * chunker did: from the source's last boundary inside the match (the
   * boundary map), whose cuts this packet takes over. Those boundaries are
   * not indexed again: the content stays indexed at the source, which is
   * acknowledged, while a fresh entry would point at bytes the decoder may
   * not hold yet and crowd acknowledged ones out of a lookup's candidates
   * (measured: fewer wire bytes than re-indexing, and no index cache misses
   * for a repeated transfer). False when the match holds no source boundary.
   */
  private jumpTo(f: FlowState, pi: number, j: number): boolean {
    const m = this.matcher;
    const s = m.starts[j];
    const e = m.ends[j];
    const src = m.sources[j] & this.ringMask;
    const last = this.cutMap.lastIn(src, e - s);
    if (last === 0 || e - s - last >= this.params.maxSize) return false;
    this.cutMap.copy(src, pi + s, e - s);
    stateAt(this.params, f, this.ring, this.ringView, pi + s + last, pi + e);
    return true;
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
   * Rewrites the PACKET or LITERAL message out[0, len) as PACKET_Z when its
   * literal bytes deflate to less; returns the message's length.
   */
  private deflateLiterals(out: Uint8Array, len: number): number {
    const ops = this.zOps;
    const lits = this.zLits;
    let no = 0;
    let nl = 0;
    if ((out[0] & 0x0f) === KIND_LITERAL) {
      nl = len - HEADER_BYTES;
      lits.set(out.subarray(HEADER_BYTES, len), 0);
      no = writeOp(ops, 0, OP_LIT, nl);
    } else {
      // split the ops from their literal bytes
      for (let at = HEADER_BYTES; at < len; ) {
        const start = at;
        const tag = out[at++];
        let l = tag & 31;
        if (tag & 32) {
          let mul = 32;
          for (;;) {
            const b = out[at++];
            l += (b & 127) * mul;
            if (b < 128) break;
            mul *= 128;
          }
        }
        const op = tag >> 6;
        if (op === OP_REF) while (out[at++] >= 128);
        ops.set(out.subarray(start, at), no);
        no += at - start;
        if (op === OP_LIT) {
          lits.set(out.subarray(at, at + l), nl);
          nl += l;
          at += l;
        }
      }
    }
    const z = deflateLiterals(lits, nl);
    if (z === null) return len;
    const zlenAt = writeVarint(this.zHead, 0, z.length);
    const total = HEADER_BYTES + zlenAt + z.length + no;
    if (total >= len) return len;
    out[0] = VERSION | KIND_PACKET_Z; // pos32 stays
    out.set(this.zHead.subarray(0, zlenAt), HEADER_BYTES);
    out.set(z, HEADER_BYTES + zlenAt);
    out.set(ops.subarray(0, no), HEADER_BYTES + zlenAt + z.length);
    this.literalZPackets++;
    return total;
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
      const s = this.matcher.starts[m];
      const e = this.matcher.ends[m];
      if (s > o) {
        if (at + 4 + (s - o) > limit) return -1;
        at = writeOp(out, at, OP_LIT, s - o);
        copyOut(this.ring, pi + o, out, at, s - o);
        at += s - o;
      }
      if (at + 12 > limit) return -1;
      const dist = pos + s - this.matcher.sources[m];
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
    this.litBytes = n - matched;
    return at;
  }

  /** Puts the payload into the cache at pos and its boundaries into the index. */
  private store(f: FlowState, n: number, pos: number, nb: number): void {
    if (this.gating === 'off') this.held.mark(pos, n);
    const pi = pos & this.ringMask;
    for (let k = 0; k < nb; k++) {
      this.index.insert(this.fps[k], pos + this.cuts[k]);
      this.cutMap.set(pi + this.cuts[k] - 1); // the chunk's last byte: stays inside this packet's slots
    }
    f.bytes += n;
  }
}

/** Copies len bytes; short runs by hand (a view object per run would cost more). */
function copyOut(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  if (len < 64) {
    for (let k = 0; k < len; k++) dst[to + k] = src[from + k];
  } else dst.set(src.subarray(from, from + len), to);
}
