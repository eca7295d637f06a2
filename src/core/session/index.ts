/**
 * braid's secure session: Noise IK handshakes, transport keys, replay
 * protection, rekeying and handshake flood limits, for every peer of one
 * endpoint. Sans-IO: every call takes `now` (ms) and returns what to send.
 *
 * The daemon's whole use of it:
 *
 *   const ep = new SecureEndpoint({
 *     privateKey: loadPrivateKeyFile(cfg.privateKeyFile),
 *     peers: cfg.peers.map((p) => ({ publicKey: decodeKey(p.publicKey, 'peers[i].publicKey'), name: p.name })),
 *     random: new SodiumRandomBytes(),
 *     epochOffsetMs: Date.now() - monotonicNow(),   // initiation timestamps survive restarts
 *   });
 *
 *   // Peers are numbered 0..peerCount-1 in config order (ep.peerId(publicKey) finds one).
 *   ep.connect(now, peer)                     -> Uint8Array[]  initiation(s): send on every path to the peer
 *   ep.handleDatagram(now, datagram, source?) -> ReceiveResult, one of
 *       { kind: 'frame', peer, frame }          a Frame; payload is a view into `datagram` (decrypted in place)
 *       { kind: 'send', peer, datagrams }       handshake response: send back to where the datagram came from
 *       { kind: 'established', peer, datagrams} our handshake finished: send the key confirmation back the same way
 *       { kind: 'reply', datagrams }            cookie reply under load (only with cookieReplies: true): send back to the source
 *       { kind: 'drop', reason }                counted in ep.counters.drops[reason]; never throws
 *   ep.sealFrame(now, peer, frame)            -> Uint8Array | null (null: no session yet; queue and connect)
 *   ep.sealFrameInto(now, peer, frame, out, offset?) -> length | 0 (no session) | -1 (doesn't fit)
 *   ep.pollTimeout()                          -> ms deadline for the next handleTimeout (undefined: none)
 *   ep.handleTimeout(now)                     -> [{ peer, datagram }] retries and rekeys to send
 *   ep.sessionInfo(peer, now)                 -> for `braid status`
 *   ep.counters                               -> drops by reason, handshake and datagram counts
 *
 * The session never looks at addresses: a datagram is routed by the session
 * index in its header, so a peer may roam or use any path. Exact per-datagram
 * overhead for MTU math is in ../wire/envelope.ts (TRANSPORT_OVERHEAD,
 * MAX_DATA_OVERHEAD, tunnelMtu).
 */
export { SecureEndpoint } from './endpoint';
export type { PeerConfig, SecureEndpointOptions, ReceiveResult, TimeoutOutput, SessionInfo } from './endpoint';
export { DROP_REASONS } from './counters';
export type { DropReason, EndpointCounters } from './counters';
export { DEFAULT_TIMING, DEFAULT_LIMITS } from './options';
export type { SessionTiming, HandshakeLimits } from './options';
export { SodiumRandomBytes, SeededRandomBytes } from './random-bytes';
export type { RandomBytes } from './random-bytes';
export { generatePrivateKey, publicKeyOf, encodeKey, decodeKey } from './keys';
export { loadPrivateKeyFile } from './key-file';
export { REPLAY_WINDOW } from './replay-window';
