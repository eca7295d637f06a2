import type { PathReceiveStats } from '../wire/frames';

/**
 * Receiver side of path feedback: counts what arrived on each path and says
 * when that path owes the sender an ack (every `ackEvery` data datagrams or
 * `maxAckDelayMs` after the first unacked one, whichever comes first). The
 * ack for path p goes back on path p, so its echo gives p's RTT; it carries
 * the stats of every path, so one dead return direction does not hide
 * another path's progress.
 *
 * Contract with the sender (PathState): `size` is the same wire size the
 * sender passed to onDataSent (the UDP payload length), and sendTimeUs is the
 * sender's clock in µs, echoed untouched. The receiver's own clock gives owdUs.
 */
interface PathRx {
  pathId: number;
  highestPathSeq: number;
  packets: number;
  bytes: number;
  echoSendTimeUs: number;
  receivedAtUs: number;
  owdUs: number;
  /** Datagrams since the last ack sent on this path, and when the first of them came. */
  unacked: number;
  firstUnackedAt: number;
}

export class ReceiveTracker {
  private readonly rx: PathRx[] = [];

  constructor(
    private readonly ackEvery = 2,
    private readonly maxAckDelayMs = 10,
  ) {}

  /** A data datagram arrived on `pathId` at `now` (ms, receiver clock). */
  onData(now: number, pathId: number, pathSeq: number, sendTimeUs: number, size: number): void {
    const r = this.path(pathId);
    r.packets++;
    r.bytes += size;
    if (pathSeq > r.highestPathSeq) {
      r.highestPathSeq = pathSeq;
      r.echoSendTimeUs = sendTimeUs;
      r.receivedAtUs = now * 1000;
      r.owdUs = now * 1000 - sendTimeUs;
    }
    if (r.unacked++ === 0) r.firstUnackedAt = now;
  }

  /** A path whose ack is due now, or -1. */
  pollAckPath(now: number): number {
    for (let i = 0; i < this.rx.length; i++) {
      const r = this.rx[i];
      // same expression as nextAckTime, so a timer set for that time always finds the ack due
      if (r.unacked >= this.ackEvery || (r.unacked > 0 && now >= r.firstUnackedAt + this.maxAckDelayMs)) return r.pathId;
    }
    return -1;
  }

  /** When the next ack falls due by time (Infinity if none pending). */
  nextAckTime(): number {
    let t = Infinity;
    for (let i = 0; i < this.rx.length; i++) {
      const r = this.rx[i];
      if (r.unacked > 0) t = Math.min(t, r.firstUnackedAt + this.maxAckDelayMs);
    }
    return t;
  }

  /**
   * Fills `out` with every path's stats for an ack about to go on `sentOn`
   * (which stops owing an ack). Returns `out`.
   */
  fillStats(now: number, sentOn: number, out: PathReceiveStats[]): PathReceiveStats[] {
    out.length = 0;
    for (let i = 0; i < this.rx.length; i++) {
      const r = this.rx[i];
      if (r.packets === 0) continue;
      out.push({
        pathId: r.pathId,
        highestPathSeq: r.highestPathSeq,
        packets: r.packets,
        bytes: r.bytes,
        echoSendTimeUs: r.echoSendTimeUs,
        ackDelayUs: Math.max(0, Math.round(now * 1000 - r.receivedAtUs)),
        owdUs: r.owdUs,
      });
      if (r.pathId === sentOn) r.unacked = 0;
    }
    return out;
  }

  private path(pathId: number): PathRx {
    for (let i = 0; i < this.rx.length; i++) if (this.rx[i].pathId === pathId) return this.rx[i];
    const r: PathRx = { pathId, highestPathSeq: 0, packets: 0, bytes: 0, echoSendTimeUs: 0, receivedAtUs: 0, owdUs: 0, unacked: 0, firstUnackedAt: 0 };
    this.rx.push(r);
    return r;
  }
}
