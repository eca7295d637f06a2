/**
 * Path sockets against the real kernel: batched receive with the right
 * source addresses, batched sends, UDP GSO/GRO (same datagrams out as in, and
 * the fallbacks), interface binding and marks that beat the routing table, DF
 * for path MTU probing, and the one-line errors.
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { constants as osConstants } from 'os';
import * as path from 'path';
import { BraidError } from '../../src/errors';
import { ipBatch, linkCounter, netnsAdd, netnsDelete, sysctl } from '../../src/io/ip';
import { SockAddr } from '../../src/io/sock-addr';
import { native } from '../../src/io/native';
import {
  openPathSocket, PATH_SOCKET_IMPLS, type PathSocket, type PathSocketImpl, type PathSocketStats, type RecvBatch,
} from '../../src/io/udp-socket';
import { runIoChild } from './io-child';

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function payloads(prefix: string, n: number, size = 200): Buffer[] {
  return Array.from({ length: n }, (_, i) => {
    const b = Buffer.alloc(size, 0x2e);
    b.write(`${prefix}${i}`);
    return b;
  });
}

interface Received {
  src: string;
  data: string;
  fromA: boolean;
}

for (const impl of PATH_SOCKET_IMPLS) {
  describe(`PathSocket '${impl}' on loopback`, () => {
    let sockets: PathSocket[] = [];
    const open = (...args: Parameters<typeof openPathSocket>): PathSocket => {
      const s = openPathSocket(args[0], args[1] ?? impl);
      sockets.push(s);
      return s;
    };
    afterEach(() => {
      for (const s of sockets) s.close();
      sockets = [];
    });

    for (const family of [4, 6] as const) {
      const lo = family === 4 ? '127.0.0.1' : '::1';

      it(`IPv${family}: receives batches with each datagram's payload and source`, async () => {
        const rx = open({ family, address: lo, rcvbuf: 1 << 20 });
        const a = open({ family, address: lo });
        const b = open({ family, address: lo });
        const rxAddr = SockAddr.of(lo, rx.localPort());
        const aAddr = SockAddr.of(lo, a.localPort());
        const got: Received[] = [];
        let batches = 0;
        rx.startReceiving((batch: RecvBatch) => {
          batches++;
          for (let i = 0; i < batch.count; i++) {
            const data = batch.payloads[i].toString('latin1').replace(/\.+$/, '');
            got.push({ src: batch.source(i).key, data, fromA: batch.sourceIs(i, aAddr) });
          }
        });
        expect(a.sendBatch(payloads('a', 50), 50, rxAddr)).to.equal(50);
        b.connect(rxAddr);
        expect(b.sendBatch(payloads('b', 50), 50)).to.equal(50);
        expect(b.send(Buffer.from('b-single'))).to.equal(true);
        await until(() => got.length >= 101, 5000, '101 datagrams');

        const want = [...payloads('a', 50), ...payloads('b', 50)].map((p) => p.toString('latin1').replace(/\.+$/, ''));
        expect(got.map((g) => g.data).sort()).to.deep.equal([...want, 'b-single'].sort());
        for (const g of got) {
          const fromA = g.data.startsWith('a');
          expect(g.src).to.equal((fromA ? aAddr : SockAddr.of(lo, b.localPort())).key);
          expect(g.fromA).to.equal(fromA);
        }
        expect(rx.stats.rxPackets).to.equal(101);
        if (impl === 'native') expect(batches).to.be.below(101); // really batched
      });

      it(`IPv${family}: sendBatchTo delivers each datagram to its own destination`, async () => {
        const rx1 = open({ family, address: lo });
        const rx2 = open({ family, address: lo });
        const tx = open({ family, address: lo });
        const counts = [0, 0];
        const wrong: string[] = [];
        rx1.startReceiving((batch) => {
          for (let i = 0; i < batch.count; i++) (batch.payloads[i][0] === 0x31 ? counts[0]++ : wrong.push('rx1'));
        });
        rx2.startReceiving((batch) => {
          for (let i = 0; i < batch.count; i++) (batch.payloads[i][0] === 0x32 ? counts[1]++ : wrong.push('rx2'));
        });
        const d1 = SockAddr.of(lo, rx1.localPort());
        const d2 = SockAddr.of(lo, rx2.localPort());
        const pkts = Array.from({ length: 40 }, (_, i) => Buffer.from(i % 2 ? '2' : '1'));
        const dests = pkts.map((_, i) => (i % 2 ? d2 : d1));
        expect(tx.sendBatchTo(pkts, dests, 40)).to.equal(40);
        await until(() => counts[0] + counts[1] >= 40, 5000, '40 datagrams');
        expect(counts).to.deep.equal([20, 20]);
        expect(wrong).to.deep.equal([]);
        expect(tx.stats.txPackets).to.equal(40);
      });
    }

    it('keeps receiving on a connected socket after an ICMP port unreachable', async () => {
      const probe = open({ family: 4, address: '127.0.0.1' });
      const port = probe.localPort();
      probe.close(); // nothing listens on `port` now
      const s = open({ family: 4, address: '127.0.0.1' });
      const got: string[] = [];
      s.startReceiving((batch) => {
        for (let i = 0; i < batch.count; i++) got.push(batch.payloads[i].toString());
      });
      s.connect(SockAddr.of('127.0.0.1', port));
      s.send(Buffer.from('into the void'));
      await until(() => s.stats.rxErrors >= 1, 5000, 'the ICMP error to be noticed');
      const peer = open({ family: 4, address: '127.0.0.1', port });
      peer.send(Buffer.from('hello again'), SockAddr.of('127.0.0.1', s.localPort()));
      await until(() => got.length >= 1, 5000, 'a datagram after the error');
      expect(got).to.deep.equal(['hello again']);
    });

    it('names an unknown interface in a one-line error', () => {
      let err: unknown;
      try {
        open({ family: 4, device: 'wlan9' });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(BraidError);
      expect((err as BraidError).code).to.equal('BRAID_ERR_NO_INTERFACE');
      expect((err as BraidError).message).to.match(/no such interface 'wlan9'/);
      expect((err as BraidError).message).to.not.include('\n');
    });

    it('reports a port already in use', () => {
      const a = open({ family: 4, address: '127.0.0.1' });
      expect(() => open({ family: 4, address: '127.0.0.1', port: a.localPort() })).to.throw(BraidError, /address already in use/);
    });
  });
}

describe('PathSocket native UDP offloads (GSO send, GRO receive) on loopback', () => {
  let sockets: PathSocket[] = [];
  const open = (opts: Parameters<typeof openPathSocket>[0], impl: PathSocketImpl = 'native'): PathSocket => {
    const s = openPathSocket(opts, impl);
    sockets.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of sockets) s.close();
    sockets = [];
  });

  /** Receives on `rx` until `n` datagrams arrived; returns them (copied) in arrival order. */
  async function collect(rx: PathSocket, n: number): Promise<Buffer[]> {
    const got: Buffer[] = [];
    rx.startReceiving((batch) => {
      for (let i = 0; i < batch.count; i++) got.push(Buffer.from(batch.payloads[i]));
    });
    await until(() => got.length >= n, 5000, `${n} datagrams`);
    await new Promise((r) => setTimeout(r, 50)); // and nothing more
    return got;
  }

  const datagrams = (sizes: number[]): Buffer[] => sizes.map((n) => randomBytes(n));
  const repeat = (size: number, n: number): number[] => new Array<number>(n).fill(size);
  /** Runs: [1400 x3, 1000 (shorter: ends it)] [1400 x2, 300] [50 x4] [60: larger, alone] [1000 x64] [1000 x36]. */
  const MIXED = [...repeat(1400, 3), 1000, 1400, 1400, 300, ...repeat(50, 4), 60, ...repeat(1000, 100)];

  for (const family of [4, 6] as const) {
    const lo = family === 4 ? '127.0.0.1' : '::1';

    it(`IPv${family}: runs of same-size datagrams go as GSO sends and arrive as the same separate datagrams`, async () => {
      const rx = open({ family, address: lo, rcvbuf: 4 << 20 });
      const tx = open({ family, address: lo });
      expect(tx.offload.gso).to.equal(true);
      expect(rx.offload.gro).to.equal(true);
      const sent = datagrams(MIXED);
      expect(tx.sendBatch(sent, sent.length, SockAddr.of(lo, rx.localPort()))).to.equal(sent.length);
      const got = await collect(rx, sent.length);
      expect(got.map((b) => b.length)).to.deep.equal(MIXED);
      expect(got.every((b, i) => b.equals(sent[i]))).to.equal(true);
      expect(tx.stats).to.include({ txPackets: 112, txGsoSends: 5, txGsoPackets: 111, txGsoRefused: 0 });
      // Loopback hands a GSO send to a GRO socket whole: the receiver split the buffers.
      expect(rx.stats.rxGroBuffers).to.be.at.least(1);
      expect(rx.stats.rxPackets).to.equal(112);
    });
  }

  it('a GRO buffer is split with the right source for each datagram', async () => {
    const rx = open({ family: 4, address: '127.0.0.1', rcvbuf: 4 << 20 });
    const a = open({ family: 4, address: '127.0.0.1' });
    const b = open({ family: 4, address: '127.0.0.1' });
    const to = SockAddr.of('127.0.0.1', rx.localPort());
    const aAddr = SockAddr.of('127.0.0.1', a.localPort());
    const got: Array<[number, boolean, string]> = [];
    rx.startReceiving((batch) => {
      for (let i = 0; i < batch.count; i++) got.push([batch.payloads[i][0], batch.sourceIs(i, aAddr), batch.source(i).key]);
    });
    a.sendBatch(repeat(500, 10).map(() => Buffer.alloc(500, 0xaa)), 10, to);
    b.sendBatch(repeat(700, 10).map(() => Buffer.alloc(700, 0xbb)), 10, to);
    a.sendBatch(repeat(500, 10).map(() => Buffer.alloc(500, 0xaa)), 10, to);
    await until(() => got.length >= 30, 5000, '30 datagrams');
    expect(rx.stats.rxGroBuffers).to.equal(3);
    for (const [byte, fromA, key] of got) {
      expect(fromA).to.equal(byte === 0xaa);
      expect(key).to.equal(byte === 0xaa ? aAddr.key : SockAddr.of('127.0.0.1', b.localPort()).key);
    }
  });

  it('sendBatchTo breaks runs where the destination changes', async () => {
    const rx1 = open({ family: 4, address: '127.0.0.1' });
    const rx2 = open({ family: 4, address: '127.0.0.1' });
    const tx = open({ family: 4, address: '127.0.0.1' });
    const d1 = SockAddr.of('127.0.0.1', rx1.localPort());
    const d2 = SockAddr.of('127.0.0.1', rx2.localPort());
    const sent = datagrams(repeat(900, 16));
    const dests = [d1, d1, d1, d1, d1, d2, d2, d2, d2, d2, d1, d2, d1, d2, SockAddr.of('127.0.0.1', rx2.localPort()), d2];
    expect(tx.sendBatchTo(sent, dests, sent.length)).to.equal(16);
    const [got1, got2] = await Promise.all([collect(rx1, 7), collect(rx2, 9)]);
    expect(got1).to.deep.equal(sent.filter((_, i) => dests[i] === d1));
    expect(got2).to.deep.equal(sent.filter((_, i) => dests[i] !== d1));
    // [d1 x5] [d2 x5], three singles, then [d2 x3] although one of them is an equal address in another object.
    expect(tx.stats).to.include({ txGsoSends: 3, txGsoPackets: 13 });
  });

  it('with offloads off, and towards a dgram receiver, the same datagrams arrive', async () => {
    const plainRx = open({ family: 4, address: '127.0.0.1', rcvbuf: 4 << 20, gro: false });
    const plainTx = open({ family: 4, address: '127.0.0.1', gso: false });
    const dgramRx = open({ family: 4, address: '127.0.0.1', rcvbuf: 4 << 20 }, 'dgram');
    const gsoTx = open({ family: 4, address: '127.0.0.1' });
    const sent = datagrams(MIXED);
    plainTx.sendBatch(sent, sent.length, SockAddr.of('127.0.0.1', plainRx.localPort()));
    gsoTx.sendBatch(sent, sent.length, SockAddr.of('127.0.0.1', dgramRx.localPort()));
    const [viaPlain, viaDgram] = await Promise.all([collect(plainRx, sent.length), collect(dgramRx, sent.length)]);
    expect(viaPlain).to.deep.equal(sent);
    expect(viaDgram).to.deep.equal(sent);
    expect(plainTx.stats.txGsoSends).to.equal(0);
    expect(plainRx.stats.rxGroBuffers).to.equal(0);
    expect(gsoTx.stats.txGsoSends).to.equal(5);
  });

  it('turns GSO off after EIO at once, after 8 EINVAL refusals in a row, and never for EMSGSIZE', () => {
    const addon = native();
    const real = addon.udpSendBatch;
    const { EIO, EINVAL, EMSGSIZE } = osConstants.errno;
    const refusing = (errno: number) => (_fd: number, _p: Uint8Array[], count: number, _d: unknown, _ds: unknown, out: Int32Array): void => {
      out.set([count, 0, 0, 0, 0, 0, 1, errno]); // all sent, after one refused run went out datagram by datagram
    };
    const to = SockAddr.of('127.0.0.1', 9);
    const sent = datagrams([500, 500]);
    try {
      const survivors: Array<[number, number, boolean]> = [];
      for (const [errno, batches] of [[EMSGSIZE, 20], [EINVAL, 7], [EINVAL, 8], [EIO, 1]] as const) {
        const s = open({ family: 4, address: '127.0.0.1' });
        addon.udpSendBatch = refusing(errno);
        for (let i = 0; i < batches; i++) expect(s.sendBatch(sent, 2, to)).to.equal(2);
        addon.udpSendBatch = real;
        survivors.push([errno, batches, s.offload.gso]);
        expect(s.stats.txGsoRefused).to.equal(batches);
      }
      expect(survivors).to.deep.equal([[EMSGSIZE, 20, true], [EINVAL, 7, true], [EINVAL, 8, false], [EIO, 1, false]]);
    } finally {
      addon.udpSendBatch = real;
    }
  });

  it('with an addon built before GSO/GRO, sockets fall back to one datagram per message', async () => {
    const addon = native() as { udpSetGro?: unknown };
    const saved = addon.udpSetGro;
    delete addon.udpSetGro;
    let rx: PathSocket, tx: PathSocket;
    try {
      rx = open({ family: 4, address: '127.0.0.1', rcvbuf: 4 << 20 });
      tx = open({ family: 4, address: '127.0.0.1' });
    } finally {
      addon.udpSetGro = saved;
    }
    expect(tx.offload).to.deep.equal({ gso: false, gro: false });
    const sent = datagrams(MIXED);
    expect(tx.sendBatch(sent, sent.length, SockAddr.of('127.0.0.1', rx.localPort()))).to.equal(sent.length);
    expect(await collect(rx, sent.length)).to.deep.equal(sent);
    expect(tx.stats.txGsoSends).to.equal(0);
  });
});

