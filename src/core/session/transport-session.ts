/**
 * One set of transport keys from one handshake, and the two operations the
 * data path runs per packet: seal (header, Frame, AEAD in place) and open
 * (AEAD in place, replay check). The nonce is the 64-bit counter from the
 * clear header, which is also the AEAD's associated data.
 */
import type { Frame } from '../wire/frames';
import { encodeFrame } from '../wire/frame-encoder';
import { AEAD_TAG_BYTES, MessageType, TRANSPORT_HEADER_BYTES } from '../wire/envelope';
import { writeU32 } from '../wire/handshake-messages';
import { writeNonce } from './noise';
import { ReplayWindow } from './replay-window';
import { sodium } from './sodium';

export class TransportSession {
  /** Next counter to send. */
  sendCounter = 0;
  readonly replay = new ReplayWindow();
  /** Set once a datagram from the peer opened on these keys (key confirmation). */
  confirmed: boolean;

  constructor(
    readonly peer: number,
    readonly localIndex: number,
    readonly remoteIndex: number,
    readonly sendKey: Uint8Array,
    readonly receiveKey: Uint8Array,
    readonly createdAt: number,
    /** We sent the initiation that made these keys. */
    readonly isInitiator: boolean,
  ) {
    // The initiator has proof the peer holds the keys (its response decrypted); the responder waits for a datagram.
    this.confirmed = isInitiator;
  }
}

const nonce = new Uint8Array(12);

/**
 * Seals `frame` into out[offset..]; returns the datagram length, or -1 if it
 * doesn't fit. Consumes one counter.
 */
export function sealInto(s: TransportSession, frame: Frame, out: Uint8Array, offset: number): number {
  const body = offset + TRANSPORT_HEADER_BYTES;
  const end = encodeFrame(frame, out, body);
  if (end < 0 || end + AEAD_TAG_BYTES > out.length) return -1;
  const counter = s.sendCounter++;
  out[offset] = MessageType.TRANSPORT;
  writeU32(out, offset + 1, s.remoteIndex);
  writeU32(out, offset + 5, counter >>> 0);
  writeU32(out, offset + 9, Math.floor(counter / 4294967296) >>> 0);
  writeNonce(nonce, counter);
  // In place: libsodium allows the ciphertext to overwrite the plaintext at the same address.
  sodium.crypto_aead_chacha20poly1305_ietf_encrypt(
    out.subarray(body, end + AEAD_TAG_BYTES),
    out.subarray(body, end),
    out.subarray(offset, body),
    null,
    nonce,
    s.sendKey,
  );
  return end + AEAD_TAG_BYTES - offset;
}

/**
 * Decrypts datagram[13, len-16) in place. False when the tag doesn't verify.
 * The caller has checked length, index and the replay window.
 */
export function openInPlace(s: TransportSession, datagram: Uint8Array, counter: number): boolean {
  writeNonce(nonce, counter);
  const len = datagram.length;
  try {
    sodium.crypto_aead_chacha20poly1305_ietf_decrypt(
      datagram.subarray(TRANSPORT_HEADER_BYTES, len - AEAD_TAG_BYTES),
      null,
      datagram.subarray(TRANSPORT_HEADER_BYTES, len),
      datagram.subarray(0, TRANSPORT_HEADER_BYTES),
      nonce,
      s.receiveKey,
    );
  } catch {
    return false;
  }
  return true;
}
