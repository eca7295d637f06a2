/**
 * Joins the pieces of inner TCP super-packets (DataFlags.FRAGMENT) as their
 * flows deliver them. Each piece names the piece before it (flowPrevSeq),
 * so pieces form chains: the reorder buffer hands a flow's packets over in
 * order, and in the common case each piece extends its flow's current chain
 * and a chain from a first to a last piece is a whole packet.
 *
 * A piece can also come late: the reorder buffer gave its hole up and
 * delivered the pieces after it, then delivers the latecomer when it
 * arrives. So a broken chain is kept, waiting for the piece that continues
 * it, and the pieces after the hole wait as an orphan chain for the piece
 * before them; when the latecomer comes the three join and the packet is
 * delivered late, as a lone segment would be, instead of lost. Chains still
 * incomplete 8192 tunnel packets later, or past `maxBytes` in total (oldest
 * first), are thrown away, and the inner TCP retransmits what was in them.
 */
import { DataFlags, type DataFrame } from '../wire/frames';
import { tcpHeaderEnd } from '../flow/tcp-segment';
import { PIECE_RE_ENCODED } from './super-pieces';

/** An IP packet (and so a super-packet) is at most 64 KiB; one more for the first piece's size prefix. */
const MAX_PACKET = 65535;
/** A chain that waited this many tunnel packets for a piece waits no longer (far beyond any reorder hold). */
const STALE_SEQS = 8192;

interface Chain {
  flow: number;
  /** Starts with a first piece (else an orphan: the pieces after a hole). */
  first: boolean;
  /** Ends with a last piece. */
  last: boolean;
  /** seq of the piece before the chain's first (orphans: the missing piece), and of its last piece. */
  headPrev: number;
  lastSeq: number;
  gsoSize: number;
  bytes: number;
  parts: Uint8Array[];
  /** It waited for a late piece at some point. */
  late: boolean;
}

export interface ReassemblyCounters {
  /** Super-packets joined whole, and the pieces they took. */
  packets: number;
  pieces: number;
  /** Packets joined although a piece came after the pieces behind it. */
  lateJoined: number;
  /** Pieces thrown away: their packet lost a piece, was malformed or over the memory bound. */
  droppedPieces: number;
}

export class FragmentReassembler {
  readonly counters: ReassemblyCounters = { packets: 0, pieces: 0, lateJoined: 0, droppedPieces: 0 };
  /** Segment size of the packet push() returned last (what its TUN write cuts it at). */
  gsoSize = 0;
  /** The packet push() returned last is RE-encoded: the caller decodes (and checks) it. */
  encoded = false;
  /** Per flow, the chain its in-order pieces extend. */
  private readonly current = new Map<number, Chain>();
  /** Broken chains by the seq of their last piece, and orphans by the seq of the piece they lack. */
  private readonly tails = new Map<number, Chain>();
  private readonly heads = new Map<number, Chain>();
  /** Every chain waiting for a late piece, oldest first. */
  private readonly waiting = new Set<Chain>();
  private held = 0;

  constructor(private readonly maxBytes = 8 << 20) {}

  /** Bytes held in incomplete packets. */
  get heldBytes(): number {
    return this.held;
  }

