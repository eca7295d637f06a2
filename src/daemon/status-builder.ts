/**
 * Builds the EndpointStatus snapshot (braid status, braid top, /metrics)
 * from the live endpoint's counters. Runs once per request or scrape, never
 * per packet.
 */
import type { BraidConfig } from '../config';
import { PATH_STATUS_NAMES } from '../core/path/liveness';
import type { PathState as CorePath } from '../core/path/path-state';
import { HOLD_BUCKETS_MS } from '../core/reorder/hold-histogram';
import { schedulerNames } from '../core/sched/registry';
import { DROP_REASONS } from '../core/session';
import type { TunnelEndpoint } from '../core/tunnel/tunnel-endpoint';
import { BraidError } from '../errors';
import type { PathSocket } from '../io/udp-socket';
import type { SockAddr } from '../io/sock-addr';
import type { EndpointStatus, IoStatus, PathState, PathStatus, ReStatus, SessionStatus, UserStatus } from './status-types';
import type { Tun } from '../io/tun';

const VERSION = (require('../../../package.json') as { version: string }).version;

interface ShareState {
  sent: number;
  share: number;
}

export class StatusBuilder {
  schedulerName: string;
  private readonly share = new Map<string, ShareState>();
  private lastHandshakeUnix: Array<number | null>;

  constructor(
    private readonly config: BraidConfig,
    private readonly ep: TunnelEndpoint<SockAddr>,
    private readonly sockets: PathSocket[],
    private readonly startedAt: number,
    /** Path MTU (largest IP datagram) each path was set up with. */
    private readonly pathMtu: number,
    private readonly tun?: Tun,
  ) {
    this.schedulerName = config.scheduler.name;
    this.lastHandshakeUnix = new Array(ep.peerCount).fill(null);
  }

  checkScheduler(name: string): void {
    if (!schedulerNames().includes(name)) {
      throw new BraidError('BRAID_ERR_USAGE', `unknown scheduler '${name}'; choose one of ${schedulerNames().join(', ')}`);
    }
  }

