/**
 * What a handshake flood can cost is decided here, before any X25519 work:
 * under load, cookie replies for initiations without a valid cookie (when
 * enabled); then a token bucket per source address and a global one.
 * Established sessions never pass through here: transport datagrams go
 * straight to their session, so a flood cannot starve them.
 */
import { INITIATION, readU32 } from '../wire/handshake-messages';
import { CookieChecker } from './cookie';
import type { HandshakeLimits } from './options';
import { TokenBucket } from './token-bucket';

/** Source buckets kept at most; beyond that idle ones are forgotten (or all, under a spoofed flood). */
const MAX_SOURCE_BUCKETS = 10_000;

export type GuardVerdict = 'admit' | 'rate_limited' | Uint8Array;

export class HandshakeGuard {
  private global: TokenBucket | null = null;
  private readonly sources = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: HandshakeLimits,
    /** Null when cookie replies are off. */
    private readonly cookies: CookieChecker | null,
  ) {}

  /**
   * For an initiation `d` whose framing and mac1 are valid: 'admit' (do the
   * Noise work), 'rate_limited', or a cookie reply to send back to `source`.
   */
  check(now: number, d: Uint8Array, source: string | undefined): GuardVerdict {
    if (this.cookies && source !== undefined && this.underLoad(now) && !this.cookies.mac2Valid(now, d, INITIATION, source)) {
      return this.cookies.reply(now, d, readU32(d, INITIATION.offset.senderIndex), source);
    }
    const l = this.limits;
    if (!this.global) this.global = new TokenBucket(l.globalPerSecond, l.globalBurst, now);
    if (source !== undefined) {
      let b = this.sources.get(source);
      if (!b) {
        if (this.sources.size >= MAX_SOURCE_BUCKETS) this.forgetIdleSources(now);
        b = new TokenBucket(l.perSourcePerSecond, l.perSourceBurst, now);
        this.sources.set(source, b);
      }
      if (!b.take(now)) return 'rate_limited';
    }
    return this.global.take(now) ? 'admit' : 'rate_limited';
  }

  /** Under load: the global handshake budget is more than half spent. */
  private underLoad(now: number): boolean {
    return this.global !== null && this.global.available(now) < this.limits.globalBurst / 2;
  }

  private forgetIdleSources(now: number): void {
    for (const [k, b] of this.sources) if (b.isFull(now)) this.sources.delete(k);
    // Still full of busy sources (a spoofed flood): start over rather than grow without bound.
    if (this.sources.size >= MAX_SOURCE_BUCKETS) this.sources.clear();
  }
}
