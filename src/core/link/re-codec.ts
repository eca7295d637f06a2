/**
 * Redundancy elimination on the data plane: the TCP payload of each inner
 * packet goes through the RE encoder (headers stay as they are), and comes
 * back out of the decoder at the far end byte-identical. Packets that would
 * not shrink, non-TCP packets and fragments pass raw.
 *
 * The sender encodes a packet when it leaves the send queue (so a packet the
 * queue drops never enters the byte cache). With gating 'flow' (the default)
 * a packet may reference bytes its own flow sent a moment earlier, which may
 * still be on the way on another path. So the receiver decodes in two tries:
 * - on arrival, before reordering: the decoder then holds every byte of a
 *   packet the sender learns was delivered, which is what 'acked' references
 *   rely on. A packet whose references are not all here yet stays encoded;
 * - when its flow delivers it, in order: its predecessors were decoded by
 *   then, unless one was lost. If it still lacks bytes it is parked, a MISS
 *   goes to the sender, which resends the packet holding the missing source
 *   (one RESEND then completes every packet waiting on a lost one). If that
 *   does not come within missRetryMs, a second MISS asks for the parked
 *   packet itself; after as long again, or beyond a cap, it is given up (the
 *   inner transport retransmits it).
 * A decode only ever yields the bytes that were sent (the decoder checks every
 * reference against what it holds), so none of this can deliver wrong data.
 */
import { DECODE_MALFORMED, ReDecoder, ReEncoder, maxEncodedLength, type LiteralCodec, type ReGating } from '../re';
import { writeMiss } from '../re/decoder';
import { tcpHeaderEnd } from '../flow/tcp-segment';
import { DataFlags, type DataFrame } from '../wire/frames';

export interface ReLinkOptions {
  /** Byte cache size; both ends must use the same (config `re.cache_size`). */
  cacheBytes: number;
  anchor?: number;
  /** Which bytes the encoder may reference (default 'flow'; see ReEncoderOptions). */
  gating?: ReGating;
  /** Deflate each packet's literal bytes when smaller (default 'none'; see ReEncoderOptions). */
  literalCodec?: LiteralCodec;
  /**
   * A parked packet whose source did not come within this many ms asks for
   * itself; as long again later it is given up (default 100).
   */
  missRetryMs?: number;
}

const MAX_PACKET = 65535;
/** Parked packets kept waiting for a RESEND; the oldest is given up beyond this. */
const MAX_PARKED = 256;
const KIND_MISS_BYTE = 0x13;
const KIND_RESEND_BYTE = 0x12;

/**
 * Offset of the TCP payload in an IPv4 packet or an IPv6 packet without
 * extension headers, or -1 when RE does not apply (not TCP, a fragment,
 * truncated). Reads only the headers, which RE never changes, so it works on
 * the encoded packet too (whose length fields still describe the original).
 */
export function tcpPayloadOffset(pkt: Uint8Array): number {
  return tcpHeaderEnd(pkt, false) || -1;
}

interface Parked {
  frame: DataFrame;
  /** When it was parked or last asked for, ms, and whether it asked for itself already. */
  since: number;
  askedSelf: boolean;
  /** Cache position of the packet's bytes (what a RESEND names) and the source range it lacked. */
  pos: number;
  len: number;
  src: number;
  srcLen: number;
}

export class ReCodec {
  readonly encoder: ReEncoder;
  readonly decoder: ReDecoder;
  private readonly scratch = new Uint8Array(maxEncodedLength(MAX_PACKET));
  private readonly decoded = new Uint8Array(MAX_PACKET);
  private readonly missBuf = new Uint8Array(32);
  /** True when the last decode() lacked referenced bytes (not malformed): keep the packet encoded. */
  lastMissed = false;
  /** Packets that lacked bytes on arrival and decoded when their flow delivered them. */
  deferred = 0;
  /** Packets that still lacked bytes when delivered: parked, a MISS sent. */
  misses = 0;
  /** Parked packets delivered after all (RESEND, or their source arrived). */
  recovered = 0;
  /** Parked packets given up (over the cap): the inner transport retransmits them. */
  givenUp = 0;
  malformed = 0;
  /** MISS messages received, and RESENDs answering them. */
  missRequests = 0;
  resendsSent = 0;
  private readonly parked: Parked[] = [];
  /** Recovered frames to deliver, and control messages (MISS, RESEND) to send. */
  private readonly ready: DataFrame[] = [];
  private readonly controls: Uint8Array[] = [];
  private readonly retryMs: number;
  /** The time of the latest call that gave one (decode, handleTimeout). */
  private now = 0;

