/**
 * Noise_IK_25519_ChaChaPoly_BLAKE2s (Noise spec rev 34), the two messages of
 * one round trip:
 *
 *   -> e, es, s, ss, {payload}      initiation: proves the initiator's static key
 *   <- e, ee, se, {payload}         response: forward secrecy from ee/se
 *
 * The responder's static key is known in advance (pre-message `<- s`). This is
 * the pattern WireGuard builds on (without its psk), checked byte for byte
 * against dissononce, an independent implementation
 * (test/integration/noise-interop.test.ts).
 *
 * Handshakes are rare, so this file favours clarity over allocation.
 * Network input never throws: every read returns null on failure.
 */
import * as crypto from 'crypto';
import { sodium } from './sodium';

export const NOISE_PROTOCOL_NAME = 'Noise_IK_25519_ChaChaPoly_BLAKE2s';
/** Mixed into the handshake hash so a braid handshake can't be replayed into another Noise_IK protocol. */
export const NOISE_PROLOGUE = new TextEncoder().encode('braid/1');

const HASHLEN = 32;
const DHLEN = 32;
export const TAG_BYTES = 16;

export interface KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function hash(...parts: Uint8Array[]): Uint8Array {
  const h = crypto.createHash('blake2s256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = crypto.createHmac('blake2s256', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Noise HKDF with two outputs. */
function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const tempKey = hmac(chainingKey, ikm);
  const out1 = hmac(tempKey, Uint8Array.of(1));
  const out2 = hmac(tempKey, out1, Uint8Array.of(2));
  return [out1, out2];
}

/** X25519; null for a low-order point (all-zero shared secret), which libsodium rejects. */
export function dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(DHLEN);
  try {
    sodium.crypto_scalarmult(out, privateKey, publicKey);
  } catch {
    return null;
  }
  return out;
}

/** ChaChaPoly nonce as Noise defines it: 32 zero bits, then the 64-bit counter little-endian. */
export function writeNonce(nonce: Uint8Array, n: number): void {
  nonce[0] = nonce[1] = nonce[2] = nonce[3] = 0;
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296) >>> 0;
  nonce[4] = lo & 0xff;
  nonce[5] = (lo >>> 8) & 0xff;
  nonce[6] = (lo >>> 16) & 0xff;
  nonce[7] = lo >>> 24;
  nonce[8] = hi & 0xff;
  nonce[9] = (hi >>> 8) & 0xff;
  nonce[10] = (hi >>> 16) & 0xff;
  nonce[11] = hi >>> 24;
}

/** Noise SymmetricState: chaining key, handshake hash and the current handshake cipher key. */
export class SymmetricState {
  ck: Uint8Array;
  h: Uint8Array;
  private k: Uint8Array | null = null;
  private n = 0;

  constructor() {
    const name = new TextEncoder().encode(NOISE_PROTOCOL_NAME);
    // Longer than HASHLEN, so the spec says h = HASH(name) rather than zero padding.
    this.h = name.length <= HASHLEN ? padTo(name, HASHLEN) : hash(name);
    this.ck = this.h;
  }

  mixHash(data: Uint8Array): void {
    this.h = hash(this.h, data);
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck = ck;
    this.k = k;
    this.n = 0;
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    if (!this.k) throw new Error('noise: encrypt before a key is mixed');
    const out = new Uint8Array(plaintext.length + TAG_BYTES);
    const nonce = new Uint8Array(12);
    writeNonce(nonce, this.n++);
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, this.h, null, nonce, this.k);
    this.mixHash(out);
    return out;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array | null {
    if (!this.k || ciphertext.length < TAG_BYTES) return null;
    const out = new Uint8Array(ciphertext.length - TAG_BYTES);
    const nonce = new Uint8Array(12);
    writeNonce(nonce, this.n);
    try {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, ciphertext, this.h, nonce, this.k);
    } catch {
      return null;
    }
    this.n++;
    this.mixHash(ciphertext);
    return out;
  }

  /** The two transport keys: [initiator→responder, responder→initiator]. */
  split(): [Uint8Array, Uint8Array] {
    return hkdf2(this.ck, new Uint8Array(0));
  }
}

function padTo(data: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  out.set(data);
  return out;
}

/** State both sides start from: protocol name, prologue, responder's static key. */
function initialState(responderStatic: Uint8Array): SymmetricState {
  const st = new SymmetricState();
  st.mixHash(NOISE_PROLOGUE);
  st.mixHash(responderStatic);
  return st;
}

