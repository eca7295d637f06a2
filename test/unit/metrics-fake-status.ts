/**
 * A deterministic EndpointStatus for tests: every field set, counters that
 * grow with `tick`, three paths (one down, one backup), two peers, RE on and
 * `userCount` users. Used by the metrics, control and dashboard tests.
 */
import type { EndpointStatus, PathState, PathStatus } from '../../src/daemon/status-types';

function path(name: string, iface: string, state: PathState, tick: number, rate: number): PathStatus {
  const k = name.length;
  return {
    name,
    interface: iface,
    localAddress: `192.168.${k}.2:4000${k}`,
    remoteAddress: '203.0.113.10:51820',
    backup: name === 'lte',
    state,
    stateChanges: { probing: 1, up: state === 'up' ? 1 : 0, suspect: state === 'down' ? 1 : 0, down: state === 'down' ? 1 : 0, recovering: 0 },
    spuriousSuspicions: 0,
    rttSeconds: state === 'down' ? null : 0.02 * k,
    rttVarSeconds: state === 'down' ? null : 0.002 * k,
    minRttSeconds: 0.015 * k,
    lossRatio: 0.01 * k,
    estimatedRateBytesPerSecond: rate,
    mtuBytes: 1472,
    inFlightBytes: 3000 * k,
    schedulerShare: state === 'up' ? 0.5 : 0,
    txBytes: 1_000_000 * k * tick,
    rxBytes: 900_000 * k * tick,
    txPackets: 800 * k * tick,
    rxPackets: 700 * k * tick,
    lostPackets: 3 * tick,
    reinjectedPackets: 2 * tick,
  };
}

export function fakeStatus(tick = 1, userCount = 3): EndpointStatus {
  return {
    endpoint: { name: 'lap', role: 'edge', version: '0.1.0', namespace: 'braid-lap', pid: 4242, uptimeSeconds: 10 * tick },
    scheduler: { name: 'earliest-arrival', available: ['earliest-arrival', 'wrr', 'priority', 'lowest-latency', 'redundant'] },
    paths: [path('wifi', 'wlan0', 'up', tick, 6_250_000), path('eth', 'eth0', 'down', tick, 0), path('lte', 'wwan0', 'probing', tick, 2_500_000)],
    sessions: [
      { peer: 'gw', endpoint: '203.0.113.10:51820', established: true, ageSeconds: 30 + tick, lastHandshakeTimestampSeconds: 1_763_770_000 + tick },
      { peer: 'gw2', endpoint: '', established: false, ageSeconds: 0, lastHandshakeTimestampSeconds: null },
    ],
    handshakes: { ok: 2 * tick, failed: tick, timeout: 0 },
    tunnel: {
      txBytes: 2_000_000 * tick,
      rxBytes: 1_800_000 * tick,
      txPackets: 1500 * tick,
      rxPackets: 1400 * tick,
      reorderBufferPackets: 12,
      reorderBufferBytes: 12 * 1400,
      reorderHold: { bounds: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25], counts: [50 * tick, 20 * tick, 10 * tick, 5 * tick, 2 * tick, tick, 0], sum: 0.9 * tick },
      reorderTimeouts: tick,
      reorderOverflows: 0,
      duplicatePacketsReceived: 4 * tick,
      reinjectedPackets: 5 * tick,
      lossResentPackets: tick,
      lossRecoveredPackets: tick,
      superPacketsSent: 3 * tick,
      superPiecesSent: 30 * tick,
      superPacketsJoined: 2 * tick,
      superPiecesDropped: tick,
      superPacketsJoinedLate: tick,
      reinjectedBytes: 7000 * tick,
      drops: { decrypt_failed: tick, replayed: 2 * tick, truncated: 0 },
    },
    re: { inputBytes: 5_000_000 * tick, outputBytes: 3_000_000 * tick, hits: 100 * tick, misses: 40 * tick, recovered: 30 * tick, resends: 20 * tick, resendsTooLarge: tick, cacheBytes: 64 * 1024 * 1024 },
    io: {
      udpGso: true, udpGro: true, gsoSends: 10 * tick, gsoDatagrams: 300 * tick, gsoRefused: 0, groBuffers: tick, groDatagrams: 4 * tick,
      tunOffload: true, tunSuperWrites: 5 * tick, tunSuperSegments: 80 * tick,
      tunTso: true, tunSuperReads: 3 * tick, tunChecksumsCompleted: 40 * tick,
    },
    users: Array.from({ length: userCount }, (_, i) => ({
      name: `u${i}`,
      class: i === 0 ? ('priority' as const) : ('normal' as const),
      txBytes: (userCount - i) * 1000 * tick,
      rxBytes: (userCount - i) * 2000 * tick,
      droppedPackets: i * tick,
    })),
  };
}
