/**
 * Session timing and limits. Defaults follow WireGuard's constants where they
 * exist (rekey after 120 s, reject after 180 s, give up after 90 s, 50
 * initiations/s per peer), so operators can reason about braid the same way.
 */

export interface SessionTiming {
  /** Start a new handshake once the current session is this old (the side that initiated it). */
  rekeyAfterMs: number;
  /** Never send or accept on a session this old. */
  rejectAfterMs: number;
  /** Start a new handshake after this many datagrams sent on one session. */
  rekeyAfterMessages: number;
  /** Never send or accept beyond this counter (leaves room for the rekey to finish). */
  rejectAfterMessages: number;
  /** First handshake retry; doubles per attempt up to handshakeRetryMaxMs, plus 0–25 % jitter. */
  handshakeRetryMs: number;
  handshakeRetryMaxMs: number;
  /** A rekey nobody asked for (no `connect`) gives up after this long without a response. */
  rekeyAttemptMs: number;
  /** The responder of a session starts its own rekey this much later than the initiator would. */
  responderRekeyDelayMs: number;
  /**
   * Sent datagrams but received nothing for this long: start a new handshake
   * (the peer may have restarted and lost the session). WireGuard: 15 s.
   */
  staleAfterMs: number;
}

export const DEFAULT_TIMING: SessionTiming = {
  rekeyAfterMs: 120_000,
  rejectAfterMs: 180_000,
  rekeyAfterMessages: 2 ** 48,
  rejectAfterMessages: 2 ** 48 + 2 ** 32,
  handshakeRetryMs: 1_000,
  handshakeRetryMaxMs: 30_000,
  rekeyAttemptMs: 90_000,
  responderRekeyDelayMs: 15_000,
  staleAfterMs: 15_000,
};

export interface HandshakeLimits {
  /** Initiations processed per second over all sources (each costs four X25519 operations). */
  globalPerSecond: number;
  globalBurst: number;
  /** Per source address, when the daemon passes one to handleDatagram. */
  perSourcePerSecond: number;
  perSourceBurst: number;
  /** Minimum spacing of accepted initiations from one peer (WireGuard: 50 per second). */
  perPeerIntervalMs: number;
}

export const DEFAULT_LIMITS: HandshakeLimits = {
  globalPerSecond: 400,
  globalBurst: 100,
  perSourcePerSecond: 50,
  perSourceBurst: 10,
  perPeerIntervalMs: 20,
};
