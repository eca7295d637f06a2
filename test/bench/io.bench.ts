/**
 * io benchmarks (group "io", `make bench-io`): TUN read/write and UDP
 * send/receive packets per second at 1400 B, the native addon (uv_poll batch
 * reads, recvmmsg/sendmmsg) against node:dgram. Runs in a bt- namespace it
 * creates and removes; each case takes about two seconds.
 */
import { randomBytes } from 'crypto';
import { ip, linkCounter, netnsAdd, netnsDelete } from '../../src/io/ip';
import { SockAddr } from '../../src/io/sock-addr';
import { Tun } from '../../src/io/tun';
import { openPathSocket, PATH_SOCKET_IMPLS, type PathSocketImpl } from '../../src/io/udp-socket';
import { IoChild } from '../integration/io-child';
import type { Bench, BenchResult } from './harness';

const SIZE = 1400; // bytes per packet on the TUN / per UDP payload
const WINDOW_MS = 2000;
const WARMUP_MS = 300;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Calls step() (which returns packets done) for WINDOW_MS, yielding to the event loop between calls. */
async function rate(step: () => number): Promise<number> {
  const start = process.hrtime.bigint();
  const end = start + BigInt(WINDOW_MS) * 1_000_000n;
  let done = 0;
  while (process.hrtime.bigint() < end) {
    done += step();
    await turn();
  }
  return done / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Counts packets that arrive through `counter` during WINDOW_MS. */
async function arrivalRate(counter: () => number): Promise<number> {
  await sleep(WARMUP_MS);
  const c0 = counter();
  const t0 = process.hrtime.bigint();
  await sleep(WINDOW_MS);
  return (counter() - c0) / (Number(process.hrtime.bigint() - t0) / 1e9);
}

function udp4Packet(src: number[], dst: number[], dport: number, size: number): Buffer {
  const p = Buffer.alloc(size, 0x2e);
  p[0] = 0x45;
  p.writeUInt16BE(size, 2);
  p[8] = 64;
  p[9] = 17;
  Buffer.from(src).copy(p, 12);
  Buffer.from(dst).copy(p, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += p.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p.writeUInt16BE(~sum & 0xffff, 10);
  p.writeUInt16BE(40000, 20);
  p.writeUInt16BE(dport, 22);
  p.writeUInt16BE(size - 20, 24);
  p.writeUInt16BE(0, 26);
  return p;
}

async function tunCases(ns: string, suffix: string): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const tun = Tun.open(`btbench${suffix}`);
  let blaster: IoChild | null = null;
  try {
    ip(['link', 'set', 'dev', tun.name, 'netns', ns]);
    ip(['addr', 'add', '10.79.0.1/24', 'dev', tun.name], { netns: ns });
    ip(['link', 'set', tun.name, 'up', 'txqueuelen', '1000'], { netns: ns });

    // Read: a sendmmsg blaster in the namespace sends to an address routed into the TUN.
    tun.startReading(() => {}, 64);
    blaster = new IoChild(ns, { cmd: 'blast', socket: { family: 4 }, to: '10.79.0.2:9', size: SIZE - 28, seconds: (WARMUP_MS + WINDOW_MS) / 1000 + 1 });
    await blaster.line('ready');
    const readPps = await arrivalRate(() => tun.stats.readPackets);
    tun.stopReading();
    const offered = ((await blaster.line('sent')).sent as number) / ((WARMUP_MS + WINDOW_MS) / 1000 + 1);
    await blaster.done();
    results.push({ name: 'tun_read_pps', value: readPps, unit: 'pkt/s', params: { impl: 'native', size: SIZE, batch: 64, offered_pps: Math.round(offered) } });

    // Write: valid IPv4/UDP packets to a local address of the namespace (the kernel delivers or drops them).
    const pkt = udp4Packet([10, 79, 0, 2], [10, 79, 0, 1], 9999, SIZE);
    for (const batch of [64, 1]) {
      const packets = new Array<Buffer>(batch).fill(pkt);
      const rx0 = linkCounter(tun.name, 'rx_packets', { netns: ns });
      const drops0 = tun.stats.writeDrops;
      const pps = await rate(() => {
        const w0 = tun.stats.writePackets;
        for (let k = 0; k < 8; k++) {
          if (batch === 1) tun.write(pkt);
          else tun.writeBatch(packets, batch);
        }
        return tun.stats.writePackets - w0;
      });
      // rx_packets of the TUN counts what the kernel took in; it must match what write() accepted.
      const taken = linkCounter(tun.name, 'rx_packets', { netns: ns }) - rx0;
      results.push({
        name: 'tun_write_pps',
        value: pps,
        unit: 'pkt/s',
        params: { impl: 'native', size: SIZE, batch, drops: tun.stats.writeDrops - drops0, kernel_rx_packets: taken },
      });
    }
  } finally {
    blaster?.kill();
    tun.close();
  }
  return results;
}

async function udpSend(impl: PathSocketImpl): Promise<BenchResult> {
  const sink = openPathSocket({ family: 4, address: '127.0.0.1' }); // never read: the kernel drops at its buffer
  const tx = openPathSocket({ family: 4, address: '127.0.0.1', sndbuf: 4 << 20 }, impl);
  try {
    const to = SockAddr.of('127.0.0.1', sink.localPort());
    const packets = Array.from({ length: 64 }, () => Buffer.alloc(SIZE, 0x2e));
    const pps = await rate(() => {
      let n = 0;
      for (let k = 0; k < 8; k++) n += tx.sendBatch(packets, 64, to);
      return n;
    });
    return { name: 'udp_send_pps', value: pps, unit: 'pkt/s', params: { impl, size: SIZE, batch: 64 } };
  } finally {
    tx.close();
    sink.close();
  }
}

async function udpRecv(impl: PathSocketImpl): Promise<BenchResult> {
  const rx = openPathSocket({ family: 4, address: '127.0.0.1', rcvbuf: 8 << 20 }, impl);
  let blaster: IoChild | null = null;
  try {
    rx.startReceiving(() => {});
    const seconds = (WARMUP_MS + WINDOW_MS) / 1000 + 1;
    blaster = new IoChild(null, { cmd: 'blast', socket: { family: 4, address: '127.0.0.1' }, to: `127.0.0.1:${rx.localPort()}`, size: SIZE, seconds });
    await blaster.line('ready');
    const pps = await arrivalRate(() => rx.stats.rxPackets);
    const offered = ((await blaster.line('sent')).sent as number) / seconds;
    await blaster.done();
    return { name: 'udp_recv_pps', value: pps, unit: 'pkt/s', params: { impl, size: SIZE, offered_pps: Math.round(offered) } };
  } finally {
    blaster?.kill();
    rx.close();
  }
}

export const bench: Bench = {
  group: 'io',
  title: 'TUN and UDP packets/s: native addon vs node:dgram',
  async run(): Promise<BenchResult[]> {
    const suffix = randomBytes(3).toString('hex');
    const ns = `bt-bench-${suffix}`;
    const results: BenchResult[] = [];
    netnsAdd(ns);
    try {
      results.push(...(await tunCases(ns, suffix)));
    } finally {
      netnsDelete(ns);
    }
    for (const impl of PATH_SOCKET_IMPLS) results.push(await udpSend(impl));
    for (const impl of PATH_SOCKET_IMPLS) results.push(await udpRecv(impl));
    return results;
  },
};
