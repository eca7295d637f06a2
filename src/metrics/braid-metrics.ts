/**
 * Every braid_* metric: name, help, type and how it is read from a snapshot.
 * This table is the source of docs/metrics.md; a test checks the two agree.
 * Conventions: base units (seconds, bytes, ratios), counters end in _total,
 * labels are bounded (paths and peers from the config, users via UserBound).
 */
import { PATH_STATES, type EndpointStatus, type PathStatus } from '../daemon/status-types';
import { histogramSamples, type MetricDef, type Sample } from './snapshot-metric';

function perPath(
  name: string,
  help: string,
  type: 'counter' | 'gauge',
  value: (p: PathStatus) => number | null,
): MetricDef {
  return {
    name,
    help,
    type,
    read(s: EndpointStatus, out: Sample[]) {
      for (const p of s.paths) {
        const v = value(p);
        if (v !== null && Number.isFinite(v)) out.push({ labels: { path: p.name }, value: v });
      }
    },
  };
}

function scalar(name: string, help: string, type: 'counter' | 'gauge', value: (s: EndpointStatus) => number): MetricDef {
  return { name, help, type, read: (s, out) => void out.push({ value: value(s) }) };
}

function byLabel(name: string, help: string, label: string, values: (s: EndpointStatus) => Record<string, number>): MetricDef {
  return {
    name,
    help,
    type: 'counter',
    read(s, out) {
      for (const [k, v] of Object.entries(values(s))) out.push({ labels: { [label]: k }, value: v });
    },
  };
}

export const PATH_METRICS: MetricDef[] = [
  {
    name: 'braid_path_info',
    help: 'Configured path (value 1) with its interface and addresses.',
    type: 'gauge',
    read(s, out) {
      for (const p of s.paths) {
        out.push({
          labels: {
            path: p.name,
            interface: p.interface ?? '',
            local_address: p.localAddress,
            remote_address: p.remoteAddress,
            backup: p.backup ? 'true' : 'false',
          },
          value: 1,
        });
      }
    },
  },
  perPath('braid_path_up', 'Whether the path carries data (1) or not (0).', 'gauge', (p) => (p.state === 'up' ? 1 : 0)),
  {
    name: 'braid_path_state',
    help: 'Path state: 1 for the current state, 0 for the others.',
    type: 'gauge',
    read(s, out) {
      for (const p of s.paths) for (const st of PATH_STATES) out.push({ labels: { path: p.name, state: st }, value: p.state === st ? 1 : 0 });
    },
  },
  {
    name: 'braid_path_state_changes_total',
    help: 'Transitions of the path into each state (to_state="down" counts failures).',
    type: 'counter',
    read(s, out) {
      for (const p of s.paths) for (const st of PATH_STATES) out.push({ labels: { path: p.name, to_state: st }, value: p.stateChanges[st] ?? 0 });
    },
  },
  perPath('braid_path_spurious_suspicions_total', 'Suspicions of the path that ended without an outage (late feedback); each widens its silence allowance for a while.', 'counter', (p) => p.spuriousSuspicions),
  perPath('braid_path_rtt_seconds', 'Smoothed round-trip time of the path.', 'gauge', (p) => p.rttSeconds),
  perPath('braid_path_rtt_variance_seconds', 'Round-trip time variation (jitter) of the path.', 'gauge', (p) => p.rttVarSeconds),
  perPath('braid_path_min_rtt_seconds', 'Minimum round-trip time seen on the path.', 'gauge', (p) => p.minRttSeconds),
  perPath('braid_path_loss_ratio', 'Recent packet loss ratio of the path, 0 to 1.', 'gauge', (p) => p.lossRatio),
  perPath('braid_path_estimated_rate_bytes', 'Estimated sending capacity of the path in bytes per second.', 'gauge', (p) => p.estimatedRateBytesPerSecond),
  perPath('braid_path_mtu_bytes', 'Largest datagram the path carries.', 'gauge', (p) => p.mtuBytes),
  perPath('braid_path_in_flight_bytes', 'Bytes sent on the path and not yet acknowledged.', 'gauge', (p) => p.inFlightBytes),
  perPath('braid_path_scheduler_share_ratio', 'Recent fraction of tunnel packets the scheduler put on the path.', 'gauge', (p) => p.schedulerShare),
  perPath('braid_path_transmit_bytes_total', 'Bytes sent on the path (outer datagrams).', 'counter', (p) => p.txBytes),
  perPath('braid_path_receive_bytes_total', 'Bytes received on the path (outer datagrams).', 'counter', (p) => p.rxBytes),
  perPath('braid_path_transmit_packets_total', 'Datagrams sent on the path.', 'counter', (p) => p.txPackets),
  perPath('braid_path_receive_packets_total', 'Datagrams received on the path.', 'counter', (p) => p.rxPackets),
  perPath('braid_path_lost_packets_total', 'Datagrams sent on the path and found lost.', 'counter', (p) => p.lostPackets),
  perPath('braid_path_reinjected_packets_total', 'Packets first sent on this path and sent again on another path.', 'counter', (p) => p.reinjectedPackets),
];

