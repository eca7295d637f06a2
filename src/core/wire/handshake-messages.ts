/**
 * Handshake datagrams: the type byte, then a protobuf message
 * (proto/braid.proto HandshakeInitiation / HandshakeResponse) whose fields all
 * have fixed sizes. Proto3 encodes such a message to the same bytes at the
 * same offsets every time, so these are both valid protobuf and a fixed
 * layout: a receiver checks size and field keys with no parsing, and the MACs
 * cover a fixed prefix. Sender indices are never 0, so no field is ever
 * omitted as a proto3 default.
 */
import { MessageType } from './envelope';

interface FieldSpec {
  name: string;
  number: number;
  kind: 'fixed32' | 'bytes';
  size: number;
}

export interface FixedLayout {
  type: number;
  size: number;
  /** Offset of each field's value in the datagram. */
  offset: Record<string, number>;
  /** Every (offset, byte) of the type, field keys and lengths: what a valid message must contain. */
  frame: Array<[number, number]>;
}

function layout(type: number, fields: FieldSpec[]): FixedLayout {
  const offset: Record<string, number> = {};
  const frame: Array<[number, number]> = [[0, type]];
  let pos = 1;
  for (const f of fields) {
    if (f.kind === 'fixed32') {
      frame.push([pos++, (f.number << 3) | 5]);
    } else {
      frame.push([pos++, (f.number << 3) | 2]);
      frame.push([pos++, f.size]); // every size here is < 128: a one-byte length
    }
    offset[f.name] = pos;
    pos += f.size;
  }
  return { type, size: pos, offset, frame };
}

/** Noise payload of the initiation: protobuf InitiationPayload { fixed64 timestamp_us = 1 } (9 bytes). */
export const INITIATION_PAYLOAD_BYTES = 9;

export const INITIATION = layout(MessageType.INITIATION, [
  { name: 'senderIndex', number: 1, kind: 'fixed32', size: 4 },
  { name: 'ephemeral', number: 2, kind: 'bytes', size: 32 },
  { name: 'encryptedStatic', number: 3, kind: 'bytes', size: 48 },
  { name: 'encryptedPayload', number: 4, kind: 'bytes', size: INITIATION_PAYLOAD_BYTES + 16 },
  { name: 'mac1', number: 5, kind: 'bytes', size: 16 },
  { name: 'mac2', number: 6, kind: 'bytes', size: 16 },
]);

export const RESPONSE = layout(MessageType.RESPONSE, [
  { name: 'senderIndex', number: 1, kind: 'fixed32', size: 4 },
  { name: 'receiverIndex', number: 2, kind: 'fixed32', size: 4 },
  { name: 'ephemeral', number: 3, kind: 'bytes', size: 32 },
  { name: 'encryptedPayload', number: 4, kind: 'bytes', size: 16 },
  { name: 'mac1', number: 5, kind: 'bytes', size: 16 },
  { name: 'mac2', number: 6, kind: 'bytes', size: 16 },
]);

/**
 * Sent instead of a response when the responder is under load and the
 * initiation's mac2 doesn't carry a valid cookie for its source address.
 */
export const COOKIE_REPLY = layout(MessageType.COOKIE_REPLY, [
  { name: 'receiverIndex', number: 1, kind: 'fixed32', size: 4 },
  { name: 'nonce', number: 2, kind: 'bytes', size: 24 },
  { name: 'encryptedCookie', number: 3, kind: 'bytes', size: 32 },
]);

/** A zeroed datagram of this layout with its type, keys and lengths written. */
export function newMessage(l: FixedLayout): Uint8Array {
  const buf = new Uint8Array(l.size);
  for (const [at, byte] of l.frame) buf[at] = byte;
  return buf;
}

/** Whether buf has this layout's exact size and framing bytes. */
export function hasLayout(buf: Uint8Array, l: FixedLayout): boolean {
  if (buf.length !== l.size) return false;
  const frame = l.frame;
  for (let i = 0; i < frame.length; i++) if (buf[frame[i][0]] !== frame[i][1]) return false;
  return true;
}

export function field(buf: Uint8Array, l: FixedLayout, name: string, size: number): Uint8Array {
  const at = l.offset[name];
  return buf.subarray(at, at + size);
}

/** The bytes mac1 covers: everything before the mac1 field's key. */
export function mac1Span(l: FixedLayout): number {
  return l.offset.mac1 - 2;
}

export function mac2Span(l: FixedLayout): number {
  return l.offset.mac2 - 2;
}

export function readU32(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

export function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v & 0xff;
  buf[at + 1] = (v >>> 8) & 0xff;
  buf[at + 2] = (v >>> 16) & 0xff;
  buf[at + 3] = v >>> 24;
}

export function writeFixed64(buf: Uint8Array, at: number, v: number): void {
  writeU32(buf, at, v >>> 0);
  writeU32(buf, at + 4, Math.floor(v / 4294967296) >>> 0);
}

export function readFixed64(buf: Uint8Array, at: number): number {
  return readU32(buf, at) + readU32(buf, at + 4) * 4294967296;
}
