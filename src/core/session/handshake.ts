/**
 * Handshake datagrams around the Noise messages: framing (wire/handshake-
 * messages.ts), session indices, the initiation timestamp, and mac1.
 *
 * mac1 = BLAKE2b-128 keyed with BLAKE2b-256("braid-mac1" || receiver's static
 * public key), over every byte before it. Checking it costs a hash, not the
 * four X25519 operations of a Noise read, so datagrams not addressed to this
 * endpoint's key are dropped cheaply. mac2 is reserved (zero) for a future
 * cookie reply.
 */
import {
  INITIATION,
  INITIATION_PAYLOAD_BYTES,
  RESPONSE,
  field,
  hasLayout,
  mac1Span,
  newMessage,
  readFixed64,
  readU32,
  writeFixed64,
  writeU32,
} from '../wire/handshake-messages';
import { bytesEqual } from './keys';
import {
  InitiatorHandshake,
  KeyPair,
  ResponderHandshake,
  TransportKeys,
  readInitiation,
  readResponse,
  writeInitiation,
  writeResponse,
} from './noise';
import { sodium } from './sodium';

const MAC_BYTES = 16;
const MAC1_LABEL = new TextEncoder().encode('braid-mac1');

/** The key that mac1 of messages sent *to* `publicKey` is made with. */
export function mac1KeyFor(publicKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(MAC1_LABEL.length + publicKey.length);
  input.set(MAC1_LABEL);
  input.set(publicKey, MAC1_LABEL.length);
  const key = new Uint8Array(32);
  sodium.crypto_generichash(key, input);
  return key;
}

function computeMac1(datagram: Uint8Array, span: number, key: Uint8Array): Uint8Array {
  const mac = new Uint8Array(MAC_BYTES);
  sodium.crypto_generichash(mac, datagram.subarray(0, span), key);
  return mac;
}

export function mac1Valid(datagram: Uint8Array, layout: typeof INITIATION, key: Uint8Array): boolean {
  const span = mac1Span(layout);
  return bytesEqual(computeMac1(datagram, span, key), field(datagram, layout, 'mac1', MAC_BYTES));
}

/** Builds an initiation; null only if the peer's public key is a low-order point. */
export function buildInitiation(
  local: KeyPair,
  peerPublicKey: Uint8Array,
  peerMac1Key: Uint8Array,
  ephemeral: KeyPair,
  senderIndex: number,
  timestampUs: number,
): { datagram: Uint8Array; handshake: InitiatorHandshake } | null {
  const payload = new Uint8Array(INITIATION_PAYLOAD_BYTES);
  payload[0] = 0x09; // InitiationPayload.timestamp_us: field 1, fixed64
  writeFixed64(payload, 1, timestampUs);
  const w = writeInitiation(local, peerPublicKey, ephemeral, payload);
  if (!w) return null;
  const d = newMessage(INITIATION);
  writeU32(d, INITIATION.offset.senderIndex, senderIndex);
  d.set(w.message.ephemeral, INITIATION.offset.ephemeral);
  d.set(w.message.encryptedStatic, INITIATION.offset.encryptedStatic);
  d.set(w.message.encryptedPayload, INITIATION.offset.encryptedPayload);
  d.set(computeMac1(d, mac1Span(INITIATION), peerMac1Key), INITIATION.offset.mac1);
  return { datagram: d, handshake: w.handshake };
}

export interface ReceivedInitiation {
  handshake: ResponderHandshake;
  senderIndex: number;
  timestampUs: number;
}

/** Noise-reads an initiation whose size, framing and mac1 were checked. Null if it doesn't authenticate. */
export function consumeInitiation(local: KeyPair, d: Uint8Array): ReceivedInitiation | null {
  const hs = readInitiation(local, {
    ephemeral: field(d, INITIATION, 'ephemeral', 32),
    encryptedStatic: field(d, INITIATION, 'encryptedStatic', 48),
    encryptedPayload: field(d, INITIATION, 'encryptedPayload', INITIATION_PAYLOAD_BYTES + 16),
  });
  if (!hs || hs.payload.length !== INITIATION_PAYLOAD_BYTES || hs.payload[0] !== 0x09) return null;
  return {
    handshake: hs,
    senderIndex: readU32(d, INITIATION.offset.senderIndex),
    timestampUs: readFixed64(hs.payload, 1),
  };
}

/** Builds the response to an accepted initiation, with the transport keys. */
export function buildResponse(
  received: ReceivedInitiation,
  peerMac1Key: Uint8Array,
  ephemeral: KeyPair,
  senderIndex: number,
): { datagram: Uint8Array; keys: TransportKeys } | null {
  const w = writeResponse(received.handshake, ephemeral, new Uint8Array(0));
  if (!w) return null;
  const d = newMessage(RESPONSE);
  writeU32(d, RESPONSE.offset.senderIndex, senderIndex);
  writeU32(d, RESPONSE.offset.receiverIndex, received.senderIndex);
  d.set(w.message.ephemeral, RESPONSE.offset.ephemeral);
  d.set(w.message.encryptedPayload, RESPONSE.offset.encryptedPayload);
  d.set(computeMac1(d, mac1Span(RESPONSE), peerMac1Key), RESPONSE.offset.mac1);
  return { datagram: d, keys: w.keys };
}

/** Noise-reads a response for our pending initiation. Null if it doesn't authenticate. */
export function consumeResponse(
  local: KeyPair,
  pending: InitiatorHandshake,
  d: Uint8Array,
): { keys: TransportKeys; senderIndex: number } | null {
  const r = readResponse(pending, local, {
    ephemeral: field(d, RESPONSE, 'ephemeral', 32),
    encryptedPayload: field(d, RESPONSE, 'encryptedPayload', 16),
  });
  if (!r || r.payload.length !== 0) return null;
  return { keys: r.keys, senderIndex: readU32(d, RESPONSE.offset.senderIndex) };
}

export { hasLayout, INITIATION, RESPONSE };
