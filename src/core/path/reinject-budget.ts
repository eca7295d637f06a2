/**
 * How many bytes may be sent twice to rescue packets stuck on a slow or
 * suspect path: a token bucket filled with `share` (default 5 %) of every
 * byte sent, capped at `burstBytes`. Over any long run, proactive
 * reinjection therefore costs at most `share` of the traffic. Reinjection
 * after a path is declared down does not take from the budget: that is
 * failover, and every unacked packet goes again.
 */
export class ReinjectBudget {
  private tokens: number;
  reinjectedBytes = 0;
  sentBytes = 0;

  constructor(
    private readonly share = 0.05,
    private readonly burstBytes = 256 * 1024,
    initialBytes = 64 * 1024,
  ) {
    this.tokens = Math.min(initialBytes, burstBytes);
  }

  get available(): number {
    return this.tokens;
  }

  /** Every datagram sent (new or not) earns its share. */
  onSent(bytes: number): void {
    this.sentBytes += bytes;
    this.tokens = Math.min(this.burstBytes, this.tokens + bytes * this.share);
  }

  spend(bytes: number): void {
    this.tokens = Math.max(0, this.tokens - bytes);
    this.reinjectedBytes += bytes;
  }
}
