/**
 * What the endpoint counts: every dropped datagram by reason, and handshake
 * outcomes. Plain numbers in plain objects so the metrics exporter can read
 * them without the session knowing about Prometheus.
 */

export const DROP_REASONS = [
  /** Shorter than its type's minimum or fixed size. */
  'truncated',
  /** Longer than the configured maximum or its type's fixed size. */
  'oversized',
  /** First byte is no known message type. */
  'unknown_type',
  /** Handshake message whose protobuf framing bytes are wrong. */
  'malformed',
  /** Transport or response datagram for a session index we don't have (stale, or forged). */
  'unknown_index',
  /** AEAD tag did not verify: corrupted, forged, or sealed with another key. */
  'decrypt_failed',
  /** Counter already received, or too far behind the replay window. */
  'replayed',
  /** Session past its reject-after time or message count. */
  'expired',
  /** Decrypted fine but the Frame inside is not valid protobuf. */
  'malformed_frame',
  /** Handshake mac1 wrong: not addressed to this endpoint's public key. */
  'bad_mac',
  /** Handshake did not authenticate (Noise decrypt or key agreement failed). */
  'handshake_failed',
  /** Initiator's static key is not in the peer list. */
  'unknown_peer',
  /** Initiation timestamp not newer than the last one accepted from that peer. */
  'handshake_replayed',
  /** Initiation refused by the handshake rate limits (flood protection). */
  'rate_limited',
  /** Cookie reply that doesn't open for our pending initiation. */
  'bad_cookie',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export interface EndpointCounters {
  drops: Record<DropReason, number>;
  /** Initiations sent (first tries and retries). */
  initiationsSent: number;
  /** Initiations retried after no response. */
  initiationRetries: number;
  /** Handshakes abandoned after the rekey attempt time. */
  handshakeTimeouts: number;
  /** Responses sent (initiations accepted). */
  responsesSent: number;
  /** Cookie replies sent (under load, to initiations without a valid mac2). */
  cookieRepliesSent: number;
  /** Cookie replies accepted from peers. */
  cookiesReceived: number;
  /** Sessions that came up, as initiator or (on key confirmation) responder. */
  sessionsEstablished: number;
  /** Of those, sessions that replaced an earlier one. */
  rekeys: number;
  /** Transport datagrams sealed and accepted. */
  datagramsSealed: number;
  datagramsOpened: number;
}

export function newCounters(): EndpointCounters {
  const drops = {} as Record<DropReason, number>;
  for (const r of DROP_REASONS) drops[r] = 0;
  return {
    drops,
    initiationsSent: 0,
    initiationRetries: 0,
    handshakeTimeouts: 0,
    responsesSent: 0,
    cookieRepliesSent: 0,
    cookiesReceived: 0,
    sessionsEstablished: 0,
    rekeys: 0,
    datagramsSealed: 0,
    datagramsOpened: 0,
  };
}
