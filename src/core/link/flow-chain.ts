/**
 * Remembers the last global seq sent per flow, so each data frame can name
 * its flow predecessor (DataFrame.flowPrevSeq). A fixed-size table, no
 * allocation per packet; a slot taken by another flow yields 0 ("unknown"),
 * which the receiver handles by waiting on every lower seq instead.
 */
const SLOTS = 1 << 14;

export class FlowChain {
  private readonly flows = new Uint32Array(SLOTS);
  private readonly used = new Uint8Array(SLOTS);
  private readonly lastSeq = new Float64Array(SLOTS);

  /** Records `seq` as the newest packet of `flow`; returns the previous one (0 if none or unknown). */
  next(flow: number, seq: number): number {
    const slot = (flow ^ (flow >>> 14)) & (SLOTS - 1);
    let prev = 0;
    if (this.used[slot] === 1 && this.flows[slot] === flow >>> 0) prev = this.lastSeq[slot];
    this.used[slot] = 1;
    this.flows[slot] = flow >>> 0;
    this.lastSeq[slot] = seq;
    return prev;
  }
}
