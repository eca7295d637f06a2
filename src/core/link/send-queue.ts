/**
 * Packets waiting for a path: reinjections at the head, new data at the
 * tail. Bounded in bytes; when full, new data is dropped (and counted) so
 * the inner TCP sees loss early instead of a growing queue (latency under
 * load). Tracks the backlog per flow so a scheduler sees a ping as a ping,
 * not as the tail of a bulk transfer.
 */
export interface QueuedPacket {
  seq: number;
  flow: number;
  flowPrevSeq: number;
  flags: number;
  payload: Uint8Array;
  /** When it entered the queue, ms (sojourn time for the drop policy). */
  queuedAt: number;
  /** RE encoder token (0: not RE-encoded). */
  reToken: number;
}

export class SendQueue {
  private items: QueuedPacket[] = [];
  private head = 0;
  bytes = 0;
  private readonly flowBytes = new Map<number, number>();

  constructor(readonly maxBytes: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds new data at the tail; false when the queue is full (the caller counts the drop). */
  push(p: QueuedPacket): boolean {
    if (this.bytes + p.payload.length > this.maxBytes && this.length > 0) return false;
    this.items.push(p);
    this.account(p, 1);
    return true;
  }

  /** Puts packets at the head, in the given order, ahead of everything queued. */
  pushFront(ps: QueuedPacket[]): void {
    if (ps.length === 0) return;
    if (this.head >= ps.length) {
      this.head -= ps.length;
      for (let i = 0; i < ps.length; i++) this.items[this.head + i] = ps[i];
    } else {
      this.items = ps.concat(this.items.slice(this.head));
      this.head = 0;
    }
    for (const p of ps) this.account(p, 1);
  }

  peek(): QueuedPacket | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): QueuedPacket | undefined {
    if (this.head >= this.items.length) return undefined;
    const p = this.items[this.head];
    this.items[this.head++] = undefined as unknown as QueuedPacket;
    this.account(p, -1);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return p;
  }

  /** Bytes queued for `flow` (the packet at the head included). */
  backlogOf(flow: number): number {
    return this.flowBytes.get(flow) ?? 0;
  }

  private account(p: QueuedPacket, sign: 1 | -1): void {
    const n = p.payload.length;
    this.bytes += sign * n;
    const left = (this.flowBytes.get(p.flow) ?? 0) + sign * n;
    if (left <= 0) this.flowBytes.delete(p.flow);
    else this.flowBytes.set(p.flow, left);
  }
}
