/**
 * Cookies: under load, a responder proves an initiator owns its source
 * address before spending X25519 work on it (WireGuard's mac2 scheme).
 *
 * The responder answers an initiation that lacks a valid mac2 with a cookie
 * reply instead of a response. The cookie is BLAKE2b-128 of the source
 * address keyed with a secret rotated every two minutes, sent encrypted
 * (XChaCha20-Poly1305, key from the responder's public key, associated data
 * = the initiation's mac1, so it answers exactly that message). A spoofed
 * source never sees it. The initiator puts mac2 = BLAKE2b-128 keyed with the
 * cookie over the message into its next initiation; those pass, subject to
 * the per-source rate limit, while the rest of the flood costs one hash and
 * one small encryption each.
 */
import { COOKIE_REPLY, INITIATION, field, mac2Span, newMessage, writeU32 } from '../wire/handshake-messages';
import type { FixedLayout } from '../wire/handshake-messages';
import { bytesEqual } from './keys';
import type { RandomBytes } from './random-bytes';
import { sodium } from './sodium';

const MAC_BYTES = 16;
const SECRET_LIFETIME_MS = 120_000;
/** An initiator stops using a cookie a little before the responder's secret can have rotated twice. */
export const COOKIE_LIFETIME_MS = SECRET_LIFETIME_MS - 5_000;
const COOKIE_LABEL = new TextEncoder().encode('braid-cookie');
const utf8 = new TextEncoder();

/** Key that cookie replies *from* `publicKey` are encrypted with. */
export function cookieKeyFor(publicKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(COOKIE_LABEL.length + publicKey.length);
  input.set(COOKIE_LABEL);
  input.set(publicKey, COOKIE_LABEL.length);
  const key = new Uint8Array(32);
  sodium.crypto_generichash(key, input);
  return key;
}

function keyedHash(data: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(MAC_BYTES);
  sodium.crypto_generichash(out, data, key);
  return out;
}

/** Writes mac2 into a handshake datagram whose mac1 is already set. */
export function writeMac2(d: Uint8Array, layout: FixedLayout, cookie: Uint8Array): void {
  d.set(keyedHash(d.subarray(0, mac2Span(layout)), cookie), layout.offset.mac2);
}

/** The responder's side: the rotating secret, cookies, replies and mac2 checks. */
export class CookieChecker {
  private secret: Uint8Array | null = null;
  private secretAt = -Infinity;

  constructor(
    private readonly random: RandomBytes,
    /** cookieKeyFor(our public key). */
    private readonly replyKey: Uint8Array,
  ) {}

  private cookie(now: number, source: string): Uint8Array {
    if (!this.secret || now - this.secretAt >= SECRET_LIFETIME_MS) {
      this.secret = this.random.randomBytes(32);
      this.secretAt = now;
    }
    return keyedHash(utf8.encode(source), this.secret);
  }

  mac2Valid(now: number, d: Uint8Array, layout: FixedLayout, source: string): boolean {
    const expected = keyedHash(d.subarray(0, mac2Span(layout)), this.cookie(now, source));
    return bytesEqual(expected, field(d, layout, 'mac2', MAC_BYTES));
  }

  /** The cookie reply to an initiation `d` from `source`. */
  reply(now: number, d: Uint8Array, senderIndex: number, source: string): Uint8Array {
    const out = newMessage(COOKIE_REPLY);
    writeU32(out, COOKIE_REPLY.offset.receiverIndex, senderIndex);
    const nonce = this.random.randomBytes(24);
    out.set(nonce, COOKIE_REPLY.offset.nonce);
    const mac1 = field(d, INITIATION, 'mac1', MAC_BYTES);
    sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
      field(out, COOKIE_REPLY, 'encryptedCookie', 32),
      this.cookie(now, source),
      mac1,
      null,
      nonce,
      this.replyKey,
    );
    return out;
  }
}

/** The initiator's side: the cookie inside a reply to our initiation `sent`, or null if it doesn't open. */
export function openCookieReply(reply: Uint8Array, sent: Uint8Array, peerCookieKey: Uint8Array): Uint8Array | null {
  const cookie = new Uint8Array(MAC_BYTES);
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      cookie,
      null,
      field(reply, COOKIE_REPLY, 'encryptedCookie', 32),
      field(sent, INITIATION, 'mac1', MAC_BYTES),
      field(reply, COOKIE_REPLY, 'nonce', 24),
      peerCookieKey,
    );
  } catch {
    return null;
  }
  return cookie;
}
