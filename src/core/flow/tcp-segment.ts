/**
 * Cuts a TCP super-packet (what a TUN with TSO hands over: one IP packet of
 * up to 64 KiB whose payload the kernel would have sent as several segments
 * of `gsoSize` bytes) into those segments, as Linux's software GSO would:
 * the same headers on each, the sequence number advanced, IPv4 ids counted
 * up from the first, FIN and PSH kept for the last segment and CWR for the
 * first, and every checksum complete (the super-packet's own TCP checksum
 * may be partial). Used where a super-packet can't travel whole: towards
 * redundancy elimination, which works on segments, and into a TUN without
 * offloads.
 */
import { fold, pseudoHeaderSum, setIpv4HeaderChecksum, sum16 } from './inet-checksum';

const PROTO_TCP = 6;
const FIN = 0x01;
const PSH = 0x08;
const CWR = 0x80;

/**
 * Where the IP and TCP headers of a packet end, or 0 if it is not a TCP
 * packet (IPv6 extension headers and IPv4 fragments count as not). With
 * `lengthsMatch` (the default) the IP header's length must also be the
 * packet's; RE passes false for its encoded packets, whose length fields
 * still describe the original.
 */
export function tcpHeaderEnd(p: Uint8Array, lengthsMatch = true): number {
  let ipLen: number;
  if (p.length < 20) return 0;
  const version = p[0] >> 4;
  if (version === 4) {
    ipLen = (p[0] & 0x0f) << 2;
    if (ipLen < 20 || p[9] !== PROTO_TCP || (p[6] & 0x3f) !== 0 || p[7] !== 0) return 0;
    if (lengthsMatch && ((p[2] << 8) | p[3]) !== p.length) return 0;
  } else if (version === 6) {
    ipLen = 40;
    if (p.length < 40 || p[6] !== PROTO_TCP || (lengthsMatch && ((p[4] << 8) | p[5]) !== p.length - 40)) return 0;
  } else {
    return 0;
  }
  if (p.length < ipLen + 20) return 0;
  const end = ipLen + ((p[ipLen + 12] >> 4) << 2);
  return end >= ipLen + 20 && end <= p.length ? end : 0;
}

/** Cuts super-packets into segments; the segments are views into one reused buffer, valid until the next call. */
export class TcpSegmenter {
  readonly out: Uint8Array[] = [];
  private buf = new Uint8Array(2 * 65536);

  /**
   * Fills `out` with the segments of `p` (payload cut every `gsoSize`
   * bytes) and returns their count; 0 if `p` is not a TCP packet that can
   * be cut or gsoSize is below 1. A payload that fits one segment comes
   * back as one packet with a complete checksum.
   */
  segment(p: Uint8Array, gsoSize: number): number {
    const hlen = tcpHeaderEnd(p);
    if (hlen === 0 || gsoSize < 1) return 0;
    const v4 = p[0] >> 4 === 4;
    const ipLen = v4 ? (p[0] & 0x0f) << 2 : 40;
    const payload = p.length - hlen;
    const n = Math.max(1, Math.ceil(payload / gsoSize));
    const need = p.length + (n - 1) * hlen;
    if (this.buf.length < need) this.buf = new Uint8Array(need * 2);
    const b = this.buf;
    const seq0 = ((p[ipLen + 4] << 24) | (p[ipLen + 5] << 16) | (p[ipLen + 6] << 8) | p[ipLen + 7]) >>> 0;
    const id0 = v4 ? (p[4] << 8) | p[5] : 0;
    const flags0 = p[ipLen + 13];
    const out = this.out;
    out.length = n;
    let at = 0;
    for (let k = 0; k < n; k++) {
      const from = hlen + k * gsoSize;
      const len = Math.min(gsoSize, payload - k * gsoSize);
      const segLen = hlen + Math.max(0, len);
      b.set(p.subarray(0, hlen), at);
      if (len > 0) b.set(p.subarray(from, from + len), at + hlen);
      if (v4) {
        b[at + 2] = segLen >> 8;
        b[at + 3] = segLen & 0xff;
        const id = (id0 + k) & 0xffff;
        b[at + 4] = id >> 8;
        b[at + 5] = id & 0xff;
        setIpv4HeaderChecksum(b, at);
      } else {
        const pl = segLen - 40;
        b[at + 4] = pl >> 8;
        b[at + 5] = pl & 0xff;
      }
      const t = at + ipLen;
      const seq = (seq0 + k * gsoSize) >>> 0;
      b[t + 4] = seq >>> 24;
      b[t + 5] = (seq >>> 16) & 0xff;
      b[t + 6] = (seq >>> 8) & 0xff;
      b[t + 7] = seq & 0xff;
      let flags = flags0;
      if (k < n - 1) flags &= ~(FIN | PSH);
      if (k > 0) flags &= ~CWR;
      b[t + 13] = flags;
      b[t + 16] = 0;
      b[t + 17] = 0;
      const seg = b.subarray(at, at + segLen);
      const c = ~fold(sum16(seg, ipLen, segLen - ipLen, pseudoHeaderSum(seg, PROTO_TCP, segLen - ipLen))) & 0xffff;
      b[t + 16] = c >> 8;
      b[t + 17] = c & 0xff;
      out[k] = seg;
      at += segLen;
    }
    return n;
  }
}
