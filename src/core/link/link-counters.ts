/** Plain counters of one peer link, read by the metrics exporter at scrape time. */
export class LinkCounters {
  tunPackets = 0;
  tunBytes = 0;
  /** TCP super-packets read (TUN with TSO) and sent as pieces, and the pieces. */
  superPackets = 0;
  superPieces = 0;
  txDataPackets = 0;
  txDataBytes = 0;
  rxDataPackets = 0;
  rxDataBytes = 0;
  deliveredPackets = 0;
  deliveredBytes = 0;
  reinjectedPackets = 0;
  reinjectedBytes = 0;
  /** Packets proven lost on their path and sent again (tunnel-level loss recovery), a subset of reinjected. */
  lossResentPackets = 0;
  pathDownEvents = 0;
  dropMalformedInner = 0;
  /** RE-encoded packets that could not be decoded (dropped; the inner TCP retransmits). */
  dropReUndecodable = 0;
  /** RE control messages (RESENDs of super-packet bytes) too large for one datagram, not sent. */
  reControlTooLarge = 0;
}
