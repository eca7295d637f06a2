/**
 * Loads the braid native addon (native/, C, N-API): only the Linux system
 * calls Node lacks. Everything here is thin and unchecked; src/io/tun.ts and
 * src/io/udp-socket.ts wrap it with validation and BraidErrors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BraidError } from '../errors';

/** Reader kinds understood by readerStart. */
export const READER_TUN = 0;
export const READER_UDP = 1;
/** Bytes per source-address slot in a UDP reader's `names` buffer (>= sizeof sockaddr_in6). */
export const NAME_SLOT = 32;

/** Opaque handle of a running reader. */
export type ReaderHandle = { readonly __brand: 'ReaderHandle' };

export interface NativeAddon {
  /** The third element (1 = IFF_VNET_HDR on) is missing in addons built before it. */
  tunOpen(name: string, multiQueue: boolean, vnetHdr?: boolean, tso?: boolean): [number, string, number?, number?];
  /** Returns 0 or an errno (EAGAIN when the queue is full). */
  fdWrite(fd: number, packet: Uint8Array): number;
  /** out <- [written, dropped, failed, last errno]. */
  fdWriteBatch(fd: number, packets: Uint8Array[], count: number, out: Int32Array): void;

  udpOpen(
    family: 4 | 6,
    address: string | null,
    port: number,
    device: string | null,
    mark: number,
    pmtud: 0 | 1 | 2,
    rcvbuf: number,
    sndbuf: number,
  ): number;
  udpConnect(fd: number, sockaddr: Uint8Array): void;
  udpSockname(fd: number): Buffer;
  /** Returns 0 or an errno. dest null on a connected socket. */
  udpSend(fd: number, packet: Uint8Array, dest: Uint8Array | null): number;
  /**
   * out <- [sent, dropped, failed, last errno] and, when out has 8 slots,
   * [GSO sends, datagrams in them, GSO refusals, their errno]. maxSegments > 1
   * sends runs of same-size datagrams to one destination as one UDP_SEGMENT
   * message (an addon older than GSO ignores it and sends them one by one).
   */
  udpSendBatch(
    fd: number,
    packets: Uint8Array[],
    count: number,
    dest: Uint8Array | null,
    dests: Uint8Array[] | null,
    out: Int32Array,
    maxSegments?: number,
  ): void;
  /** Turns UDP_GRO on or off; returns 0 or an errno. Absent in addons built before GSO/GRO support. */
  udpSetGro?(fd: number, on: boolean): number;
  sockaddrMake(family: 4 | 6, address: string, port: number): Buffer;
  sockaddrFormat(raw: Uint8Array): [0 | 4 | 6, string, number];

  /**
   * onReady(count): count > 0 packets are in the slab; count < 0 is -errno and polling has stopped.
   * segs (UDP, with UDP_GRO on): segs[i] is the segment size of a message holding several datagrams, else 0.
   */
  readerStart(
    kind: number,
    fd: number,
    maxBatch: number,
    slot: number,
    slab: Buffer,
    lengths: Int32Array,
    names: Buffer | null,
    info: Int32Array,
    onReady: (count: number) => void,
    segs?: Int32Array | null,
  ): ReaderHandle;
  readerStop(handle: ReaderHandle): void;
}

let cached: NativeAddon | undefined;

/** Where the addon is looked for: $BRAID_NATIVE, else native/build/Release under the project root. */
function candidates(): string[] {
  const list: string[] = [];
  if (process.env.BRAID_NATIVE) list.push(process.env.BRAID_NATIVE);
  // Compiled files live in <root>/<dist>/src/io; walk up to find <root>/native.
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    list.push(path.join(dir, 'native', 'build', 'Release', 'braid_native.node'));
    dir = path.dirname(dir);
  }
  return list;
}

export function native(): NativeAddon {
  if (cached) return cached;
  const file = candidates().find((f) => fs.existsSync(f));
  if (!file) {
    throw new BraidError('BRAID_ERR_NATIVE', 'native addon braid_native.node is not built; run `make native`');
  }
  try {
    cached = require(file) as NativeAddon;
  } catch (err) {
    throw new BraidError('BRAID_ERR_NATIVE', `cannot load ${file}: ${(err as Error).message}; rebuild with \`make native\``, {
      cause: err,
    });
  }
  return cached;
}

/** errno number -> code, for counters and messages ("EAGAIN"). */
export function errnoName(errno: number): string {
  if (errno === 0) return 'OK';
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}
