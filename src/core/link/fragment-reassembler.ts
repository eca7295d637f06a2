/**
 * Joins the pieces of inner TCP super-packets (DataFlags.FRAGMENT) as their
 * flows deliver them. The reorder buffer hands a flow's packets over in
 * order, so a piece belongs to the packet being built exactly when its
 * flowPrevSeq is the seq of the piece before it; anything else (a piece the
 * tunnel gave up on, a peer that lies) throws the partial packet away, and
 * the inner TCP retransmits what was in it. Memory is bounded: partial
 * packets past `maxBytes` in total lose the oldest first.
 */
import { DataFlags, type DataFrame } from '../wire/frames';
import { tcpHeaderEnd } from '../flow/tcp-segment';
import { PIECE_RE_ENCODED } from './super-pieces';

/** An IP packet (and so a super-packet) is at most 64 KiB; one more for the first piece's size prefix. */
const MAX_PACKET = 65535;

interface Partial {
  lastSeq: number;
  gsoSize: number;
  bytes: number;
  parts: Uint8Array[];
}

export interface ReassemblyCounters {
  /** Super-packets joined whole, and the pieces they took. */
  packets: number;
  pieces: number;
  /** Pieces thrown away: their packet lost a piece, was malformed or over the memory bound. */
  droppedPieces: number;
}

export class FragmentReassembler {
  readonly counters: ReassemblyCounters = { packets: 0, pieces: 0, droppedPieces: 0 };
  /** Segment size of the packet push() returned last (what its TUN write cuts it at). */
  gsoSize = 0;
  /** The packet push() returned last is RE-encoded: the caller decodes (and checks) it. */
  encoded = false;
  private readonly partial = new Map<number, Partial>();
  private held = 0;

  constructor(private readonly maxBytes = 8 << 20) {}

  /** Bytes held in partial packets. */
  get heldBytes(): number {
    return this.held;
  }

  /** Takes the next delivered piece of `f.flow`; returns the whole packet when this piece completes it. */
  push(f: DataFrame): Uint8Array | undefined {
    const flags = f.flags;
    const p = f.payload;
    let cur = this.partial.get(f.flow);
    if ((flags & DataFlags.FRAGMENT_FIRST) !== 0) {
      if (cur) this.discard(f.flow, cur);
      const gso = p.length >= 2 ? (p[0] << 8) | p[1] : 0;
      if (gso === 0) {
        this.counters.droppedPieces++;
        return undefined;
      }
      cur = { lastSeq: f.seq, gsoSize: gso, bytes: p.length - 2, parts: [p.subarray(2)] };
      if ((flags & DataFlags.FRAGMENT_LAST) !== 0) return this.finish(cur, 1);
      this.partial.set(f.flow, cur);
      this.held += cur.bytes;
      this.bound();
      return undefined;
    }
    if (!cur || f.flowPrevSeq !== cur.lastSeq || cur.bytes + p.length > MAX_PACKET) {
      if (cur) this.discard(f.flow, cur);
      this.counters.droppedPieces++;
      return undefined;
    }
    cur.parts.push(p);
    cur.bytes += p.length;
    cur.lastSeq = f.seq;
    this.held += p.length;
    if ((flags & DataFlags.FRAGMENT_LAST) === 0) {
      this.bound();
      return undefined;
    }
    this.partial.delete(f.flow);
    this.held -= cur.bytes;
    return this.finish(cur, cur.parts.length);
  }

  private finish(cur: Partial, pieces: number): Uint8Array | undefined {
    let pkt: Uint8Array;
    if (cur.parts.length === 1) pkt = cur.parts[0];
    else {
      pkt = new Uint8Array(cur.bytes);
      let at = 0;
      for (const part of cur.parts) {
        pkt.set(part, at);
        at += part.length;
      }
    }
    const encoded = (cur.gsoSize & PIECE_RE_ENCODED) !== 0;
    if (!encoded && tcpHeaderEnd(pkt) === 0) {
      this.counters.droppedPieces += pieces;
      return undefined;
    }
    this.counters.packets++;
    this.counters.pieces += pieces;
    this.gsoSize = cur.gsoSize & ~PIECE_RE_ENCODED;
    this.encoded = encoded;
    return pkt;
  }

  private discard(flow: number, cur: Partial): void {
    this.partial.delete(flow);
    this.held -= cur.bytes;
    this.counters.droppedPieces += cur.parts.length;
  }

  /** Over the memory bound: the oldest partial packets go (a Map iterates in insertion order). */
  private bound(): void {
    if (this.held <= this.maxBytes) return;
    for (const [flow, cur] of this.partial) {
      this.discard(flow, cur);
      if (this.held <= this.maxBytes) return;
    }
  }
}
