/**
 * SecureEndpoint: one per braid endpoint. Owns the static key, the peer list,
 * every handshake and every transport session; turns datagrams into frames
 * and frames into datagrams. Sans-IO: every call takes `now` (ms) and returns
 * what to send; nothing here reads a clock, a socket or Math.random.
 * See index.ts for the API walk-through.
 */
import type { Frame } from '../wire/frames';
import { decodeFrame } from '../wire/frame-decoder';
import { frameSize } from '../wire/frame-encoder';
import { AEAD_TAG_BYTES, MessageType, TRANSPORT_HEADER_BYTES, TRANSPORT_OVERHEAD } from '../wire/envelope';
import { readU32 } from '../wire/handshake-messages';
import { EndpointCounters, DropReason, DROP_REASONS, newCounters } from './counters';
import {
  INITIATION,
  RESPONSE,
  buildInitiation,
  buildResponse,
  consumeInitiation,
  consumeResponse,
  hasLayout,
  mac1KeyFor,
  mac1Valid,
} from './handshake';
import { COOKIE_LIFETIME_MS, CookieChecker, cookieKeyFor, openCookieReply, writeMac2 } from './cookie';
import { COOKIE_REPLY } from '../wire/handshake-messages';
import { KEY_BYTES, clampPrivateKey, encodeKey, publicKeyOf } from './keys';
import { KeyPair, dh } from './noise';
import { BraidError } from '../../errors';
import { DEFAULT_LIMITS, DEFAULT_TIMING, HandshakeLimits, SessionTiming } from './options';
import { PeerState } from './peer-state';
import { RandomBytes, randomU32NonZero } from './random-bytes';
import { HandshakeGuard } from './handshake-guard';
import { TransportSession, openInPlace, sealInto } from './transport-session';

export interface PeerConfig {
  publicKey: Uint8Array;
  name?: string;
}

export interface SecureEndpointOptions {
  privateKey: Uint8Array;
  peers: PeerConfig[];
  /** Crypto-strong in the daemon (SodiumRandomBytes), seeded in tests. */
  random: RandomBytes;
  /**
   * Added to `now` to get milliseconds since the Unix epoch, for initiation
   * timestamps: they must keep increasing across daemon restarts, which a
   * monotonic `now` alone does not. The daemon passes Date.now() - now at start.
   */
  epochOffsetMs?: number;
  /** Transport datagrams longer than this are dropped as oversized (default 65535). */
  maxDatagramBytes?: number;
  timing?: Partial<SessionTiming>;
  limits?: Partial<HandshakeLimits>;
  /**
   * Under load, answer initiations that carry no valid cookie for their
   * source with a cookie reply (ReceiveResult kind 'reply') instead of doing
   * X25519 work. Needs `source` on handleDatagram and a daemon that sends
   * 'reply' datagrams back to the source. Default false.
   */
  cookieReplies?: boolean;
}

export type ReceiveResult =
  /** A frame from `peer` (an empty frame is a keepalive / key confirmation). */
  | { kind: 'frame'; peer: number; frame: Frame }
  /** Send these back where the datagram came from (a handshake response to `peer`). */
  | { kind: 'send'; peer: number; datagrams: Uint8Array[] }
  /** Our handshake with `peer` completed; send `datagrams` (key confirmation) back where it came from. */
  | { kind: 'established'; peer: number; datagrams: Uint8Array[] }
  /** Send back to the source; no peer is known yet (a cookie reply under load). */
  | { kind: 'reply'; datagrams: Uint8Array[] }
  | { kind: 'drop'; reason: DropReason };

export interface TimeoutOutput {
  peer: number;
  datagram: Uint8Array;
}

export interface SessionInfo {
  name: string;
  publicKey: string;
  established: boolean;
  /** Age of the current session, ms (undefined without one). */
  ageMs: number | undefined;
  sessions: number;
  rekeys: number;
  handshakeInProgress: boolean;
  handshakeAttempts: number;
  lastHandshakeAgoMs: number | undefined;
  lastReceiveAgoMs: number | undefined;
  sent: number;
  highestReceived: number;
}

