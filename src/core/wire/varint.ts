/**
 * Protobuf base-128 varints for non-negative integers up to 2^53 (JS numbers).
 * Values below 2^31 take the bit-operation path; larger ones (microsecond
 * clocks, long-lived sequence numbers) fall back to division, which is exact
 * for integers in the safe range.
 */

const TWO_31 = 2147483648;

export function varintSize(v: number): number {
  if (v < 128) return 1;
  if (v < 16384) return 2;
  if (v < 2097152) return 3;
  if (v < 268435456) return 4;
  if (v < 34359738368) return 5;
  if (v < 4398046511104) return 6;
  if (v < 562949953421312) return 7;
  if (v < 72057594037927936) return 8;
  return 9;
}

/** Writes v at pos; returns the position after it. The caller has checked the space. */
export function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  if (v < TWO_31) {
    while (v > 127) {
      buf[pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[pos++] = v;
    return pos;
  }
  while (v > 127) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** ZigZag for signed values (protobuf sint64), exact for |v| < 2^52. */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/**
 * A cursor over untrusted bytes. Reads never throw: a malformed or truncated
 * value sets `bad` and returns 0, and callers check `bad` once per message.
 */
export class Reader {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  bad = false;

  reset(buf: Uint8Array, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.bad = false;
  }

  /** A varint; values of 2^53 and above are refused (they can't be exact JS numbers). */
  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    let result = 0;
    let shift = 0;
    // First four bytes with bit operations (28 bits, always exact).
    while (shift < 28) {
      if (pos >= end) return this.fail();
      const b = buf[pos++];
      result |= (b & 127) << shift;
      if (b < 128) {
        this.pos = pos;
        return result >>> 0;
      }
      shift += 7;
    }
    let mul = 268435456; // 2^28
    result >>>= 0;
    while (shift < 56) {
      if (pos >= end) return this.fail();
      const b = buf[pos++];
      result += (b & 127) * mul;
      if (b < 128) {
        this.pos = pos;
        return result > 9007199254740991 ? this.fail() : result;
      }
      mul *= 128;
      shift += 7;
    }
    return this.fail();
  }

  /** A length-delimited field's length, checked against the bytes left. */
  length(): number {
    const n = this.varint();
    if (n > this.end - this.pos) return this.fail();
    return n;
  }

  fixed32(): number {
    const pos = this.pos;
    if (pos + 4 > this.end) return this.fail();
    const b = this.buf;
    this.pos = pos + 4;
    return (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16) | (b[pos + 3] << 24)) >>> 0;
  }

  /** Skips a field of an unknown number (forward compatibility); groups are refused. */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        if (this.pos + 8 > this.end) this.fail();
        else this.pos += 8;
        return;
      case 2: {
        const n = this.length();
        this.pos += n;
        return;
      }
      case 5:
        if (this.pos + 4 > this.end) this.fail();
        else this.pos += 4;
        return;
      default:
        this.fail();
    }
  }

  fail(): number {
    this.bad = true;
    this.pos = this.end;
    return 0;
  }
}