export const TUNNEL_METRICS: MetricDef[] = [
  scalar('braid_tunnel_transmit_bytes_total', 'Inner bytes read from the TUN device and sent into the tunnel.', 'counter', (s) => s.tunnel.txBytes),
  scalar('braid_tunnel_receive_bytes_total', 'Inner bytes received from the tunnel and written to the TUN device.', 'counter', (s) => s.tunnel.rxBytes),
  scalar('braid_tunnel_transmit_packets_total', 'Inner packets sent into the tunnel.', 'counter', (s) => s.tunnel.txPackets),
  scalar('braid_tunnel_receive_packets_total', 'Inner packets delivered from the tunnel.', 'counter', (s) => s.tunnel.rxPackets),
  scalar('braid_tunnel_reorder_buffer_packets', 'Packets waiting in the reorder buffer.', 'gauge', (s) => s.tunnel.reorderBufferPackets),
  scalar('braid_tunnel_reorder_buffer_bytes', 'Bytes waiting in the reorder buffer.', 'gauge', (s) => s.tunnel.reorderBufferBytes),
  {
    name: 'braid_tunnel_reorder_hold_seconds',
    help: 'Time delivered packets waited in the reorder buffer.',
    type: 'histogram',
    read: (s, out) => histogramSamples('braid_tunnel_reorder_hold_seconds', s.tunnel.reorderHold, out),
  },
  scalar('braid_tunnel_reorder_timeouts_total', 'Packets released because the wait for an earlier packet timed out.', 'counter', (s) => s.tunnel.reorderTimeouts),
  scalar('braid_tunnel_reorder_overflows_total', 'Packets released early because the reorder buffer was full.', 'counter', (s) => s.tunnel.reorderOverflows),
  scalar('braid_tunnel_duplicate_packets_received_total', 'Packets received more than once (reinjected or redundant copies).', 'counter', (s) => s.tunnel.duplicatePacketsReceived),
  scalar('braid_udp_gso_sends_total', 'UDP messages that carried several datagrams (segmentation offload).', 'counter', (s) => s.io.gsoSends),
  scalar('braid_udp_gso_datagrams_total', 'Datagrams sent inside UDP segmentation-offload messages.', 'counter', (s) => s.io.gsoDatagrams),
  scalar('braid_udp_gso_refused_total', 'Segmentation-offload runs the kernel refused (sent one datagram at a time).', 'counter', (s) => s.io.gsoRefused),
  scalar('braid_udp_gro_buffers_total', 'Received buffers that held several datagrams (receive offload).', 'counter', (s) => s.io.groBuffers),
  scalar('braid_udp_gro_datagrams_total', 'Datagrams received inside coalesced buffers.', 'counter', (s) => s.io.groDatagrams),
  scalar('braid_tun_super_writes_total', 'TUN writes that joined several TCP segments of a flow into one super-packet.', 'counter', (s) => s.io.tunSuperWrites),
  scalar('braid_tun_super_segments_total', 'TCP segments written inside TUN super-packets.', 'counter', (s) => s.io.tunSuperSegments),
  scalar('braid_tun_super_reads_total', 'TUN reads that were TCP super-packets (TSO), sent on in datagram-filling pieces.', 'counter', (s) => s.io.tunSuperReads),
  scalar('braid_tunnel_super_pieces_sent_total', 'Datagram-filling pieces the TCP super-packets read from the TUN were sent in.', 'counter', (s) => s.tunnel.superPiecesSent),
  scalar('braid_tunnel_super_packets_joined_total', 'TCP super-packets the peer sent in pieces that arrived whole and went to the TUN as one write.', 'counter', (s) => s.tunnel.superPacketsJoined),
  scalar('braid_tunnel_super_packets_joined_late_total', 'Super-packets joined although a piece came after the pieces behind it (delivered late instead of lost).', 'counter', (s) => s.tunnel.superPacketsJoinedLate),
  scalar('braid_tunnel_super_pieces_dropped_total', 'Pieces of TCP super-packets thrown away because their packet lost a piece (the inner TCP retransmits it).', 'counter', (s) => s.tunnel.superPiecesDropped),
  scalar('braid_tunnel_loss_resent_packets_total', 'Packets the peer proved lost on their path and this end sent again (tunnel-level loss recovery).', 'counter', (s) => s.tunnel.lossResentPackets),
  scalar('braid_tunnel_loss_recovered_packets_total', 'Packets proven lost on a path whose resend arrived before the hole was given up.', 'counter', (s) => s.tunnel.lossRecoveredPackets),
  scalar('braid_tunnel_reinjected_packets_total', 'Packets sent again on another path.', 'counter', (s) => s.tunnel.reinjectedPackets),
  scalar('braid_tunnel_reinjected_bytes_total', 'Bytes sent again on another path.', 'counter', (s) => s.tunnel.reinjectedBytes),
  byLabel('braid_dropped_packets_total', 'Packets dropped, by reason.', 'reason', (s) => s.tunnel.drops),
];

