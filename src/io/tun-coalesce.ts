/**
 * Writes for a TUN opened with IFF_VNET_HDR: every packet gets the 10-byte
 * virtio_net_hdr in front, and runs of consecutive in-order segments of one
 * TCP flow become one super-packet with a GSO header (what GRO does in a NIC
 * driver). The kernel then forwards or delivers the run as one packet (one
 * TUN write, one route lookup, one TCP receive) and splits it only if a
 * device on the way cannot take it whole.
 *
 * A run follows the rules Linux's own TCP GRO applies: same addresses,
 * ports, IP header fields, TCP options, ack number and window; each segment
 * starts where the previous ended; only ACK (PSH allowed on the last); all
 * segments as long as the first except a shorter last; no IP options,
 * fragments or IPv6 extension headers. Anything else is written as it is.
 */

import { fold, pseudoHeaderSum, setIpv4HeaderChecksum, sum16 } from '../core/flow/inet-checksum';
import { tcpHeaderEnd } from '../core/flow/tcp-segment';

/** sizeof(struct virtio_net_hdr): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
export const VNET_HDR_LEN = 10;
const F_NEEDS_CSUM = 1;
const GSO_TCPV4 = 1;
const GSO_TCPV6 = 4;
const PROTO_TCP = 6;
const ACK = 0x10;
const ACK_PSH = 0x18;
/** An IPv4 total length (or IPv6 payload length) must fit 16 bits. */
const MAX_SUPER = 65535;

export interface CoalesceStats {
  /** Super-packets written and the segments in them. */
  superPackets: number;
  superSegments: number;
}

/**
 * Builds the write list for a batch. The output views point into one slab
 * owned by this object, valid until the next build().
 */
export class TunCoalescer {
  readonly stats: CoalesceStats = { superPackets: 0, superSegments: 0 };
  readonly out: Buffer[] = [];
  private slab = Buffer.alloc(2 * 65536);

  /**
   * Fills `out` with what to write for packets[0..count); returns how many writes. gso[i] > 0 marks a TCP
   * super-packet already joined (by the far end's TUN, sent in pieces): written as it is, cut at gso[i].
   */
  build(packets: Uint8Array[], count: number, gso?: ArrayLike<number>): number {
    let need = 0;
    for (let i = 0; i < count; i++) need += packets[i].length + VNET_HDR_LEN;
    if (need > this.slab.length) this.slab = Buffer.alloc(need * 2);
    let pos = 0;
    let n = 0;
    for (let i = 0; i < count; ) {
      const first = packets[i];
      if (gso && gso[i] > 0) {
        const start = pos;
        pos = this.writeJoined(first, gso[i], pos);
        this.out[n++] = this.slab.subarray(start, pos);
        i++;
        continue;
      }
      const hlen = tcpHeadersLength(first);
      const ipLen = first[0] >> 4 === 4 ? 20 : 40;
      let j = i + 1;
      if (hlen > 0 && first.length > hlen && first[ipLen + 13] === ACK) {
        const mss = first.length - hlen;
        let total = first.length;
        let nextSeq = (readU32(first, ipLen + 4) + mss) >>> 0;
        while (j < count) {
          const p = packets[j];
          const len = p.length - hlen;
          if (len <= 0 || len > mss || total + len > MAX_SUPER || (gso && gso[j] > 0) || !follows(first, p, hlen, nextSeq)) break;
          total += len;
          nextSeq = (nextSeq + len) >>> 0;
          j++;
          if (len < mss || p[ipLen + 13] !== ACK) break; // a shorter or PSH segment ends the run
        }
      }
      const start = pos;
      pos = j - i > 1 ? this.writeSuper(packets, i, j, hlen, pos) : this.writePlain(first, pos);
      this.out[n++] = this.slab.subarray(start, pos);
      i = j;
    }
    return n;
  }

  private writePlain(p: Uint8Array, pos: number): number {
    this.slab.fill(0, pos, pos + VNET_HDR_LEN);
    this.slab.set(p, pos + VNET_HDR_LEN);
    return pos + VNET_HDR_LEN + p.length;
  }

  /**
   * A super-packet that arrived whole: GSO header (none if it holds one segment), fresh IPv4 header checksum,
   * and the pseudo-header sum in the TCP checksum field (its own checksum may be partial or stale).
   */
  private writeJoined(p: Uint8Array, gsoSize: number, pos: number): number {
    const s = this.slab;
    const hlen = tcpHeaderEnd(p);
    if (hlen === 0) return this.writePlain(p, pos); // the link only delivers parsed TCP; never here
    const v4 = p[0] >> 4 === 4;
    const ipLen = v4 ? (p[0] & 0x0f) << 2 : 40;
    const multi = p.length - hlen > gsoSize;
    s[pos] = F_NEEDS_CSUM;
    s[pos + 1] = multi ? (v4 ? GSO_TCPV4 : GSO_TCPV6) : 0;
    s.writeUInt16LE(hlen, pos + 2);
    s.writeUInt16LE(multi ? gsoSize : 0, pos + 4);
    s.writeUInt16LE(ipLen, pos + 6);
    s.writeUInt16LE(16, pos + 8);
    const h = pos + VNET_HDR_LEN;
    s.set(p, h);
    const total = p.length;
    if (v4) setIpv4HeaderChecksum(s, h);
    s.writeUInt16BE(fold(pseudoHeaderSum(p, PROTO_TCP, total - ipLen)), h + ipLen + 16);
    if (multi) {
      this.stats.superPackets++;
      this.stats.superSegments += Math.ceil((total - hlen) / gsoSize);
    }
    return h + total;
  }

