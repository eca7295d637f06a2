/**
 * PathSocket on the native addon: recvmmsg driven by uv_poll (one JS
 * callback per batch, payloads and source addresses in preallocated slabs)
 * and sendmmsg (one JS->C crossing per batch). No object is created per
 * datagram except the payload view.
 *
 * Offloads (see docs/io.md): with GSO the C side sends each run of same-size
 * datagrams to one destination as one UDP_SEGMENT message; with GRO the
 * kernel may return several datagrams in one buffer and this file splits it,
 * so a RecvBatch looks the same either way. Both switch themselves off when
 * the addon or the kernel lacks them.
 */
import * as fs from 'fs';
import { constants } from 'os';
import { BraidError } from '../errors';
import { log } from '../log';
import { errnoName, NAME_SLOT, native, READER_UDP, type ReaderHandle } from './native';
import { SockAddr } from './sock-addr';
import type { PathSocket, PathSocketOptions, PathSocketStats, RecvBatch, RecvBatchHandler } from './udp-socket';

/** Larger than any UDP payload, so a datagram is never truncated. */
const SLOT = 65536;
const DEFAULT_BATCH = 64;
/** Most datagrams per GSO send (the kernel takes at least 64). */
const GSO_SEGMENTS = 64;
/** GSO refusals in a row (EINVAL) after which a socket stops trying: the kernel cannot do it. */
const GSO_GIVE_UP = 8;
const { EAGAIN, ENOBUFS, EIO, EMSGSIZE } = constants.errno;

/** BRAID_UDP_OFFLOAD: unset/"1" = both, "0" = none, "gso" or "gro" = only that one (for A/B measurements). */
function offloadDefault(which: 'gso' | 'gro'): boolean {
  const v = process.env.BRAID_UDP_OFFLOAD;
  return v === undefined || v === '' || v === '1' || v === which;
}

class NativeRecvBatch implements RecvBatch {
  count = 0;
  readonly payloads: Buffer[] = [];
  /** msgOf[i]: the received message (and so the source address slot) datagram i came in. */
  msgOf: Int32Array;
  constructor(private readonly names: Buffer, capacity: number) {
    this.msgOf = new Int32Array(capacity);
  }

  sourceIs(i: number, addr: SockAddr): boolean {
    return addr.matchesRaw(this.names, this.msgOf[i] * NAME_SLOT);
  }

  source(i: number): SockAddr {
    const m = this.msgOf[i];
    return SockAddr.fromRaw(this.names.subarray(m * NAME_SLOT, (m + 1) * NAME_SLOT));
  }
}

export class NativePathSocket implements PathSocket {
  readonly impl = 'native' as const;
  readonly family: 4 | 6;
  readonly fd: number;
  lastSendError: string | null = null;
  onError: ((err: BraidError) => void) | null = null;

  /** Whether sends use UDP GSO and the socket accepts GRO buffers right now. */
  readonly offload = { gso: false, gro: false };

  private readonly counters: PathSocketStats = {
    rxPackets: 0, rxBytes: 0, rxErrors: 0, txPackets: 0, txDrops: 0, txErrors: 0,
    txGsoSends: 0, txGsoPackets: 0, txGsoRefused: 0, rxGroBuffers: 0, rxGroPackets: 0,
  };
  private readonly maxBatch: number;
  private slab: Buffer | null = null;
  private readonly lengths: Int32Array;
  private readonly names: Buffer;
  private readonly readerInfo = new Int32Array(2);
  private readonly batch: NativeRecvBatch;
  private readonly sendOut = new Int32Array(8);
  private readonly segs: Int32Array | null;
  private gsoRefusedInARow = 0;
  private readonly rawDests: Uint8Array[] = [];
  private reader: ReaderHandle | null = null;
  private onBatch: RecvBatchHandler | null = null;
  private connected = false;
  private closed = false;

  constructor(fd: number, opts: PathSocketOptions) {
    this.fd = fd;
    this.family = opts.family;
    this.maxBatch = opts.maxBatch ?? DEFAULT_BATCH; // validated by openUdpFd
    this.lengths = new Int32Array(this.maxBatch);
    this.names = Buffer.alloc(this.maxBatch * NAME_SLOT);
    this.batch = new NativeRecvBatch(this.names, this.maxBatch);
    const addon = native();
    // Addons built before GSO/GRO lack udpSetGro. A kernel that knows UDP_GRO (5.0) also knows UDP_SEGMENT
    // (4.18); an older one would ignore the cmsg and send each run as one big datagram, so ask it first.
    const wantGro = opts.gro ?? offloadDefault('gro');
    const capable = typeof addon.udpSetGro === 'function' && addon.udpSetGro(fd, wantGro) === 0;
    this.offload.gso = capable && (opts.gso ?? offloadDefault('gso'));
    this.offload.gro = capable && wantGro;
    this.segs = this.offload.gro ? new Int32Array(this.maxBatch) : null;
  }

  get stats(): PathSocketStats {
    this.counters.rxErrors = this.readerInfo[0];
    return this.counters;
  }

  localPort(): number {
    return this.localAddress().port;
  }

  localAddress(): SockAddr {
    return SockAddr.fromRaw(native().udpSockname(this.fd));
  }

  connect(peer: SockAddr): void {
    try {
      native().udpConnect(this.fd, peer.raw);
    } catch (err) {
      throw new BraidError('BRAID_ERR_SYSTEM', `connect path socket to ${peer.key}: ${(err as Error).message}`, { cause: err });
    }
    this.connected = true;
  }