export const SESSION_METRICS: MetricDef[] = [
  {
    name: 'braid_session_established',
    help: 'Whether a session with the peer is established (1) or not (0).',
    type: 'gauge',
    read: (s, out) => s.sessions.forEach((x) => out.push({ labels: { peer: x.peer }, value: x.established ? 1 : 0 })),
  },
  {
    name: 'braid_session_age_seconds',
    help: 'Age of the current session keys with the peer.',
    type: 'gauge',
    read: (s, out) => s.sessions.forEach((x) => out.push({ labels: { peer: x.peer }, value: x.ageSeconds })),
  },
  {
    name: 'braid_peer_last_handshake_timestamp_seconds',
    help: 'UNIX time of the last completed handshake with the peer.',
    type: 'gauge',
    read(s, out) {
      for (const x of s.sessions) if (x.lastHandshakeTimestampSeconds !== null) out.push({ labels: { peer: x.peer }, value: x.lastHandshakeTimestampSeconds });
    },
  },
  byLabel('braid_handshakes_total', 'Handshakes by result.', 'result', (s) => s.handshakes),
];

export const RE_METRICS: MetricDef[] = [
  { name: 'braid_re_input_bytes_total', help: 'Payload bytes given to the redundancy-elimination encoder.', type: 'counter', read: (s, o) => void (s.re && o.push({ value: s.re.inputBytes })) },
  { name: 'braid_re_output_bytes_total', help: 'Bytes the redundancy-elimination encoder produced.', type: 'counter', read: (s, o) => void (s.re && o.push({ value: s.re.outputBytes })) },
  { name: 'braid_re_cache_hits_total', help: 'Chunks found in the redundancy-elimination cache.', type: 'counter', read: (s, o) => void (s.re && o.push({ value: s.re.hits })) },
  { name: 'braid_re_cache_misses_total', help: 'Packets that lacked cache bytes when their flow delivered them (parked until a MISS/RESEND brings the bytes).', type: 'counter', read: (s, o) => void (s.re && o.push({ value: s.re.misses })) },
  { name: 'braid_re_recovered_total', help: 'Packets that lacked RE bytes at delivery and were delivered after a MISS/RESEND or a late source.', type: 'counter', read: (s, o) => void (s.re && o.push({ value: s.re.recovered })) },
  { name: 'braid_re_resends_total', help: "RESEND messages sent to answer the peer's MISS.", type: 'counter', read: (s, o) => void (s.re && o.push({ value: s.re.resends })) },
  { name: 'braid_re_resends_too_large_total', help: 'RESENDs of super-packet bytes too large for one datagram, not sent (the inner TCP retransmits).', type: 'counter', read: (s, o) => void (s.re && o.push({ value: s.re.resendsTooLarge })) },
  { name: 'braid_re_cache_bytes', help: 'Size of the redundancy-elimination chunk cache.', type: 'gauge', read: (s, o) => void (s.re && o.push({ value: s.re.cacheBytes })) },
];

export function endpointInfo(nodeVersion: string): MetricDef {
  return {
    name: 'braid_endpoint_info',
    help: 'The endpoint (value 1): name, role, version and current path scheduler.',
    type: 'gauge',
    read(s, out) {
      const e = s.endpoint;
      out.push({ labels: { endpoint: e.name, role: e.role, version: e.version, scheduler: s.scheduler.name, node_version: nodeVersion }, value: 1 });
    },
  };
}
