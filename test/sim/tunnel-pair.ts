/**
 * An edge and a gateway TunnelEndpoint joined by simulated paths: the full
 * sans-IO stack (Noise session, AEAD, wire codec, paths, schedulers,
 * reorder) driven the way the daemon drives it, on a virtual clock.
 * Side A is the edge; on the gateway a path's "address" is its sim path id.
 */
import { SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import { TunnelEndpoint, type LocalPath } from '../../src/core/tunnel/tunnel-endpoint';
import type { PeerLinkOptions } from '../../src/core/link/peer-link';
import { SimNetwork, type PathProfile } from './network';

export interface TunnelPairOptions {
  paths: PathProfile[];
  seed?: number;
  scheduler?: string;
  link?: Omit<PeerLinkOptions, 'paths'>;
  /** Edge path configs beyond id (weights, backup). */
  pathConfig?: (i: number) => Partial<LocalPath['config']>;
  edgeAddr?: string;
  maxDatagramBytes?: number;
}

export class TunnelPair {
  readonly net: SimNetwork<Uint8Array>;
  readonly edge: TunnelEndpoint<number>;
  readonly gw: TunnelEndpoint<number>;
  /** Inner packets delivered to each side's TUN, with delivery times. */
  readonly deliveredAtGw: Array<{ at: number; packet: Uint8Array }> = [];
  readonly deliveredAtEdge: Array<{ at: number; packet: Uint8Array }> = [];
  private readonly wake = { A: Infinity, B: Infinity };

  constructor(opts: TunnelPairOptions) {
    this.net = new SimNetwork<Uint8Array>(opts.paths, { seed: opts.seed ?? 1 });
    const rnd = new SeededRandomBytes(opts.seed ?? 1);
    const edgeKey = generatePrivateKey(rnd);
    const gwKey = generatePrivateKey(rnd);
    const maxDatagramBytes = opts.maxDatagramBytes ?? 1472;
    const link = { ...opts.link, scheduler: opts.scheduler ?? opts.link?.scheduler };
    this.edge = new TunnelEndpoint<number>({
      role: 'edge',
      secure: { privateKey: edgeKey, peers: [{ publicKey: publicKeyOf(gwKey), name: 'gw' }], random: rnd },
      allowedIps: [['0.0.0.0/0']],
      paths: this.net.pathIds.map((id, i) => ({ id, name: `p${id}`, config: { ...opts.pathConfig?.(i) } })),
      link,
      maxDatagramBytes,
    });
    this.gw = new TunnelEndpoint<number>({
      role: 'gateway',
      secure: { privateKey: gwKey, peers: [{ publicKey: publicKeyOf(edgeKey), name: 'edge' }], random: rnd },
      allowedIps: [[(opts.edgeAddr ?? '10.77.0.2') + '/32']],
      link,
      maxDatagramBytes,
    });
    this.net.onReceive('A', (pathId, d, now) => {
      this.edge.handleDatagram(now, pathId, d, pathId, String(pathId));
      this.service('A', now);
    });
    this.net.onReceive('B', (pathId, d, now) => {
      this.gw.handleDatagram(now, -1, d, pathId, String(pathId));
      this.service('B', now);
    });
  }

  get now(): number {
    return this.net.clock.now;
  }

  start(): void {
    this.edge.connect(this.now);
    this.service('A', this.now);
  }

  /** Inner packet into the edge's TUN (goes to the gateway). */
  edgeSend(packet: Uint8Array): void {
    this.edge.sendPacket(this.now, packet);
    this.service('A', this.now);
  }

  gwSend(packet: Uint8Array): void {
    this.gw.sendPacket(this.now, packet);
    this.service('B', this.now);
  }

  run(untilMs: number): void {
    this.net.clock.runUntil(untilMs);
  }

  /** What the daemon does after every event: flush transmits and deliveries, re-arm the one timer. */
  service(side: 'A' | 'B', now: number): void {
    const ep = side === 'A' ? this.edge : this.gw;
    ep.handleTimeout(now);
    for (let o = ep.pollTransmit(now); o; o = ep.pollTransmit(now)) {
      const pathId = side === 'A' ? o.pathId : o.addr!;
      this.net.send(side, pathId, new Uint8Array(o.datagram), o.datagram.length + 28);
    }
    const sink = side === 'A' ? this.deliveredAtEdge : this.deliveredAtGw;
    for (let p = ep.pollDeliver(); p; p = ep.pollDeliver()) sink.push({ at: now, packet: p });
    this.arm(side, ep.pollTimeout(now));
  }

  private arm(side: 'A' | 'B', at: number): void {
    if (!(at < Infinity)) return;
    const now = this.now;
    if (at <= now) at = now + 0.01;
    if (at >= this.wake[side]) return;
    this.wake[side] = at;
    this.net.clock.at(at, (t) => {
      if (t !== this.wake[side]) return;
      this.wake[side] = Infinity;
      this.service(side, t);
    });
  }
}