  /** Takes the next delivered piece; returns the whole packet when this piece completes one. */
  push(f: DataFrame): Uint8Array | undefined {
    const p = f.payload;
    let c = this.current.get(f.flow);
    if ((f.flags & DataFlags.FRAGMENT_FIRST) !== 0) {
      if (c) this.park(c);
      const gso = p.length >= 2 ? (p[0] << 8) | p[1] : 0;
      if (gso === 0) {
        this.current.delete(f.flow);
        this.counters.droppedPieces++;
        return undefined;
      }
      c = { flow: f.flow, first: true, last: false, headPrev: f.flowPrevSeq ?? 0, lastSeq: f.seq, gsoSize: gso, bytes: 0, parts: [], late: false };
      this.append(c, p.subarray(2), f);
    } else if (c && c.lastSeq === f.flowPrevSeq) {
      this.append(c, p, f);
    } else {
      if (c) this.park(c);
      c = this.tails.get(f.flowPrevSeq ?? -1);
      if (c && c.flow === f.flow) {
        this.unpark(c); // the late piece a broken chain waited for
        this.append(c, p, f);
      } else {
        c = { flow: f.flow, first: false, last: false, headPrev: f.flowPrevSeq ?? -1, lastSeq: f.seq, gsoSize: 0, bytes: 0, parts: [], late: true };
        this.append(c, p, f);
      }
    }
    // orphans that were waiting for this chain's last piece follow it
    for (let o = this.heads.get(c.lastSeq); o && o.flow === c.flow && !c.last; o = this.heads.get(c.lastSeq)) {
      this.unpark(o);
      c.late = true;
      for (const part of o.parts) c.parts.push(part);
      c.bytes += o.bytes;
      c.lastSeq = o.lastSeq;
      c.last = o.last;
    }
    this.expire(f.seq);
    if (c.bytes > MAX_PACKET) {
      this.current.delete(f.flow);
      this.drop(c);
      return undefined;
    }
    if (!c.first) {
      this.park(c);
      this.current.delete(f.flow);
      return undefined;
    }
    if (!c.last) {
      this.current.set(f.flow, c);
      this.bound();
      return undefined;
    }
    if (this.current.get(f.flow) === c) this.current.delete(f.flow);
    this.held -= c.bytes;
    return this.finish(c);
  }

  private append(c: Chain, bytes: Uint8Array, f: DataFrame): void {
    c.parts.push(bytes);
    c.bytes += bytes.length;
    c.lastSeq = f.seq;
    c.last = (f.flags & DataFlags.FRAGMENT_LAST) !== 0;
    this.held += bytes.length;
  }

  private finish(c: Chain): Uint8Array | undefined {
    let pkt: Uint8Array;
    if (c.parts.length === 1) pkt = c.parts[0];
    else {
      pkt = new Uint8Array(c.bytes);
      let at = 0;
      for (const part of c.parts) {
        pkt.set(part, at);
        at += part.length;
      }
    }
    const encoded = (c.gsoSize & PIECE_RE_ENCODED) !== 0;
    if (!encoded && tcpHeaderEnd(pkt) === 0) {
      this.counters.droppedPieces += c.parts.length;
      return undefined;
    }
    this.counters.packets++;
    this.counters.pieces += c.parts.length;
    if (c.late) this.counters.lateJoined++;
    this.gsoSize = c.gsoSize & ~PIECE_RE_ENCODED;
    this.encoded = encoded;
    return pkt;
  }

  /** A chain that can only go on with a late piece: findable by its ends. */
  private park(c: Chain): void {
    if (this.waiting.has(c)) return;
    if (this.current.get(c.flow) === c) this.current.delete(c.flow);
    if (!c.last) this.tails.set(c.lastSeq, c);
    if (!c.first) this.heads.set(c.headPrev, c);
    c.late = true;
    this.waiting.add(c);
    this.bound();
  }

  private unpark(c: Chain): void {
    if (!this.waiting.delete(c)) return;
    if (this.tails.get(c.lastSeq) === c) this.tails.delete(c.lastSeq);
    if (this.heads.get(c.headPrev) === c) this.heads.delete(c.headPrev);
  }

  private drop(c: Chain): void {
    this.unpark(c);
    this.held -= c.bytes;
    this.counters.droppedPieces += c.parts.length;
  }

  /** Chains that waited too long (in tunnel packets) for their piece go, oldest first. */
  private expire(seq: number): void {
    for (const c of this.waiting) {
      if (seq - c.lastSeq <= STALE_SEQS) return;
      this.drop(c);
    }
  }

  /** Over the memory bound: waiting chains go first, oldest first, then flows' current chains. */
  private bound(): void {
    if (this.held <= this.maxBytes) return;
    for (const c of this.waiting) {
      this.drop(c);
      if (this.held <= this.maxBytes) return;
    }
    for (const [flow, c] of this.current) {
      this.current.delete(flow);
      this.drop(c);
      if (this.held <= this.maxBytes) return;
    }
  }
}
