/**
 * Byte layout of RE messages (inside the tunnel's AEAD, so integrity is given;
 * these checks guard against state mismatch, not forgery).
 *
 * Every message starts with one byte: version (high nibble, 1) | kind (low nibble).
 *   PACKET   0x10  pos32(4 LE) ops...          decoded bytes go to cache position pos
 *   LITERAL  0x11  pos32(4 LE) bytes...        the payload as is (it did not shrink)
 *   RESEND   0x12  pos32(4 LE) bytes...        answer to a miss; like LITERAL, counted as a recovery
 *   PACKET_Z 0x14  pos32(4 LE) zlen(varint) z(zlen) ops...
 *                 as PACKET, but the OP_LIT ops carry no bytes: their bytes, in op order, are
 *                 the raw-deflate stream z (literalCodec 'deflate'; one stream per packet)
 *   MISS     0x13  pos32(4 LE) len(varint) src32(4 LE) srcLen(varint) [flags(1)]
 *                 decoder → encoder: the packet at [pos, pos+len) lacks [src, src+srcLen)
 *                 (the encoder stops trusting it and resends the packet holding src); flag
 *                 MISS_SELF: resend [pos, pos+len) itself (a retry after the source did not come)
 * pos32 is the absolute cache position mod 2^32; the receiver picks the value
 * nearest to the highest position it has seen (caches are far below 2^31).
 *
 * Ops (PACKET): a tag byte = kind (bits 7–6) | more (bit 5) | len low 5 bits,
 * then if `more` the rest of len (len >> 5) as a varint, then:
 *   OP_LIT   kind 0: len literal bytes
 *   OP_REF   kind 1: zigzag varint dist; copy len bytes from cache position (dest − dist),
 *                    dest being the cache position of the op's first output byte
 *   OP_SAME  kind 2: as OP_REF with the dist of the previous reference in this packet
 * A stream shifted against an earlier copy keeps one dist, so a packet that is
 * a run of old chunks with a few changed bytes costs one OP_REF and OP_SAMEs.
 */
export const VERSION = 0x10;
export const KIND_PACKET = 0;
export const KIND_LITERAL = 1;
export const KIND_RESEND = 2;
export const KIND_MISS = 3;
export const KIND_PACKET_Z = 4;
export const HEADER_BYTES = 5;
/** MISS flag: resend the missed packet itself. */
export const MISS_SELF = 1;

export const OP_LIT = 0;
export const OP_REF = 1;
export const OP_SAME = 2;

export function writePos32(out: Uint8Array, at: number, pos: number): void {
  const v = pos >>> 0; // mod 2^32 (pos is a non-negative integer; % on a double would be an fmod call)
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

export function readPos32(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

/** The absolute position with low 32 bits `p32` nearest to `near`. */
export function unwrapPos(p32: number, near: number): number {
  const base = near - (near % 4294967296);
  let pos = base + p32;
  if (pos - near > 2147483648) pos -= 4294967296;
  else if (near - pos > 2147483648) pos += 4294967296;
  return pos;
}

/** Writes an unsigned varint (value < 2^53); returns the next offset. */
export function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  if (v < 2147483648) {
    // int32 arithmetic: % and / on a value the compiler keeps as a double cost an fmod call per byte
    while (v >= 128) {
      out[at++] = (v & 127) | 128;
      v >>>= 7;
    }
    out[at++] = v;
    return at;
  }
  while (v >= 128) {
    out[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}

/** Op tag plus length; returns the next offset. */
export function writeOp(out: Uint8Array, at: number, kind: number, len: number): number {
  if (len < 32) {
    out[at] = (kind << 6) | len;
    return at + 1;
  }
  out[at] = (kind << 6) | 32 | (len & 31);
  return writeVarint(out, at + 1, len >>> 5); // len < 2^31
}

export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Worst-case encoded size of a payload of `len` bytes (a LITERAL message). */
export function maxEncodedLength(len: number): number {
  return len + HEADER_BYTES;
}
