/**
 * `braid up`: one endpoint process. Loads the config, opens the path
 * sockets and the TUN, builds the endpoint namespace, runs the event loop,
 * serves /metrics and the control socket, and undoes everything on exit.
 */
import { lookup } from 'dns/promises';
import { performance } from 'perf_hooks';
import type { BraidConfig, HostPort } from '../config';
import { TunnelEndpoint, type LocalPath } from '../core/tunnel/tunnel-endpoint';
import { SodiumRandomBytes, loadPrivateKeyFile, decodeKey } from '../core/session';
import { IPV4_UDP_BYTES, IPV6_UDP_BYTES, tunnelMtu } from '../core/wire/envelope';
import { BraidError } from '../errors';
import { ipJson } from '../io/ip';
import { networkOf, PATH_SOCKET_MARK, setupEndpointNetns, type EndpointNetns, type HostLinkOptions } from '../io/endpoint-netns';
import { SockAddr } from '../io/sock-addr';
import { Tun } from '../io/tun';
import { openPathSocket, type PathSocket, type PathSocketImpl } from '../io/udp-socket';
import { log } from '../log';
import { startMetricsServer, type MetricsServer } from '../metrics';
import { startControlServer, type ControlServer } from './control';
import { EventLoop } from './event-loop';
import { StatusBuilder } from './status-builder';

export interface RunningEndpoint {
  readonly config: BraidConfig;
  readonly endpoint: TunnelEndpoint<SockAddr>;
  readonly metrics: MetricsServer | null;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  socketImpl?: PathSocketImpl;
}

async function resolve(hp: HostPort, key: string): Promise<SockAddr> {
  if (hp.family !== 0) return SockAddr.of(hp.host, hp.port);
  try {
    const r = await lookup(hp.host);
    return SockAddr.of(r.address, hp.port);
  } catch {
    throw new BraidError('BRAID_ERR_CONFIG', `${key}: cannot resolve '${hp.host}'; use an IP address or fix DNS`);
  }
}

function linkMtu(dev: string | null): number {
  if (!dev) return 1500;
  try {
    const [l] = ipJson<Array<{ mtu: number }>>(['link', 'show', 'dev', dev]);
    return l?.mtu ?? 1500;
  } catch {
    return 1500;
  }
}

/** A /30 for the veth between host and namespace, chosen from the endpoint name so two endpoints don't collide. */
function hostLinkFor(name: string, hostDev: string): HostLinkOptions {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const third = h % 250;
  const fourth = ((h >>> 8) % 63) * 4;
  return { hostDev, hostAddr: `169.254.${third}.${fourth + 1}`, nsAddr: `169.254.${third}.${fourth + 2}` };
}