/** Preallocated drop results: a flood of junk allocates nothing. */
const DROPS = Object.fromEntries(DROP_REASONS.map((r) => [r, Object.freeze({ kind: 'drop', reason: r })])) as Record<
  DropReason,
  { kind: 'drop'; reason: DropReason }
>;

const EMPTY_FRAME: Frame = {};
/** Retired sessions kept per peer: two rekey races' worth. */
const MAX_RETIRED = 4;

export class SecureEndpoint {
  readonly counters: EndpointCounters = newCounters();
  readonly publicKey: Uint8Array;
  private readonly local: KeyPair;
  private readonly peers: PeerState[] = [];
  private readonly peerByKey = new Map<string, number>();
  private readonly sessions = new Map<number, TransportSession>();
  private readonly pendingByIndex = new Map<number, PeerState>();
  private readonly random: RandomBytes;
  private readonly timing: SessionTiming;
  private readonly limits: HandshakeLimits;
  private readonly localMac1Key: Uint8Array;
  private readonly epochOffsetMs: number;
  private readonly maxDatagramBytes: number;
  private readonly guard: HandshakeGuard;

  constructor(opts: SecureEndpointOptions) {
    const privateKey = new Uint8Array(opts.privateKey);
    clampPrivateKey(privateKey);
    this.publicKey = publicKeyOf(privateKey);
    this.local = { privateKey, publicKey: this.publicKey };
    this.localMac1Key = mac1KeyFor(this.publicKey);
    this.random = opts.random;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.epochOffsetMs = opts.epochOffsetMs ?? 0;
    this.maxDatagramBytes = opts.maxDatagramBytes ?? 65535;
    const cookies = opts.cookieReplies ? new CookieChecker(this.random, cookieKeyFor(this.publicKey)) : null;
    this.guard = new HandshakeGuard(this.limits, cookies);
    for (const p of opts.peers) {
      const id = this.peers.length;
      // A low-order key would make every handshake fail silently; refuse it up front.
      if (p.publicKey.length !== KEY_BYTES || !dh(privateKey, p.publicKey)) {
        throw new BraidError('BRAID_ERR_KEY', `peer ${p.name ?? id} has an invalid public key; copy it from 'braid pubkey' on that peer`);
      }
      if (this.peerByKey.has(keyId(p.publicKey))) {
        throw new BraidError('BRAID_ERR_KEY', `peer ${p.name ?? id} repeats the public key of another peer; each peer needs its own key`);
      }
      const name = p.name ?? encodeKey(p.publicKey).slice(0, 8);
      this.peers.push(new PeerState(id, new Uint8Array(p.publicKey), name, mac1KeyFor(p.publicKey), cookieKeyFor(p.publicKey)));
      this.peerByKey.set(keyId(p.publicKey), id);
    }
  }

  /** Peer ids are indices into the configured list: stable for the endpoint's life. */
  get peerCount(): number {
    return this.peers.length;
  }

  peerId(publicKey: Uint8Array): number | undefined {
    return this.peerByKey.get(keyId(publicKey));
  }

  peerName(peer: number): string {
    return this.peers[peer].name;
  }

  /**
   * Starts (or re-sends) a handshake with `peer` and keeps retrying until a
   * session is up. Send the returned initiation on any path to the peer.
   * Within a retry interval it returns the same initiation again (for a new
   * path); with a session already up it starts a rekey.
   */
  connect(now: number, peer: number): Uint8Array[] {
    const p = this.peers[peer];
    p.wanted = true;
    p.giveUpAt = Infinity;
    if (p.pending && now - p.pending.sentAt < this.timing.handshakeRetryMs) return [p.pending.datagram];
    const d = this.startHandshake(now, p);
    return d ? [d] : [];
  }

