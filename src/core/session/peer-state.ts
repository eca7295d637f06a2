/**
 * Everything the endpoint knows about one peer: its up to three transport
 * sessions and its handshake in progress.
 *
 * Sessions: `current` seals outgoing datagrams; `next` is a responder's new
 * session, unused for sending until the initiator proves it has the keys by
 * sending on it; `retired` sessions still open datagrams until their reject
 * time, so a rekey loses nothing in flight. Keeping more than WireGuard's one
 * previous session matters when both sides rekey at once (a race makes two
 * sessions, and each side may send on a different one until the next rekey).
 */
import type { InitiatorHandshake } from './noise';
import type { TransportSession } from './transport-session';

export interface PendingInitiation {
  localIndex: number;
  handshake: InitiatorHandshake;
  /** The datagram, kept so `connect` can send it again on a new path. */
  datagram: Uint8Array;
  sentAt: number;
  /** Already re-sent once because of a cookie reply (never more, whatever arrives). */
  cookieResent: boolean;
}

export class PeerState {
  current: TransportSession | null = null;
  next: TransportSession | null = null;
  /** Oldest first; receive only. */
  readonly retired: TransportSession[] = [];

  pending: PendingInitiation | null = null;
  /** Retries since the last success (backoff exponent). */
  attempts = 0;
  retryAt = Infinity;
  /** When an unrequested rekey stops retrying. */
  giveUpAt = Infinity;
  /** Someone called connect(): keep retrying until a session is up. */
  wanted = false;
  /** Sending reached rekeyAfterMessages: start a handshake at the next timeout. */
  rekeyRequested = false;

  /** Greatest initiation timestamp accepted from this peer (replay protection), µs since the epoch. */
  lastTimestampUs = -1;
  /** Greatest timestamp we sent, so ours strictly increase even within one clock tick. */
  lastSentTimestampUs = -1;
  lastInitiationAt = -Infinity;
  /** Latest cookie from this peer's cookie reply, for mac2 of our initiations. */
  cookie: Uint8Array | null = null;
  cookieAt = -Infinity;

  /** Sessions established with this peer, and how many replaced an earlier one. */
  sessions = 0;
  rekeys = 0;
  lastHandshakeAt = -Infinity;
  lastReceiveAt = -Infinity;
  /** First send since the last datagram received from the peer (-1: none): a silent peer is detected from it. */
  unansweredSince = -1;

  constructor(
    readonly id: number,
    readonly publicKey: Uint8Array,
    readonly name: string,
    /** mac1 key for messages we send to this peer. */
    readonly mac1Key: Uint8Array,
    /** Key of cookie replies from this peer. */
    readonly cookieKey: Uint8Array,
  ) {}
}