export async function startEndpoint(config: BraidConfig, opts: DaemonOptions = {}): Promise<RunningEndpoint> {
  if (process.getuid && process.getuid() !== 0) {
    throw new BraidError('BRAID_ERR_PERMISSION', 'braid up needs root (or CAP_NET_ADMIN) to create the TUN and namespace; run it with sudo');
  }
  const ep = config.endpoint;
  const privateKey = loadPrivateKeyFile(ep.privateKeyFile);
  const cleanups: Array<() => void | Promise<void>> = [];
  const undo = async (): Promise<void> => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        log('warn', 'daemon.cleanup_failed', { error: String(err) });
      }
    }
    cleanups.length = 0;
  };
  try {
    // ---- sockets ----
    const sockets: PathSocket[] = [];
    const localPaths: LocalPath[] = [];
    let pathMtu = 1500;
    let v6 = false;
    if (config.role === 'edge') {
      const gateway = await resolve(config.edge.gateway, 'edge.gateway');
      v6 = gateway.family === 6;
      pathMtu = Infinity;
      for (const [i, p] of config.edge.paths.entries()) {
        const remote = await resolve(p.remote, `edge.path[${i}].remote`);
        const s = openPathSocket(
          { family: remote.family, device: p.interface ?? undefined, address: p.source ?? undefined, mark: PATH_SOCKET_MARK, rcvbuf: 4 << 20, sndbuf: 4 << 20 },
          opts.socketImpl,
        );
        cleanups.push(() => s.close());
        s.connect(remote);
        sockets.push(s);
        pathMtu = Math.min(pathMtu, linkMtu(p.interface));
        localPaths.push({
          id: i,
          name: p.name,
          config: { weight: p.weight, backup: p.backup, initialRateBytesPerSec: p.rateHint ?? undefined },
        });
      }
    } else {
      const listen = await resolve(config.gateway.listen, 'gateway.listen');
      v6 = listen.family === 6;
      const s = openPathSocket({ family: listen.family, address: listen.address, port: listen.port, rcvbuf: 8 << 20, sndbuf: 8 << 20 }, opts.socketImpl);
      cleanups.push(() => s.close());
      sockets.push(s);
    }
    const maxDatagramBytes = pathMtu - (v6 ? IPV6_UDP_BYTES : IPV4_UDP_BYTES);
    const mtu = ep.mtu ?? tunnelMtu(pathMtu, v6);

    // ---- core ----
    const peers =
      config.role === 'edge'
        ? [{ publicKey: decodeKey(config.edge.gatewayPublicKey, 'edge.gateway_public_key'), name: 'gateway' }]
        : config.gateway.peers.map((p, i) => ({ publicKey: decodeKey(p.publicKey, `gateway.peer[${i}].public_key`), name: p.name }));
    const allowedIps =
      config.role === 'edge' ? [['0.0.0.0/0', '::/0']] : config.gateway.peers.map((p) => p.allowedIps.map((c) => c.text));
    const now0 = performance.now();
    const endpoint = new TunnelEndpoint<SockAddr>({
      role: config.role,
      secure: { privateKey, peers, random: new SodiumRandomBytes(), epochOffsetMs: Date.now() - now0, maxDatagramBytes: 65535, cookieReplies: true },
      allowedIps,
      paths: localPaths,
      link: {
        scheduler: config.scheduler.name,
        reorder: { maxHoldMs: config.reorder.maxHoldMs, maxBytes: config.reorder.memoryBytes },
        recoverLosses: config.reorder.recoverLosses,
        flowSeed: (Math.random() * 2 ** 32) >>> 0,
        re: config.re.enabled
          ? { cacheBytes: config.re.cacheBytes, literalCodec: config.re.literalCodec, gating: config.re.gating }
          : undefined,
      },
      maxDatagramBytes,
    });

    endpoint.onPathEvent = (peer, e) =>
      log(e.kind === 'up' ? 'info' : 'warn', `path.${e.kind}`, { peer: endpoint.secure.peerName(peer), path: e.pathId, reinjected: e.reinject.length });

    // ---- TUN and namespace ----
    const tunName = `bt${process.pid}`.slice(0, 15);
    // IFF_VNET_HDR: in-order TCP segments of a flow are written as one super-packet, and reads may be TCP
    // super-packets (TSO) that travel as datagram-filling pieces (docs/io.md); BRAID_TUN_OFFLOAD=0 turns both
    // off, BRAID_TUN_TSO=0 only the reads
    const tun = Tun.open(tunName, { offload: process.env.BRAID_TUN_OFFLOAD !== '0', tso: process.env.BRAID_TUN_TSO !== '0' });
    cleanups.push(() => tun.close());
    const hostDev = `bh-${ep.name}`.slice(0, 15);
    const netns: EndpointNetns = setupEndpointNetns({
      namespace: ep.namespace,
      tunName,
      addresses: ep.addresses.map((a) => a.text),
      mtu,
      dns: config.role === 'edge' ? config.edge.dns : undefined,
      gateway:
        config.role === 'gateway'
          ? {
              link: hostLinkFor(ep.name, hostDev),
              routes: [...new Set(config.gateway.peers.flatMap((p) => p.allowedIps.map((c) => networkOf(c.text))))],
              natOutInterface: config.gateway.forwarding.mode === 'nat' ? config.gateway.forwarding.outInterface ?? undefined : undefined,
            }
          : undefined,
      wholeHost: config.role === 'edge' && config.edge.wholeHost ? { link: hostLinkFor(ep.name, hostDev) } : undefined,
    });
    cleanups.push(() => netns.teardown());

    // ---- run ----
    const loop = new EventLoop(endpoint, tun, { sockets, role: config.role });
    const status = new StatusBuilder(config, endpoint, sockets, now0, pathMtu, tun);
    loop.start();
    cleanups.push(() => loop.stop());
    if (config.role === 'edge') {
      endpoint.connect(performance.now());
      loop.flush(performance.now());
    }
    const control: ControlServer = await startControlServer(ep.controlSocket, {
      status: () => status.build(performance.now()),
      setScheduler: (name) => {
        status.checkScheduler(name);
        endpoint.setScheduler(name);
        status.schedulerName = name;
      },
    });
    cleanups.push(() => control.close());
    let metrics: MetricsServer | null = null;
    if (ep.metricsListen) {
      metrics = await startMetricsServer({ host: ep.metricsListen.host, port: ep.metricsListen.port, source: { snapshot: () => status.build(performance.now()) } });
      cleanups.push(() => metrics!.close());
    }
    // Once a second: handshake outcomes as log lines (info), and path internals at debug level.
    let rejectedSeen = 0;
    const sessionsSeen = new Array<number>(endpoint.peerCount).fill(0);
    const establishedSeen = new Array<boolean>(endpoint.peerCount).fill(false);
    const debugTimer = setInterval(() => {
      const now = performance.now();
      for (let peer = 0; peer < endpoint.peerCount; peer++) {
        const info = endpoint.secure.sessionInfo(peer, now);
        if (info.sessions > sessionsSeen[peer]) {
          log('info', info.sessions === 1 || !establishedSeen[peer] ? 'session.established' : 'session.rekeyed', { peer: info.name, sessions: info.sessions });
          sessionsSeen[peer] = info.sessions;
        }
        if (establishedSeen[peer] && !info.established) log('warn', 'session.lost', { peer: info.name });
        establishedSeen[peer] = info.established;
        const link = endpoint.link(peer);
        if (!link) continue;
        for (const p of link.paths.paths) {
          log('debug', 'path.state', {
            peer, path: p.id, status: p.status, srttMs: +p.srttMs.toFixed(1), rateMbit: +((p.rateBytesPerMs * 8) / 1000).toFixed(2),
            cwnd: Math.round(p.cwndBytes), inflight: p.inflightBytes, congestion: p.rate.congestionEvents, minRtt: +p.minRttMs.toFixed(1),
            sent: p.sentPackets, lost: p.lostPackets, queued: link.queuedBytes,
          });
        }
      }
      const c = endpoint.secure.counters;
      const rejected = c.drops.unknown_peer + c.drops.handshake_failed + c.drops.rate_limited + c.drops.handshake_replayed;
      if (rejected > rejectedSeen) log('warn', 'handshake.rejected', { unknownPeer: c.drops.unknown_peer, failed: c.drops.handshake_failed, rateLimited: c.drops.rate_limited, replayed: c.drops.handshake_replayed });
      rejectedSeen = rejected;
    }, 1000);
    debugTimer.unref();
    cleanups.push(() => clearInterval(debugTimer));
    log('info', 'daemon.up', { name: ep.name, role: config.role, namespace: ep.namespace, mtu, paths: sockets.length });
    return { config, endpoint, metrics, stop: undo };
  } catch (err) {
    await undo();
    throw err;
  }
}
