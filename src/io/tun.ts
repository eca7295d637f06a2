/**
 * TUN device: open (TUNSETIFF via the native addon), readiness-driven batch
 * reads, and writes that drop and count instead of throwing when the queue is
 * full. The fd keeps working after `ip link set <name> netns <ns>`: the
 * daemon opens the TUN in its own namespace and then moves the link.
 */
import * as fs from 'fs';
import { BraidError, fromSystemError } from '../errors';
import { log } from '../log';
import { errnoName, native, READER_TUN, type ReaderHandle } from './native';
import { TunCoalescer, VNET_HDR_LEN } from './tun-coalesce';
import { completeChecksum } from '../core/flow/inet-checksum';
import { TcpSegmenter } from '../core/flow/tcp-segment';

const F_NEEDS_CSUM = 1;
const GSO_TCPV4 = 1;
const GSO_TCPV6 = 4;

/** Largest packet a TUN can carry (MTU <= 65535), so a read is never truncated. */
const SLOT = 65536;
const DEFAULT_BATCH = 64;
const NAME_RE = /^[A-Za-z0-9_.%-]{1,15}$/;

export interface TunStats {
  readPackets: number;
  /** Packets written (a super-packet counts as the packets it joined). */
  writePackets: number;
  writeDrops: number;
  /** With offload: writes that joined several TCP segments, and the segments in them. */
  superWrites: number;
  superSegments: number;
  /** With TSO: TCP super-packets read, and reads whose partial checksum braid completed. */
  superReads: number;
  checksumsCompleted: number;
}

/**
 * One call per wake-up. With TSO, gso[i] > 0 marks packets[i] as a TCP
 * super-packet the kernel would cut every gso[i] bytes (null: no TSO).
 */
export type TunBatchHandler = (packets: Buffer[], count: number, gso: Int32Array | null) => void;

/** What the data path needs of a TUN; in-memory fakes for tests implement this. */
export interface TunDevice {
  readonly name: string;
  readonly stats: TunStats;
  startReading(onBatch: TunBatchHandler, maxBatch?: number): void;
  stopReading(): void;
  write(packet: Uint8Array): void;
  /** gso[i] > 0: packets[i] is a TCP super-packet to cut at that size (see TunnelEndpoint.pollDeliver). */
  writeBatch(packets: Uint8Array[], count: number, gso?: ArrayLike<number>): void;
  close(): void;
}

export class Tun implements TunDevice {
  readonly name: string;
  readonly fd: number;
  readonly stats: TunStats = { readPackets: 0, writePackets: 0, writeDrops: 0, superWrites: 0, superSegments: 0, superReads: 0, checksumsCompleted: 0 };
  /** True if the TUN has IFF_VNET_HDR and writes join TCP segments (see tun-coalesce.ts). */
  readonly offload: boolean;
  /** True if reads may be TCP super-packets (TSO) with partial checksums. */
  readonly tso: boolean;
  /** Errno name of the last failed write ("EAGAIN" = queue full, "EIO" = link down), for diagnostics. */
  lastWriteError: string | null = null;
  /** Called if the device fails for good while reading (e.g. it was deleted); reading has stopped. */
  onError: ((err: BraidError) => void) | null = null;

  private reader: ReaderHandle | null = null;
  private slab: Buffer | null = null;
  private lengths = new Int32Array(0);
  private readonly readerInfo = new Int32Array(2);
  private readonly packets: Buffer[] = [];
  private readonly writeOut = new Int32Array(4);
  private readonly singleWrite: Uint8Array[] = [];
  private onBatch: TunBatchHandler | null = null;
  private closed = false;
  private readonly coalescer: TunCoalescer | null;
  /** Bytes in front of each packet read: the virtio_net_hdr with offload, else none. */
  private readonly skip: number;
  private readonly gso: Int32Array | null;
  private segmenter: TcpSegmenter | null = null;

  private constructor(fd: number, name: string, offload: boolean, tso: boolean) {
    this.fd = fd;
    this.name = name;
    this.offload = offload;
    this.tso = tso;
    this.gso = tso ? new Int32Array(1024) : null;
    this.coalescer = offload ? new TunCoalescer() : null;
    this.skip = offload ? VNET_HDR_LEN : 0;
  }

