/**
 * TunCoalescer: which TCP segments join into one super-packet, and that the
 * super-packet is what the kernel expects behind IFF_VNET_HDR (GSO header,
 * fixed-up lengths, valid IPv4 header checksum, the pseudo-header sum in the
 * TCP checksum field). The kernel side is tested end to end by the tunnel
 * benchmarks and tunnel-e2e with offload on.
 */
import { expect } from 'chai';
import { TunCoalescer, VNET_HDR_LEN } from '../../src/io/tun-coalesce';

interface Seg {
  v6?: boolean;
  seq: number;
  len: number;
  flags?: number;
  srcPort?: number;
  ack?: number;
  options?: number[];
  tos?: number;
  fragment?: boolean;
}

const ACK = 0x10;
const PSH = 0x08;

function sum16(b: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let k = from; k < to; k += 2) s += (b[k] << 8) | (k + 1 < to ? b[k + 1] : 0);
  return s;
}
function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
function pseudo(p: Buffer, ipLen: number): number {
  const tcpLen = p.length - ipLen;
  return ipLen === 20 ? sum16(p, 12, 20) + 6 + tcpLen : sum16(p, 8, 40) + 6 + tcpLen;
}
/** A complete, valid TCP checksum of packet p. */
function tcpChecksum(p: Buffer, ipLen: number): number {
  const copy = Buffer.from(p);
  copy.writeUInt16BE(0, ipLen + 16);
  return ~fold(pseudo(copy, ipLen) + sum16(copy, ipLen, copy.length)) & 0xffff;
}

function segment(s: Seg): Buffer {
  const ipLen = s.v6 ? 40 : 20;
  const opts = s.options ?? [1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9]; // NOP NOP timestamps
  const tcpLen = 20 + opts.length;
  const p = Buffer.alloc(ipLen + tcpLen + s.len);
  if (s.v6) {
    p[0] = 0x60;
    p.writeUInt16BE(tcpLen + s.len, 4);
    p[6] = 6;
    p[7] = 64;
    p.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 8);
    p.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 24);
  } else {
    p[0] = 0x45;
    p[1] = s.tos ?? 0;
    p.writeUInt16BE(p.length, 2);
    p.writeUInt16BE(s.seq & 0xffff, 4); // id
    p[6] = s.fragment ? 0x20 : 0x40; // MF or DF
    p[8] = 64;
    p[9] = 6;
    p.set([10, 0, 0, 1, 10, 0, 0, 2], 12);
    p.writeUInt16BE(~fold(sum16(p, 0, 20)) & 0xffff, 10);
  }
  p.writeUInt16BE(s.srcPort ?? 40000, ipLen);
  p.writeUInt16BE(5201, ipLen + 2);
  p.writeUInt32BE(s.seq >>> 0, ipLen + 4);
  p.writeUInt32BE(s.ack ?? 777, ipLen + 8);
  p[ipLen + 12] = (tcpLen / 4) << 4;
  p[ipLen + 13] = s.flags ?? ACK;
  p.writeUInt16BE(500, ipLen + 14);
  p.set(opts, ipLen + 20);
  for (let k = 0; k < s.len; k++) p[ipLen + tcpLen + k] = (s.seq + k) & 0xff;
  p.writeUInt16BE(tcpChecksum(p, ipLen), ipLen + 16);
  return p;
}

/** Consecutive segments starting at seq 1000 with the given payload lengths. */
function run(lens: number[], extra: Partial<Seg> = {}): Buffer[] {
  let seq = 1000;
  return lens.map((len) => {
    const p = segment({ seq, len, ...extra });
    seq += len;
    return p;
  });
}

function build(packets: Buffer[]): Buffer[] {
  const c = new TunCoalescer();
  const n = c.build(packets, packets.length);
  return c.out.slice(0, n).map((b) => Buffer.from(b));
}

const plain = (p: Buffer): Buffer => Buffer.concat([Buffer.alloc(VNET_HDR_LEN), p]);