  /** Stops wanting a session with `peer` and forgets its keys (after a close). */
  disconnect(peer: number): void {
    const p = this.peers[peer];
    p.wanted = false;
    this.dropPending(p);
    for (const r of p.retired) this.dropSession(r);
    p.retired.length = 0;
    this.dropSession(p.current);
    this.dropSession(p.next);
    p.current = p.next = null;
    p.retryAt = Infinity;
    p.giveUpAt = Infinity;
    p.attempts = 0;
    p.rekeyRequested = false;
    p.unansweredSince = -1;
  }

  /**
   * One received datagram. Never throws on its content. Transport datagrams
   * are decrypted in place: the returned frame's payload is a view into
   * `datagram`, valid as long as the caller keeps that buffer. `source`
   * (e.g. "addr:port") only feeds the per-source handshake rate limit.
   */
  handleDatagram(now: number, datagram: Uint8Array, source?: string): ReceiveResult {
    if (datagram.length === 0) return this.drop('truncated');
    switch (datagram[0]) {
      case MessageType.TRANSPORT:
        return this.handleTransport(now, datagram);
      case MessageType.INITIATION:
        return this.handleInitiation(now, datagram, source);
      case MessageType.RESPONSE:
        return this.handleResponse(now, datagram);
      case MessageType.COOKIE_REPLY:
        return this.handleCookieReply(now, datagram);
      default:
        return this.drop('unknown_type');
    }
  }

  /** Seals a frame for `peer` into a new buffer; null when there is no usable session (call connect). */
  sealFrame(now: number, peer: number, frame: Frame): Uint8Array | null {
    const s = this.sendSession(now, peer);
    if (!s) return null;
    const out = new Uint8Array(TRANSPORT_OVERHEAD + frameSize(frame));
    sealInto(s, frame, out, 0);
    this.counters.datagramsSealed++;
    return out;
  }

  /**
   * The hot path: seals `frame` into out[offset..] with no allocation beyond
   * three views. Returns the datagram length; 0 when there is no usable
   * session; -1 when it doesn't fit in `out`.
   */
  sealFrameInto(now: number, peer: number, frame: Frame, out: Uint8Array, offset = 0): number {
    const s = this.sendSession(now, peer);
    if (!s) return 0;
    const n = sealInto(s, frame, out, offset);
    if (n > 0) this.counters.datagramsSealed++;
    return n;
  }

  /** Earliest `now` at which handleTimeout has work (retry, rekey, expiry), or undefined. */
  pollTimeout(): number | undefined {
    let t = Infinity;
    const tm = this.timing;
    for (const p of this.peers) {
      if (p.pending) t = Math.min(t, p.retryAt);
      else if (p.rekeyRequested || (p.wanted && !p.current)) return 0;
      else if (p.current) {
        t = Math.min(t, p.current.createdAt + this.rekeyAge(p.current));
        if (p.unansweredSince >= 0) t = Math.min(t, p.unansweredSince + tm.staleAfterMs);
      }
      if (p.current) t = Math.min(t, p.current.createdAt + tm.rejectAfterMs);
      if (p.next) t = Math.min(t, p.next.createdAt + tm.rejectAfterMs);
      if (p.retired.length > 0) t = Math.min(t, p.retired[0].createdAt + tm.rejectAfterMs);
    }
    return t === Infinity ? undefined : t;
  }

