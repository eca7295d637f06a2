/**
 * TUN offload against the real kernel: a TUN opened with `offload: true`
 * joins 20 in-order TCP segments into one GSO super-packet, and a TCP server
 * in the namespace receives exactly those bytes and acknowledges all of
 * them. The test plays the TCP client on the TUN's far side with hand-made
 * packets (SYN, ACK, then the data in one writeBatch).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import { ip, netnsAdd, netnsDelete } from '../../src/io/ip';
import { native } from '../../src/io/native';
import { Tun } from '../../src/io/tun';

const SERVER = [10, 79, 0, 1];
const CLIENT = [10, 79, 0, 2];
const SERVER_PORT = 5001;
const CLIENT_PORT = 40000;
const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function sum16(b: Buffer, from: number, to: number): number {
  let s = 0;
  for (let k = from; k < to; k += 2) s += (b[k] << 8) | (k + 1 < to ? b[k + 1] : 0);
  return s;
}

/** An IPv4 TCP packet from the client to the server with valid checksums. */
function tcpPacket(seq: number, ack: number, flags: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const p = Buffer.alloc(40 + payload.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p[6] = 0x40; // DF
  p[8] = 64;
  p[9] = 6;
  p.set(CLIENT, 12);
  p.set(SERVER, 16);
  p.writeUInt16BE(~fold(sum16(p, 0, 20)) & 0xffff, 10);
  p.writeUInt16BE(CLIENT_PORT, 20);
  p.writeUInt16BE(SERVER_PORT, 22);
  p.writeUInt32BE(seq >>> 0, 24);
  p.writeUInt32BE(ack >>> 0, 28);
  p[32] = 5 << 4;
  p[33] = flags;
  p.writeUInt16BE(65535, 34);
  payload.copy(p, 40);
  const pseudo = sum16(p, 12, 20) + 6 + (p.length - 20);
  p.writeUInt16BE(~fold(pseudo + sum16(p, 20, p.length)) & 0xffff, 36);
  return p;
}

interface Seen {
  flags: number;
  seq: number;
  ack: number;
}

/** TCP segments the server sends to the client, as they leave through the TUN. */
function serverSegment(p: Buffer): Seen | null {
  if (p.length < 40 || p[0] !== 0x45 || p[9] !== 6 || p.readUInt16BE(22) !== CLIENT_PORT) return null;
  return { flags: p[33], seq: p.readUInt32BE(24), ack: p.readUInt32BE(28) };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('TUN offload: TCP super-packets (integration: needs root)', function () {
  this.timeout(30000);
  const suffix = randomBytes(3).toString('hex');
  const ns = `bt-to-${suffix}`;
  let tun: Tun | null = null;
  let server: ChildProcess | null = null;

  before(() => netnsAdd(ns));
  after(() => {
    server?.kill();
    tun?.close();
    netnsDelete(ns);
  });

  it('delivers one super-packet of 20 segments to a TCP socket, which acknowledges all of it', async () => {
    tun = Tun.open(`bto${suffix}`, { offload: true });
    expect(tun.offload).to.equal(true);
    ip(['link', 'set', tun.name, 'netns', ns]);
    ip(['addr', 'add', `${SERVER.join('.')}/24`, 'dev', tun.name], { netns: ns });
    ip(['link', 'set', tun.name, 'up'], { netns: ns });

    const script = `const h = require('crypto').createHash('sha256'); let n = 0;
      require('net').createServer((c) => c.on('data', (d) => { h.update(d); n += d.length;
        if (n >= 20000) console.log(JSON.stringify({ bytes: n, sha: h.digest('hex') })); }))
      .listen(${SERVER_PORT}, '${SERVER.join('.')}', () => console.log('ready'));`;
    server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('ready'), 10000, 'the TCP server');

    const seen: Seen[] = [];
    tun.startReading((packets, count) => {
      for (let i = 0; i < count; i++) {
        const s = serverSegment(packets[i]);
        if (s) seen.push(s);
      }
    });
    const isn = 1000;
    tun.write(tcpPacket(isn, 0, SYN));
    await until(() => seen.some((s) => s.flags === (SYN | ACK)), 5000, 'the SYN-ACK');
    const peerSeq = (seen.find((s) => s.flags === (SYN | ACK)) as Seen).seq + 1;
    tun.write(tcpPacket(isn + 1, peerSeq, ACK));

    const data = randomBytes(20000);
    const segments = Array.from({ length: 20 }, (_, i) =>
      tcpPacket(isn + 1 + i * 1000, peerSeq, i === 19 ? ACK | PSH : ACK, data.subarray(i * 1000, (i + 1) * 1000)),
    );
    tun.writeBatch(segments, segments.length);
    expect(tun.stats).to.include({ superWrites: 1, superSegments: 20, writeDrops: 0 });

    await until(() => out.includes('sha'), 5000, 'the server to receive 20000 bytes');
    const got = JSON.parse(out.split('\n').find((l) => l.includes('sha')) as string) as { bytes: number; sha: string };
    expect(got).to.deep.equal({ bytes: 20000, sha: createHash('sha256').update(data).digest('hex') });
    await until(() => seen.some((s) => s.ack === isn + 1 + 20000), 5000, 'the ack of all 20000 bytes');
  });

  it('with an addon that predates offload, the TUN opens without it and writes packets as they are', () => {
    const addon = native();
    const real = addon.tunOpen;
    addon.tunOpen = (name, multiQueue) => {
      const [fd, actual] = real(name, multiQueue, false);
      return [fd, actual]; // what an old addon returns
    };
    let old: Tun;
    try {
      old = Tun.open(`btp${suffix}`, { offload: true });
    } finally {
      addon.tunOpen = real;
    }
    try {
      expect(old.offload).to.equal(false);
      ip(['link', 'set', old.name, 'netns', ns]);
      ip(['link', 'set', old.name, 'up'], { netns: ns });
      old.writeBatch([tcpPacket(1, 1, ACK, Buffer.alloc(100)), tcpPacket(101, 1, ACK, Buffer.alloc(100))], 2);
      expect(old.stats).to.include({ superWrites: 0, writePackets: 2 });
    } finally {
      old.close();
    }
  });
});
