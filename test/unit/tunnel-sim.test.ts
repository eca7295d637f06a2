import { expect } from 'chai';
import { TunnelPair } from '../sim/tunnel-pair';
import { ipv4Packet, packetIndex } from '../sim/inner-packets';
import { LTE, WIFI } from '../sim/profiles';

const EDGE = '10.77.0.2';
const SERVER = '10.254.0.10';

function pump(pair: TunnelPair, count: number, everyMs: number, startAt: number, flowPort = 40000): void {
  for (let i = 0; i < count; i++) {
    pair.net.clock.at(startAt + i * everyMs, () => pair.edgeSend(ipv4Packet({ src: EDGE, dst: SERVER, sport: flowPort, index: i })));
  }
}

describe('tunnel endpoints on the simulated network', () => {
  it('handshakes and carries packets both ways over two paths, in order', () => {
    const pair = new TunnelPair({ paths: [WIFI, LTE] });
    pair.start();
    pair.run(300);
    expect(pair.edge.isEstablished(0)).to.equal(true);
    expect(pair.gw.isEstablished(0)).to.equal(true);
    // the edge announced its paths' names to the gateway
    expect([pair.gw.pathName(0, 0), pair.gw.pathName(0, 1)]).to.deep.equal(['p0', 'p1']);
    // 30 Mbit/s offered for 2 s: more than wifi alone carries at this pacing, so both paths get a share.
    pump(pair, 6000, 0.32, 400);
    pair.run(4000);
    const idx = pair.deliveredAtGw.map((d) => packetIndex(d.packet));
    expect(idx.length).to.be.greaterThan(5900);
    // Nearly all in order (the reorder buffer's hold bound hides the paths' delay difference).
    let outOfOrder = 0;
    for (let i = 1; i < idx.length; i++) if (idx[i] < idx[i - 1]) outOfOrder++;
    expect(outOfOrder / idx.length).to.be.below(0.01);
    expect(new Set(idx).size).to.equal(idx.length);
    const shares = pair.net.pathIds.map((id) => pair.net.link(id, 'A').stats.sentBytes);
    expect(shares[0]).to.be.greaterThan(0);
    expect(shares[1]).to.be.greaterThan(0);
    // the way back
    pair.gwSend(ipv4Packet({ src: SERVER, dst: EDGE, sport: 80, dport: 40000, index: 7 }));
    pair.run(4200);
    expect(pair.deliveredAtEdge.map((d) => packetIndex(d.packet))).to.deep.equal([7]);
  });

  it('survives a silent outage of the path carrying the traffic: nothing lost', () => {
    const pair = new TunnelPair({ paths: [WIFI, LTE] });
    pair.start();
    pair.run(500);
    pump(pair, 400, 10, 600); // a 10 ms probe stream for 4 s
    pair.net.outage(0, 1500, 3000);
    pair.run(6000);
    const idx = new Set(pair.deliveredAtGw.map((d) => packetIndex(d.packet)));
    expect(idx.size).to.equal(400);
    // the longest gap between deliveries stays small
    const at = pair.deliveredAtGw.map((d) => d.at);
    let gap = 0;
    for (let i = 1; i < at.length; i++) gap = Math.max(gap, at[i] - at[i - 1]);
    expect(gap).to.be.lessThan(250);
  });

  it('follows a client path to its new address (NAT rebinding) without a new handshake', () => {
    const pair = new TunnelPair({ paths: [WIFI, LTE] });
    pair.start();
    pair.run(500);
    const handshakes = pair.gw.secure.counters.responsesSent;
    for (let i = 0; i < 300; i++) {
      pair.net.clock.at(600 + i * 10, () => pair.gwSend(ipv4Packet({ src: SERVER, dst: EDGE, sport: 80, dport: 40000, index: i })));
    }
    pair.net.clock.at(1500, () => pair.rebind(0));
    pair.net.clock.at(2500, () => pair.rebind(1));
    pair.run(5000);
    expect(new Set(pair.deliveredAtEdge.map((d) => packetIndex(d.packet))).size).to.equal(300);
    expect(pair.gw.pathAddress(0, 0)).to.equal(pair.addressOf(0));
    expect(pair.gw.pathAddress(0, 1)).to.equal(pair.addressOf(1));
    expect(pair.gw.counters.pathAddressChanges).to.equal(2);
    expect(pair.gw.secure.counters.responsesSent).to.equal(handshakes);
  });

  it('drops inner packets whose source the peer does not own', () => {
    const pair = new TunnelPair({ paths: [WIFI] });
    pair.start();
    pair.run(300);
    pair.edgeSend(ipv4Packet({ src: '10.77.0.99', dst: SERVER, index: 1 }));
    pair.edgeSend(ipv4Packet({ src: EDGE, dst: SERVER, index: 2 }));
    pair.run(600);
    expect(pair.deliveredAtGw.map((d) => packetIndex(d.packet))).to.deep.equal([2]);
    expect(pair.gw.counters.dropSourceNotAllowed).to.equal(1);
  });
});

describe('redundancy elimination on the simulated tunnel', () => {
  /** A TCP packet whose payload is bytes [off, off+len) of `data`. */
  function tcpSegment(data: Uint8Array, off: number, len: number, sport: number, index: number): Uint8Array {
    const p = ipv4Packet({ src: EDGE, dst: SERVER, sport, index, size: 40 + len });
    p.set(data.subarray(off, off + len), 40);
    return p;
  }

  it('sends a repeated transfer as references: byte-identical, far fewer bytes on the paths', () => {
    const pair = new TunnelPair({ paths: [WIFI, LTE], link: { re: { cacheBytes: 4 << 20 } } });
    pair.start();
    pair.run(300);
    const data = new Uint8Array(600_000);
    let x = 12345;
    for (let i = 0; i < data.length; i++) data[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    const send = (startAt: number, sport: number, shift: number): number => {
      let n = 0;
      for (let off = 0; off < data.length; off += 1300, n++) {
        const len = Math.min(1300 - shift, data.length - off);
        const seg = tcpSegment(data, off, len, sport, n);
        pair.net.clock.at(startAt + n * 1, () => pair.edgeSend(seg));
      }
      return n;
    };
    const wire = (): number => pair.net.pathIds.reduce((s, id) => s + pair.net.link(id, 'A').stats.sentBytes, 0);
    const n1 = send(400, 40001, 0);
    pair.run(3000);
    const firstBytes = wire();
    const n2 = send(3100, 40002, 0);
    pair.run(6000);
    const secondBytes = wire() - firstBytes;
    const got = pair.deliveredAtGw.map((d) => d.packet);
    expect(got.length).to.equal(n1 + n2);
    // every delivered packet is exactly one that was sent (payload restored byte for byte)
    const bySport = (sport: number) => got.filter((p) => ((p[20] << 8) | p[21]) === sport);
    for (const sport of [40001, 40002]) {
      const payloads = bySport(sport).map((p) => Buffer.from(p.subarray(40)));
      const sent: Buffer[] = [];
      for (let off = 0; off < data.length; off += 1300) sent.push(Buffer.from(data.subarray(off, off + 1300)));
      const key = (b: Buffer): string => b.toString('hex');
      expect(payloads.map(key).sort(), `flow ${sport} byte-identical`).to.deep.equal(sent.map(key).sort());
    }
    expect(secondBytes, 'second transfer on the wire').to.be.below(firstBytes * 0.15);
    const re = pair.edge.link(0)!.re!;
    expect(re.encoder.hits).to.be.greaterThan(0);
    expect(pair.gw.link(0)!.counters.dropReUndecodable).to.equal(0);
  });
});