  constructor(opts: ReLinkOptions) {
    this.encoder = new ReEncoder({ cacheBytes: opts.cacheBytes, anchor: opts.anchor, gating: opts.gating ?? 'flow', literalCodec: opts.literalCodec });
    this.decoder = new ReDecoder({ cacheBytes: opts.cacheBytes });
    this.retryMs = opts.missRetryMs ?? 100;
  }

  /**
   * Encodes the packet's TCP payload. Returns the new inner packet (headers +
   * RE message) and sets `lastToken`, or null to send the packet raw.
   */
  encode(pkt: Uint8Array, flow: number): Uint8Array | null {
    const off = tcpPayloadOffset(pkt);
    if (off < 0 || pkt.length - off < 64) return null;
    const len = this.encoder.encode(flow, pkt.subarray(off), this.scratch);
    if (len < 0) return null;
    return join(pkt, off, this.scratch, len);
  }

  get lastToken(): number {
    return this.encoder.lastToken;
  }

  /** The packet with this RE token was delivered (the peer's ack covers it). */
  onDelivered(token: number): void {
    this.encoder.onDelivered(token);
  }

  /** The packet with this RE token is proven lost: its bytes are no longer referenced on trust. */
  onLost(token: number): void {
    this.encoder.onLost(token);
  }

  /**
   * Restores an RE-encoded inner packet on arrival. Null when it cannot be
   * decoded now: `lastMissed` then says it lacks bytes that may still come
   * (keep it encoded and hand it to decodeLate when its flow delivers it);
   * otherwise it is malformed (counted; drop it).
   */
  decode(pkt: Uint8Array, flow: number, now = this.now): Uint8Array | null {
    this.now = now;
    this.lastMissed = false;
    const off = tcpPayloadOffset(pkt);
    if (off < 0) {
      this.malformed++;
      return null;
    }
    const n = this.decoder.decode(flow, pkt.subarray(off), this.decoded);
    if (n < 0) {
      if (n === DECODE_MALFORMED) this.malformed++;
      else this.lastMissed = true;
      return null;
    }
    const out = join(pkt, off, this.decoded, n);
    if (this.parked.length > 0) this.retryParked();
    return out;
  }

  /**
   * Second try for a frame still RE-encoded when its flow delivers it: on
   * success its payload is the restored packet and its RE flag is cleared;
   * false when it still lacks bytes (parked, a MISS queued) or is malformed.
   */
  decodeLate(f: DataFrame): boolean {
    const out = this.decode(f.payload, f.flow);
    if (out) {
      this.deferred++;
      f.payload = out;
      f.flags &= ~DataFlags.RE_ENCODED;
      return true;
    }
    if (!this.lastMissed) return false;
    this.misses++;
    const d = this.decoder;
    const p: Parked = { frame: f, since: this.now, askedSelf: false, pos: d.missPos, len: d.missLen, src: d.missSrc, srcLen: d.missSrcLen };
    this.parked.push(p);
    this.askFor(p);
    if (this.parked.length > MAX_PARKED) {
      this.parked.shift();
      this.givenUp++;
    }
    return false;
  }