  build(now: number): EndpointStatus {
    const cfg = this.config;
    const paths: PathStatus[] = [];
    const sessions: SessionStatus[] = [];
    const users: UserStatus[] = [];
    let reorderPackets = 0;
    let reorderBytes = 0;
    let timeouts = 0;
    let overflows = 0;
    let duplicates = 0;
    let reinjectedPackets = 0;
    let lossResent = 0;
    let lossRecovered = 0;
    let superSent = 0;
    let piecesSent = 0;
    let superJoined = 0;
    let piecesDropped = 0;
    let joinedLate = 0;
    let reinjectedBytes = 0;
    let txBytes = 0;
    let rxBytes = 0;
    let txPackets = 0;
    let rxPackets = 0;
    const drops: Record<string, number> = {};
    for (const r of DROP_REASONS) drops[r] = this.ep.secure.counters.drops[r];
    const tc = this.ep.counters;
    drops.inner_malformed = tc.dropMalformedInner;
    drops.no_peer = tc.dropNoPeer;
    drops.no_session = tc.dropNoSession;
    drops.source_not_allowed = tc.dropSourceNotAllowed;
    drops.no_path_address = tc.dropNoPathAddress;
    drops.queue_full = 0;
    drops.queue_delay = 0;
    drops.re_undecodable = 0;
    let re: ReStatus | null = null;
    let holdBounds: number[] = [];
    let holdCounts: number[] = [];
    let holdSum = 0;

    for (let peer = 0; peer < this.ep.peerCount; peer++) {
      const info = this.ep.secure.sessionInfo(peer, now);
      const link = this.ep.link(peer);
      if (info.lastHandshakeAgoMs !== undefined) this.lastHandshakeUnix[peer] = (Date.now() - info.lastHandshakeAgoMs) / 1000;
      let endpointText = '';
      if (cfg.role === 'edge') endpointText = cfg.edge.gateway.text;
      else if (link) {
        const first = link.paths.paths[0];
        endpointText = first ? this.ep.pathAddress(peer, first.id)?.key ?? '' : '';
      }
      sessions.push({
        peer: info.name,
        endpoint: endpointText,
        established: info.established,
        ageSeconds: (info.ageMs ?? 0) / 1000,
        lastHandshakeTimestampSeconds: this.lastHandshakeUnix[peer],
      });
      if (!link) continue;
      const c = link.counters;
      // Each peer is one user of the tunnel: a gateway's clients, or the edge's own host.
      users.push({ name: info.name, class: 'normal', txBytes: c.tunBytes, rxBytes: c.deliveredBytes, droppedPackets: link.queueDrops.overflow + link.queueDrops.codel + c.dropMalformedInner });
      txBytes += c.tunBytes;
      txPackets += c.tunPackets;
      rxBytes += c.deliveredBytes;
      rxPackets += c.deliveredPackets;
      reinjectedPackets += c.reinjectedPackets;
      lossResent += c.lossResentPackets;
      lossRecovered += link.reorder.counters.recovered;
      superSent += c.superPackets;
      piecesSent += c.superPieces;
      superJoined += link.reassembler.counters.packets;
      piecesDropped += link.reassembler.counters.droppedPieces;
      joinedLate += link.reassembler.counters.lateJoined;
      reinjectedBytes += c.reinjectedBytes;
      drops.queue_full += link.queueDrops.overflow;
      drops.queue_delay = (drops.queue_delay ?? 0) + link.queueDrops.codel;
      drops.re_undecodable = (drops.re_undecodable ?? 0) + c.dropReUndecodable;
      if (link.re) {
        const e = link.re.encoder;
        const d = link.re.decoder;
        re ??= { inputBytes: 0, outputBytes: 0, hits: 0, misses: 0, recovered: 0, resends: 0, resendsTooLarge: 0, cacheBytes: 0 };
        re.inputBytes += e.bytesIn;
        re.outputBytes += e.bytesOut;
        re.hits += e.hits;
        re.misses += link.re.misses;
        re.recovered += link.re.recovered;
        re.resends += link.re.resendsSent;
        re.resendsTooLarge += c.reControlTooLarge;
        re.cacheBytes += e.memoryBytes + d.memoryBytes;
      }
      drops.inner_malformed += c.dropMalformedInner;
      const rc = link.reorder.counters;
      reorderPackets += link.reorder.heldPackets;
      reorderBytes += link.reorder.heldBytes;
      timeouts += rc.releasedByTimeout;
      overflows += rc.releasedByMemory;
      duplicates += rc.duplicates;
      const h = link.reorder.holdHistogram;
      holdBounds = HOLD_BUCKETS_MS.map((ms) => ms / 1000);
      const counts = Array.from(h.counts);
      holdCounts = holdCounts.length ? holdCounts.map((v, i) => v + counts[i]) : counts;
      holdSum += h.sumMs / 1000;
      let totalSent = 0;
      for (const p of link.paths.paths) totalSent += p.sentPackets;
      for (const p of link.paths.paths) {
        const name = cfg.role === 'edge' ? cfg.edge.paths[p.id]?.name ?? `path${p.id}` : `${info.name}/${this.ep.pathName(peer, p.id) ?? p.id}`;
        const rx = link.rxByPath.get(p.id);
        const sock = cfg.role === 'edge' ? this.sockets[p.id] : undefined;
        const remote = cfg.role === 'edge' ? cfg.edge.paths[p.id]?.remote.text ?? '' : this.ep.pathAddress(peer, p.id)?.key ?? '';
        paths.push(this.pathStatus(name, p, sock, remote, rx, totalSent, link.transitions.get(p.id)));
      }
    }
    return {
      endpoint: {
        name: cfg.endpoint.name,
        role: cfg.role,
        version: VERSION,
        namespace: cfg.endpoint.namespace,
        pid: process.pid,
        uptimeSeconds: (now - this.startedAt) / 1000,
      },
      scheduler: { name: this.schedulerName, available: schedulerNames() },
      paths,
      sessions,
      handshakes: {
        initiated: this.ep.secure.counters.initiationsSent,
        retried: this.ep.secure.counters.initiationRetries,
        timeout: this.ep.secure.counters.handshakeTimeouts,
        responded: this.ep.secure.counters.responsesSent,
        established: this.ep.secure.counters.sessionsEstablished,
        rate_limited: this.ep.secure.counters.drops.rate_limited,
        failed: this.ep.secure.counters.drops.handshake_failed + this.ep.secure.counters.drops.unknown_peer,
      },
      tunnel: {
        txBytes,
        rxBytes,
        txPackets,
        rxPackets,
        reorderBufferPackets: reorderPackets,
        reorderBufferBytes: reorderBytes,
        reorderHold: { bounds: holdBounds, counts: holdCounts.length ? holdCounts : [0], sum: holdSum },
        reorderTimeouts: timeouts,
        reorderOverflows: overflows,
        duplicatePacketsReceived: duplicates,
        reinjectedPackets,
        reinjectedBytes,
        lossResentPackets: lossResent,
        lossRecoveredPackets: lossRecovered,
        superPacketsSent: superSent,
        superPiecesSent: piecesSent,
        superPacketsJoined: superJoined,
        superPiecesDropped: piecesDropped,
        superPacketsJoinedLate: joinedLate,
        drops,
      },
      re: this.config.re.enabled ? re ?? { inputBytes: 0, outputBytes: 0, hits: 0, misses: 0, recovered: 0, resends: 0, resendsTooLarge: 0, cacheBytes: 0 } : null,
      users,
      io: this.ioStatus(),
    };
  }

