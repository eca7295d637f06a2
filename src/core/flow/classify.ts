/**
 * Flow classification of inner IP packets: the flow id the reorder buffer and
 * the schedulers key on, whether the flow wants in-order delivery, and where
 * the inner addresses are (a gateway keys users on them).
 *
 * Runs once per packet on the send path, so it allocates nothing: the result
 * goes into a caller-owned FlowInfo that is reused. Network input never
 * throws: a packet that cannot be parsed gets `ok = false` and a reason code.
 */
import { hashFinish, hashWord } from './flow-hash';

/** Why a packet could not be classified (index into MALFORMED_REASONS). */
export const Malformed = {
  NONE: 0,
  /** Shorter than the fixed IP header. */
  SHORT: 1,
  /** Version nibble is neither 4 nor 6. */
  VERSION: 2,
  /** IPv4 IHL below 5 or beyond the packet. */
  HEADER_LENGTH: 3,
  /** IP total/payload length larger than the bytes we have. */
  TOTAL_LENGTH: 4,
  /** An extension header runs past the packet, or too many of them. */
  EXTENSION_HEADERS: 5,
  /** TCP/UDP header too short to hold the ports. */
  TRANSPORT_TRUNCATED: 6,
} as const;

/** Metric label per Malformed code. */
export const MALFORMED_REASONS: readonly string[] = [
  'none',
  'short',
  'version',
  'header_length',
  'total_length',
  'extension_headers',
  'transport_truncated',
];

export const IpProto = { ICMP: 1, TCP: 6, UDP: 17, DCCP: 33, ICMPV6: 58, NO_NEXT: 59, SCTP: 132, UDPLITE: 136 } as const;

/** Which flows want in-order delivery. */
export interface FlowOrderingOptions {
  tcp: boolean;
  icmp: boolean;
  /** All UDP (QUIC, media) ordered? */
  udp: boolean;
  /** UDP ports (either side) whose flows are ordered even when `udp` is false. */
  orderedUdpPorts: readonly number[];
  /** Any other protocol (GRE, ESP, SCTP, ...). */
  other: boolean;
}

export const defaultFlowOrdering: FlowOrderingOptions = {
  tcp: true,
  icmp: true,
  udp: false,
  orderedUdpPorts: [],
  other: false,
};

/** The classification of one packet; reused from packet to packet. */
export class FlowInfo {
  ok = false;
  malformed: number = Malformed.NONE;
  version = 0;
  /** Transport protocol after IPv6 extension headers. */
  proto = 0;
  /** uint32 hash of (proto, addresses, ports); ports are 0 for fragments and portless protocols. */
  flow = 0;
  ordered = false;
  /** Any fragment (IPv4 MF/offset, IPv6 fragment header): classified without ports so all fragments share a flow. */
  fragment = false;
  srcPort = 0;
  dstPort = 0;
  /** Offset of the source address in the packet; the destination follows it. */
  addrOffset = 0;
  /** 4 or 16. */
  addrLength = 0;
  /** uint32 hashes of the addresses alone (a user key for gateways). */
  srcHash = 0;
  dstHash = 0;
  /** IPv4 addresses as uint32 (0 for IPv6). */
  srcV4 = 0;
  dstV4 = 0;
  /** Offset of the transport header (or the first unparsed header). */
  transportOffset = 0;
}

const MAX_EXTENSION_HEADERS = 8;

export class FlowClassifier {
  private readonly ordering: FlowOrderingOptions;
  private readonly orderedPorts = new Uint8Array(65536);
  private readonly seed: number;

  /** `seed` varies the hash per session so flows cannot be steered into collisions from outside. */
  constructor(ordering: Partial<FlowOrderingOptions> = {}, seed = 0) {
    this.ordering = { ...defaultFlowOrdering, ...ordering };
    for (const p of this.ordering.orderedUdpPorts) if (p >= 0 && p < 65536) this.orderedPorts[p] = 1;
    this.seed = seed >>> 0;
  }

  /** Classify `pkt` into `out` (also returned); out.ok says whether it parsed. */
  classify(pkt: Uint8Array, out: FlowInfo): FlowInfo {
    out.ok = false;
    out.malformed = Malformed.NONE;
    out.fragment = false;
    out.srcPort = 0;
    out.dstPort = 0;
    out.srcV4 = 0;
    out.dstV4 = 0;
    if (pkt.length < 1) return this.fail(out, Malformed.SHORT);
    const version = pkt[0] >> 4;
    out.version = version;
    if (version === 4) return this.classify4(pkt, out);
    if (version === 6) return this.classify6(pkt, out);
    return this.fail(out, Malformed.VERSION);
  }

