/**
 * Wires a sans-IO TunnelEndpoint to the real world: the TUN, the path
 * sockets and one timer. After every input batch it flushes: datagrams go
 * out in one sendmmsg per socket (consecutive same-size datagrams to one
 * destination leave as one UDP GSO message: see src/io/udp-socket-native.ts),
 * inner packets in one TUN write batch, and the timer is re-armed to the
 * endpoint's next deadline.
 */
import { performance } from 'perf_hooks';
import type { TunnelEndpoint } from '../core/tunnel/tunnel-endpoint';
import type { Tun } from '../io/tun';
import type { PathSocket, RecvBatch } from '../io/udp-socket';
import type { SockAddr } from '../io/sock-addr';
import { log } from '../log';

export interface LoopSockets {
  /** Edge: one socket per path id (index), connected to the gateway. Gateway: one listening socket. */
  sockets: PathSocket[];
  role: 'edge' | 'gateway';
}

const MAX_BATCH = 64;

export class EventLoop {
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private readonly batches: Uint8Array[][];
  private readonly dests: SockAddr[] = [];
  private readonly gwBatch: Uint8Array[] = [];
  private readonly deliver: Uint8Array[] = [];
  /** Per delivered packet: > 0 for a TCP super-packet the TUN write cuts at that size. */
  private readonly deliverGso = new Int32Array(MAX_BATCH);
  private lastSource: SockAddr | null = null;
  private stopped = false;

  constructor(
    private readonly ep: TunnelEndpoint<SockAddr>,
    private readonly tun: Tun,
    private readonly io: LoopSockets,
  ) {
    this.batches = io.sockets.map(() => []);
  }

  start(): void {
    this.tun.startReading((packets, count, gso) => {
      const now = performance.now();
      if (gso) for (let i = 0; i < count; i++) this.ep.sendPacket(now, packets[i], gso[i]);
      else for (let i = 0; i < count; i++) this.ep.sendPacket(now, packets[i]);
      this.flush(now);
    });
    this.io.sockets.forEach((s, index) => {
      const localPath = this.io.role === 'edge' ? index : -1;
      s.startReceiving((batch) => this.onBatch(localPath, batch));
    });
    this.flush(performance.now());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.tun.stopReading();
    for (const s of this.io.sockets) s.stopReceiving();
  }

  private onBatch(localPath: number, batch: RecvBatch): void {
    const now = performance.now();
    for (let i = 0; i < batch.count; i++) {
      let from = this.lastSource;
      if (!from || !batch.sourceIs(i, from)) from = this.lastSource = batch.source(i);
      this.ep.handleDatagram(now, localPath, batch.payloads[i], from, from.key);
      // With GRO one batch may hold thousands of datagrams: answer (acks, deliveries) as often as without it.
      if ((i & (MAX_BATCH - 1)) === MAX_BATCH - 1) this.flush(now);
    }
    this.flush(now);
  }

  /** Sends everything the endpoint has to send, delivers what it has to deliver, re-arms the timer. */
  flush(now: number): void {
    if (this.stopped) return;
    if (now >= this.timerAt) {
      this.timerAt = Infinity;
      this.ep.handleTimeout(now);
    }
    const ep = this.ep;
    let n = 0;
    for (let o = ep.pollTransmit(now); o; o = ep.pollTransmit(now)) {
      if (this.io.role === 'edge') {
        const b = this.batches[o.pathId];
        if (!b) continue;
        b.push(o.datagram);
        if (b.length >= MAX_BATCH) this.sendPath(o.pathId);
      } else {
        this.gwBatch.push(o.datagram);
        this.dests.push(o.addr!);
        if (this.gwBatch.length >= MAX_BATCH) this.sendGateway();
      }
      // the endpoint's output slab holds 256 datagrams: send well before it wraps
      if (++n % 128 === 0) this.sendAll();
    }
    this.sendAll();
    const out = this.deliver;
    for (let p = ep.pollDeliver(); p; p = ep.pollDeliver()) {
      this.deliverGso[out.length] = ep.deliveredGsoSize;
      out.push(p);
      if (out.length >= MAX_BATCH) this.writeTun();
    }
    this.writeTun();
    this.arm(now, ep.pollTimeout(now));
  }

  private sendAll(): void {
    if (this.io.role === 'edge') for (let i = 0; i < this.batches.length; i++) this.sendPath(i);
    else this.sendGateway();
  }

  private sendPath(pathId: number): void {
    const b = this.batches[pathId];
    if (b.length === 0) return;
    this.io.sockets[pathId].sendBatch(b, b.length);
    b.length = 0;
  }

  private sendGateway(): void {
    if (this.gwBatch.length === 0) return;
    this.io.sockets[0].sendBatchTo(this.gwBatch, this.dests, this.gwBatch.length);
    this.gwBatch.length = 0;
    this.dests.length = 0;
  }

  private writeTun(): void {
    if (this.deliver.length === 0) return;
    this.tun.writeBatch(this.deliver, this.deliver.length, this.deliverGso);
    this.deliver.length = 0;
  }

  private arm(now: number, at: number): void {
    if (!(at < Infinity)) return;
    if (at >= this.timerAt && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    const delay = Math.max(0, at - now);
    this.timer = setTimeout(this.onTimer, delay);
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    try {
      this.flush(performance.now());
    } catch (err) {
      log('error', 'loop.timer_failed', { error: String(err) });
    }
  };
}
