/**
 * TUN round trips through a real kernel: the TUN is opened in the test's own
 * namespace and moved into a bt- namespace (as the daemon does), then
 * packets routed to it must reach startReading and packets written to it must
 * reach a socket inside the namespace.
 */
import { expect } from 'chai';
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as path from 'path';
import { BraidError } from '../../src/errors';
import { ip, linkCounter, netnsAdd, netnsDelete } from '../../src/io/ip';
import { Tun } from '../../src/io/tun';
import { IoChild, runIoChild } from './io-child';

const READ_PORT = 7777;
const WRITE_SRC_PORT = 5555;
const WRITE_DST_PORT = 6666;

/** A minimal IPv4/UDP packet (UDP checksum 0 = none, valid for IPv4). */
function udp4Packet(src: string, dst: string, sport: number, dport: number, payload: Buffer): Buffer {
  const p = Buffer.alloc(28 + payload.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p[8] = 64; // TTL
  p[9] = 17; // UDP
  Buffer.from(src.split('.').map(Number)).copy(p, 12);
  Buffer.from(dst.split('.').map(Number)).copy(p, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += p.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p.writeUInt16BE(~sum & 0xffff, 10);
  p.writeUInt16BE(sport, 20);
  p.writeUInt16BE(dport, 22);
  p.writeUInt16BE(8 + payload.length, 24);
  payload.copy(p, 28);
  return p;
}

/** UDP payload of an IPv4 packet to `dport`, or null for anything else (IPv6 noise, ...). */
function udpPayloadTo(pkt: Buffer, dport: number): string | null {
  if (pkt.length < 28 || pkt[0] >> 4 !== 4 || pkt[9] !== 17) return null;
  const ihl = (pkt[0] & 0x0f) * 4;
  if (pkt.readUInt16BE(ihl + 2) !== dport) return null;
  return pkt.subarray(ihl + 8).toString('latin1').replace(/\.+$/, '');
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Gives the TUN 10.78.<net>.1/24 in `ns`, then checks both directions. */
async function roundTrip(tun: Tun, ns: string, net: number): Promise<void> {
  ip(['addr', 'add', `10.78.${net}.1/24`, 'dev', tun.name], { netns: ns });
  ip(['link', 'set', tun.name, 'up'], { netns: ns });

  // Routed to the TUN -> startReading.
  const seen: string[] = [];
  tun.startReading((packets, count) => {
    for (let i = 0; i < count; i++) {
      const data = udpPayloadTo(packets[i], READ_PORT);
      if (data !== null) seen.push(data);
    }
  });
  const sent = await runIoChild(ns, { cmd: 'send', socket: { family: 4 }, to: `10.78.${net}.2:${READ_PORT}`, count: 20, size: 100, prefix: 'to-tun-' });
  expect(sent.sent).to.equal(20);
  await until(() => seen.length >= 20, 5000, 'packets routed to the TUN');
  expect(new Set(seen)).to.deep.equal(new Set(Array.from({ length: 20 }, (_, i) => `to-tun-${i}`)));
  tun.stopReading();

  // Written to the TUN -> a socket in the namespace.
  const rxBefore = linkCounter(tun.name, 'rx_packets', { netns: ns });
  const writesBefore = tun.stats.writePackets;
  const child = new IoChild(ns, { cmd: 'recv', socket: { family: 4, address: `10.78.${net}.1`, port: WRITE_DST_PORT }, count: 20, timeoutMs: 5000 });
  try {
    await child.line('ready');
    const pkts = Array.from({ length: 20 }, (_, i) =>
      udp4Packet(`10.78.${net}.2`, `10.78.${net}.1`, WRITE_SRC_PORT, WRITE_DST_PORT, Buffer.from(`from-tun-${i}`)),
    );
    tun.writeBatch(pkts, 10);
    for (let i = 10; i < 20; i++) tun.write(pkts[i]);
    const report = await child.line('got');
    const got = report.got as Array<{ src: string; data: string }>;
    expect(got.map((g) => g.data).sort()).to.deep.equal(pkts.map((_, i) => `from-tun-${i}`).sort());
    expect(new Set(got.map((g) => g.src))).to.deep.equal(new Set([`10.78.${net}.2:${WRITE_SRC_PORT}`]));
    expect(tun.stats.writePackets - writesBefore).to.equal(20);
    expect(linkCounter(tun.name, 'rx_packets', { netns: ns }) - rxBefore).to.be.at.least(20);
  } finally {
    child.kill();
  }
}

describe('Tun (integration: needs root)', function () {
  this.timeout(30000);
  const suffix = randomBytes(3).toString('hex');
  const nsA = `bt-tuna-${suffix}`;
  const nsB = `bt-tunb-${suffix}`;
  let tuns: Tun[] = [];
  const open = (name: string, opts?: { multiQueue?: boolean }): Tun => {
    const t = Tun.open(`${name}${suffix}`, opts);
    tuns.push(t);
    return t;
  };

  before(() => {
    netnsAdd(nsA);
    netnsAdd(nsB);
  });
  afterEach(() => {
    for (const t of tuns) t.close();
    tuns = [];
  });
  after(() => {
    netnsDelete(nsA);
    netnsDelete(nsB);
  });

  it('reads packets routed to it and writes packets a socket receives, after moving into a namespace', async () => {
    const tun = open('btt1');
    ip(['link', 'set', 'dev', tun.name, 'netns', nsA]);
    await roundTrip(tun, nsA, 1);
    expect(tun.stats.readPackets).to.be.at.least(20);
  });

  it('keeps working when the link moves on to another namespace', async () => {
    const tun = open('btt2');
    ip(['link', 'set', 'dev', tun.name, 'netns', nsA]);
    await roundTrip(tun, nsA, 2);
    ip(['link', 'set', 'dev', tun.name, 'netns', nsB], { netns: nsA });
    await roundTrip(tun, nsB, 3);
  });

  it('drops and counts writes it cannot deliver instead of throwing', () => {
    const tun = open('btt3'); // still down: the kernel refuses writes with EIO
    const pkt = udp4Packet('10.78.9.2', '10.78.9.1', 1, 2, Buffer.from('x'));
    tun.write(pkt);
    tun.writeBatch([pkt, pkt], 2);
    expect(tun.stats).to.include({ writePackets: 0, writeDrops: 3 });
    expect(tun.lastWriteError).to.equal('EIO');
  });

  it('refuses bad names and a second single-queue open with one-line errors', () => {
    expect(() => Tun.open('no spaces')).to.throw(BraidError, /invalid/);
    const tun = open('btt4');
    expect(() => Tun.open(tun.name)).to.throw(BraidError, /already attached/);
    expect(() => Tun.open('lo')).to.throw(BraidError, /not a single-queue TUN/);
  });

  it('attaches several queues to one device with multiQueue', () => {
    const a = open('btt5', { multiQueue: true });
    const b = Tun.open(a.name, { multiQueue: true });
    tuns.push(b);
    expect(b.name).to.equal(a.name);
    expect(b.fd).to.not.equal(a.fd);
  });

  it('reports a deleted device through onError and stops reading', async () => {
    const nsC = `bt-tunc-${suffix}`;
    netnsAdd(nsC);
    try {
      const tun = open('btt7');
      ip(['link', 'set', 'dev', tun.name, 'netns', nsC]);
      const errors: BraidError[] = [];
      tun.onError = (err) => errors.push(err);
      tun.startReading(() => {});
      netnsDelete(nsC); // destroys the TUN device; our fd stays open
      await until(() => errors.length > 0, 5000, 'onError');
      expect(errors[0].message).to.match(/TUN '.*' read failed/);
    } finally {
      netnsDelete(nsC);
    }
  });

  it('survives a worker thread that ends while reading (TUN and path socket)', async () => {
    const io = path.join(__dirname, '..', '..', 'src', 'io');
    const script = `const { Worker } = require('worker_threads');
      const w = new Worker(\`
        const t = require(${JSON.stringify(path.join(io, 'tun.js'))}).Tun.open('btt8${suffix}');
        t.startReading(() => {});
        const s = require(${JSON.stringify(path.join(io, 'udp-socket.js'))}).openPathSocket({ family: 4, address: '127.0.0.1' });
        s.startReceiving(() => {});
        require('worker_threads').parentPort.postMessage('reading');\`, { eval: true });
      w.on('message', () => w.terminate().then(() => console.log('terminated')));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    expect(signal, 'the process crashed or hung').to.equal(null);
    expect(code).to.equal(0);
    expect(out.trim()).to.equal('terminated');
  });

  it('lets the process exit after close() while reading', async () => {
    const tunJs = path.join(__dirname, '..', '..', 'src', 'io', 'tun.js');
    const script = `const { Tun } = require(${JSON.stringify(tunJs)});
      const t = Tun.open('btt6${suffix}'); t.startReading(() => {});
      setTimeout(() => t.close(), 50);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    expect(signal, 'the process hung after close() and had to be killed').to.equal(null);
    expect(code).to.equal(0);
  });
});