  startReceiving(onBatch: RecvBatchHandler): void {
    if (this.closed) throw new BraidError('BRAID_ERR_USAGE', 'path socket is closed');
    this.stopReceiving();
    // Pages of the slab are committed only where datagrams land.
    if (!this.slab) this.slab = Buffer.allocUnsafe(SLOT * this.maxBatch);
    this.onBatch = onBatch;
    this.reader = native().readerStart(
      READER_UDP, this.fd, this.maxBatch, SLOT, this.slab, this.lengths, this.names, this.readerInfo, this.handleReady,
      this.segs,
    );
  }

  stopReceiving(): void {
    if (!this.reader) return;
    native().readerStop(this.reader);
    this.reader = null;
    this.onBatch = null;
  }

  send(packet: Uint8Array, to?: SockAddr): boolean {
    if (!this.canSend(to, 1)) return false;
    const err = native().udpSend(this.fd, packet, to ? to.raw : null);
    if (err === 0) {
      this.counters.txPackets++;
      return true;
    }
    if (err === EAGAIN || err === ENOBUFS) this.counters.txDrops++;
    else this.counters.txErrors++;
    this.lastSendError = errnoName(err);
    return false;
  }

  sendBatch(packets: Uint8Array[], count: number, to?: SockAddr): number {
    count = Math.min(count, packets.length);
    if (count <= 0 || !this.canSend(to, count)) return 0;
    native().udpSendBatch(this.fd, packets, count, to ? to.raw : null, null, this.sendOut, this.offload.gso ? GSO_SEGMENTS : 0);
    return this.account();
  }

  sendBatchTo(packets: Uint8Array[], dests: SockAddr[], count: number): number {
    count = Math.min(count, packets.length, dests.length);
    if (count <= 0 || this.closed) return 0;
    const raws = this.rawDests;
    for (let i = 0; i < count; i++) raws[i] = dests[i].raw;
    native().udpSendBatch(this.fd, packets, count, null, raws, this.sendOut, this.offload.gso ? GSO_SEGMENTS : 0);
    return this.account();
  }

  close(): void {
    if (this.closed) return;
    this.stopReceiving();
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private canSend(to: SockAddr | undefined, count: number): boolean {
    if (this.closed) {
      this.counters.txDrops += count;
      return false;
    }
    if (!to && !this.connected) {
      throw new BraidError('BRAID_ERR_USAGE', 'path socket send without a destination: pass one or connect() first');
    }
    return true;
  }

  private account(): number {
    const out = this.sendOut;
    this.counters.txPackets += out[0];
    this.counters.txDrops += out[1];
    this.counters.txErrors += out[2];
    if (out[1] + out[2] > 0) this.lastSendError = errnoName(out[3]);
    if (out[4] + out[6] > 0) this.accountGso(out);
    return out[0];
  }

  /** A refused GSO run was already resent datagram by datagram; stop trying if the kernel keeps refusing. */
  private accountGso(out: Int32Array): void {
    this.counters.txGsoSends += out[4];
    this.counters.txGsoPackets += out[5];
    if (out[6] === 0) {
      this.gsoRefusedInARow = 0;
      return;
    }
    this.counters.txGsoRefused += out[6];
    // EMSGSIZE (datagrams over the path MTU, e.g. while it shrinks) fails the same without GSO: not a reason to stop.
    if (out[7] !== EMSGSIZE) this.gsoRefusedInARow += out[6];
    if (out[7] === EIO || this.gsoRefusedInARow >= GSO_GIVE_UP) {
      this.offload.gso = false;
      log('info', 'path_socket_gso_off', { errno: errnoName(out[7]) });
    }
  }

  private growBatch(): void {
    const bigger = new Int32Array(this.batch.msgOf.length * 2);
    bigger.set(this.batch.msgOf);
    this.batch.msgOf = bigger;
  }

  /** Called by C once per wake-up with the number of datagrams in the slab (or -errno). */
  private readonly handleReady = (count: number): void => {
    if (count < 0) {
      this.stopReceiving();
      const err = new BraidError('BRAID_ERR_SYSTEM', `path socket receive failed (${errnoName(-count)}); restart the path`);
      if (this.onError) this.onError(err);
      else log('warn', 'path_socket_receive_failed', { errno: errnoName(-count) });
      return;
    }
    const slab = this.slab as Buffer;
    const lengths = this.lengths;
    const segs = this.segs;
    const batch = this.batch;
    const payloads = batch.payloads;
    let bytes = 0;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const start = i * SLOT;
      const len = lengths[i];
      bytes += len;
      const seg = segs !== null ? segs[i] : 0;
      if (seg <= 0 || seg >= len) {
        if (n === batch.msgOf.length) this.growBatch();
        batch.msgOf[n] = i;
        payloads[n++] = slab.subarray(start, start + len);
        continue;
      }
      // A GRO buffer: datagrams of `seg` bytes back to back, the last one possibly shorter.
      const first = n;
      for (let off = 0; off < len; off += seg) {
        if (n === batch.msgOf.length) this.growBatch();
        batch.msgOf[n] = i;
        payloads[n++] = slab.subarray(start + off, start + Math.min(off + seg, len));
      }
      this.counters.rxGroBuffers++;
      this.counters.rxGroPackets += n - first;
    }
    this.counters.rxPackets += n;
    this.counters.rxBytes += bytes;
    batch.count = n;
    const onBatch = this.onBatch;
    if (onBatch) onBatch(this.batch);
  };
}