  /** Runs due retries, rekeys and expiries; returns initiations to send to each peer. */
  handleTimeout(now: number): TimeoutOutput[] {
    const out: TimeoutOutput[] = [];
    const tm = this.timing;
    for (const p of this.peers) {
      if (p.current && now - p.current.createdAt >= tm.rejectAfterMs) {
        this.dropSession(p.current);
        p.current = null;
      }
      if (p.next && now - p.next.createdAt >= tm.rejectAfterMs) {
        this.dropSession(p.next);
        p.next = null;
      }
      while (p.retired.length > 0 && now - p.retired[0].createdAt >= tm.rejectAfterMs) this.dropSession(p.retired.shift()!);

      let start = false;
      if (p.pending) {
        if (now >= p.retryAt) {
          if (!p.wanted && now >= p.giveUpAt) {
            this.dropPending(p);
            p.retryAt = Infinity;
            p.attempts = 0;
            this.counters.handshakeTimeouts++;
          } else {
            start = true;
            this.counters.initiationRetries++;
          }
        }
      } else if (p.rekeyRequested || (p.wanted && !p.current)) {
        start = true;
      } else if (p.current && now - p.current.createdAt >= this.rekeyAge(p.current)) {
        start = true;
      } else if (p.current && p.unansweredSince >= 0 && now - p.unansweredSince >= tm.staleAfterMs) {
        start = true;
        p.unansweredSince = -1; // the handshake's own retries take over from here
      }
      if (start) {
        if (!p.pending && !p.wanted) p.giveUpAt = now + tm.rekeyAttemptMs;
        const d = this.startHandshake(now, p);
        if (d) out.push({ peer: p.id, datagram: d });
      }
    }
    return out;
  }

  sessionInfo(peer: number, now: number): SessionInfo {
    const p = this.peers[peer];
    const c = p.current;
    return {
      name: p.name,
      publicKey: encodeKey(p.publicKey),
      established: c !== null,
      ageMs: c ? now - c.createdAt : undefined,
      sessions: p.sessions,
      rekeys: p.rekeys,
      handshakeInProgress: p.pending !== null,
      handshakeAttempts: p.attempts,
      lastHandshakeAgoMs: p.lastHandshakeAt === -Infinity ? undefined : now - p.lastHandshakeAt,
      lastReceiveAgoMs: p.lastReceiveAt === -Infinity ? undefined : now - p.lastReceiveAt,
      sent: c ? c.sendCounter : 0,
      highestReceived: c ? c.replay.highest : 0,
    };
  }

  // --- receive ---------------------------------------------------------------

  private handleTransport(now: number, d: Uint8Array): ReceiveResult {
    const len = d.length;
    if (len < TRANSPORT_OVERHEAD) return this.drop('truncated');
    if (len > this.maxDatagramBytes) return this.drop('oversized');
    const s = this.sessions.get(readU32(d, 1));
    if (s === undefined) return this.drop('unknown_index');
    const counter = readU32(d, 5) + readU32(d, 9) * 4294967296;
    if (counter >= this.timing.rejectAfterMessages || now - s.createdAt >= this.timing.rejectAfterMs) {
      return this.drop('expired');
    }
    if (!s.replay.check(counter)) return this.drop('replayed');
    const p = this.peers[s.peer];
    if (!openInPlace(s, d, counter)) return this.drop('decrypt_failed');
    s.replay.update(counter);
    p.lastReceiveAt = now;
    p.unansweredSince = -1;
    if (!s.confirmed) this.confirm(now, p, s);
    const frame = decodeFrame(d, TRANSPORT_HEADER_BYTES, len - AEAD_TAG_BYTES);
    if (frame === null) return this.drop('malformed_frame');
    this.counters.datagramsOpened++;
    return { kind: 'frame', peer: s.peer, frame };
  }