  private ioStatus(): IoStatus {
    const io: IoStatus = {
      udpGso: false, udpGro: false, gsoSends: 0, gsoDatagrams: 0, gsoRefused: 0, groBuffers: 0, groDatagrams: 0,
      tunOffload: this.tun?.offload ?? false, tunSuperWrites: this.tun?.stats.superWrites ?? 0, tunSuperSegments: this.tun?.stats.superSegments ?? 0,
      tunTso: this.tun?.tso ?? false, tunSuperReads: this.tun?.stats.superReads ?? 0, tunChecksumsCompleted: this.tun?.stats.checksumsCompleted ?? 0,
    };
    for (const s of this.sockets) {
      io.udpGso ||= s.offload.gso;
      io.udpGro ||= s.offload.gro;
      io.gsoSends += s.stats.txGsoSends;
      io.gsoDatagrams += s.stats.txGsoPackets;
      io.gsoRefused += s.stats.txGsoRefused;
      io.groBuffers += s.stats.rxGroBuffers;
      io.groDatagrams += s.stats.rxGroPackets;
    }
    return io;
  }

  private pathStatus(
    name: string,
    p: CorePath,
    sock: PathSocket | undefined,
    remote: string,
    rx: { packets: number; bytes: number } | undefined,
    totalSent: number,
    transitions: { up: number; suspect: number; down: number } | undefined,
  ): PathStatus {
    const state = PATH_STATUS_NAMES[p.status] as PathState;
    const changes = { probing: 0, up: transitions?.up ?? 0, suspect: transitions?.suspect ?? 0, down: transitions?.down ?? 0, recovering: 0 };
    // Share of packets since the previous snapshot (smoothed), so it follows the scheduler's current choice.
    const sh = this.share.get(name) ?? { sent: 0, share: 0 };
    const delta = p.sentPackets - sh.sent;
    const totalDelta = Math.max(1, totalSent - (this.totalSentPrev.get(name) ?? 0));
    sh.share = delta / totalDelta;
    sh.sent = p.sentPackets;
    this.share.set(name, sh);
    this.totalSentPrev.set(name, totalSent);
    const measured = p.rttMeasured;
    return {
      name,
      interface: this.config.role === 'edge' ? this.config.edge.paths[p.id]?.interface ?? null : null,
      localAddress: sock ? `${sock.localAddress().key}` : this.config.role === 'gateway' ? this.config.gateway.listen.text : '',
      remoteAddress: remote,
      backup: p.backup,
      state,
      stateChanges: changes,
      spuriousSuspicions: p.liveness.spuriousSuspicions,
      rttSeconds: measured ? p.srttMs / 1000 : null,
      rttVarSeconds: measured ? p.rttVarMs / 1000 : null,
      minRttSeconds: measured ? p.minRttMs / 1000 : null,
      lossRatio: p.lossRate,
      estimatedRateBytesPerSecond: Number.isFinite(p.rateBytesPerMs) ? p.rateBytesPerMs * 1000 : 0,
      mtuBytes: this.pathMtu,
      inFlightBytes: p.inflightBytes,
      schedulerShare: sh.share,
      txBytes: p.sentBytes,
      rxBytes: rx?.bytes ?? 0,
      txPackets: p.sentPackets,
      rxPackets: rx?.packets ?? 0,
      lostPackets: p.lostPackets,
      reinjectedPackets: p.reinjectedPackets,
    };
  }

  private readonly totalSentPrev = new Map<string, number>();
}
