/**
 * Redundancy elimination on the data plane: the TCP payload of each inner
 * packet goes through the RE encoder (headers stay as they are), and comes
 * back out of the decoder at the far end byte-identical. Packets that would
 * not shrink, non-TCP packets and fragments pass raw.
 *
 * Decoding happens on arrival, before reordering, so the decoder holds every
 * byte of a packet the sender learns was delivered (the encoder's 'acked'
 * gating) whatever order the reorder buffer releases flows in.
 */
import { DECODE_MISS, ReDecoder, ReEncoder, maxEncodedLength } from '../re';
import { IpProto } from '../flow/classify';

export interface ReLinkOptions {
  /** Byte cache size; both ends must use the same (config `re.cache_size`). */
  cacheBytes: number;
  anchor?: number;
}

const MAX_PACKET = 65535;

/**
 * Offset of the TCP payload in an IPv4 packet or an IPv6 packet without
 * extension headers, or -1 when RE does not apply (not TCP, a fragment,
 * truncated). Reads only the headers, which RE never changes, so it works on
 * the encoded packet too (whose length fields still describe the original).
 */
export function tcpPayloadOffset(pkt: Uint8Array): number {
  let th: number;
  if (pkt.length < 40) return -1;
  const version = pkt[0] >> 4;
  if (version === 4) {
    if (pkt[9] !== IpProto.TCP) return -1;
    if ((pkt[6] & 0x20) !== 0 || ((pkt[6] & 0x1f) | pkt[7]) !== 0) return -1; // fragment
    th = (pkt[0] & 0x0f) * 4;
    if (th < 20) return -1;
  } else if (version === 6) {
    if (pkt[6] !== IpProto.TCP) return -1;
    th = 40;
  } else return -1;
  if (th + 20 > pkt.length) return -1;
  const off = th + (pkt[th + 12] >> 4) * 4;
  return off >= th + 20 && off <= pkt.length ? off : -1;
}

export class ReCodec {
  readonly encoder: ReEncoder;
  readonly decoder: ReDecoder;
  private readonly scratch = new Uint8Array(maxEncodedLength(MAX_PACKET));
  private readonly decoded = new Uint8Array(MAX_PACKET);
  /** Packets dropped because the decoder lacked the bytes referenced (the inner TCP retransmits). */
  misses = 0;
  malformed = 0;

  constructor(opts: ReLinkOptions) {
    this.encoder = new ReEncoder({ cacheBytes: opts.cacheBytes, anchor: opts.anchor });
    this.decoder = new ReDecoder({ cacheBytes: opts.cacheBytes });
  }

  /**
   * Encodes the packet's TCP payload. Returns the new inner packet (headers +
   * RE message) and sets `lastToken`, or null to send the packet raw.
   */
  encode(pkt: Uint8Array, flow: number): Uint8Array | null {
    const off = tcpPayloadOffset(pkt);
    if (off < 0 || pkt.length - off < 64) return null;
    const len = this.encoder.encode(flow, pkt.subarray(off), this.scratch);
    if (len < 0) return null;
    const out = new Uint8Array(off + len);
    out.set(pkt.subarray(0, off));
    out.set(this.scratch.subarray(0, len), off);
    return out;
  }

  get lastToken(): number {
    return this.encoder.lastToken;
  }

  /** Restores an RE-encoded inner packet; null when it cannot be decoded (counted). */
  decode(pkt: Uint8Array, flow: number): Uint8Array | null {
    const off = tcpPayloadOffset(pkt);
    if (off < 0) {
      this.malformed++;
      return null;
    }
    const n = this.decoder.decode(flow, pkt.subarray(off), this.decoded);
    if (n < 0) {
      if (n === DECODE_MISS) this.misses++;
      else this.malformed++;
      return null;
    }
    const out = new Uint8Array(off + n);
    out.set(pkt.subarray(0, off));
    out.set(this.decoded.subarray(0, n), off);
    return out;
  }
}