  /** packets[i..j) as one super-packet: GSO header, the first packet's headers fixed up, all payloads. */
  private writeSuper(packets: Uint8Array[], i: number, j: number, hlen: number, pos: number): number {
    const s = this.slab;
    const first = packets[i];
    const v4 = first[0] >> 4 === 4;
    const ipLen = v4 ? 20 : 40;
    const total = superLength(packets, i, j, hlen);
    s[pos] = F_NEEDS_CSUM;
    s[pos + 1] = v4 ? GSO_TCPV4 : GSO_TCPV6;
    s.writeUInt16LE(hlen, pos + 2);
    s.writeUInt16LE(first.length - hlen, pos + 4); // gso_size: every segment but the last
    s.writeUInt16LE(ipLen, pos + 6);
    s.writeUInt16LE(16, pos + 8); // checksum field offset in the TCP header
    const h = pos + VNET_HDR_LEN;
    // Whole packets, last first: each one's headers land on the tail of the previous payload, which is
    // written next; the first packet's headers end up in front. No view is allocated per packet.
    let at = h + total;
    for (let k = j - 1; k >= i; k--) {
      const p = packets[k];
      at -= p.length - hlen;
      s.set(p, at - hlen);
    }
    if (v4) {
      s.writeUInt16BE(total, h + 2);
      s.writeUInt16BE(0, h + 10);
      s.writeUInt16BE(~fold(sum16(s, h, 20, 0)) & 0xffff, h + 10);
    } else {
      s.writeUInt16BE(total - 40, h + 4);
    }
    s[h + ipLen + 13] = packets[j - 1][ipLen + 13]; // PSH of the last segment
    // NEEDS_CSUM: the checksum field holds the pseudo-header sum; the kernel (or NIC) adds the rest.
    const addrs = v4 ? sum16(s, h + 12, 8, 0) : sum16(s, h + 8, 32, 0);
    s.writeUInt16BE(fold(addrs + PROTO_TCP + (total - ipLen)), h + ipLen + 16);
    this.stats.superPackets++;
    this.stats.superSegments += j - i;
    return h + total;
  }
}

function superLength(packets: Uint8Array[], i: number, j: number, hlen: number): number {
  let total = hlen;
  for (let k = i; k < j; k++) total += packets[k].length - hlen;
  return total;
}

/**
 * IP + TCP header length of a packet a run may start with or continue (IPv4
 * without options or fragmentation, or IPv6 with TCP as the next header),
 * else 0.
 */
function tcpHeadersLength(p: Uint8Array): number {
  return p[0] === 0x45 || p[0] >> 4 === 6 ? tcpHeaderEnd(p) : 0;
}

/** True if p may follow `first` in a run (same headers but for length, id, checksums, seq and PSH). */
function follows(first: Uint8Array, p: Uint8Array, hlen: number, seq: number): boolean {
  const v4 = first[0] >> 4 === 4;
  const ipLen = v4 ? 20 : 40;
  if (p[0] >> 4 !== first[0] >> 4 || tcpHeadersLength(p) !== hlen || readU32(p, ipLen + 4) !== seq) return false;
  const flags = p[ipLen + 13];
  if (flags !== ACK && flags !== ACK_PSH) return false;
  if (v4) {
    // version/IHL, TOS; flags (DF); TTL, protocol; addresses
    if (first[1] !== p[1] || first[6] !== p[6] || first[8] !== p[8] || !same(first, p, 12, 20)) return false;
  } else if (!same(first, p, 0, 4) || first[7] !== p[7] || !same(first, p, 8, 40)) {
    return false; // traffic class, flow label; hop limit; addresses
  }
  // ports; ack number; data offset; window; options
  return same(first, p, ipLen, ipLen + 4) && same(first, p, ipLen + 8, ipLen + 13) && same(first, p, ipLen + 14, ipLen + 16) &&
    same(first, p, ipLen + 20, hlen);
}

function same(a: Uint8Array, b: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (a[k] !== b[k]) return false;
  return true;
}

function readU32(p: Uint8Array, at: number): number {
  return ((p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3]) >>> 0;
}