describe('PathSocket without privilege', () => {
  it('says it needs root or CAP_NET_ADMIN when setting a mark', () => {
    // Root with an empty capability bounding set cannot set SO_MARK.
    const mod = path.join(__dirname, '..', '..', 'src', 'io', 'udp-socket.js');
    const script = `try { require(${JSON.stringify(mod)}).openPathSocket({ family: 4, mark: 0x42 }); console.log('opened'); }
      catch (e) { console.log(e.code + ' ' + e.message); }`;
    const r = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', process.execPath, '-e', script], { encoding: 'utf8' });
    expect(r.stdout.trim()).to.match(/^BRAID_ERR_PERMISSION .*needs root or CAP_NET_ADMIN$/);
  });
});

/**
 * ns "main" reaches 10.61.9.9 (on lo of ns "peer") over veth A (main table,
 * preferred) or veth B (higher metric; also table 100 for fwmark 0x42).
 */
describe('PathSocket interface binding and marks (integration: needs root)', function () {
  this.timeout(30000);
  const suffix = randomBytes(3).toString('hex');
  const main = `bt-iom-${suffix}`;
  const peer = `bt-iop-${suffix}`;
  const [a0, a1, b0, b1] = ['a0', 'a1', 'b0', 'b1'].map((n) => `bt${n}${suffix}`);
  const target = '10.61.9.9:9';

  before(() => {
    netnsAdd(main);
    netnsAdd(peer);
    for (const ns of [main, peer]) sysctl('net.ipv6.conf.default.disable_ipv6', 1, { netns: ns }); // no IPv6 chatter in the tx counters
    ipBatch([
      `link add ${a0} netns ${main} type veth peer name ${a1} netns ${peer}`,
      `link add ${b0} netns ${main} type veth peer name ${b1} netns ${peer}`,
    ]);
    ipBatch(
      [
        `addr add 10.61.1.1/24 dev ${a0}`, `link set ${a0} up`,
        `addr add 10.61.2.1/24 dev ${b0}`, `link set ${b0} up`,
        `route add 10.61.9.9/32 via 10.61.1.2 dev ${a0} metric 100`,
        `route add 10.61.9.9/32 via 10.61.2.2 dev ${b0} metric 200`,
        `route add 10.61.9.9/32 via 10.61.2.2 dev ${b0} table 100`,
        'rule add fwmark 0x42 lookup 100',
      ],
      { netns: main },
    );
    ipBatch(
      [
        `addr add 10.61.1.2/24 dev ${a1}`, `link set ${a1} up`,
        `addr add 10.61.2.2/24 dev ${b1}`, `link set ${b1} up`,
        'addr add 10.61.9.9/32 dev lo',
      ],
      { netns: peer },
    );
  });
  after(() => {
    netnsDelete(main);
    netnsDelete(peer);
  });

  /**
   * Sends 50 datagrams of 300 bytes from ns main; returns how many more bytes
   * left via a0 and b0 (bytes, not packets: a veth counts a GSO run as one).
   */
  async function sendVia(socket: object, impl: string): Promise<{ a: number; b: number; report: Record<string, unknown> }> {
    const before = [linkCounter(a0, 'tx_bytes', { netns: main }), linkCounter(b0, 'tx_bytes', { netns: main })];
    const report = await runIoChild(main, { cmd: 'send', impl: impl as 'native', socket: { family: 4, ...socket }, to: target, count: 50, size: 300 });
    expect(report.sent, JSON.stringify(report)).to.equal(50);
    return {
      a: linkCounter(a0, 'tx_bytes', { netns: main }) - before[0],
      b: linkCounter(b0, 'tx_bytes', { netns: main }) - before[1],
      report,
    };
  }
  const ALL = 50 * 300;

  for (const impl of PATH_SOCKET_IMPLS) {
    it(`${impl}: the routing table prefers veth A when nothing is set`, async () => {
      const { a, b } = await sendVia({}, impl);
      expect(a).to.be.at.least(ALL);
      expect(b).to.be.below(1000);
    });

    it(`${impl}: a socket bound to veth B sends through B`, async () => {
      const { a, b } = await sendVia({ device: b0 }, impl);
      expect(b).to.be.at.least(ALL);
      expect(a).to.be.below(1000);
    });

    it(`${impl}: a socket with mark 0x42 follows the fwmark rule through B`, async () => {
      const { a, b } = await sendVia({ mark: 0x42 }, impl);
      expect(b).to.be.at.least(ALL);
      expect(a).to.be.below(1000);
    });
  }

  it('with dontFragment, a datagram over the path MTU is refused with EMSGSIZE instead of fragmented', async () => {
    const probe = await runIoChild(main, { cmd: 'send', socket: { family: 4, device: a0, dontFragment: 'probe' }, to: target, count: 1, size: 1600 });
    expect(probe.sent).to.equal(0);
    expect(probe.lastSendError).to.equal('EMSGSIZE');
    const plain = await runIoChild(main, { cmd: 'send', socket: { family: 4, device: a0 }, to: target, count: 1, size: 1600 });
    expect(plain.sent).to.equal(1); // fragmented by the kernel
  });

  it('a GSO run the kernel refuses (datagrams over the MTU) goes out datagram by datagram', async () => {
    // Fragmentation is allowed: each 1600-byte datagram alone is fine, as one GSO send it is not.
    const r = await runIoChild(main, { cmd: 'send', socket: { family: 4, device: a0 }, to: target, count: 3, size: 1600 });
    const stats = r.stats as PathSocketStats;
    expect(r.sent, JSON.stringify(r)).to.equal(3);
    expect(stats.txGsoRefused).to.equal(1);
    expect(stats.txGsoSends).to.equal(0);
    // With DF the same run fails per datagram with the error a probe expects.
    const df = await runIoChild(main, { cmd: 'send', socket: { family: 4, device: a0, dontFragment: 'probe' }, to: target, count: 3, size: 1600 });
    expect(df.sent).to.equal(0);
    expect((df.stats as PathSocketStats).txErrors).to.equal(3);
    expect(df.lastSendError).to.equal('EMSGSIZE');
  });
});

