import { WindowedFilter } from '../path/windowed-filter';

/**
 * How long resends of proven-lost seqs actually take to arrive, so the
 * recovery wait covers them. The link sets a wait from its fastest path's
 * round trip, but the peer's scheduler may put a resend on a slower path
 * (its fast one is busy under bulk load): a resend over LTE came 56–61 ms
 * after the proof against a 42 ms wait, arrived just after the hole had been
 * given up, and the inner flow saw a loss after all. Each resend that
 * arrives, in time or late, is a sample; the wait is then at least the
 * largest sample of the last few seconds plus a margin.
 *
 * Losses are rare next to packets, so one Map entry per proven loss is fine;
 * entries are dropped when the resend arrives or once too old to matter.
 */
const WINDOW_MS = 5000;
const MARGIN = 1.1;
const SLACK_MS = 2;

export class RecoveryDelay {
  private readonly provenAt = new Map<number, number>();
  private readonly delays = new WindowedFilter(WINDOW_MS, true);
  private lastSampleAt = -Infinity;

  /** `seq` was proven lost at `now` and its resend is awaited. */
  onProven(seq: number, now: number): void {
    this.provenAt.set(seq, now);
  }

  /** A copy of `seq` arrived: if it was awaited as a resend, learn how long that took. */
  onArrived(seq: number, now: number): void {
    if (this.provenAt.size === 0) return; // the common case: nothing awaited
    const at = this.provenAt.get(seq);
    if (at === undefined) return;
    this.provenAt.delete(seq);
    this.delays.update(now, now - at);
    this.lastSampleAt = now;
  }

  /** The wait to use: `baseMs` (the link's), or longer when resends have lately taken longer; at most `maxMs`. */
  waitMs(baseMs: number, now: number, maxMs: number): number {
    // the filter ages its samples only when updated: with no sample for a whole window, none counts
    if (now - this.lastSampleAt > WINDOW_MS) return baseMs;
    return Math.min(maxMs, Math.max(baseMs, MARGIN * this.delays.value + SLACK_MS));
  }

  /** Forgets seqs proven lost before `cutoff` whose resend never came (the map stays small under steady loss). */
  prune(cutoff: number): void {
    for (const [seq, at] of this.provenAt) {
      if (at >= cutoff) break; // insertion order is proof order
      this.provenAt.delete(seq);
    }
  }

  get tracked(): number {
    return this.provenAt.size;
  }
}
