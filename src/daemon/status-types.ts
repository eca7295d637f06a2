/**
 * One snapshot of a running endpoint: what `braid status` prints, what the
 * control socket returns as JSON, and what /metrics exports. The daemon builds
 * it on demand (once per scrape or status request) from the counters its data
 * plane keeps in typed arrays; nothing here is touched per packet.
 *
 * Units are base units: seconds, bytes, bytes per second, ratios 0..1.
 * Counters (`...Total`, `txBytes`, ...) only ever grow for the life of the process.
 */

import { PATH_STATUS_NAMES } from '../core/path/liveness';

/**
 * The path states of src/core/path/liveness.ts: probing (proving itself, no
 * data yet), up (carries data), suspect (feedback overdue: no new data),
 * down (routed around, probed), recovering (answering again, not yet trusted).
 */
export const PATH_STATES = PATH_STATUS_NAMES;
export type PathState = (typeof PATH_STATES)[number];

export interface PathStatus {
  name: string;
  /** Local interface (null if bound by source address only). */
  interface: string | null;
  /** "address:port" of the local socket, "" if not bound yet. */
  localAddress: string;
  /** "address:port" of the far end of this path. */
  remoteAddress: string;
  backup: boolean;
  state: PathState;
  /** Transitions into each state since start (failovers = stateChanges.down). */
  stateChanges: Record<PathState, number>;
  /** Suspicions that ended without an outage (late feedback, not a dead path): each widens the path's silence allowance for a while. */
  spuriousSuspicions: number;
  /** Smoothed RTT; null until measured. */
  rttSeconds: number | null;
  /** RTT variation (jitter); null until measured. */
  rttVarSeconds: number | null;
  minRttSeconds: number | null;
  /** Recent loss ratio 0..1. */
  lossRatio: number;
  /** Estimated sending capacity, bytes per second (0 while unknown). */
  estimatedRateBytesPerSecond: number;
  /** Path MTU (datagram size), null while unknown. */
  mtuBytes: number | null;
  inFlightBytes: number;
  /** Fraction of tunnel packets the scheduler put on this path recently, 0..1. */
  schedulerShare: number;
  txBytes: number;
  rxBytes: number;
  txPackets: number;
  rxPackets: number;
  lostPackets: number;
  /** Packets first sent on this path and sent again on another one. */
  reinjectedPackets: number;
}

export interface SessionStatus {
  /** Peer name from the config. */
  peer: string;
  /** The peer's current outer address ("address:port"), "" if none. */
  endpoint: string;
  established: boolean;
  /** Seconds since the current session keys were made (0 if none). */
  ageSeconds: number;
  /** UNIX time of the last completed handshake, null if never. */
  lastHandshakeTimestampSeconds: number | null;
}

/** A histogram as plain numbers: counts per bucket (not cumulative). */
export interface HistogramSnapshot {
  /** Upper bounds in base units, ascending, without +Inf. */
  bounds: number[];
  /** counts[i] = observations in (bounds[i-1], bounds[i]]; counts[bounds.length] = above the last bound. */
  counts: number[];
  /** Sum of all observations, base units. */
  sum: number;
}

export interface TunnelStatus {
  /** Inner (TUN side) traffic. */
  txBytes: number;
  rxBytes: number;
  txPackets: number;
  rxPackets: number;
  reorderBufferPackets: number;
  reorderBufferBytes: number;
  /** How long delivered packets waited in the reorder buffer, seconds. */
  reorderHold: HistogramSnapshot;
  /** Packets released because the hold time ran out (the hole was given up). */
  reorderTimeouts: number;
  /** Packets released early because the buffer was full. */
  reorderOverflows: number;
  duplicatePacketsReceived: number;
  reinjectedPackets: number;
  reinjectedBytes: number;
  /** Packets the peer proved lost on their path and we sent again (loss recovery; part of reinjectedPackets). */
  lossResentPackets: number;
  /** Holes proven lost whose resend arrived in time: losses the inner traffic never saw. */
  lossRecoveredPackets: number;
  /** TCP super-packets read from the TUN (TSO) and sent as datagram-filling pieces, and the pieces. */
  superPacketsSent: number;
  superPiecesSent: number;
  /** Super-packets the peer sent in pieces that arrived whole, and pieces thrown away (their packet lost one). */
  superPacketsJoined: number;
  superPiecesDropped: number;
  /** Super-packets joined although one of their pieces came after the pieces behind it (a hole given up, then filled). */
  superPacketsJoinedLate: number;
  /** Dropped packets by reason: src/core/session/counters.ts DROP_REASONS plus the data plane's own (a fixed set). */
  drops: Record<string, number>;
}

export interface ReStatus {
  /** Payload bytes given to the encoder / bytes it produced (input/output = savings). */
  inputBytes: number;
  outputBytes: number;
  hits: number;
  /** Packets that lacked cache bytes when their flow delivered them (parked; a MISS asked for the bytes). */
  misses: number;
  /** Parked packets delivered after a RESEND or a late source arrived. */
  recovered: number;
  /** RESEND messages sent to answer the peer's MISS. */
  resends: number;
  /** RESENDs of super-packet bytes too large for one datagram, not sent (the inner TCP retransmits). */
  resendsTooLarge: number;
  cacheBytes: number;
}

export interface UserStatus {
  name: string;
  class: 'normal' | 'priority';
  txBytes: number;
  rxBytes: number;
  droppedPackets: number;
}

/** Kernel offloads of the path sockets and the TUN (docs/io.md), summed over this endpoint's sockets. */
export interface IoStatus {
  /** UDP segmentation offload in use (on at least one socket), and receive coalescing. */
  udpGso: boolean;
  udpGro: boolean;
  /** Messages that carried several datagrams, and the datagrams in them. */
  gsoSends: number;
  gsoDatagrams: number;
  /** GSO runs the kernel refused (sent one datagram at a time instead). */
  gsoRefused: number;
  /** Received buffers that held several datagrams, and the datagrams in them. */
  groBuffers: number;
  groDatagrams: number;
  /** TUN writes join in-order TCP segments of a flow into super-packets (IFF_VNET_HDR). */
  tunOffload: boolean;
  tunSuperWrites: number;
  tunSuperSegments: number;
  /** TUN reads may be TCP super-packets (TSO); how many were, and partial checksums braid completed on reads. */
  tunTso: boolean;
  tunSuperReads: number;
  tunChecksumsCompleted: number;
}

export interface EndpointStatus {
  endpoint: {
    name: string;
    role: 'edge' | 'gateway';
    version: string;
    namespace: string;
    pid: number;
    uptimeSeconds: number;
  };
  scheduler: {
    name: string;
    /** Names accepted by set-scheduler. */
    available: string[];
  };
  paths: PathStatus[];
  /** One per peer: the gateway for an edge, every configured peer for a gateway. */
  sessions: SessionStatus[];
  /** Handshakes by result (e.g. ok, failed, timeout, rate-limited). */
  handshakes: Record<string, number>;
  tunnel: TunnelStatus;
  io: IoStatus;
  /** null when redundancy elimination is off. */
  re: ReStatus | null;
  /** Every user the endpoint tracks; /metrics labels only a bounded set of them. */
  users: UserStatus[];
}