  /** An RE control message from the peer: a MISS (answered with a RESEND) or a RESEND (delivers a parked packet). */
  onControl(msg: Uint8Array): void {
    if (msg.length < 5) {
      this.malformed++;
      return;
    }
    if (msg[0] === KIND_MISS_BYTE) {
      this.missRequests++;
      const r = this.encoder.onMissRequest(msg, this.scratch);
      if (r >= 0) {
        this.controls.push(this.scratch.slice(0, r));
        this.resendsSent++;
      }
      return;
    }
    if (msg[0] !== KIND_RESEND_BYTE) {
      this.malformed++;
      return;
    }
    const n = this.decoder.decode(0, msg, this.decoded);
    if (n < 0) {
      this.malformed++;
      return;
    }
    const pos = this.decoder.lastPos;
    for (let i = 0; i < this.parked.length; i++) {
      const p = this.parked[i];
      if (p.pos !== pos) continue;
      const off = tcpPayloadOffset(p.frame.payload);
      this.parked.splice(i, 1);
      if (off >= 0) this.release(p.frame, join(p.frame.payload, off, this.decoded, n));
      break;
    }
    if (this.parked.length > 0) this.retryParked();
  }

  /** A recovered frame to deliver now (behind later packets of its flow), or undefined. */
  pollRecovered(): DataFrame | undefined {
    return this.ready.shift();
  }

  /** An RE control message to send to the peer (in a Frame's `re`), or undefined. */
  pollControl(): Uint8Array | undefined {
    return this.controls.shift();
  }

  /** Recovered frames or control messages are waiting (poll them now). */
  get hasWork(): boolean {
    return this.ready.length > 0 || this.controls.length > 0;
  }

  get parkedPackets(): number {
    return this.parked.length;
  }

  private release(f: DataFrame, payload: Uint8Array): void {
    f.payload = payload;
    f.flags &= ~DataFlags.RE_ENCODED;
    this.ready.push(f);
    this.recovered++;
  }

  /**
   * Sends the MISS the decoder just prepared, unless the source it lacks is
   * a parked packet's bytes: that packet's own recovery brings them (asking
   * would make the sender resend a packet that was not lost).
   */
  private askFor(w: Parked): void {
    for (let i = 0; i < this.parked.length; i++) {
      const p = this.parked[i];
      if (w.src >= p.pos && w.src < p.pos + p.len) return;
    }
    this.sendMiss(w, false);
  }

  private sendMiss(p: Parked, self: boolean): void {
    this.controls.push(this.missBuf.slice(0, writeMiss(this.missBuf, p.pos, p.len, p.src, p.srcLen, self)));
  }

  /** Parked packets whose source did not come ask for themselves; those that asked already are given up. */
  handleTimeout(now: number): void {
    this.now = now;
    for (let i = 0; i < this.parked.length; i++) {
      const p = this.parked[i];
      if (p.since + this.retryMs > now) continue;
      if (p.askedSelf) {
        this.parked.splice(i--, 1);
        this.givenUp++;
        continue;
      }
      p.askedSelf = true;
      p.since = now;
      this.sendMiss(p, true);
    }
  }

  /** When handleTimeout next has work, ms (Infinity: nothing parked). */
  pollTimeout(): number {
    let t = Infinity;
    for (let i = 0; i < this.parked.length; i++) t = Math.min(t, this.parked[i].since + this.retryMs);
    return t;
  }

  /** Decodes parked packets whose missing source is now held (it arrived late, or was resent). */
  private retryParked(): void {
    for (let progress = true; progress; ) {
      progress = false;
      for (let i = 0; i < this.parked.length; i++) {
        const p = this.parked[i];
        if (!this.decoder.holds(p.src, p.srcLen)) continue;
        const pkt = p.frame.payload;
        const off = tcpPayloadOffset(pkt);
        const n = off < 0 ? DECODE_MALFORMED : this.decoder.decode(p.frame.flow, pkt.subarray(off), this.decoded);
        if (n >= 0) {
          this.parked.splice(i--, 1);
          this.release(p.frame, join(pkt, off, this.decoded, n));
          progress = true;
        } else if (n === DECODE_MALFORMED) this.parked.splice(i--, 1);
        else {
          p.src = this.decoder.missSrc; // lacks another range now: ask for that one
          p.srcLen = this.decoder.missSrcLen;
          this.askFor(p);
        }
      }
    }
  }
}

/** headers pkt[0, off) followed by body[0, n), as a new packet. */
function join(pkt: Uint8Array, off: number, body: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(off + n);
  out.set(pkt.subarray(0, off));
  out.set(body.subarray(0, n), off);
  return out;
}
