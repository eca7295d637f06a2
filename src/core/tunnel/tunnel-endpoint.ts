/**
 * One braid endpoint, sans-IO: the secure session (handshakes, AEAD) plus a
 * multipath PeerLink per peer, plus cryptokey routing. The daemon feeds it
 * TUN packets and datagrams and sends what pollTransmit returns; tests run a
 * pair of these over the simulated network.
 *
 * Edge: one peer (the gateway); its paths are local sockets with ids 0..n-1,
 * and every datagram goes out on the socket of its path.
 * Gateway: many peers; it learns each peer's paths (the edge's path ids)
 * and their addresses from authenticated frames, so a client may roam or be
 * re-NATed without a new handshake. Addresses are opaque values of type A.
 */
import { SecureEndpoint, type SecureEndpointOptions } from '../session';
import { TRANSPORT_OVERHEAD } from '../wire/envelope';
import type { Frame } from '../wire/frames';
import type { PathConfig } from '../path/path-state';
import { PeerLink, type PeerLinkOptions } from '../link/peer-link';
import type { PathEvent } from '../path/path-set';
import { FlowClassifier, FlowInfo } from '../flow/classify';
import { AllowedIps } from './allowed-ips';
import { TunnelCounters } from './tunnel-counters';

export interface LocalPath {
  id: number;
  name: string;
  config: Omit<PathConfig, 'id'>;
}

export interface TunnelEndpointOptions {
  role: 'edge' | 'gateway';
  secure: SecureEndpointOptions;
  /** Per peer (same order as secure.peers): the inner prefixes it owns. */
  allowedIps: string[][];
  /** Edge: the local paths. */
  paths?: LocalPath[];
  link?: Omit<PeerLinkOptions, 'paths'>;
  /** Path config the gateway uses for a path it learns. */
  learnedPath?: Omit<PathConfig, 'id'>;
  /** Largest datagram (UDP payload) a path carries. */
  maxDatagramBytes: number;
}

export interface Outgoing<A> {
  peer: number;
  pathId: number;
  /** Where to send (gateway); undefined on the edge (the path's socket is connected). */
  addr: A | undefined;
  datagram: Uint8Array;
}

interface PeerState<A> {
  link: PeerLink | undefined;
  established: boolean;
  /** Gateway: address of each of the peer's paths. */
  pathAddr: Map<number, A>;
  /** Gateway: path id by address key. */
  pathByKey: Map<string, number>;
  /** Gateway: the names the peer announced for its paths (PathJoin). */
  pathNames: Map<number, string>;
}

const SLOTS = 256;

export class TunnelEndpoint<A = unknown> {
  readonly secure: SecureEndpoint;
  readonly counters = new TunnelCounters();
  readonly role: 'edge' | 'gateway';
  private readonly peers: PeerState<A>[];
  private readonly allowed = new AllowedIps();
  private readonly classifier = new FlowClassifier();
  private readonly info = new FlowInfo();
  private readonly opts: TunnelEndpointOptions;
  private readonly slab: Uint8Array;
  private readonly slotBytes: number;
  private slot = 0;
  /** Handshake datagrams and other immediate sends, ahead of links' traffic. */
  private readonly urgent: Outgoing<A>[] = [];
  private nextPeer = 0;
  private readonly deliverPeers: number[] = [];
  /** What pollTransmit returns for link traffic, reused (no object per datagram). */
  private readonly outgoing: Outgoing<A> = { peer: 0, pathId: 0, addr: undefined, datagram: new Uint8Array(0) };
  /** Liveness changes of any peer's paths (for logs). */
  onPathEvent: ((peer: number, e: PathEvent) => void) | null = null;

  constructor(opts: TunnelEndpointOptions) {
    this.opts = opts;
    this.role = opts.role;
    this.secure = new SecureEndpoint(opts.secure);
    this.slotBytes = (opts.maxDatagramBytes + 63) & ~63;
    this.slab = new Uint8Array(this.slotBytes * SLOTS);
    this.peers = opts.secure.peers.map(() => ({ link: undefined, established: false, pathAddr: new Map(), pathByKey: new Map(), pathNames: new Map() }));
    opts.allowedIps.forEach((list, peer) => list.forEach((cidr) => this.allowed.add(cidr, peer)));
    if (this.role === 'edge') this.peers.forEach((_, i) => this.ensureLink(i));
  }

  get peerCount(): number {
    return this.peers.length;
  }

  link(peer: number): PeerLink | undefined {
    return this.peers[peer]?.link;
  }

  isEstablished(peer: number): boolean {
    return this.peers[peer]?.established ?? false;
  }

  /** Segment size of the packet pollDeliver() returned last (0: an ordinary packet). */
  deliveredGsoSize = 0;

  /** Edge: start the handshake with the gateway (peer 0), on every path. */
  connect(now: number, peer = 0): void {
    for (const d of this.secure.connect(now, peer)) this.sendEverywhere(peer, d);
  }

