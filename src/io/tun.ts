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

/** Largest packet a TUN can carry (MTU <= 65535), so a read is never truncated. */
const SLOT = 65536;
const DEFAULT_BATCH = 64;
const NAME_RE = /^[A-Za-z0-9_.%-]{1,15}$/;

export interface TunStats {
  readPackets: number;
  writePackets: number;
  writeDrops: number;
}

export type TunBatchHandler = (packets: Buffer[], count: number) => void;

/** What the data path needs of a TUN; in-memory fakes for tests implement this. */
export interface TunDevice {
  readonly name: string;
  readonly stats: TunStats;
  startReading(onBatch: TunBatchHandler, maxBatch?: number): void;
  stopReading(): void;
  write(packet: Uint8Array): void;
  writeBatch(packets: Uint8Array[], count: number): void;
  close(): void;
}

export class Tun implements TunDevice {
  readonly name: string;
  readonly fd: number;
  readonly stats: TunStats = { readPackets: 0, writePackets: 0, writeDrops: 0 };
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
  private onBatch: TunBatchHandler | null = null;
  private closed = false;

  private constructor(fd: number, name: string) {
    this.fd = fd;
    this.name = name;
  }

  /** Creates or attaches TUN `name` (IFF_TUN|IFF_NO_PI, nonblocking; multiQueue adds IFF_MULTI_QUEUE). */
  static open(name: string, opts: { multiQueue?: boolean } = {}): Tun {
    if (!NAME_RE.test(name)) {
      throw new BraidError('BRAID_ERR_CONFIG', `TUN name '${name}' is invalid; use 1-15 letters, digits, '-', '_' or '.'`);
    }
    let fd: number;
    let actual: string;
    try {
      [fd, actual] = native().tunOpen(name, opts.multiQueue === true);
    } catch (err) {
      throw tunOpenError(err, name, opts.multiQueue === true);
    }
    return new Tun(fd, actual);
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
    const err = native().fdWrite(this.fd, packet);
    if (err === 0) this.stats.writePackets++;
    else {
      this.stats.writeDrops++;
      this.lastWriteError = errnoName(err);
    }
  }

  /** Writes packets[0..count) in one JS->C crossing (one write() each: TUN keeps packet boundaries). */
  writeBatch(packets: Uint8Array[], count: number): void {
    if (count <= 0) return;
    if (this.closed) {
      this.stats.writeDrops += count;
      return;
    }
    const out = this.writeOut;
    native().fdWriteBatch(this.fd, packets, Math.min(count, packets.length), out);
    this.stats.writePackets += out[0];
    this.stats.writeDrops += out[1] + out[2];
    if (out[1] + out[2] > 0) this.lastWriteError = errnoName(out[3]);
  }

  /** Stops reading and closes the fd. A non-persistent TUN disappears with its last fd. */
  close(): void {
    if (this.closed) return;
    this.stopReading();
    this.closed = true;
    fs.closeSync(this.fd);
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
    for (let i = 0; i < count; i++) {
      const start = i * SLOT;
      packets[i] = slab.subarray(start, start + lengths[i]);
    }
    this.stats.readPackets += count;
    const onBatch = this.onBatch;
    if (onBatch) onBatch(packets, count);
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