export interface InitiationMessage {
  ephemeral: Uint8Array; // 32
  encryptedStatic: Uint8Array; // 48
  encryptedPayload: Uint8Array; // payload + 16
}

export interface InitiatorHandshake {
  state: SymmetricState;
  ephemeral: KeyPair;
  remoteStatic: Uint8Array;
}

/** Initiator, message 1. Null only if the responder's static key is a low-order point. */
export function writeInitiation(
  local: KeyPair,
  remoteStatic: Uint8Array,
  ephemeral: KeyPair,
  payload: Uint8Array,
): { message: InitiationMessage; handshake: InitiatorHandshake } | null {
  const st = initialState(remoteStatic);
  st.mixHash(ephemeral.publicKey);
  const es = dh(ephemeral.privateKey, remoteStatic);
  if (!es) return null;
  st.mixKey(es);
  const encryptedStatic = st.encryptAndHash(local.publicKey);
  const ss = dh(local.privateKey, remoteStatic);
  if (!ss) return null;
  st.mixKey(ss);
  const encryptedPayload = st.encryptAndHash(payload);
  return {
    message: { ephemeral: ephemeral.publicKey, encryptedStatic, encryptedPayload },
    handshake: { state: st, ephemeral, remoteStatic },
  };
}

export interface ResponderHandshake {
  state: SymmetricState;
  remoteStatic: Uint8Array;
  remoteEphemeral: Uint8Array;
  payload: Uint8Array;
}

/**
 * Responder, message 1: learns and authenticates the initiator's static key.
 * `local` must be the static key the initiator addressed; a mismatch fails the first decrypt.
 */
export function readInitiation(local: KeyPair, message: InitiationMessage): ResponderHandshake | null {
  const st = initialState(local.publicKey);
  st.mixHash(message.ephemeral);
  const es = dh(local.privateKey, message.ephemeral);
  if (!es) return null;
  st.mixKey(es);
  const remoteStatic = st.decryptAndHash(message.encryptedStatic);
  if (!remoteStatic) return null;
  const ss = dh(local.privateKey, remoteStatic);
  if (!ss) return null;
  st.mixKey(ss);
  const payload = st.decryptAndHash(message.encryptedPayload);
  if (!payload) return null;
  return { state: st, remoteStatic, remoteEphemeral: message.ephemeral, payload };
}

export interface TransportKeys {
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
}

export interface ResponseMessage {
  ephemeral: Uint8Array; // 32
  encryptedPayload: Uint8Array; // payload + 16
}

/** Responder, message 2, and its transport keys. Null if the initiator's ephemeral is low-order. */
export function writeResponse(
  hs: ResponderHandshake,
  ephemeral: KeyPair,
  payload: Uint8Array,
): { message: ResponseMessage; keys: TransportKeys } | null {
  const st = hs.state;
  st.mixHash(ephemeral.publicKey);
  const ee = dh(ephemeral.privateKey, hs.remoteEphemeral);
  if (!ee) return null;
  st.mixKey(ee);
  const se = dh(ephemeral.privateKey, hs.remoteStatic);
  if (!se) return null;
  st.mixKey(se);
  const encryptedPayload = st.encryptAndHash(payload);
  const [toResponder, toInitiator] = st.split();
  return {
    message: { ephemeral: ephemeral.publicKey, encryptedPayload },
    keys: { sendKey: toInitiator, receiveKey: toResponder },
  };
}

/** Initiator, message 2. Null when it doesn't authenticate. Consumes nothing on failure (state is cloned). */
export function readResponse(
  hs: InitiatorHandshake,
  local: KeyPair,
  message: ResponseMessage,
): { payload: Uint8Array; keys: TransportKeys } | null {
  const st = new SymmetricState();
  st.ck = hs.state.ck;
  st.h = hs.state.h;
  // A fresh state carries no cipher key; mixKey below installs one before any decrypt.
  st.mixHash(message.ephemeral);
  const ee = dh(hs.ephemeral.privateKey, message.ephemeral);
  if (!ee) return null;
  st.mixKey(ee);
  const se = dh(local.privateKey, message.ephemeral);
  if (!se) return null;
  st.mixKey(se);
  const payload = st.decryptAndHash(message.encryptedPayload);
  if (!payload) return null;
  const [toResponder, toInitiator] = st.split();
  return { payload, keys: { sendKey: toResponder, receiveKey: toInitiator } };
}
