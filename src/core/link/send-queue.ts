/**
 * Packets waiting for a path, FQ-CoDel style:
 * - reinjections (packets caught on a dead or stuck path) go first, in order;
 * - new data waits in one queue per flow, served by deficit round robin with
 *   new (sparse) flows ahead of old ones, so a ping or a DNS query never
 *   waits behind a bulk transfer's backlog;
 * - a flow whose packets keep waiting longer than `targetMs` for
 *   `intervalMs` loses packets from its head (CoDel's control law), so its
 *   TCP slows down before the queue grows into latency; when the whole queue
 *   is over `maxBytes`, the fattest flow loses its head packet.
 * Packets here have no sequence number yet (the link numbers them when they
 * leave), so a dropped packet leaves no hole for the receiver to wait on.
 */
import { DataFlags } from '../wire/frames';

export interface QueuedPacket {
  /** Global seq; 0 until the packet leaves the queue (reinjections keep theirs). */
  seq: number;
  flow: number;
  flowPrevSeq: number;
  flags: number;
  payload: Uint8Array;
  /** When it entered the queue, ms (sojourn time for the drop policy). */
  queuedAt: number;
  /** RE encoder token (0: not RE-encoded). */
  reToken: number;
  /**
   * > 0: a whole TCP super-packet, cut at this segment size by the receiver's kernel; the link encodes it and
   * cuts it into pieces when it reaches the head (splitHead). 0 for everything else.
   */
  gso: number;
}

export interface SendQueueOptions {
  maxBytes: number;
  /** Sojourn time a flow may keep above before it loses packets, ms. Default 20 (≥ the paths' delay spread). */
  targetMs?: number;
  /** How long the sojourn must stay above target before the first drop, ms. Default 100. */
  intervalMs?: number;
}

const QUANTUM = 1514;

class FlowQueue {
  items: QueuedPacket[] = [];
  head = 0;
  bytes = 0;
  deficit = 0;
  /** In the new, old, or no list. */
  list: 0 | 1 | 2 = 0;
  // CoDel state
  firstAboveAt = 0;
  dropping = false;
  dropNextAt = 0;
  dropCount = 0;

  constructor(readonly flow: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): QueuedPacket | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  take(): QueuedPacket {
    const p = this.items[this.head];
    this.items[this.head++] = undefined as unknown as QueuedPacket;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 256 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.bytes -= p.payload.length;
    return p;
  }
}

const LIST_NONE = 0;
const LIST_NEW = 1;
const LIST_OLD = 2;

export class SendQueue {
  /** Byte cap; the link raises it with the paths' rate (see PeerLink.sizeQueue). */
  maxBytes: number;
  private readonly targetMs: number;
  private readonly intervalMs: number;
  private readonly urgent: QueuedPacket[] = [];
  private urgentHead = 0;
  private readonly flows = new Map<number, FlowQueue>();
  private readonly newFlows: FlowQueue[] = [];
  private readonly oldFlows: FlowQueue[] = [];
  /** The packet peek() chose and shift() will return. */
  private chosen: FlowQueue | null = null;
  bytes = 0;
  private count = 0;
  /** Packets dropped by the sojourn-time law, and by the byte cap. */
  codelDrops = 0;
  overflowDrops = 0;

  constructor(opts: SendQueueOptions | number) {
    const o = typeof opts === 'number' ? { maxBytes: opts } : opts;
    this.maxBytes = o.maxBytes;
    this.targetMs = o.targetMs ?? 20;
    this.intervalMs = o.intervalMs ?? 100;
  }

  get length(): number {
    return this.count + this.urgent.length - this.urgentHead;
  }

  /** Adds new data; when over the byte cap the fattest flow loses its oldest packet (counted). Never refuses. */
  push(p: QueuedPacket): boolean {
    let f = this.flows.get(p.flow);
    if (!f) this.flows.set(p.flow, (f = new FlowQueue(p.flow)));
    f.items.push(p);
    f.bytes += p.payload.length;
    this.bytes += p.payload.length;
    this.count++;
    if (f.list === LIST_NONE) {
      f.list = LIST_NEW;
      f.deficit = QUANTUM;
      this.newFlows.push(f);
    }
    while (this.bytes > this.maxBytes && this.count > 1) this.dropFromFattest();
    return true;
  }

  /** Puts packets ahead of all new data, in the given order (reinjections). */
  pushFront(ps: QueuedPacket[]): void {
    if (ps.length === 0) return;
    const rest = this.urgent.slice(this.urgentHead);
    this.urgent.length = 0;
    this.urgentHead = 0;
    this.urgent.push(...ps, ...rest);
    for (const p of ps) this.bytes += p.payload.length;
  }

