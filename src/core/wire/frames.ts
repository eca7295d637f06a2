/**
 * The frames braid sends inside the AEAD envelope, as plain objects. This is
 * the contract between the data plane (which builds and consumes frames) and
 * the wire codec (which turns them into exactly the protobuf bytes of
 * proto/braid.proto `Frame`). A datagram carries one `Frame`; its parts are
 * optional so an ack can ride on a data packet.
 *
 * Times on the wire are microseconds of the sender's own monotonic clock; they
 * are only ever compared with other times from the same sender, so clocks need
 * not be synchronised (one-way-delay *differences* are what matter).
 */

/** Flags on a data frame. */
export const DataFlags = {
  /** This packet was sent again (reinjection or failover); the receiver keeps the first copy. */
  REINJECTED: 1,
  /** The payload is RE-encoded (decode before delivery). */
  RE_ENCODED: 2,
  /** Duplicate sent on purpose on several paths (redundant scheduler). */
  REDUNDANT: 4,
  /** The flow wants in-order delivery (TCP and other reorder-sensitive traffic). */
  ORDERED: 8,
  /**
   * The payload is one piece of an inner TCP super-packet (a TUN read with
   * TSO: up to 64 KiB of one flow). The pieces of a packet are consecutive
   * in their flow (each one's flowPrevSeq is the previous piece's seq), so the
   * receiver joins them as its flow delivers them; the inner headers travel
   * once per super-packet instead of once per 1.3 KB segment.
   */
  FRAGMENT: 16,
  /** The first piece: its payload starts with the segment size (u16 big-endian) the receiver's kernel cuts the packet at. */
  FRAGMENT_FIRST: 32,
  /** The last piece of the packet. */
  FRAGMENT_LAST: 64,
} as const;

export interface DataFrame {
  /** Global sequence number of the tunnel packet (per direction, from 1). */
  seq: number;
  /** Path the datagram was sent on (sender's path id). */
  pathId: number;
  /** Per-path sequence number (per direction and path, from 1, +1 per datagram sent on it). */
  pathSeq: number;
  /**
   * Global seq of the previous data packet sent on this path (0 if none). With
   * pathSeq it tells the receiver exactly which global seq a per-path gap was,
   * so a loss is proven after one packet time instead of a timeout.
   */
  prevSeq: number;
  /** Flow id (hash of the inner 5-tuple), used for per-flow reordering. */
  flow: number;
  /**
   * Global seq of the previous packet of the same flow (0: none or unknown).
   * The receiver's per-flow reorder waits for exactly that packet, so a hole
   * in one flow never stalls another.
   */
  flowPrevSeq?: number;
  /** DataFlags bits. */
  flags: number;
  /** Sender's clock when sent, µs. */
  sendTimeUs: number;
  /** The inner IP packet (or RE-encoded payload). */
  payload: Uint8Array;
}

/** A closed range [start, end] of global sequence numbers, inclusive. */
export interface SeqRange {
  start: number;
  end: number;
}

/** Per-path receive statistics, reported by the receiver of a path's data. */
export interface PathReceiveStats {
  pathId: number;
  /** Highest per-path sequence number received on this path. */
  highestPathSeq: number;
  /** Total datagrams and bytes received on this path (cumulative, wrap-free in practice). */
  packets: number;
  bytes: number;
  /** sendTimeUs of the datagram with highestPathSeq, echoed back. */
  echoSendTimeUs: number;
  /** µs between receiving highestPathSeq and sending this ack. */
  ackDelayUs: number;
  /** One-way delay sample of that datagram: receiver clock − sender clock, µs (offset included; use differences). */
  owdUs: number;
}

export interface AckFrame {
  /** Received global sequence ranges, newest first; at most a bounded count. */
  ranges: SeqRange[];
  paths: PathReceiveStats[];
  /**
   * Global seqs the receiver proved lost on their path since its last ack
   * (each named once): the sender resends them at once, and the receiver
   * keeps their holes open for a while (tunnel-level loss recovery).
   */
  lost?: number[];
}

export interface ProbeFrame {
  pathId: number;
  probeId: number;
  sendTimeUs: number;
}

export interface ProbeReplyFrame {
  pathId: number;
  probeId: number;
  /** The probe's sendTimeUs, echoed. */
  echoSendTimeUs: number;
  /** µs the replier held the probe before replying. */
  holdUs: number;
}

/** Announces a path (by the sender's id and name) so the peer can bind it to the source address it came from. */
export interface PathJoinFrame {
  pathId: number;
  name: string;
}

export interface CloseFrame {
  reason: string;
}

/**
 * Redundancy-elimination control between the two byte caches: a MISS (the
 * receiver's decoder lacked bytes a packet referenced) or the RESEND that
 * answers it. `msg` is an RE message (src/core/re/re-format.ts); it travels
 * outside data frames, so it never takes a sequence number.
 */
export interface ReControlFrame {
  msg: Uint8Array;
}

export interface Frame {
  data?: DataFrame;
  ack?: AckFrame;
  probe?: ProbeFrame;
  probeReply?: ProbeReplyFrame;
  pathJoin?: PathJoinFrame;
  close?: CloseFrame;
  re?: ReControlFrame;
}