  private handleInitiation(now: number, d: Uint8Array, source: string | undefined): ReceiveResult {
    if (d.length < INITIATION.size) return this.drop('truncated');
    if (d.length > INITIATION.size) return this.drop('oversized');
    if (!hasLayout(d, INITIATION)) return this.drop('malformed');
    if (!mac1Valid(d, INITIATION, this.localMac1Key)) return this.drop('bad_mac');
    const verdict = this.guard.check(now, d, source);
    if (verdict === 'rate_limited') return this.drop('rate_limited');
    if (verdict !== 'admit') {
      this.counters.cookieRepliesSent++;
      return { kind: 'reply', datagrams: [verdict] };
    }

    const rx = consumeInitiation(this.local, d);
    if (!rx) return this.drop('handshake_failed');
    const peer = this.peerByKey.get(keyId(rx.handshake.remoteStatic));
    if (peer === undefined) return this.drop('unknown_peer');
    const p = this.peers[peer];
    if (rx.timestampUs <= p.lastTimestampUs) return this.drop('handshake_replayed');
    if (now - p.lastInitiationAt < this.limits.perPeerIntervalMs) return this.drop('rate_limited');

    const localIndex = this.newIndex();
    const ephemeral = this.newEphemeral();
    const built = buildResponse(rx, p.mac1Key, ephemeral, localIndex);
    ephemeral.privateKey.fill(0); // forward secrecy: the ephemeral key must not outlive the handshake
    if (!built) return this.drop('handshake_failed');
    p.lastTimestampUs = rx.timestampUs;
    p.lastInitiationAt = now;
    const s = new TransportSession(peer, localIndex, rx.senderIndex, built.keys.sendKey, built.keys.receiveKey, now, false);
    // An unconfirmed `next` being replaced was never usable by the initiator (it moved on to a newer initiation).
    this.dropSession(p.next);
    p.next = s;
    this.sessions.set(localIndex, s);
    this.counters.responsesSent++;
    return { kind: 'send', peer, datagrams: [built.datagram] };
  }

  private handleResponse(now: number, d: Uint8Array): ReceiveResult {
    if (d.length < RESPONSE.size) return this.drop('truncated');
    if (d.length > RESPONSE.size) return this.drop('oversized');
    if (!hasLayout(d, RESPONSE)) return this.drop('malformed');
    if (!mac1Valid(d, RESPONSE, this.localMac1Key)) return this.drop('bad_mac');
    const p = this.pendingByIndex.get(readU32(d, RESPONSE.offset.receiverIndex));
    if (p === undefined || p.pending === null) return this.drop('unknown_index');
    const rx = consumeResponse(this.local, p.pending.handshake, d);
    if (!rx) return this.drop('handshake_failed');

    const localIndex = p.pending.localIndex;
    this.dropPending(p);
    p.attempts = 0;
    p.retryAt = Infinity;
    p.giveUpAt = Infinity;
    p.rekeyRequested = false;
    const s = new TransportSession(p.id, localIndex, rx.senderIndex, rx.keys.sendKey, rx.keys.receiveKey, now, true);
    this.sessions.set(localIndex, s);
    this.install(now, p, s);
    // An empty frame confirms the keys to the responder at once, even if we have no data to send.
    const out = new Uint8Array(TRANSPORT_OVERHEAD);
    sealInto(s, EMPTY_FRAME, out, 0);
    this.counters.datagramsSealed++;
    return { kind: 'established', peer: p.id, datagrams: [out] };
  }

  /** A cookie for our pending initiation: remember it and re-send the initiation with mac2 at once. */
  private handleCookieReply(now: number, d: Uint8Array): ReceiveResult {
    if (d.length < COOKIE_REPLY.size) return this.drop('truncated');
    if (d.length > COOKIE_REPLY.size) return this.drop('oversized');
    if (!hasLayout(d, COOKIE_REPLY)) return this.drop('malformed');
    const p = this.pendingByIndex.get(readU32(d, COOKIE_REPLY.offset.receiverIndex));
    if (p === undefined || p.pending === null || p.pending.cookieResent) return this.drop('unknown_index');
    const cookie = openCookieReply(d, p.pending.datagram, p.cookieKey);
    if (!cookie) return this.drop('bad_cookie');
    p.cookie = cookie;
    p.cookieAt = now;
    this.counters.cookiesReceived++;
    const again = this.startHandshake(now, p, false);
    if (!again || !p.pending) return { kind: 'send', peer: p.id, datagrams: [] };
    p.pending.cookieResent = true;
    return { kind: 'send', peer: p.id, datagrams: [again] };
  }

  // --- sessions --------------------------------------------------------------