describe('SockAddr', () => {
  it('parses, keys and round-trips IPv4 and IPv6 addresses through raw sockaddr bytes', () => {
    for (const [text, family] of [['192.0.2.7:51820', 4], ['[2001:db8::1]:443', 6]] as const) {
      const a = SockAddr.parse(text);
      expect(a.family).to.equal(family);
      expect(a.key).to.equal(text);
      expect(a.raw.length).to.equal(family === 4 ? 16 : 28);
      const back = SockAddr.fromRaw(a.raw);
      expect(back.key).to.equal(text);
      const slab = Buffer.alloc(64);
      a.raw.copy(slab, 32);
      expect(a.matchesRaw(slab, 32)).to.equal(true);
      expect(SockAddr.of(a.address, a.port + 1).matchesRaw(slab, 32)).to.equal(false);
      expect(a.matchesRaw(slab, 0)).to.equal(false);
    }
  });

  it('rejects what is not ADDRESS:PORT with a message naming the input', () => {
    expect(() => SockAddr.parse('example.com:80')).to.throw(BraidError, /'example.com' is not an IP address/);
    expect(() => SockAddr.parse('192.0.2.1')).to.throw(BraidError, /not ADDRESS:PORT/);
    expect(() => SockAddr.of('192.0.2.1', 70000)).to.throw(BraidError, /out of range/);
    expect(() => SockAddr.of('192.0.2.1%eth0', 1)).to.throw(BraidError, /not an IP address/);
  });
});