  /**
   * Creates or attaches TUN `name` (IFF_TUN|IFF_NO_PI, nonblocking; multiQueue adds IFF_MULTI_QUEUE).
   * offload adds IFF_VNET_HDR so writes can hand the kernel joined TCP segments (ignored by an addon that
   * predates it; `tun.offload` says what happened). Every user of the same TUN must agree on it. tso (with
   * offload) lets reads be TCP super-packets with partial checksums (`tun.tso` says whether the kernel agreed).
   */
  static open(name: string, opts: { multiQueue?: boolean; offload?: boolean; tso?: boolean } = {}): Tun {
    if (!NAME_RE.test(name)) {
      throw new BraidError('BRAID_ERR_CONFIG', `TUN name '${name}' is invalid; use 1-15 letters, digits, '-', '_' or '.'`);
    }
    let fd: number;
    let actual: string;
    let vnet: number | undefined;
    let tso: number | undefined;
    try {
      [fd, actual, vnet, tso] = native().tunOpen(name, opts.multiQueue === true, opts.offload === true, opts.offload === true && opts.tso === true);
    } catch (err) {
      throw tunOpenError(err, name, opts.multiQueue === true);
    }
    return new Tun(fd, actual, vnet === 1, vnet === 1 && tso === 1);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Readiness-driven reads (uv_poll in C, never the libuv thread pool): on each wake-up C drains up to maxBatch
   * packets and makes ONE JS callback. The Buffers are views into a reused slab, valid only during the callback.
   */
  startReading(onBatch: TunBatchHandler, maxBatch = DEFAULT_BATCH): void {
    if (this.closed) throw new BraidError('BRAID_ERR_USAGE', `TUN '${this.name}' is closed`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 1024) {
      throw new BraidError('BRAID_ERR_USAGE', `maxBatch must be an integer in 1..1024, got ${maxBatch}`);
    }
    this.stopReading();
    if (!this.slab || this.lengths.length < maxBatch) {
      this.slab = Buffer.allocUnsafe(SLOT * maxBatch); // pages are committed only where packets land
      this.lengths = new Int32Array(maxBatch);
    }
    this.onBatch = onBatch;
    this.reader = native().readerStart(
      READER_TUN, this.fd, maxBatch, SLOT, this.slab, this.lengths, null, this.readerInfo, this.handleReady,
    );
  }

  stopReading(): void {
    if (!this.reader) return;
    native().readerStop(this.reader);
    this.reader = null;
    this.onBatch = null;
  }

  /** Writes one packet; drops (and counts) on a full queue or a down link, never throws. */
  write(packet: Uint8Array): void {
    if (this.closed) {
      this.stats.writeDrops++;
      return;
    }
    if (this.coalescer) {
      this.singleWrite[0] = packet;
      this.writeBatch(this.singleWrite, 1);
      return;
    }
    const err = native().fdWrite(this.fd, packet);
    if (err === 0) this.stats.writePackets++;
    else {
      this.stats.writeDrops++;
      this.lastWriteError = errnoName(err);
    }
  }

  /** Writes packets[0..count) in one JS->C crossing (one write() each: TUN keeps packet boundaries). */
  writeBatch(packets: Uint8Array[], count: number, gso?: ArrayLike<number>): void {
    if (count <= 0) return;
    if (this.closed) {
      this.stats.writeDrops += count;
      return;
    }
    count = Math.min(count, packets.length);
    const out = this.writeOut;
    const c = this.coalescer;
    if (!c && gso) {
      this.writeCut(packets, count, gso);
      return;
    }
    if (!c) {
      native().fdWriteBatch(this.fd, packets, count, out);
      this.stats.writePackets += out[0];
      this.stats.writeDrops += out[1] + out[2];
      if (out[1] + out[2] > 0) this.lastWriteError = errnoName(out[3]);
      return;
    }
    const supers = c.stats.superPackets;
    const segments = c.stats.superSegments;
    const writes = c.build(packets, count, gso);
    native().fdWriteBatch(this.fd, c.out, writes, out);
    const joined = c.stats.superSegments - segments;
    this.stats.superWrites += c.stats.superPackets - supers;
    this.stats.superSegments += joined;
    // Count packets, not writes: a dropped super-packet drops all it joined (rare; approximate then).
    const lost = out[1] + out[2];
    this.stats.writePackets += lost === 0 ? count : out[0];
    this.stats.writeDrops += lost;
    if (lost > 0) this.lastWriteError = errnoName(out[3]);
  }

  /** Without offloads: super-packets are cut here, each one a batch of its segments (complete checksums). */
  private writeCut(packets: Uint8Array[], count: number, gso: ArrayLike<number>): void {
    for (let i = 0; i < count; i++) {
      if (gso[i] > 0) {
        const seg = (this.segmenter ??= new TcpSegmenter());
        const n = seg.segment(packets[i], gso[i]);
        if (n === 0) this.stats.writeDrops++;
        else this.writeBatch(seg.out, n);
      } else this.write(packets[i]);
    }
  }

  /** Stops reading and closes the fd. A non-persistent TUN disappears with its last fd. */
  close(): void {
    if (this.closed) return;
    this.stopReading();
    this.closed = true;
    fs.closeSync(this.fd);
  }

  /**
   * With TSO the virtio header in front of each read says what the kernel left
   * undone: a TCP super-packet (gso_type, gso_size) travels on as one (gso[i]),
   * and a partial checksum of any other packet is completed here, since the
   * far end may write it to a TUN that verifies it.
   */
  private readOffloads(slab: Buffer, packets: Buffer[], count: number, gso: Int32Array): void {
    for (let i = 0; i < count; i++) {
      const h = i * SLOT;
      const type = slab[h + 1] & 0x7f;
      if (type === GSO_TCPV4 || type === GSO_TCPV6) {
        gso[i] = slab.readUInt16LE(h + 4);
        this.stats.superReads++;
        continue;
      }
      gso[i] = 0;
      if ((slab[h] & F_NEEDS_CSUM) !== 0 && completeChecksum(packets[i], slab.readUInt16LE(h + 6), slab.readUInt16LE(h + 8))) this.stats.checksumsCompleted++;
    }
  }

  /** Called by C once per wake-up; an arrow so it is bound once, not per batch. */
  private readonly handleReady = (count: number): void => {
    if (count < 0) {
      this.stopReading();
      const err = new BraidError('BRAID_ERR_SYSTEM', `TUN '${this.name}' read failed (${errnoName(-count)}); the device was probably deleted, restart braid`);
      if (this.onError) this.onError(err);
      else log('warn', 'tun_read_failed', { tun: this.name, errno: errnoName(-count) });
      return;
    }
    const slab = this.slab as Buffer;
    const packets = this.packets;
    const lengths = this.lengths;
    const skip = this.skip;
    for (let i = 0; i < count; i++) {
      const start = i * SLOT;
      packets[i] = slab.subarray(start + skip, start + lengths[i]);
    }
    this.stats.readPackets += count;
    const gso = this.gso;
    if (gso) this.readOffloads(slab, packets, count, gso);
    const onBatch = this.onBatch;
    if (onBatch) onBatch(packets, count, gso);
  };
}

function tunOpenError(err: unknown, name: string, multiQueue: boolean): BraidError {
  const e = err as NodeJS.ErrnoException;
  const what = `open TUN '${name}'`;
  switch (e?.code) {
    case 'ENOENT':
      return new BraidError('BRAID_ERR_SYSTEM', `${what}: /dev/net/tun is missing; load the tun module (modprobe tun)`, { cause: err });
    case 'EBUSY':
      return new BraidError('BRAID_ERR_ADDRESS_IN_USE', `${what}: it is already attached (another braid running?); stop the other user or pick another name`, { cause: err });
    case 'EINVAL':
      return new BraidError(
        'BRAID_ERR_CONFIG',
        `${what}: an interface with that name exists but is not a ${multiQueue ? 'multi-queue' : 'single-queue'} TUN; delete it (ip link del ${name}) or pick another name`,
        { cause: err },
      );
    default:
      return fromSystemError(err, what);
  }
}
