import { expect } from 'chai';
import { completeChecksum } from '../../src/core/flow/inet-checksum';
import { TcpSegmenter, tcpHeaderEnd } from '../../src/core/flow/tcp-segment';
import { FragmentReassembler } from '../../src/core/link/fragment-reassembler';
import { SendQueue, type QueuedPacket } from '../../src/core/link/send-queue';
import { SeededRandom } from '../../src/core/random';
import { DataFlags, type DataFrame } from '../../src/core/wire/frames';
import type { PathProfile } from '../sim/network';
import { TunnelPair, type TunnelPairOptions } from '../sim/tunnel-pair';

const FIN = 0x01;
const PSH = 0x08;
const ACK = 0x10;
const CWR = 0x80;

/** The textbook RFC 1071 sum, 16 bits at a time, independent of the code under test. */
function refSum(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** True if the TCP or UDP checksum of an IPv4/IPv6 packet verifies (sum with the pseudo-header is 0xffff). */
function transportChecksumOk(p: Uint8Array): boolean {
  const v4 = p[0] >> 4 === 4;
  const ipLen = v4 ? (p[0] & 15) * 4 : 40;
  const proto = v4 ? p[9] : p[6];
  const l4 = Array.from(p.subarray(ipLen));
  const addrs = v4 ? Array.from(p.subarray(12, 20)) : Array.from(p.subarray(8, 40));
  const len = l4.length;
  return refSum([...addrs, 0, proto, len >> 8, len & 0xff, ...l4]) === 0xffff;
}

function ipv4HeaderOk(p: Uint8Array): boolean {
  return refSum(Array.from(p.subarray(0, (p[0] & 15) * 4))) === 0xffff;
}

/** A TCP super-packet as a TUN with TSO hands it over: timestamps option (32-byte TCP header), a partial checksum. */
function superPacket(v6: boolean, payload: Uint8Array, flags: number, seq = 0xfffff000): Uint8Array {
  const ipLen = v6 ? 40 : 20;
  const hlen = ipLen + 32;
  const p = new Uint8Array(hlen + payload.length);
  const v = new DataView(p.buffer);
  if (v6) {
    p[0] = 0x60;
    v.setUint16(4, p.length - 40);
    p[6] = 6;
    p[7] = 64;
    p.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 8);
    p.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10], 24);
  } else {
    p[0] = 0x45;
    v.setUint16(2, p.length);
    v.setUint16(4, 0xfffe); // the ids of the segments wrap
    p[6] = 0x40; // DF
    p[8] = 64;
    p[9] = 6;
    p.set([10, 77, 0, 2, 10, 254, 0, 10], 12);
  }
  v.setUint16(ipLen, 40000);
  v.setUint16(ipLen + 2, 5201);
  v.setUint32(ipLen + 4, seq);
  v.setUint32(ipLen + 8, 12345);
  p[ipLen + 12] = 8 << 4;
  p[ipLen + 13] = flags;
  v.setUint16(ipLen + 14, 502);
  v.setUint16(ipLen + 16, 0xbeef); // stale: a TSO read leaves only the pseudo-header sum here
  p.set([1, 1, 8, 10, 0, 0, 1, 2, 0, 0, 3, 4], ipLen + 20);
  p.set(payload, hlen);
  return p;
}