  /** The packet shift() returns next (CoDel drops happen here, at dequeue). */
  peek(now: number): QueuedPacket | undefined {
    if (this.urgentHead < this.urgent.length) return this.urgent[this.urgentHead];
    if (this.chosen) {
      const p = this.chosen.peek();
      if (p) return p;
      this.chosen = null;
    }
    for (;;) {
      const list = this.newFlows.length > 0 ? this.newFlows : this.oldFlows;
      const f = list[0];
      if (!f) return undefined;
      if (f.deficit <= 0) {
        f.deficit += QUANTUM;
        list.shift();
        f.list = LIST_OLD;
        this.oldFlows.push(f);
        continue;
      }
      const p = this.headAfterCodel(f, now);
      if (!p) {
        // Empty: a new flow moves to the old list (so it can't starve others by coming back), an old one leaves.
        list.shift();
        if (list === this.newFlows && this.oldFlows.length > 0) {
          f.list = LIST_OLD;
          this.oldFlows.push(f);
        } else {
          f.list = LIST_NONE;
          this.flows.delete(f.flow);
        }
        continue;
      }
      this.chosen = f;
      return p;
    }
  }

  /** Removes and returns the packet peek() returned. */
  shift(now: number): QueuedPacket | undefined {
    if (this.urgentHead < this.urgent.length) {
      const p = this.urgent[this.urgentHead];
      this.urgent[this.urgentHead++] = undefined as unknown as QueuedPacket;
      if (this.urgentHead === this.urgent.length) {
        this.urgent.length = 0;
        this.urgentHead = 0;
      }
      this.bytes -= p.payload.length;
      return p;
    }
    if (!this.chosen && !this.peek(now)) return undefined;
    const f = this.chosen!;
    this.chosen = null;
    const p = f.take();
    f.deficit -= p.payload.length;
    this.bytes -= p.payload.length;
    this.count--;
    return p;
  }

  /** Replaces the packet peek() returned with `parts`, in order, in the same place (a super-packet cut into pieces). */
  splitHead(parts: QueuedPacket[]): void {
    let delta = 0;
    for (let i = 0; i < parts.length; i++) delta += parts[i].payload.length;
    if (this.urgentHead < this.urgent.length) {
      delta -= this.urgent[this.urgentHead].payload.length;
      this.urgent.splice(this.urgentHead, 1, ...parts);
    } else {
      const f = this.chosen;
      if (!f || f.length === 0) return;
      delta -= f.items[f.head].payload.length;
      f.items.splice(f.head, 1, ...parts);
      f.bytes += delta;
      this.count += parts.length - 1;
    }
    this.bytes += delta;
  }

  /** Bytes queued for `flow`. */
  backlogOf(flow: number): number {
    return this.flows.get(flow)?.bytes ?? 0;
  }

  /** CoDel on one flow's head: drops while the law says so; returns the head that stays. */
  private headAfterCodel(f: FlowQueue, now: number): QueuedPacket | undefined {
    for (;;) {
      const p = f.peek();
      if (!p) {
        f.dropping = false;
        return undefined;
      }
      const sojourn = now - p.queuedAt;
      if (sojourn < this.targetMs || f.length === 1) {
        f.firstAboveAt = 0;
        f.dropping = false;
        return p;
      }
      if (f.firstAboveAt === 0) {
        f.firstAboveAt = now + this.intervalMs;
        return p;
      }
      if (!f.dropping) {
        if (now < f.firstAboveAt) return p;
        f.dropping = true;
        f.dropCount = f.dropCount > 2 && now - f.dropNextAt < 8 * this.intervalMs ? f.dropCount - 2 : 1;
        f.dropNextAt = now;
      }
      if (now < f.dropNextAt) return p;
      // a later piece of a super-packet whose first piece left already: dropping it would waste what went; the
      // law drops at the next packet that starts here
      if ((p.flags & (DataFlags.FRAGMENT | DataFlags.FRAGMENT_FIRST)) === DataFlags.FRAGMENT) return p;
      this.drop(f);
      this.codelDrops++;
      f.dropCount++;
      f.dropNextAt = now + this.intervalMs / Math.sqrt(f.dropCount);
    }
  }

  private dropFromFattest(): void {
    let fat: FlowQueue | undefined;
    for (const f of this.flows.values()) if (f.length > 0 && (!fat || f.bytes > fat.bytes)) fat = f;
    if (!fat) return;
    this.drop(fat);
    this.overflowDrops++;
  }

  /** Drops the flow's head; a piece of a super-packet takes the rest of its packet along (useless without it). */
  private drop(f: FlowQueue): void {
    let p = f.take();
    this.bytes -= p.payload.length;
    this.count--;
    while ((p.flags & (DataFlags.FRAGMENT | DataFlags.FRAGMENT_LAST)) === DataFlags.FRAGMENT) {
      const next = f.peek();
      if (!next || (next.flags & (DataFlags.FRAGMENT | DataFlags.FRAGMENT_FIRST)) !== DataFlags.FRAGMENT) return;
      p = f.take();
      this.bytes -= p.payload.length;
      this.count--;
    }
  }
}