describe('TunCoalescer', () => {
  for (const v6 of [false, true]) {
    const ipLen = v6 ? 40 : 20;
    it(`IPv${v6 ? 6 : 4}: joins in-order segments into one super-packet the kernel can use`, () => {
      const segs = run([1300, 1300, 1300, 700], { v6 });
      segs[3][ipLen + 13] = ACK | PSH;
      const [out, ...rest] = build(segs);
      expect(rest).to.have.length(0);
      const hlen = ipLen + 32;
      expect(out[0]).to.equal(1); // NEEDS_CSUM
      expect(out[1]).to.equal(v6 ? 4 : 1); // GSO_TCPV6 / GSO_TCPV4
      expect([out.readUInt16LE(2), out.readUInt16LE(4), out.readUInt16LE(6), out.readUInt16LE(8)]).to.deep.equal([hlen, 1300, ipLen, 16]);
      const p = out.subarray(VNET_HDR_LEN);
      expect(p.length).to.equal(hlen + 4600);
      if (v6) expect(p.readUInt16BE(4)).to.equal(p.length - 40);
      else {
        expect(p.readUInt16BE(2)).to.equal(p.length);
        expect(fold(sum16(p, 0, 20))).to.equal(0xffff); // valid header checksum
      }
      expect(p.readUInt32BE(ipLen + 4)).to.equal(1000);
      expect(p[ipLen + 13]).to.equal(ACK | PSH);
      expect(p.subarray(hlen)).to.deep.equal(Buffer.concat(segs.map((s) => s.subarray(hlen))));
      // The kernel sums from csum_start over the field as stored and writes the complement: that must
      // be the packet's real checksum, i.e. the field holds the pseudo-header sum.
      const kernel = ~fold(sum16(p, ipLen, p.length)) & 0xffff;
      expect(kernel).to.equal(tcpChecksum(Buffer.from(p), ipLen));
    });
  }

  for (const v6 of [false, true]) {
    const ipLen = v6 ? 40 : 20;
    it(`IPv${v6 ? 6 : 4}: writes a super-packet joined at the far end as it is, cut at its segment size, between runs it does not join`, () => {
      const [whole] = run([5000], { v6 });
      whole.writeUInt16BE(0xbeef, ipLen + 16); // the sender's partial or stale checksum: rewritten
      const small = segment({ v6, seq: 9000, len: 300 }); // one segment's worth: no GSO, checksum still left to the kernel
      const after = run([1000, 1000], { v6, srcPort: 40001 });
      const c = new TunCoalescer();
      const n = c.build([whole, small, ...after], 4, [1300, 1300, 0, 0]);
      const out = c.out.slice(0, n).map((o) => Buffer.from(o));
      expect(n).to.equal(3);
      const hlen = ipLen + 32;
      expect([out[0][0], out[0][1], out[0].readUInt16LE(2), out[0].readUInt16LE(4), out[0].readUInt16LE(6), out[0].readUInt16LE(8)])
        .to.deep.equal([1, v6 ? 4 : 1, hlen, 1300, ipLen, 16]);
      const p = out[0].subarray(VNET_HDR_LEN);
      expect(p.subarray(hlen)).to.deep.equal(whole.subarray(hlen));
      if (!v6) expect(fold(sum16(p, 0, 20))).to.equal(0xffff);
      expect(~fold(sum16(p, ipLen, p.length)) & 0xffff).to.equal(tcpChecksum(Buffer.from(p), ipLen));
      expect([out[1][0], out[1][1]]).to.deep.equal([1, 0]); // NEEDS_CSUM, no GSO
      const q = out[1].subarray(VNET_HDR_LEN);
      expect(~fold(sum16(q, ipLen, q.length)) & 0xffff).to.equal(tcpChecksum(Buffer.from(q), ipLen));
      expect(out[2][1]).to.equal(v6 ? 4 : 1); // the run after it still joins
      expect(c.stats).to.deep.equal({ superPackets: 2, superSegments: 6 });
    });
  }

  it('breaks runs where a segment cannot follow, and writes the rest as they are', () => {
    const a = run([1000, 1000]);
    const gap = segment({ seq: 3500, len: 1000 }); // 2500 expected
    const otherFlow = segment({ seq: 4500, len: 1000, srcPort: 40001 });
    const longer = run([500, 1000]); // a longer segment cannot follow a shorter one
    const psh = run([800, 800, 800]);
    psh[0][33] = ACK | PSH; // PSH ends a run right there
    const syn = segment({ seq: 1, len: 0, flags: 0x02 });
    const out = build([...a, gap, otherFlow, ...longer, ...psh, syn]);
    const supers = out.filter((o) => o[1] !== 0).map((o) => o.readUInt16LE(4));
    expect(supers).to.deep.equal([1000, 800]); // [a0 a1] and [psh1 psh2]
    const plains = out.filter((o) => o[1] === 0);
    expect(plains).to.deep.equal([gap, otherFlow, ...longer, psh[0], syn].map(plain));
  });

  it('never joins IPv4 fragments, differing TOS (ECN marks) or differing TCP options', () => {
    const frags = [segment({ seq: 1, len: 800, fragment: true }), segment({ seq: 801, len: 800, fragment: true })];
    const tos = [segment({ seq: 1, len: 800 }), segment({ seq: 801, len: 800, tos: 3 })];
    const opts = [segment({ seq: 1, len: 800 }), segment({ seq: 801, len: 800, options: [1, 1, 8, 10, 0, 0, 0, 8, 0, 0, 0, 9] })];
    for (const pair of [frags, tos, opts]) expect(build(pair)).to.deep.equal(pair.map(plain));
  });

  it('keeps a super-packet within 65535 bytes', () => {
    const segs = run(new Array<number>(60).fill(1400));
    const out = build(segs);
    for (const o of out) expect(o.length - VNET_HDR_LEN).to.be.at.most(65535);
    const segments = out.map((o) => (o[1] === 0 ? 1 : (o.length - VNET_HDR_LEN - 52) / 1400));
    expect(segments.reduce((x, y) => x + y, 0)).to.equal(60);
    expect(out.length).to.equal(2);
  });
});
