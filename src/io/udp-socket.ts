/**
 * Path sockets: one UDP socket per path, bound to one local interface.
 * Two implementations behind one interface, chosen by name:
 *  - "native" (default): recvmmsg/sendmmsg through the addon, uv_poll driven,
 *    one JS callback per received batch;
 *  - "dgram": node:dgram on an fd the addon created and configured, one
 *    datagram per callback; kept for comparison and as a fallback.
 */
import { BraidError } from '../errors';
import type { SockAddr } from './sock-addr';
import { DgramPathSocket } from './udp-socket-dgram';
import { NativePathSocket } from './udp-socket-native';
import { openUdpFd } from './udp-socket-open';

export type PathSocketImpl = 'native' | 'dgram';
export const PATH_SOCKET_IMPLS: readonly PathSocketImpl[] = ['native', 'dgram'];

export interface PathSocketOptions {
  family: 4 | 6;
  /** Local address to bind; default any (0.0.0.0 / ::). */
  address?: string;
  /** Local port; 0 or absent = any. */
  port?: number;
  /** Interface the socket is bound to (SO_BINDTODEVICE): it sends and receives only there. */
  device?: string;
  /** Firewall mark (SO_MARK) for policy routing (`ip rule fwmark M table T`). */
  mark?: number;
  /** Set DF for path MTU probing: 'probe' (IP_PMTUDISC_PROBE, ignores the cached PMTU; true means this) or 'do'. */
  dontFragment?: boolean | 'probe' | 'do';
  /** Socket buffer sizes in bytes (forced past rmem_max/wmem_max when privileged). */
  rcvbuf?: number;
  sndbuf?: number;
  /** Most receive messages per callback (native only; default 64). With GRO one message may hold up to 64 datagrams. */
  maxBatch?: number;
  /**
   * UDP segmentation offload (native only; default on unless BRAID_UDP_OFFLOAD=0):
   * gso sends each run of same-size datagrams to one destination as one
   * system call; gro lets the kernel hand over coalesced datagrams, which the
   * socket splits again. Both fall back silently when the kernel or addon lacks them.
   */
  gso?: boolean;
  gro?: boolean;
}

export interface PathSocketStats {
  rxPackets: number;
  rxBytes: number;
  /** ICMP-reported errors (port unreachable, ...) seen on receive; the socket keeps working. */
  rxErrors: number;
  txPackets: number;
  /** Datagrams dropped because the send buffer was full. */
  txDrops: number;
  /** Datagrams the kernel refused (EMSGSIZE over the path MTU, unreachable, ...); see lastSendError. */
  txErrors: number;
  /** GSO: messages that carried several datagrams, and the datagrams in them (part of txPackets). */
  txGsoSends: number;
  txGsoPackets: number;
  /** GSO runs the kernel refused and that went out one datagram at a time instead. */
  txGsoRefused: number;
  /** GRO: received buffers that held several datagrams, and the datagrams in them (part of rxPackets). */
  rxGroBuffers: number;
  rxGroPackets: number;
}

/**
 * One received batch, reused between callbacks: everything in it (payload
 * views included) is valid only during the callback. Copy what you keep.
 */
export interface RecvBatch {
  count: number;
  /** payloads[i] is datagram i (i < count). */
  readonly payloads: Buffer[];
  /** True if datagram i came from `addr` (no allocation; use this per packet). */
  sourceIs(i: number, addr: SockAddr): boolean;
  /** The source of datagram i as a new SockAddr (allocates: for a new or moved peer). */
  source(i: number): SockAddr;
}

export type RecvBatchHandler = (batch: RecvBatch) => void;

export interface PathSocket {
  readonly impl: PathSocketImpl;
  readonly family: 4 | 6;
  readonly fd: number;
  readonly stats: PathSocketStats;
  /** Offloads in use right now (GSO turns itself off if the kernel keeps refusing it). */
  readonly offload: { readonly gso: boolean; readonly gro: boolean };
  /** Errno name of the last failed send ("EMSGSIZE" when a probe exceeds the path MTU). */
  readonly lastSendError: string | null;
  /** Called if the socket fails for good while receiving; receiving has stopped. */
  onError: ((err: BraidError) => void) | null;
  localPort(): number;
  localAddress(): SockAddr;
  /** Fixes the default destination; the kernel then delivers only datagrams from `peer`. */
  connect(peer: SockAddr): void;
  startReceiving(onBatch: RecvBatchHandler): void;
  stopReceiving(): void;
  /** Sends one datagram to `to` (or the connected peer). False if dropped or refused (counted). */
  send(packet: Uint8Array, to?: SockAddr): boolean;
  /** Sends packets[0..count) to one destination (or the connected peer); returns how many went out. */
  sendBatch(packets: Uint8Array[], count: number, to?: SockAddr): number;
  /** Sends packets[i] to dests[i] for i < count; returns how many went out. */
  sendBatchTo(packets: Uint8Array[], dests: SockAddr[], count: number): number;
  close(): void;
}

/** Opens a path socket; errors are BraidErrors naming the fix (privilege, unknown interface, port in use). */
export function openPathSocket(opts: PathSocketOptions, impl: PathSocketImpl = 'native'): PathSocket {
  if (!PATH_SOCKET_IMPLS.includes(impl)) {
    throw new BraidError('BRAID_ERR_CONFIG', `unknown socket implementation '${impl}'; use ${PATH_SOCKET_IMPLS.join(' or ')}`);
  }
  const fd = openUdpFd(opts);
  return impl === 'native' ? new NativePathSocket(fd, opts) : new DgramPathSocket(fd, opts);
}
