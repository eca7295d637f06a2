/**
 * The few libsodium calls braid uses, typed here because sodium-native ships
 * no TypeScript declarations. A local interface (not an ambient `declare
 * module`) so it can't collide with another folder's typing of the package.
 *
 * Why sodium-native: measured per 1400 B packet, chacha20-poly1305-ietf costs
 * 2.3 µs here against 8.6 µs for node:crypto (per-call cipher setup) and 36 µs
 * for tweetnacl (see docs/security.md).
 */
export interface SodiumApi {
  randombytes_buf(out: Uint8Array): void;
  crypto_scalarmult_base(publicKey: Uint8Array, secretKey: Uint8Array): void;
  /** Throws when the result is all zeros (a low-order point). */
  crypto_scalarmult(shared: Uint8Array, secretKey: Uint8Array, publicKey: Uint8Array): void;
  /** Returns bytes written (plaintext + 16). */
  crypto_aead_chacha20poly1305_ietf_encrypt(
    out: Uint8Array,
    message: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
  /** Returns bytes written; throws when the tag does not verify. */
  crypto_aead_chacha20poly1305_ietf_decrypt(
    out: Uint8Array,
    nsec: null,
    ciphertext: Uint8Array,
    ad: Uint8Array | null,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
  /** Keyed BLAKE2b; out.length is the digest size (16..64). */
  crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
    out: Uint8Array,
    message: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
  crypto_aead_xchacha20poly1305_ietf_decrypt(
    out: Uint8Array,
    nsec: null,
    ciphertext: Uint8Array,
    ad: Uint8Array | null,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
  sodium_memzero(buf: Uint8Array): void;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
export const sodium = require('sodium-native') as SodiumApi;