  /** The session to seal with, or null; flags a rekey when the message count says so. */
  private sendSession(now: number, peer: number): TransportSession | null {
    const p = this.peers[peer];
    const s = p.current;
    if (s === null) return null;
    const tm = this.timing;
    if (s.sendCounter >= tm.rejectAfterMessages || now - s.createdAt >= tm.rejectAfterMs) return null;
    if (s.sendCounter >= tm.rekeyAfterMessages && p.pending === null) p.rekeyRequested = true;
    if (p.unansweredSince < 0) p.unansweredSince = now;
    return s;
  }

  /** A responder's `next` session proved itself: it becomes current. */
  private confirm(now: number, p: PeerState, s: TransportSession): void {
    s.confirmed = true;
    if (p.next !== s) return;
    p.next = null;
    this.install(now, p, s);
  }

  /** Makes `s` the session we send on; the old one keeps opening in-flight datagrams until its reject time. */
  private install(now: number, p: PeerState, s: TransportSession): void {
    if (p.current) {
      p.retired.push(p.current);
      if (p.retired.length > MAX_RETIRED) this.dropSession(p.retired.shift()!);
      p.rekeys++;
      this.counters.rekeys++;
    }
    p.current = s;
    p.sessions++;
    p.lastHandshakeAt = now;
    this.counters.sessionsEstablished++;
  }

  private dropSession(s: TransportSession | null): void {
    if (s) this.sessions.delete(s.localIndex);
  }

  private rekeyAge(s: TransportSession): number {
    return s.isInitiator ? this.timing.rekeyAfterMs : this.timing.rekeyAfterMs + this.timing.responderRekeyDelayMs;
  }

  // --- handshakes ------------------------------------------------------------

  /** A fresh initiation (new ephemeral and timestamp); `retry` false keeps the backoff where it is. */
  private startHandshake(now: number, p: PeerState, retry = true): Uint8Array | null {
    this.dropPending(p);
    const localIndex = this.newIndex();
    const ts = Math.max(Math.floor((this.epochOffsetMs + now) * 1000), p.lastSentTimestampUs + 1);
    p.lastSentTimestampUs = ts;
    const built = buildInitiation(this.local, p.publicKey, p.mac1Key, this.newEphemeral(), localIndex, ts);
    if (!built) return null; // the configured peer key is a low-order point: nothing will ever work
    if (p.cookie && now - p.cookieAt < COOKIE_LIFETIME_MS) writeMac2(built.datagram, INITIATION, p.cookie);
    p.pending = { localIndex, handshake: built.handshake, datagram: built.datagram, sentAt: now, cookieResent: false };
    this.pendingByIndex.set(localIndex, p);
    if (retry) {
      p.retryAt = now + this.backoff(p.attempts);
      p.attempts++;
    }
    this.counters.initiationsSent++;
    return built.datagram;
  }

  private dropPending(p: PeerState): void {
    if (p.pending) {
      this.pendingByIndex.delete(p.pending.localIndex);
      p.pending.handshake.ephemeral.privateKey.fill(0); // forward secrecy, as above
    }
    p.pending = null;
  }

  /** Exponential backoff with 0–25 % jitter, so many clients don't retry in lockstep. */
  private backoff(attempts: number): number {
    const base = Math.min(this.timing.handshakeRetryMs * 2 ** attempts, this.timing.handshakeRetryMaxMs);
    const r = this.random.randomBytes(1)[0] / 256;
    return base * (1 + 0.25 * r);
  }

  private newIndex(): number {
    for (;;) {
      const i = randomU32NonZero(this.random);
      if (!this.sessions.has(i) && !this.pendingByIndex.has(i)) return i;
    }
  }

  private newEphemeral(): KeyPair {
    const privateKey = this.random.randomBytes(KEY_BYTES);
    clampPrivateKey(privateKey);
    return { privateKey, publicKey: publicKeyOf(privateKey) };
  }

  private drop(reason: DropReason): { kind: 'drop'; reason: DropReason } {
    this.counters.drops[reason]++;
    return DROPS[reason];
  }
}

function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}
