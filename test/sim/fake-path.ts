import { PathStatus } from '../../src/core/path/liveness';
import type { PathView } from '../../src/core/sched/scheduler';

/** A PathView with fields set by hand, for exact scheduler decisions. */
export class FakePath implements PathView {
  status = PathStatus.Up;
  backup = false;
  lossy = false;
  weight = 1;
  srttMs = 20;
  minRttMs = 20;
  rttVarMs = 1;
  owdOffsetMs = 0;
  queueDelayMs = 0;
  /** Bytes per ms (8 kbit/s each). */
  rateBytesPerMs = 5000;
  inflightBytes = 0;
  cwndBytes = 1e9;
  /** When the pacer allows the next datagram. */
  nextSend = 0;

  constructor(readonly id: number, init: Partial<FakePath> = {}) {
    Object.assign(this, init);
  }

  get usable(): boolean { return this.status === PathStatus.Up; }
  get suspect(): boolean { return this.status === PathStatus.Suspect; }

  sendableAt(size: number): number {
    return this.inflightBytes + size > this.cwndBytes ? Infinity : this.nextSend;
  }
}
