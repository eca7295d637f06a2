/**
 * Loss proof for bursts on one path. prevSeq names only the last packet before
 * a per-path gap; when a path loses g > 1 packets in a row the other g − 1
 * seqs are unknown. They are known to lie strictly between the seq of the last
 * packet received before the gap (lo) and prevSeq (hi), because a path carries
 * its original packets in increasing global seq and delivers them roughly in
 * order. So: if the seqs in (lo, hi) that have not arrived (and are not
 * already attributed to another path's loss) number at most g, they are all
 * this path's losses. A record is kept until that becomes true as the other
 * paths' packets of the interval arrive, or until it expires.
 *
 * Reinjected copies break "increasing on a path"; a wrong proof then turns the
 * real packet into a late arrival, which the buffer handles (documented).
 */
import { SeqState, type SeqWindow } from './seq-window';

interface GapRecord {
  lo: number;
  hi: number;
  /** Losses of unknown seq inside (lo, hi). */
  missing: number;
  expiresMs: number;
}

interface PathCursor {
  pathId: number;
  highestPathSeq: number;
  /** Global seq of the packet with highestPathSeq. */
  seqAtHighest: number;
}

/** Widest interval examined (seqs); wider gaps are left to the hold bound. */
const MAX_SPAN = 4096;
/** Open records kept; the oldest go first. */
const MAX_RECORDS = 64;

export class PathGaps {
  private readonly cursors: PathCursor[] = [];
  private readonly records: GapRecord[] = [];
  private readonly found: number[] = [];

  /**
   * A data packet arrived. Returns how many seqs were newly proven lost; they
   * are marked LOST in `window` and listed by provenLost().
   */
  onArrival(now: number, window: SeqWindow, pathId: number, pathSeq: number, seq: number, prevSeq: number, ttlMs: number): number {
    this.found.length = 0;
    const c = this.cursor(pathId);
    if (pathSeq > c.highestPathSeq) {
      const gap = pathSeq - c.highestPathSeq - 1; // packets of this path not seen, prevSeq's among them
      if (gap >= 2 && c.seqAtHighest > 0 && prevSeq > c.seqAtHighest && prevSeq - c.seqAtHighest <= MAX_SPAN) {
        if (this.records.length >= MAX_RECORDS) this.records.shift();
        this.records.push({ lo: c.seqAtHighest, hi: prevSeq, missing: gap - 1, expiresMs: now + ttlMs });
        this.evaluate(window, this.records.length - 1, seq);
      }
      c.highestPathSeq = pathSeq;
      c.seqAtHighest = seq;
    }
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i];
      if (r.expiresMs <= now || r.lo < window.lowest) this.records.splice(i, 1);
      else if (seq > r.lo && seq < r.hi) this.evaluate(window, i, seq);
    }
    return this.found.length;
  }

  /** Seqs proven lost by the last onArrival call. */
  provenLost(): readonly number[] {
    return this.found;
  }

  /** Open records (for tests and metrics). */
  get openRecords(): number {
    return this.records.length;
  }

  removePath(pathId: number): void {
    const i = this.cursors.findIndex((c) => c.pathId === pathId);
    if (i >= 0) this.cursors.splice(i, 1);
  }

  /** `arriving` is the seq being received right now (its state is not updated yet). */
  private evaluate(window: SeqWindow, index: number, arriving: number): void {
    const r = this.records[index];
    let notArrived = 0;
    for (let s = r.lo + 1; s < r.hi; s++) {
      if (s === arriving) continue;
      const st = window.state(s);
      if (st === SeqState.UNKNOWN || st === SeqState.GIVEN_UP || st === SeqState.EVICTED) notArrived++;
    }
    if (notArrived > r.missing) return;
    for (let s = r.lo + 1; s < r.hi; s++) {
      if (s !== arriving && window.state(s) === SeqState.UNKNOWN) {
        window.set(s, SeqState.LOST);
        this.found.push(s);
      }
    }
    this.records.splice(index, 1);
  }

  private cursor(pathId: number): PathCursor {
    for (let i = 0; i < this.cursors.length; i++) if (this.cursors[i].pathId === pathId) return this.cursors[i];
    const c: PathCursor = { pathId, highestPathSeq: 0, seqAtHighest: 0 };
    this.cursors.push(c);
    return c;
  }
}
