/**
 * X25519 static keys in WireGuard's text form: 32 bytes as standard base64
 * (44 characters with one '=' of padding), so `wg genkey` / `wg pubkey` and
 * `braid genkey` / `braid pubkey` are interchangeable.
 */
import { BraidError } from '../../errors';
import type { RandomBytes } from './random-bytes';
import { sodium } from './sodium';

export const KEY_BYTES = 32;

/** A new private key, clamped the way `wg genkey` clamps it (RFC 7748 §5). */
export function generatePrivateKey(random: RandomBytes): Uint8Array {
  const key = random.randomBytes(KEY_BYTES);
  clampPrivateKey(key);
  return key;
}

/** Clears the low 3 bits and the top bit, sets bit 254. X25519 does this anyway; wg prints keys clamped. */
export function clampPrivateKey(key: Uint8Array): void {
  key[0] &= 248;
  key[31] = (key[31] & 127) | 64;
}

export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  const pub = new Uint8Array(KEY_BYTES);
  sodium.crypto_scalarmult_base(pub, privateKey);
  return pub;
}

export function encodeKey(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64');
}

const KEY_TEXT = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** Parses a base64 key; `what` names it in the error (e.g. `peers[0].publicKey`). */
export function decodeKey(text: string, what: string): Uint8Array {
  const t = text.trim();
  if (!KEY_TEXT.test(t)) {
    throw new BraidError(
      'BRAID_ERR_KEY',
      `${what} is not a key: expected 44 base64 characters as printed by 'braid genkey' or 'wg genkey'`,
    );
  }
  return new Uint8Array(Buffer.from(t, 'base64'));
}

/** Constant-time equality for keys and MACs. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
