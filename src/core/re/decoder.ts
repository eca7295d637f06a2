/**
 * RE decoder: keeps only the byte cache and copies ranges. It never chunks or
 * hashes; chunking parameters stay private to the encoder. Every reference is
 * checked against the possession map: a range this decoder does not hold
 * byte-exactly (lost packet, evicted, wrapped) is a miss, never garbage.
 */
import { HeldMap } from './held-map';
import {
  HEADER_BYTES, KIND_LITERAL, KIND_MISS, KIND_PACKET, KIND_PACKET_Z, KIND_RESEND, MISS_SELF, OP_LIT, OP_REF, OP_SAME, VERSION,
  readPos32, unwrapPos, unzigzag, writePos32, writeVarint,
} from './re-format';
import { validateCacheBytes } from './re-options';
import { inflateLiterals } from './literal-codec';

export interface ReDecoderOptions {
  /** Must equal the encoder's cacheBytes (default 64 MiB). */
  cacheBytes?: number;
  /** Commit the cache's memory now instead of page by page on first use. */
  prefault?: boolean;
}

/** decode() results below zero. */
export const DECODE_MISS = -1;
export const DECODE_MALFORMED = -2;

export class ReDecoder {
  // counters
  packets = 0;
  bytesIn = 0;
  bytesOut = 0;
  refBytes = 0;
  misses = 0;
  recoveries = 0;
  malformed = 0;
  /** The range of the last miss (what writeMissRequest asks for). */
  missPos = -1;
  missLen = 0;
  /** The first source range the missed packet referenced and this decoder lacked. */
  missSrc = 0;
  missSrcLen = 0;
  /** Cache position of the last message decode() accepted (for matching a RESEND to its packet). */
  lastPos = -1;

  readonly cacheBytes: number;
  private readonly ring: Uint8Array;
  private readonly held: HeldMap;
  /** Highest cache position written + 1: the reference for unwrapping pos32. */
  private maxPos = 0;
  private at = 0;

  constructor(opts: ReDecoderOptions = {}) {
    this.cacheBytes = validateCacheBytes(opts.cacheBytes ?? 64 << 20);
    this.ring = new Uint8Array(this.cacheBytes);
    this.held = new HeldMap(this.cacheBytes);
    if (opts.prefault) {
      this.ring.fill(1).fill(0);
      this.held.prefault();
    }
  }

  get memoryBytes(): number {
    return this.ring.byteLength + this.held.memoryBytes;
  }

  /**
   * Decodes one message of flow `flowKey` into `out`; returns the payload
   * length, DECODE_MISS (-1: ask with writeMissRequest, the packet cannot be
   * delivered now) or DECODE_MALFORMED (-2: dropped and counted). Never throws.
   */
  decode(flowKey: number, msg: Uint8Array, out: Uint8Array): number {
    void flowKey; // references are self-contained per packet; kept for per-flow ops
    if (msg.length < HEADER_BYTES || (msg[0] & 0xf0) !== VERSION) return this.bad();
    const kind = msg[0] & 0x0f;
    const pos = unwrapPos(readPos32(msg, 1), this.maxPos);
    if (pos < 0) return this.bad();
    this.lastPos = pos;
    let n: number;
    if (kind === KIND_LITERAL || kind === KIND_RESEND) {
      n = msg.length - HEADER_BYTES;
      if (n > out.length) return this.bad();
      out.set(msg.subarray(HEADER_BYTES), 0);
      if (kind === KIND_RESEND) this.recoveries++;
    } else if (kind === KIND_PACKET || kind === KIND_PACKET_Z) {
      n = this.applyOps(msg, pos, out, kind === KIND_PACKET_Z);
      if (n < 0) return n;
    } else return this.bad();
    this.store(pos, out, n);
    this.packets++;
    this.bytesIn += msg.length;
    this.bytesOut += n;
    return n;
  }

  /** True when every byte of [pos, pos+len) is held (a missed packet's source arrived since). */
  holds(pos: number, len: number): boolean {
    return this.held.isHeld(pos, len);
  }

