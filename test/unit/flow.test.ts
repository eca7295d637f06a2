import { expect } from 'chai';
import fc from 'fast-check';
import { FlowClassifier, FlowInfo, IpProto, Malformed } from '../../src/core/flow/classify';

function ipv4(proto: number, src: number[], dst: number[], l4: number[], frag = { mf: false, offset: 0 }): Uint8Array {
  const total = 20 + l4.length;
  const b = new Uint8Array(total);
  b[0] = 0x45;
  b[2] = total >> 8;
  b[3] = total & 0xff;
  b[6] = (frag.mf ? 0x20 : 0) | ((frag.offset >> 8) & 0x1f);
  b[7] = frag.offset & 0xff;
  b[8] = 64;
  b[9] = proto;
  b.set(src, 12);
  b.set(dst, 16);
  b.set(l4, 20);
  return b;
}

function ipv6(next: number, src: number, dst: number, rest: number[]): Uint8Array {
  const b = new Uint8Array(40 + rest.length);
  b[0] = 0x60;
  b[4] = rest.length >> 8;
  b[5] = rest.length & 0xff;
  b[6] = next;
  b[7] = 64;
  b[8] = 0x20;
  b[9] = 0x01;
  b[23] = src;
  b[24] = 0x20;
  b[25] = 0x01;
  b[39] = dst;
  b.set(rest, 40);
  return b;
}

const ports = (s: number, d: number): number[] => [s >> 8, s & 0xff, d >> 8, d & 0xff, 0, 0, 0, 0];
const A = [10, 0, 0, 1];
const B = [10, 0, 0, 2];

describe('flow classification', () => {
  const c = new FlowClassifier();
  const info = new FlowInfo();
  const flowOf = (p: Uint8Array): number => c.classify(p, info).flow;

  it('gives one flow id per 5-tuple and different ids to different tuples', () => {
    const f1 = flowOf(ipv4(IpProto.TCP, A, B, ports(40000, 443)));
    expect(flowOf(ipv4(IpProto.TCP, A, B, ports(40000, 443)))).to.equal(f1);
    const others = [
      ipv4(IpProto.TCP, A, B, ports(40001, 443)),
      ipv4(IpProto.TCP, A, B, ports(40000, 80)),
      ipv4(IpProto.UDP, A, B, ports(40000, 443)),
      ipv4(IpProto.TCP, B, A, ports(40000, 443)),
      ipv4(IpProto.TCP, A, [10, 0, 0, 3], ports(40000, 443)),
    ].map(flowOf);
    expect(new Set([f1, ...others]).size).to.equal(6);
    expect(info.srcPort).to.equal(40000);
    expect(info.srcV4).to.equal(0x0a000001);
    expect(info.dstV4).to.equal(0x0a000003);
  });

  it('orders TCP and ICMP, leaves other UDP unordered, and honours ordered UDP ports', () => {
    expect(c.classify(ipv4(IpProto.TCP, A, B, ports(1, 2)), info).ordered).to.equal(true);
    expect(c.classify(ipv4(IpProto.ICMP, A, B, [8, 0, 0, 0]), info).ordered).to.equal(true);
    expect(c.classify(ipv4(IpProto.UDP, A, B, ports(5000, 443)), info).ordered).to.equal(false);
    expect(c.classify(ipv6(IpProto.ICMPV6, 1, 2, [128, 0, 0, 0]), info).ordered).to.equal(true);
    const media = new FlowClassifier({ orderedUdpPorts: [5004] });
    expect(media.classify(ipv4(IpProto.UDP, A, B, ports(5004, 9)), info).ordered).to.equal(true);
    expect(media.classify(ipv4(IpProto.UDP, A, B, ports(9, 5004)), info).ordered).to.equal(true);
    expect(media.classify(ipv4(IpProto.UDP, A, B, ports(9, 9)), info).ordered).to.equal(false);
    const all = new FlowClassifier({ udp: true, tcp: false });
    expect(all.classify(ipv4(IpProto.UDP, A, B, ports(9, 9)), info).ordered).to.equal(true);
    expect(all.classify(ipv4(IpProto.TCP, A, B, ports(9, 9)), info).ordered).to.equal(false);
  });

  it('puts every IPv4 fragment of a datagram in one flow (no ports)', () => {
    const first = flowOf(ipv4(IpProto.UDP, A, B, ports(5000, 53), { mf: true, offset: 0 }));
    expect(info.fragment).to.equal(true);
    const later = flowOf(ipv4(IpProto.UDP, A, B, [1, 2, 3, 4, 5, 6, 7, 8], { mf: false, offset: 185 }));
    expect(later).to.equal(first);
    expect(info.srcPort).to.equal(0);
  });

  it('walks IPv6 extension headers to the transport header', () => {
    const plain = flowOf(ipv6(IpProto.TCP, 1, 2, ports(1234, 80)));
    expect(info.ok).to.equal(true);
    expect(info.addrLength).to.equal(16);
    // hop-by-hop (8 bytes) then destination options (16 bytes) then TCP
    const hbh = [60, 0, 1, 4, 0, 0, 0, 0];
    const dst = [IpProto.TCP, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const withExt = flowOf(ipv6(0, 1, 2, [...hbh, ...dst, ...ports(1234, 80)]));
    expect(info.proto).to.equal(IpProto.TCP);
    expect(info.dstPort).to.equal(80);
    expect(withExt).to.equal(plain);
    expect(info.ordered).to.equal(true);
  });

  it('classifies IPv6 fragments by addresses and protocol only', () => {
    const first = flowOf(ipv6(44, 1, 2, [IpProto.UDP, 0, 0, 1, 0, 0, 0, 7, ...ports(5000, 53)]));
    expect(info.fragment).to.equal(true);
    expect(info.proto).to.equal(IpProto.UDP);
    const later = flowOf(ipv6(44, 1, 2, [IpProto.UDP, 0, 0x05, 0xa8, 0, 0, 0, 7, 9, 9, 9, 9]));
    expect(later).to.equal(first);
  });

  it('reports malformed packets by reason instead of throwing', () => {
    const cases: Array<[Uint8Array, number]> = [
      [new Uint8Array(0), Malformed.SHORT],
      [new Uint8Array([0x45, 0, 0]), Malformed.SHORT],
      [new Uint8Array(40).fill(0x12), Malformed.VERSION],
      [(() => { const p = ipv4(IpProto.TCP, A, B, ports(1, 2)); p[0] = 0x44; return p; })(), Malformed.HEADER_LENGTH],
      [(() => { const p = ipv4(IpProto.TCP, A, B, ports(1, 2)); p[3] = 200; return p; })(), Malformed.TOTAL_LENGTH],
      [ipv4(IpProto.TCP, A, B, [1, 2]), Malformed.TRANSPORT_TRUNCATED],
      [ipv6(0, 1, 2, [0, 0]), Malformed.EXTENSION_HEADERS],
      [ipv6(0, 1, 2, new Array(9 * 8).fill(0)), Malformed.EXTENSION_HEADERS],
    ];
    for (const [p, reason] of cases) {
      c.classify(p, info);
      expect(info.ok, `case ${reason}`).to.equal(false);
      expect(info.malformed).to.equal(reason);
    }
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0x40, 0x60, 0x00), (bytes, version) => {
        if (bytes.length > 0) bytes[0] = version | (bytes[0] & 0x0f);
        c.classify(bytes, info);
        if (info.ok) {
          expect(info.flow).to.be.within(0, 0xffffffff);
          expect(info.version === 4 || info.version === 6).to.equal(true);
        }
      }),
      { numRuns: 3000, seed: 1 },
    );
  });
});
