/**
 * Cryptokey routing: which peer owns which inner addresses. Outbound, the
 * destination of an inner packet picks the peer (longest prefix wins);
 * inbound, a packet from a peer is delivered only if its source address is
 * one of that peer's. Linear scan over prefixes: gateways with a few hundred
 * peers; a trie can replace it behind the same interface.
 */
export interface Prefix {
  /** 4 or 16 address bytes. */
  bytes: Uint8Array;
  length: number;
  peer: number;
}

/** Parses "10.0.0.0/24" or "fd00::/64" (no prefix: a single host). Throws RangeError on bad input. */
export function parsePrefix(cidr: string, peer: number): Prefix {
  const [addr, lenText] = cidr.split('/');
  const bytes = addr.includes(':') ? parseV6(addr) : parseV4(addr);
  const max = bytes.length * 8;
  const length = lenText === undefined ? max : Number(lenText);
  if (!Number.isInteger(length) || length < 0 || length > max) throw new RangeError(`bad prefix length in '${cidr}'`);
  return { bytes, length, peer };
}

function parseV4(a: string): Uint8Array {
  const parts = a.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new RangeError(`bad IPv4 address '${a}'`);
  return Uint8Array.from(parts);
}

function parseV6(a: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  if (tail === undefined && h.length !== 8) throw new RangeError(`bad IPv6 address '${a}'`);
  const words = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  if (words.length !== 8) throw new RangeError(`bad IPv6 address '${a}'`);
  words.forEach((w, i) => {
    const v = parseInt(w, 16);
    if (!/^[0-9a-fA-F]{1,4}$/.test(w) || Number.isNaN(v)) throw new RangeError(`bad IPv6 address '${a}'`);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export class AllowedIps {
  private readonly prefixes: Prefix[] = [];

  add(cidr: string, peer: number): void {
    this.prefixes.push(parsePrefix(cidr, peer));
    this.prefixes.sort((a, b) => b.length - a.length); // longest first: the first match wins
  }

  /** The peer owning the address at pkt[offset .. offset+len), or -1. */
  lookup(pkt: Uint8Array, offset: number, len: number): number {
    for (let i = 0; i < this.prefixes.length; i++) {
      const p = this.prefixes[i];
      if (p.bytes.length === len && matches(p, pkt, offset)) return p.peer;
    }
    return -1;
  }

  /** Does `peer` own the address at pkt[offset..]? */
  owns(peer: number, pkt: Uint8Array, offset: number, len: number): boolean {
    return this.lookup(pkt, offset, len) === peer;
  }
}

function matches(p: Prefix, pkt: Uint8Array, offset: number): boolean {
  let bits = p.length;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((pkt[offset + i] & mask) !== (p.bytes[i] & mask)) return false;
  }
  return true;
}