  setScheduler(name: string): void {
    for (const p of this.peers) p.link?.setScheduler(name);
    if (this.opts.link) this.opts.link = { ...this.opts.link, scheduler: name };
  }

  /** An inner packet read from the TUN (gsoSize > 0: a TCP super-packet, see PeerLink.sendPacket). */
  sendPacket(now: number, packet: Uint8Array, gsoSize = 0): void {
    let peer = 0;
    if (this.role === 'gateway') {
      const info = this.classifier.classify(packet, this.info);
      if (!info.ok) {
        this.counters.dropMalformedInner++;
        return;
      }
      peer = this.allowed.lookup(packet, info.addrOffset + info.addrLength, info.addrLength);
      if (peer < 0) {
        this.counters.dropNoPeer++;
        return;
      }
    }
    const link = this.peers[peer].link;
    if (!link) {
      this.counters.dropNoSession++;
      return;
    }
    link.sendPacket(now, packet, gsoSize);
  }

  /**
   * A datagram from the network. `localPath` is the edge's path (socket) it
   * arrived on (-1 on the gateway); `from`/`fromKey` its source address.
   */
  handleDatagram(now: number, localPath: number, datagram: Uint8Array, from: A, fromKey: string): void {
    const r = this.secure.handleDatagram(now, datagram, fromKey);
    switch (r.kind) {
      case 'drop':
        return;
      case 'reply':
        // Cookie reply under load: back to the sender, whoever it is (no peer yet).
        for (const d of r.datagrams) this.urgent.push({ peer: -1, pathId: localPath, addr: this.role === 'gateway' ? from : undefined, datagram: new Uint8Array(d) });
        return;
      case 'send':
        // Handshake response: back where the initiation came from.
        for (const d of r.datagrams) this.queueUrgent(r.peer, localPath, from, d);
        return;
      case 'established':
        this.onEstablished(r.peer);
        this.announcePaths(r.peer);
        for (const d of r.datagrams) this.queueUrgent(r.peer, localPath, from, d);
        return;
      case 'frame':
        this.onFrame(now, r.peer, localPath, r.frame, datagram.length, from, fromKey);
        return;
    }
  }

  private onFrame(now: number, peer: number, localPath: number, frame: Frame, size: number, from: A, fromKey: string): void {
    const st = this.peers[peer];
    if (!st.established) this.onEstablished(peer);
    const link = st.link!;
    let pathId = localPath;
    if (this.role === 'gateway') {
      // A frame naming its path proves that path's current address (roaming, NAT rebinding).
      const named = frame.data?.pathId ?? frame.probe?.pathId ?? frame.pathJoin?.pathId;
      if (named !== undefined) {
        pathId = named;
        if (!link.paths.get(named)) {
          link.addPath({ ...this.opts.learnedPath, id: named });
          this.counters.pathsLearned++;
        }
        const old = st.pathAddr.get(named);
        if (old === undefined || st.pathByKey.get(fromKey) !== named) {
          if (old !== undefined) this.counters.pathAddressChanges++;
          for (const [k, v] of st.pathByKey) if (v === named) st.pathByKey.delete(k);
          st.pathByKey.set(fromKey, named);
          st.pathAddr.set(named, from);
        }
      } else pathId = st.pathByKey.get(fromKey) ?? -1;
      if (frame.pathJoin) st.pathNames.set(frame.pathJoin.pathId, cleanPathName(frame.pathJoin.name));
    }
    link.handleFrame(now, pathId, frame, size);
    if (frame.data || frame.re) this.markDeliverable(peer); // a RESEND can release parked packets
  }

  /** Edge: tells the gateway each path's name on that path, so its status and metrics say "laptop/wifi". */
  private announcePaths(peer: number): void {
    const link = this.peers[peer].link;
    if (this.role !== 'edge' || !link) return;
    for (const p of this.opts.paths ?? []) link.sendControl(p.id, { pathJoin: { pathId: p.id, name: p.name } });
  }

  /** Gateway: the name a peer announced for one of its paths. */
  pathName(peer: number, pathId: number): string | undefined {
    return this.peers[peer]?.pathNames.get(pathId);
  }

  private onEstablished(peer: number): void {
    const st = this.peers[peer];
    st.established = true;
    this.ensureLink(peer);
  }

  private ensureLink(peer: number): PeerLink {
    const st = this.peers[peer];
    if (!st.link) {
      const paths = this.role === 'edge' ? (this.opts.paths ?? []).map((p) => ({ ...p.config, id: p.id })) : [];
      st.link = new PeerLink({ ...this.opts.link, paths });
      st.link.maxFrameBytes = this.opts.maxDatagramBytes - TRANSPORT_OVERHEAD;
      st.link.onPathEvent = (e) => this.onPathEvent?.(peer, e);
    }
    return st.link;
  }