  /**
   * Writes the MISS message for the last miss into out (≥ 17 bytes); returns
   * its length. `self`: ask for the missed packet itself rather than the
   * source it lacked (a retry when the source's resend did not come).
   */
  writeMissRequest(out: Uint8Array, self = false): number {
    return writeMiss(out, this.missPos, this.missLen, this.missSrc, this.missSrcLen, self);
  }

  private bad(): number {
    this.malformed++;
    return DECODE_MALFORMED;
  }

  /** Literal bytes of a PACKET_Z message, inflated. */
  private readonly lits = new Uint8Array(65536);

  private applyOps(msg: Uint8Array, pos: number, out: Uint8Array, zipped: boolean): number {
    const cap = this.cacheBytes;
    const ring = this.ring;
    let o = 0;
    let prevDist = NaN;
    let missing = false;
    this.at = HEADER_BYTES;
    let litN = 0;
    let litAt = 0;
    if (zipped) {
      const zlen = this.varint(msg);
      if (zlen <= 0 || this.at + zlen > msg.length) return this.bad();
      litN = inflateLiterals(msg.subarray(this.at, this.at + zlen), this.lits);
      if (litN < 0) return this.bad();
      this.at += zlen;
    }
    while (this.at < msg.length) {
      const tag = msg[this.at++];
      let len = tag & 31;
      if (tag & 32) {
        const more = this.varint(msg);
        if (more < 0) return this.bad();
        len += more * 32;
      }
      const op = tag >> 6;
      if (len === 0 || o + len > out.length) return this.bad();
      if (op === OP_LIT && zipped) {
        if (litAt + len > litN) return this.bad();
        if (!missing) out.set(this.lits.subarray(litAt, litAt + len), o);
        litAt += len;
      } else if (op === OP_LIT) {
        if (this.at + len > msg.length) return this.bad();
        if (!missing) out.set(msg.subarray(this.at, this.at + len), o);
        this.at += len;
      } else if (op === OP_REF || op === OP_SAME) {
        if (op === OP_REF) {
          const z = this.varint(msg);
          if (z < 0) return this.bad();
          prevDist = unzigzag(z);
        } else if (prevDist !== prevDist) return this.bad();
        const src = pos + o - prevDist;
        if (missing) {
          // already missing: only the length matters now
        } else if (src < 0 || !this.held.isHeld(src, len)) {
          missing = true;
          this.missSrc = Math.max(0, src);
          this.missSrcLen = len;
        }
        else {
          const si = src % cap;
          const first = Math.min(len, cap - si);
          out.set(ring.subarray(si, si + first), o);
          if (first < len) out.set(ring.subarray(0, len - first), o + first);
          this.refBytes += len;
        }
      } else return this.bad();
      o += len;
    }
    if (litAt !== litN) return this.bad();
    if (missing) {
      this.misses++;
      this.missPos = pos;
      this.missLen = o;
      return DECODE_MISS;
    }
    return o;
  }

  /** Reads a varint at this.at (at most 8 bytes); -1 when truncated or too long. */
  private varint(msg: Uint8Array): number {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 8; k++) {
      if (this.at >= msg.length) return -1;
      const b = msg[this.at++];
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
    return -1;
  }

  private store(pos: number, data: Uint8Array, n: number): void {
    const cap = this.cacheBytes;
    if (pos < this.maxPos - cap) return; // its slots may hold newer bytes: deliver, keep nothing
    const ri = pos % cap;
    const first = Math.min(n, cap - ri);
    this.ring.set(data.subarray(0, first), ri);
    if (first < n) this.ring.set(data.subarray(first, n), 0);
    this.held.mark(pos, n);
    if (pos + n > this.maxPos) this.maxPos = pos + n;
  }
}

/** A MISS message for the packet at [pos, pos+len) that lacked [src, src+srcLen) (layout: re-format.ts); returns its length. */
export function writeMiss(out: Uint8Array, pos: number, len: number, src: number, srcLen: number, self: boolean): number {
  out[0] = VERSION | KIND_MISS;
  writePos32(out, 1, pos);
  const at = writeVarint(out, HEADER_BYTES, len);
  writePos32(out, at, src);
  const end = writeVarint(out, at + 4, srcLen);
  if (!self) return end;
  out[end] = MISS_SELF;
  return end + 1;
}
