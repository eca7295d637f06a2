/**
 * PathSocket on node:dgram, for comparison with the native one and as a
 * fallback. The addon still creates the fd (so SO_BINDTODEVICE, SO_MARK and
 * DF are identical); dgram adopts it with bind({ fd }). One datagram per
 * 'message' event, delivered as a batch of one. A Buffer passed to send()
 * must not be reused until the event loop turns (dgram may queue it).
 */
import * as dgram from 'dgram';
import { BraidError } from '../errors';
import { log } from '../log';
import { native } from './native';
import { SockAddr } from './sock-addr';
import type { PathSocket, PathSocketOptions, PathSocketStats, RecvBatch, RecvBatchHandler } from './udp-socket';

class DgramRecvBatch implements RecvBatch {
  count = 0;
  readonly payloads: Buffer[] = [];
  rinfo: dgram.RemoteInfo | null = null;

  sourceIs(i: number, addr: SockAddr): boolean {
    const r = this.rinfo as dgram.RemoteInfo;
    return i === 0 && r.port === addr.port && r.address === addr.address;
  }

  source(i: number): SockAddr {
    const r = this.rinfo as dgram.RemoteInfo;
    if (i !== 0) throw new RangeError(`datagram ${i} is not in this batch`);
    return SockAddr.of(r.address, r.port);
  }
}

export class DgramPathSocket implements PathSocket {
  readonly impl = 'dgram' as const;
  readonly family: 4 | 6;
  readonly fd: number;
  readonly stats: PathSocketStats = {
    rxPackets: 0, rxBytes: 0, rxErrors: 0, txPackets: 0, txDrops: 0, txErrors: 0,
    txGsoSends: 0, txGsoPackets: 0, txGsoRefused: 0, rxGroBuffers: 0, rxGroPackets: 0,
  };
  readonly offload = { gso: false, gro: false } as const;
  lastSendError: string | null = null;
  onError: ((err: BraidError) => void) | null = null;

  private readonly socket: dgram.Socket;
  private readonly batch = new DgramRecvBatch();
  private onBatch: RecvBatchHandler | null = null;
  private peer: SockAddr | null = null;
  private closed = false;

  constructor(fd: number, opts: PathSocketOptions) {
    this.fd = fd;
    this.family = opts.family;
    this.socket = dgram.createSocket({ type: opts.family === 4 ? 'udp4' : 'udp6' });
    this.socket.on('error', this.handleError);
    this.socket.on('message', this.handleMessage);
    this.socket.bind({ fd });
  }

  localPort(): number {
    return this.socket.address().port;
  }

  localAddress(): SockAddr {
    const a = this.socket.address();
    return SockAddr.of(a.address, a.port);
  }

  /**
   * Connects the fd itself (the kernel then filters sources) but keeps naming
   * the peer on each send: dgram's own connect() is asynchronous and silently
   * loses sends issued while it completes.
   */
  connect(peer: SockAddr): void {
    try {
      native().udpConnect(this.fd, peer.raw);
    } catch (err) {
      throw new BraidError('BRAID_ERR_SYSTEM', `connect path socket to ${peer.key}: ${(err as Error).message}`, { cause: err });
    }
    this.peer = peer;
  }

  startReceiving(onBatch: RecvBatchHandler): void {
    if (this.closed) throw new BraidError('BRAID_ERR_USAGE', 'path socket is closed');
    this.onBatch = onBatch;
  }

  stopReceiving(): void {
    this.onBatch = null;
  }

  send(packet: Uint8Array, to?: SockAddr): boolean {
    if (this.closed) {
      this.stats.txDrops++;
      return false;
    }
    const dest = to ?? this.peer;
    if (!dest) throw new BraidError('BRAID_ERR_USAGE', 'path socket send without a destination: pass one or connect() first');
    this.socket.send(packet, dest.port, dest.address);
    this.stats.txPackets++; // errors arrive later as 'error' events and are counted there
    return true;
  }

  sendBatch(packets: Uint8Array[], count: number, to?: SockAddr): number {
    count = Math.min(count, packets.length);
    let sent = 0;
    for (let i = 0; i < count; i++) if (this.send(packets[i], to)) sent++;
    return sent;
  }

  sendBatchTo(packets: Uint8Array[], dests: SockAddr[], count: number): number {
    count = Math.min(count, packets.length, dests.length);
    let sent = 0;
    for (let i = 0; i < count; i++) if (this.send(packets[i], dests[i])) sent++;
    return sent;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onBatch = null;
    this.socket.close();
  }

  private readonly handleMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    this.stats.rxPackets++;
    this.stats.rxBytes += msg.length;
    const onBatch = this.onBatch;
    if (!onBatch) return;
    const batch = this.batch;
    batch.payloads[0] = msg;
    batch.rinfo = rinfo;
    batch.count = 1;
    onBatch(batch);
  };

  /** Send failures and ICMP-reported receive errors both arrive here; the socket keeps working. */
  private readonly handleError = (err: NodeJS.ErrnoException): void => {
    if (err.syscall === 'send') {
      this.stats.txPackets--;
      if (err.code === 'EAGAIN' || err.code === 'ENOBUFS') this.stats.txDrops++;
      else this.stats.txErrors++;
      this.lastSendError = err.code ?? 'EIO';
      return;
    }
    if (err.syscall === 'recvmsg') {
      this.stats.rxErrors++;
      return;
    }
    log('warn', 'path_socket_error', { impl: 'dgram', error: err.message });
    this.onError?.(new BraidError('BRAID_ERR_SYSTEM', `path socket: ${err.message}`, { cause: err }));
  };
}
