/**
 * The data plane's own cost per packet, without the kernel: an edge and a
 * gateway TunnelEndpoint in one process, joined back to back (every datagram
 * one side sends is handed to the other at once, acks included), driven the
 * way the daemon's event loop drives them. Inner TCP-sized packets go one
 * way; the numbers are CPU time (user + system) per delivered packet for
 * both endpoints together (sealing, opening, framing, scheduling, reorder, acks, copies,
 * GC), i.e. the JS share of what `braid up` pays per packet on one core.
 * BRAID_BENCH_PACKETS sets the packets per case (default 200000).
 */
import { performance } from 'perf_hooks';
import { SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import { TunnelEndpoint } from '../../src/core/tunnel/tunnel-endpoint';
import type { Bench, BenchResult } from './harness';
import { ipv4Packet } from '../sim/inner-packets';

const PACKETS = Number(process.env.BRAID_BENCH_PACKETS ?? 200_000);
const MAX_DATAGRAM = 1472;
/** New data the sender keeps queued: like a TCP sender that never runs dry, without queue-full drops. */
const BACKLOG_BYTES = 128 * 1024;
const BATCH = 64;

interface Pair {
  edge: TunnelEndpoint<string>;
  gw: TunnelEndpoint<string>;
}

function makePair(): Pair {
  const rnd = new SeededRandomBytes(7);
  const edgeKey = generatePrivateKey(rnd);
  const gwKey = generatePrivateKey(rnd);
  const edge = new TunnelEndpoint<string>({
    role: 'edge',
    secure: { privateKey: edgeKey, peers: [{ publicKey: publicKeyOf(gwKey), name: 'gw' }], random: rnd },
    allowedIps: [['0.0.0.0/0']],
    paths: [{ id: 0, name: 'wan', config: {} }],
    maxDatagramBytes: MAX_DATAGRAM,
  });
  const gw = new TunnelEndpoint<string>({
    role: 'gateway',
    secure: { privateKey: gwKey, peers: [{ publicKey: publicKeyOf(edgeKey), name: 'edge' }], random: rnd },
    allowedIps: [['10.77.0.2/32']],
    maxDatagramBytes: MAX_DATAGRAM,
  });
  return { edge, gw };
}

/** A receive slab like the socket's: datagrams arrive as views into a reused buffer. */
const rx = new Uint8Array(MAX_DATAGRAM * BATCH);

/** Flushes `from` into `to` (timers, transmits, deliveries); returns inner packets `from` delivered. */
function service(now: number, from: TunnelEndpoint<string>, to: TunnelEndpoint<string>, toPath: number, timerAt: { t: number }): number {
  if (now >= timerAt.t) from.handleTimeout(now);
  let n = 0;
  for (let o = from.pollTransmit(now); o; o = from.pollTransmit(now)) {
    const off = (n++ % BATCH) * MAX_DATAGRAM;
    rx.set(o.datagram, off);
    to.handleDatagram(now, toPath, rx.subarray(off, off + o.datagram.length), 'p0', 'p0');
  }
  let delivered = 0;
  for (let p = from.pollDeliver(); p; p = from.pollDeliver()) delivered++;
  timerAt.t = from.pollTimeout(now);
  return delivered;
}

/** Sends `count` packets of `size` bytes edge -> gateway (or back); CPU ns per delivered packet. */
function runCase(size: number, count: number, reverse: boolean): { nsPerPacket: number; delivered: number; mbps: number } {
  const { edge, gw } = makePair();
  const timers = { edge: { t: 0 }, gw: { t: 0 } };
  let now = performance.now();
  edge.connect(now);
  const step = (): number => {
    now = performance.now();
    const a = service(now, edge, gw, -1, timers.edge);
    const b = service(now, gw, edge, 0, timers.gw);
    return reverse ? a : b;
  };
  for (let i = 0; i < 20 && !gw.isEstablished(0); i++) step();
  step();
  const [src, sender] = reverse ? ['10.254.0.10', gw] : ['10.77.0.2', edge];
  const dst = reverse ? '10.77.0.2' : '10.254.0.10';
  const template = ipv4Packet({ src, dst, sport: reverse ? 80 : 40000, dport: reverse ? 40000 : 80, index: 0, size });
  const tunSlab = new Uint8Array(size * BATCH);
  const link = sender.link(0)!;
  let sent = 0;
  let delivered = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (delivered < count) {
    now = performance.now();
    // a TUN read batch, as views into a reused slab
    for (let k = 0; k < BATCH && sent < count && link.queuedBytes < BACKLOG_BYTES; k++) {
      const off = k * size;
      tunSlab.set(template, off);
      const view = tunSlab.subarray(off, off + size);
      view[40] = sent & 0xff;
      sender.sendPacket(now, view);
      sent++;
    }
    delivered += step();
    if (sent >= count && performance.now() - start > 30_000) break; // lost packets would spin forever
  }
  const used = process.cpuUsage(cpu0);
  const ms = (used.user + used.system) / 1000;
  return { nsPerPacket: (ms * 1e6) / delivered, delivered, mbps: (delivered * size * 8) / (ms * 1000) };
}

export const bench: Bench = {
  group: 'dataplane',
  title: 'data plane cost per packet in process (edge + gateway, no kernel)',
  async run(): Promise<BenchResult[]> {
    const out: BenchResult[] = [];
    runCase(1400, 20_000, false); // warm up the JIT
    for (const reverse of [false, true]) {
      for (const size of [1400, 200]) {
        const r = runCase(size, PACKETS, reverse);
        const params = { size, direction: reverse ? 'gw->edge' : 'edge->gw', packets: r.delivered };
        out.push({ name: 'dataplane_ns_per_packet', value: +r.nsPerPacket.toFixed(0), unit: 'ns', params });
        out.push({ name: 'dataplane_mbps_one_core', value: +r.mbps.toFixed(0), unit: 'Mbit/s', params });
      }
    }
    return out;
  },
};