  private classify4(pkt: Uint8Array, out: FlowInfo): FlowInfo {
    if (pkt.length < 20) return this.fail(out, Malformed.SHORT);
    const ihl = (pkt[0] & 0x0f) * 4;
    if (ihl < 20 || ihl > pkt.length) return this.fail(out, Malformed.HEADER_LENGTH);
    const total = (pkt[2] << 8) | pkt[3];
    if (total < ihl || total > pkt.length) return this.fail(out, Malformed.TOTAL_LENGTH);
    out.proto = pkt[9];
    out.fragment = (pkt[6] & 0x20) !== 0 || ((pkt[6] & 0x1f) | pkt[7]) !== 0;
    out.addrOffset = 12;
    out.addrLength = 4;
    out.srcV4 = readU32(pkt, 12);
    out.dstV4 = readU32(pkt, 16);
    out.transportOffset = ihl;
    return this.finish(pkt, out, total);
  }

  private classify6(pkt: Uint8Array, out: FlowInfo): FlowInfo {
    if (pkt.length < 40) return this.fail(out, Malformed.SHORT);
    const end = 40 + ((pkt[4] << 8) | pkt[5]);
    if (end > pkt.length) return this.fail(out, Malformed.TOTAL_LENGTH);
    out.addrOffset = 8;
    out.addrLength = 16;
    let next = pkt[6];
    let off = 40;
    let transport = true;
    for (let n = 0; ; n++) {
      if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
        // hop-by-hop, routing, destination options, mobility, HIP, shim6: length in 8-octet units
        if (n >= MAX_EXTENSION_HEADERS || off + 2 > end) return this.fail(out, Malformed.EXTENSION_HEADERS);
        next = pkt[off];
        off += (pkt[off + 1] + 1) * 8;
      } else if (next === 51) {
        // AH: length in 4-octet units, minus 2
        if (n >= MAX_EXTENSION_HEADERS || off + 2 > end) return this.fail(out, Malformed.EXTENSION_HEADERS);
        next = pkt[off];
        off += (pkt[off + 1] + 2) * 4;
      } else if (next === 44) {
        if (n >= MAX_EXTENSION_HEADERS || off + 8 > end) return this.fail(out, Malformed.EXTENSION_HEADERS);
        out.fragment = true;
        const fragOffset = ((pkt[off + 2] << 8) | pkt[off + 3]) >> 3;
        next = pkt[off];
        off += 8;
        if (fragOffset !== 0) transport = false; // no transport header in a later fragment
      } else {
        break;
      }
      if (off > end) return this.fail(out, Malformed.EXTENSION_HEADERS);
      if (!transport) break;
    }
    out.proto = next;
    out.transportOffset = off;
    return this.finish(pkt, out, end);
  }

  /** Ports, hash and ordering, common to both versions. */
  private finish(pkt: Uint8Array, out: FlowInfo, end: number): FlowInfo {
    const proto = out.proto;
    const hasPorts =
      proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.UDPLITE || proto === IpProto.SCTP || proto === IpProto.DCCP;
    if (hasPorts && !out.fragment) {
      const t = out.transportOffset;
      if (t + 4 > end) return this.fail(out, Malformed.TRANSPORT_TRUNCATED);
      out.srcPort = (pkt[t] << 8) | pkt[t + 1];
      out.dstPort = (pkt[t + 2] << 8) | pkt[t + 3];
    }
    const a = out.addrOffset;
    const words = out.addrLength >> 2;
    let hs = this.seed;
    for (let i = 0; i < words; i++) hs = hashWord(hs, readU32(pkt, a + i * 4));
    let hd = this.seed;
    for (let i = 0; i < words; i++) hd = hashWord(hd, readU32(pkt, a + out.addrLength + i * 4));
    out.srcHash = hashFinish(hs, out.addrLength);
    out.dstHash = hashFinish(hd, out.addrLength);
    let h = hashWord(this.seed, proto | (out.version << 8));
    h = hashWord(h, out.srcHash);
    h = hashWord(h, out.dstHash);
    h = hashWord(h, ((out.srcPort << 16) | out.dstPort) >>> 0);
    out.flow = hashFinish(h, 16);
    out.ordered = this.wantsOrder(out);
    out.ok = true;
    return out;
  }

  private wantsOrder(out: FlowInfo): boolean {
    const o = this.ordering;
    switch (out.proto) {
      case IpProto.TCP:
        return o.tcp;
      case IpProto.ICMP:
      case IpProto.ICMPV6:
        return o.icmp;
      case IpProto.UDP:
      case IpProto.UDPLITE:
        return o.udp || this.orderedPorts[out.srcPort] === 1 || this.orderedPorts[out.dstPort] === 1;
      default:
        return o.other;
    }
  }

  private fail(out: FlowInfo, reason: number): FlowInfo {
    out.ok = false;
    out.malformed = reason;
    out.flow = 0;
    out.ordered = false;
    return out;
  }
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
