/**
 * An edge and a gateway TunnelEndpoint joined by simulated paths: the full
 * sans-IO stack (Noise session, AEAD, wire codec, paths, schedulers,
 * reorder) driven the way the daemon drives it, on a virtual clock.
 * Side A is the edge. The gateway sees each edge path at an "address"
 * `p<id>#<generation>`; rebind() changes it, as a NAT rebinding or a roaming
 * laptop would, and datagrams the gateway sends to a stale address are lost.
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
  readonly edge: TunnelEndpoint<string>;
  readonly gw: TunnelEndpoint<string>;
  /** Current outside address of each edge path, and datagrams the gateway sent to a stale one. */
  private readonly addrGen = new Map<number, number>();
  staleSends = 0;
  /** Inner packets delivered to each side's TUN, with delivery times. */
  readonly deliveredAtGw: Array<{ at: number; packet: Uint8Array }> = [];
  readonly deliveredAtEdge: Array<{ at: number; packet: Uint8Array }> = [];
  private readonly wake = { A: Infinity, B: Infinity };
  /** Called for every inner packet a side's TUN gets (A: the edge), besides recording it. */
  onDeliver?: (side: 'A' | 'B', packet: Uint8Array, at: number) => void;

  constructor(opts: TunnelPairOptions) {
    this.net = new SimNetwork<Uint8Array>(opts.paths, { seed: opts.seed ?? 1 });
    const rnd = new SeededRandomBytes(opts.seed ?? 1);
    const edgeKey = generatePrivateKey(rnd);
    const gwKey = generatePrivateKey(rnd);
    const maxDatagramBytes = opts.maxDatagramBytes ?? 1472;
    const link = { ...opts.link, scheduler: opts.scheduler ?? opts.link?.scheduler };
    this.edge = new TunnelEndpoint<string>({
      role: 'edge',
      secure: { privateKey: edgeKey, peers: [{ publicKey: publicKeyOf(gwKey), name: 'gw' }], random: rnd },
      allowedIps: [['0.0.0.0/0']],
      paths: this.net.pathIds.map((id, i) => ({ id, name: `p${id}`, config: { ...opts.pathConfig?.(i) } })),
      link,
      maxDatagramBytes,
    });
    this.gw = new TunnelEndpoint<string>({
      role: 'gateway',
      secure: { privateKey: gwKey, peers: [{ publicKey: publicKeyOf(edgeKey), name: 'edge' }], random: rnd },
      allowedIps: [[(opts.edgeAddr ?? '10.77.0.2') + '/32']],
      link,
      maxDatagramBytes,
    });
    this.net.onReceive('A', (pathId, d, now) => {
      this.edge.handleDatagram(now, pathId, d, 'gw', 'gw');
      this.service('A', now);
    });
    this.net.onReceive('B', (pathId, d, now) => {
      const from = this.addressOf(pathId);
      this.gw.handleDatagram(now, -1, d, from, from);
      this.service('B', now);
    });
  }

  addressOf(pathId: number): string {
    return `p${pathId}#${this.addrGen.get(pathId) ?? 0}`;
  }

  /** The edge's path gets a new outside address (NAT rebinding, roaming). */
  rebind(pathId: number): void {
    this.addrGen.set(pathId, (this.addrGen.get(pathId) ?? 0) + 1);
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
      if (side === 'B') {
        const pathId = Number(/^p(\d+)#/.exec(o.addr!)![1]);
        if (o.addr !== this.addressOf(pathId)) {
          this.staleSends++;
          continue;
        }
        this.net.send(side, pathId, new Uint8Array(o.datagram), o.datagram.length + 28);
      } else this.net.send(side, o.pathId, new Uint8Array(o.datagram), o.datagram.length + 28);
    }
    const sink = side === 'A' ? this.deliveredAtEdge : this.deliveredAtGw;
    for (let p = ep.pollDeliver(); p; p = ep.pollDeliver()) {
      sink.push({ at: now, packet: p });
      this.onDeliver?.(side, p, now);
    }
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