  private markDeliverable(peer: number): void {
    if (!this.deliverPeers.includes(peer)) this.deliverPeers.push(peer);
  }

  /**
   * Next inner packet for the TUN (deliveredGsoSize > 0: a TCP super-packet to cut at that size). On the gateway,
   * packets whose source the peer does not own are dropped.
   */
  pollDeliver(): Uint8Array | undefined {
    while (this.deliverPeers.length > 0) {
      const peer = this.deliverPeers[0];
      const link = this.peers[peer].link;
      const pkt = link?.pollDeliver();
      if (!pkt) {
        this.deliverPeers.shift();
        continue;
      }
      if (!this.sourceAllowed(peer, pkt)) {
        this.counters.dropSourceNotAllowed++;
        continue;
      }
      this.deliveredGsoSize = link!.deliveredGsoSize;
      return pkt;
    }
    return undefined;
  }

  private sourceAllowed(peer: number, pkt: Uint8Array): boolean {
    if (this.role === 'edge') return true; // the gateway routes the whole internet/intranet to us: no per-packet parse
    const info = this.classifier.classify(pkt, this.info);
    return info.ok && this.allowed.owns(peer, pkt, info.addrOffset, info.addrLength);
  }

  /**
   * The next datagram to send, or undefined. The returned object may be
   * reused by the next call (read it first); the datagram is a view valid
   * until ~256 more calls.
   */
  pollTransmit(now: number): Outgoing<A> | undefined {
    const u = this.urgent.shift();
    if (u) return u;
    for (let n = 0; n < this.peers.length; n++) {
      const peer = (this.nextPeer + n) % this.peers.length;
      const st = this.peers[peer];
      if (!st.established || !st.link) continue;
      const t = st.link.pollTransmit(now);
      if (!t) continue;
      this.nextPeer = (peer + 1) % this.peers.length; // round-robin among peers
      const addr = this.role === 'gateway' ? st.pathAddr.get(t.pathId) : undefined;
      if (this.role === 'gateway' && addr === undefined) {
        // Dropped; go round the peers again from the next one (a loop, not recursion: a gateway
        // that lost a client's address may have thousands of such frames queued).
        this.counters.dropNoPathAddress++;
        n = -1;
        continue;
      }
      const off = this.nextSlot();
      const len = this.secure.sealFrameInto(now, peer, t.frame, this.slab, off);
      if (len <= 0) {
        if (len === 0) {
          // The session expired under us: reconnect; the frame is lost (data will be reinjected or retransmitted inside).
          st.established = false;
          if (this.role === 'edge') this.connect(now, peer);
        }
        this.counters.dropSealFailed++;
        continue;
      }
      const o = this.outgoing;
      o.peer = peer;
      o.pathId = t.pathId;
      o.addr = addr;
      o.datagram = this.slab.subarray(off, off + len);
      return o;
    }
    return undefined;
  }

  /** Earliest time handleTimeout or pollTransmit has work, ms (Infinity: only on new input). */
  pollTimeout(now: number): number {
    if (this.urgent.length > 0) return now;
    let t = this.secure.pollTimeout() ?? Infinity;
    for (const st of this.peers) if (st.link && st.established) t = Math.min(t, st.link.pollTimeout(now));
    return t;
  }

  handleTimeout(now: number): void {
    for (const o of this.secure.handleTimeout(now)) this.sendEverywhere(o.peer, o.datagram);
    for (let i = 0; i < this.peers.length; i++) {
      const st = this.peers[i];
      if (!st.link) continue;
      st.link.handleTimeout(now);
      this.markDeliverable(i);
    }
  }

  /** Handshake initiations go out on every path we have to the peer. */
  private sendEverywhere(peer: number, datagram: Uint8Array): void {
    const copy = new Uint8Array(datagram);
    if (this.role === 'edge') {
      for (const p of this.opts.paths ?? []) this.queueUrgent(peer, p.id, undefined, copy);
    } else {
      for (const [pathId, addr] of this.peers[peer].pathAddr) this.queueUrgent(peer, pathId, addr, copy);
    }
  }

  private queueUrgent(peer: number, pathId: number, addr: A | undefined, datagram: Uint8Array): void {
    this.urgent.push({ peer, pathId, addr: this.role === 'gateway' ? addr : undefined, datagram: new Uint8Array(datagram) });
  }

  private nextSlot(): number {
    const off = this.slot * this.slotBytes;
    this.slot = (this.slot + 1) % SLOTS;
    return off;
  }

  /** Address of a gateway peer's path (for status). */
  pathAddress(peer: number, pathId: number): A | undefined {
    return this.peers[peer]?.pathAddr.get(pathId);
  }
}

/** A peer-chosen path name, made safe for logs and metric labels. */
function cleanPathName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 32);
}
