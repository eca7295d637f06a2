/**
 * Cuts a TCP super-packet (a TUN read with TSO, up to 64 KiB of one flow)
 * into queued pieces that fill whole datagrams (DataFlags.FRAGMENT; the
 * layout is in docs/wire.md). The first piece starts with a 16-bit field:
 * the segment size the receiver's kernel cuts the joined packet at (15
 * bits) and, in the top bit, whether the body is RE-encoded. The far end
 * joins the pieces with FragmentReassembler.
 */
import { dataFrameOverheadBound } from '../wire/envelope';
import { DataFlags } from '../wire/frames';
import type { PacketSlab } from './packet-slab';
import type { QueuedPacket } from './send-queue';

/** Top bit of the first piece's size field: the joined body is RE-encoded. */
export const PIECE_RE_ENCODED = 0x8000;
/** Largest segment size the field can name; larger ones (a TUN MTU over 32 KiB) are cut into segments instead. */
export const MAX_PIECE_GSO = 0x7fff;

/**
 * Payload bytes a piece may carry so its data frame fits `maxFrameBytes`:
 * the frame's varints sized for the seqs and send times reachable before it
 * leaves (`maxSeq`; an hour more of clock after `now`), not the worst case.
 */
export function pieceBytes(maxFrameBytes: number, maxSeq: number, now: number, maxPathId: number): number {
  return maxFrameBytes - dataFrameOverheadBound(maxFrameBytes, maxSeq, (now + 3.6e6) * 1000, maxPathId);
}

/**
 * Fills `out` with `body` (a super-packet, or its RE encoding) as queued
 * pieces of at most `piece` payload bytes each, carved from `slab`; returns
 * how many.
 */
export function cutPieces(slab: PacketSlab, body: Uint8Array, gsoSize: number, encoded: boolean, flow: number, piece: number, now: number, out: QueuedPacket[]): number {
  out.length = 0;
  const total = body.length + 2;
  const size = gsoSize | (encoded ? PIECE_RE_ENCODED : 0);
  for (let at = 0; at < total; at += piece) {
    const end = Math.min(total, at + piece);
    const payload = slab.alloc(end - at);
    let flags = DataFlags.ORDERED | DataFlags.FRAGMENT;
    if (at === 0) {
      flags |= DataFlags.FRAGMENT_FIRST;
      payload[0] = size >> 8;
      payload[1] = size & 0xff;
      payload.set(body.subarray(0, end - 2), 2);
    } else payload.set(body.subarray(at - 2, end - 2));
    if (end === total) flags |= DataFlags.FRAGMENT_LAST;
    out.push({ seq: 0, flow, flowPrevSeq: 0, flags, payload, queuedAt: now, reToken: 0, gso: 0 });
  }
  return out.length;
}