function randomBytes(seed: number, n: number): Uint8Array {
  const r = new SeededRandom(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r.int(256);
  return b;
}

/** Two 50 Mbit/s paths (10 and 25 ms, 2 ms jitter) losing `loss` each way; `got` records what the gateway delivers and its segment size. */
function tappedPair(loss: number, link: TunnelPairOptions['link'] = {}) {
  const path = (delayMs: number): PathProfile => ({ ab: { rateMbit: 50, delayMs, jitterMs: 2, loss, queueBytes: 400_000 } });
  const pair = new TunnelPair({ paths: [path(10), path(25)], link });
  const got: Array<{ packet: Uint8Array; gso: number }> = [];
  const poll = pair.gw.pollDeliver.bind(pair.gw);
  pair.gw.pollDeliver = () => {
    const p = poll();
    if (p) got.push({ packet: p.slice(), gso: pair.gw.deliveredGsoSize });
    return p;
  };
  return { pair, got };
}

describe('TCP super-packets (TSO reads) cut and carried in pieces', () => {
  for (const v6 of [false, true]) {
    it(`cuts an IPv${v6 ? 6 : 4} super-packet as the kernel would: seqs, ids, flags, lengths and every checksum`, () => {
      const data = randomBytes(1, 10_001);
      const p = superPacket(v6, data, ACK | PSH | FIN | CWR);
      const seg = new TcpSegmenter();
      const n = seg.segment(p, 1448);
      expect(n).to.equal(7);
      const ipLen = v6 ? 40 : 20;
      const joined: number[] = [];
      for (let k = 0; k < n; k++) {
        const s = seg.out[k];
        const v = new DataView(s.buffer, s.byteOffset, s.length);
        expect(tcpHeaderEnd(s), `segment ${k} parses`).to.equal(ipLen + 32);
        expect(s.length - ipLen - 32).to.equal(k < n - 1 ? 1448 : 10_001 - 6 * 1448);
        expect(v.getUint32(ipLen + 4)).to.equal((0xfffff000 + k * 1448) >>> 0); // the sequence number wraps too
        const flags = s[ipLen + 13];
        expect((flags & (FIN | PSH)) !== 0, `FIN/PSH on segment ${k}`).to.equal(k === n - 1);
        expect((flags & CWR) !== 0, `CWR on segment ${k}`).to.equal(k === 0);
        expect(transportChecksumOk(s), `TCP checksum of segment ${k}`).to.equal(true);
        if (!v6) {
          expect(v.getUint16(4)).to.equal((0xfffe + k) & 0xffff);
          expect(ipv4HeaderOk(s), `IPv4 header checksum of segment ${k}`).to.equal(true);
        }
        joined.push(...s.subarray(ipLen + 32));
      }
      expect(Buffer.from(joined).equals(Buffer.from(data))).to.equal(true);
    });
  }

  it('refuses what it cannot cut: UDP, a length that disagrees with the IP header, a zero segment size', () => {
    const seg = new TcpSegmenter();
    const p = superPacket(false, randomBytes(2, 3000), ACK);
    expect(seg.segment(p, 0)).to.equal(0);
    expect(seg.segment(p.subarray(0, p.length - 1), 1000)).to.equal(0);
    const udp = p.slice();
    udp[9] = 17;
    expect(seg.segment(udp, 1000)).to.equal(0);
  });

  it('completes a partial checksum the way the kernel leaves it (pseudo-header sum in the field)', () => {
    const p = superPacket(false, randomBytes(3, 777), ACK); // odd length: the padding byte counts
    const l4Len = p.length - 20;
    const pseudo = refSum([...p.subarray(12, 20), 0, 6, l4Len >> 8, l4Len & 0xff]);
    p[36] = pseudo >> 8;
    p[37] = pseudo & 0xff;
    expect(completeChecksum(p, 20, 16)).to.equal(true);
    expect(transportChecksumOk(p)).to.equal(true);
    expect(completeChecksum(p, p.length, 16)).to.equal(false);
  });

  describe('reassembly', () => {
    const piece = (seq: number, prev: number, flags: number, bytes: number[]): DataFrame => ({
      seq, pathId: 0, pathSeq: seq, prevSeq: 0, flow: 7, flowPrevSeq: prev, flags: DataFlags.FRAGMENT | DataFlags.ORDERED | flags, sendTimeUs: 0,
      payload: Uint8Array.from(bytes),
    });
    const whole = superPacket(false, randomBytes(4, 3000), ACK);
    const parts = (): DataFrame[] => [
      piece(10, 9, DataFlags.FRAGMENT_FIRST, [5, 0x32, ...whole.subarray(0, 1000)]),
      piece(11, 10, 0, [...whole.subarray(1000, 2000)]),
      piece(12, 11, DataFlags.FRAGMENT_LAST, [...whole.subarray(2000)]),
    ];

    it('joins the pieces of a packet delivered in flow order and reports its segment size', () => {
      const r = new FragmentReassembler();
      const [a, b, c] = parts();
      expect(r.push(a)).to.equal(undefined);
      expect(r.push(b)).to.equal(undefined);
      const out = r.push(c)!;
      expect(Buffer.from(out).equals(Buffer.from(whole))).to.equal(true);
      expect(r.gsoSize).to.equal(0x532);
      expect(r.counters).to.deep.equal({ packets: 1, pieces: 3, lateJoined: 0, droppedPieces: 0 });
      expect(r.heldBytes).to.equal(0);
    });

    const same = (a: Uint8Array | undefined): boolean => a !== undefined && Buffer.from(a).equals(Buffer.from(whole));
    const shifted = (by: number): DataFrame[] => parts().map((f) => ({ ...f, seq: f.seq + by, flowPrevSeq: f.flowPrevSeq! + by }));

    it('joins a packet whose middle piece comes after the pieces behind it (the reorder buffer gave its hole up)', () => {
      const r = new FragmentReassembler();
      const [a, b, c] = parts();
      expect(r.push(a)).to.equal(undefined);
      expect(r.push(c)).to.equal(undefined);
      expect(same(r.push(b))).to.equal(true);
      expect(r.counters).to.deep.include({ packets: 1, lateJoined: 1, droppedPieces: 0 });
      expect(r.heldBytes).to.equal(0);
    });

    it('joins a packet whose first piece comes last, while the flow goes on with the next packet', () => {
      const r = new FragmentReassembler();
      const [a, b, c] = parts();
      const next = shifted(10);
      expect(r.push(b)).to.equal(undefined);
      expect(r.push(c)).to.equal(undefined);
      expect(r.push(next[0])).to.equal(undefined);
      expect(same(r.push(a))).to.equal(true);
      expect(r.push(next[1])).to.equal(undefined);
      expect(same(r.push(next[2]))).to.equal(true);
      expect(r.counters).to.deep.include({ packets: 2, droppedPieces: 0 });
      expect(r.heldBytes).to.equal(0);
    });

    it('throws a packet away when its piece never comes, once the flow is 8192 tunnel packets further on', () => {
      const r = new FragmentReassembler();
      const [a, , c] = parts();
      r.push(a);
      r.push(c);
      for (const f of shifted(10)) r.push(f); // the flow goes on
      expect(r.counters.droppedPieces).to.equal(0);
      expect(r.heldBytes).to.equal(2052);
      const later = shifted(9000);
      let out: Uint8Array | undefined;
      for (const f of later) out = r.push(f);
      expect(same(out)).to.equal(true);
      expect(r.counters.droppedPieces).to.equal(2);
      expect(r.counters.packets).to.equal(2);
      expect(r.heldBytes).to.equal(0);
    });

    it('drops a joined packet that is not a TCP packet of the length its header says', () => {
      const r = new FragmentReassembler();
      const [a, b, c] = parts();
      c.payload = c.payload.subarray(1); // one byte short
      r.push(a);
      r.push(b);
      expect(r.push(c)).to.equal(undefined);
      expect(r.counters.droppedPieces).to.equal(3);
      expect(r.heldBytes).to.equal(0);
    });

    it('bounds its memory: past maxBytes the oldest incomplete packets go', () => {
      const r = new FragmentReassembler(2500);
      const [a, , c] = parts();
      r.push(a);
      r.push(c); // waits for its middle piece: 2052 bytes held
      const [a2, b2] = shifted(10);
      r.push(a2);
      r.push(b2); // 4052 > 2500: the waiting packet goes first, then this one (2000 ≤ 2500 stays)
      expect(r.heldBytes).to.equal(2000);
      expect(r.counters.droppedPieces).to.equal(2);
    });
  });

  it('the send queue drops the rest of a super-packet with the piece it drops', () => {
    const q = new SendQueue({ maxBytes: 4000 });
    const mk = (flags: number): QueuedPacket => ({ seq: 0, flow: 1, flowPrevSeq: 0, flags: DataFlags.FRAGMENT | flags, payload: new Uint8Array(1000), queuedAt: 0, reToken: 0, gso: 0 });
    for (const f of [DataFlags.FRAGMENT_FIRST, 0, 0, DataFlags.FRAGMENT_LAST]) q.push(mk(f));
    q.push(mk(DataFlags.FRAGMENT_FIRST | DataFlags.FRAGMENT_LAST)); // over the cap: the fattest flow's head goes
    expect(q.length).to.equal(1);
    expect(q.overflowDrops).to.equal(1);
    expect(q.peek(0)!.flags & DataFlags.FRAGMENT_LAST).to.not.equal(0);
  });

  it("the send queue's sojourn law never drops a later piece of a super-packet whose first piece left, only whole ones", () => {
    const q = new SendQueue({ maxBytes: 1 << 20, targetMs: 5, intervalMs: 10 });
    const mk = (flags: number, at: number): QueuedPacket => ({ seq: 0, flow: 1, flowPrevSeq: 0, flags: DataFlags.FRAGMENT | flags, payload: new Uint8Array(1000), queuedAt: at, reToken: 0, gso: 0 });
    const packet = [DataFlags.FRAGMENT_FIRST, 0, 0, 0, DataFlags.FRAGMENT_LAST];
    for (let k = 0; k < 4; k++) for (const f of packet) q.push(mk(f, 0));
    const out: number[] = [];
    for (let now = 1; q.peek(now); now += 20) out.push(q.shift(now)!.flags);
    expect(q.codelDrops).to.be.greaterThan(0);
    // every packet that began to leave left whole: the drops took whole packets only
    let inPacket = false;
    for (const f of out) {
      if ((f & DataFlags.FRAGMENT_FIRST) !== 0) {
        expect(inPacket, 'a packet starts only after the one before it ended').to.equal(false);
        inPacket = true;
      } else expect(inPacket, 'a piece leaves only after its first piece').to.equal(true);
      if ((f & DataFlags.FRAGMENT_LAST) !== 0) inPacket = false;
    }
    expect(inPacket).to.equal(false);
    expect(out.length % 5).to.equal(0);
  });

  describe('through the tunnel (simulated paths, real endpoints)', () => {
    function send(loss: number) {
      const { pair, got } = tappedPair(loss);
      pair.start();
      pair.run(300);
      const sent: Uint8Array[] = [];
      for (let i = 0; i < 60; i++) {
        const p = superPacket(false, randomBytes(100 + i, 4000 + 977 * (i % 20)), ACK, 1000 + i * 100_000);
        sent.push(p);
        pair.net.clock.at(400 + i * 6, () => {
          pair.edge.sendPacket(pair.now, p, 1330);
          pair.service('A', pair.now);
        });
      }
      pair.run(3000);
      const wire = pair.net.pathIds.map((id) => pair.net.link(id, 'A').stats);
      return { pair, sent, got, wire };
    }

    it('carries super-packets whole in datagram-filling pieces: byte-identical, with their segment size, fewer datagrams than segments', () => {
      const { pair, sent, got, wire } = send(0);
      // while the path rates are still being learned the send queue may drop a super-packet (CoDel), and a piece
      // may come after its flow gave the hole up (a reorder timeout): each loses its packet, nothing else does
      const q = pair.edge.link(0)!.queueDrops;
      const rc = pair.gw.link(0)!.reorder.counters;
      const broken = q.overflow + q.codel + rc.releasedByTimeout + rc.late;
      expect(broken).to.be.at.most(6);
      expect(got.length).to.be.at.least(sent.length - broken);
      const bySeq = new Map(sent.map((p) => [new DataView(p.buffer).getUint32(24), p]));
      for (const g of got) {
        const want = bySeq.get(new DataView(g.packet.buffer, g.packet.byteOffset).getUint32(24))!;
        expect(Buffer.from(g.packet).equals(Buffer.from(want))).to.equal(true);
        expect(g.gso).to.equal(1330);
      }
      const segments = sent.reduce((n, p) => n + Math.ceil((p.length - 52) / 1330), 0);
      const c = pair.edge.link(0)!.counters;
      expect(c.superPackets).to.equal(60);
      expect(c.superPieces).to.be.lessThan(segments);
      expect(wire.reduce((n, s) => n + s.droppedMtu, 0), 'no piece exceeds the path MTU').to.equal(0);
      expect(pair.gw.link(0)!.reassembler.counters.packets).to.equal(got.length);
    });

    it('under 3 % loss on both paths never delivers a wrong packet; lost pieces are resent or their packet dropped and counted', () => {
      const { pair, sent, got, wire } = send(0.03);
      expect(wire.reduce((n, s) => n + s.droppedLoss, 0)).to.be.greaterThan(5);
      const all = new Set(sent.map((p) => Buffer.from(p).toString('base64')));
      for (const g of got) expect(all.has(Buffer.from(g.packet).toString('base64'))).to.equal(true);
      const r = pair.gw.link(0)!.reassembler.counters;
      expect(r.packets).to.equal(got.length);
      expect(pair.edge.link(0)!.counters.lossResentPackets).to.be.greaterThan(5);
      expect(got.length).to.be.at.least(45); // tunnel loss recovery brings most lost pieces back in time
    });
  });
  describe('with redundancy elimination (a super-packet is encoded whole, then cut)', () => {
    /** 640 KB in 40 super-packets of 16 KB, then the same bytes again: what the gateway's TUN got, and the wire bytes of each half. */
    function twice(loss: number) {
      const { pair, got } = tappedPair(loss, { re: { cacheBytes: 8 << 20 } });
      pair.start();
      pair.run(300);
      const data = randomBytes(7, 40 * 16_000);
      const sent: Uint8Array[] = [];
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 40; i++) {
          const p = superPacket(false, data.subarray(i * 16_000, (i + 1) * 16_000), ACK, (round * 40 + i) * 16_000);
          sent.push(p);
          pair.net.clock.at(400 + round * 1000 + i * 10, () => {
            pair.edge.sendPacket(pair.now, p, 1330);
            pair.service('A', pair.now);
          });
        }
      }
      const wire = (): number => pair.net.pathIds.reduce((n, id) => n + pair.net.link(id, 'A').stats.sentBytes, 0);
      pair.run(1350);
      const first = wire();
      pair.run(4000);
      return { pair, sent, got, first, second: wire() - first };
    }

    it('a repeated 640 KB costs under 5 % on the wire, tunnel headers included, and arrives byte-identical with its segment size', () => {
      const { pair, sent, got, first, second } = twice(0);
      const q = pair.edge.link(0)!.queueDrops;
      expect(got.length).to.equal(sent.length - q.overflow - q.codel);
      const byKey = new Map(sent.map((p) => [Buffer.from(p).toString('base64'), p]));
      for (const g of got) {
        expect(byKey.has(Buffer.from(g.packet).toString('base64')), 'a delivered packet is one that was sent').to.equal(true);
        expect(g.gso).to.equal(1330);
      }
      expect(first).to.be.greaterThan(640_000);
      expect(second / 640_000).to.be.lessThan(0.05);
      expect(pair.edge.link(0)!.re!.encoder.bytesIn).to.be.greaterThan(1_200_000);
    });

    it('under 3 % loss never delivers a wrong packet, and each arrives with its segment size', () => {
      const { sent, got, pair } = twice(0.03);
      const all = new Set(sent.map((p) => Buffer.from(p).toString('base64')));
      for (const g of got) {
        expect(all.has(Buffer.from(g.packet).toString('base64'))).to.equal(true);
        expect(g.gso).to.equal(1330);
      }
      expect(got.length).to.be.at.least(60);
      expect(pair.net.pathIds.reduce((n, id) => n + pair.net.link(id, 'A').stats.droppedLoss, 0)).to.be.greaterThan(3);
    });
  });
});
