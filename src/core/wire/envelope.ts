/**
 * The clear outer layer of every braid datagram. The first byte is the
 * message type; transport datagrams then carry a fixed 12-byte header so the
 * receiver finds the session by index (no trial decryption) and the nonce by
 * counter, before a single byte is decrypted:
 *
 *   transport:  type=4 (1) | receiver session index (u32 LE) | counter (u64 LE) | AEAD(Frame) + 16-byte tag
 *   handshake:  type=1..3 (1) | fixed-size protobuf message (handshake-messages.ts)
 *
 * The 13-byte header is the AEAD's associated data, so flipping any clear
 * bit fails authentication like flipping a ciphertext bit.
 */
import { varintSize } from './varint';

export const MessageType = {
  INITIATION: 1,
  RESPONSE: 2,
  COOKIE_REPLY: 3,
  TRANSPORT: 4,
} as const;

export const TRANSPORT_HEADER_BYTES = 13;
export const AEAD_TAG_BYTES = 16;
/** Fixed bytes every transport datagram adds around its Frame: header + tag = 29. */
export const TRANSPORT_OVERHEAD = TRANSPORT_HEADER_BYTES + AEAD_TAG_BYTES;

/**
 * Worst-case Frame bytes around a data payload of at most 65535 bytes (no
 * ack riding along), when seq/pathSeq/prevSeq/sendTimeUs are below 2^49
 * (7-byte varints: 17 years of microseconds, or 5.6·10^14 packets) and
 * pathId/flags below 2^21:
 * Frame.data key+len (1+3) + seq/pathSeq/prevSeq/sendTimeUs (4 × (1+7))
 * + pathId (1+3) + flow (1+4) + flags (1+3) + payload key+len (1+3)
 * + flow_prev_gap (1+7) = 61.
 * Typical frames need about 40; `dataFrameOverhead` gives the exact figure.
 */
export const MAX_DATA_FRAME_OVERHEAD = 61;

/**
 * Frame bytes around a data payload of at most `maxPayload` bytes (no ack
 * riding along) while every seq, per-path seq and flow gap stays below
 * `maxSeq`, sendTimeUs below `maxTimeUs` and path ids below `maxPathId`:
 * the same fields as MAX_DATA_FRAME_OVERHEAD with the varints sized for the
 * values in use (~37 bytes instead of 61), so a piece of a super-packet can
 * fill its datagram.
 */
export function dataFrameOverheadBound(maxPayload: number, maxSeq: number, maxTimeUs: number, maxPathId: number): number {
  const seq = 1 + varintSize(maxSeq);
  const payload = 1 + varintSize(maxPayload);
  const inner = 3 * seq + (1 + varintSize(maxPathId)) + 5 + 2 + (1 + varintSize(maxTimeUs)) + payload + maxPayload + seq;
  return 1 + varintSize(inner) + inner - maxPayload;
}

/** Worst-case bytes a data datagram adds to its payload: 29 + 61 = 90. */
export const MAX_DATA_OVERHEAD = TRANSPORT_OVERHEAD + MAX_DATA_FRAME_OVERHEAD;

/** IPv4 (20) / IPv6 (40) header plus UDP (8). */
export const IPV4_UDP_BYTES = 28;
export const IPV6_UDP_BYTES = 48;

/**
 * The largest inner IP packet that fits a path MTU as one data datagram with
 * no ack riding along (a frame that doesn't fit is sent without the ack).
 */
export function tunnelMtu(pathMtu: number, ipv6 = false): number {
  return pathMtu - (ipv6 ? IPV6_UDP_BYTES : IPV4_UDP_BYTES) - MAX_DATA_OVERHEAD;
}
