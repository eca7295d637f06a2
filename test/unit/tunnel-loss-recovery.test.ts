import { expect } from 'chai';
import { TunnelPair } from '../sim/tunnel-pair';
import { ipv4Packet, packetIndex } from '../sim/inner-packets';
import { WIFI } from '../sim/profiles';
import type { PathProfile } from '../sim/network';

const EDGE = '10.77.0.2';
const SERVER = '10.254.0.10';
/** LTE that loses 2 % of datagrams at random, both ways. */
const LOSSY_LTE: PathProfile = { ab: { rateMbit: 20, delayMs: 30, loss: 0.02, queueBytes: 500_000 } };

/** One TCP-like flow of 10000 packets at ~48 Mbit/s (more than wifi carries) over wifi + lossy LTE: what the gateway's TUN gets. */
function transfer(recoverLosses: boolean) {
  const pair = new TunnelPair({ paths: [WIFI, LOSSY_LTE], link: { recoverLosses } });
  pair.start();
  pair.run(500);
  for (let i = 0; i < 10000; i++) {
    pair.net.clock.at(600 + i * 0.2, () => pair.edgeSend(ipv4Packet({ src: EDGE, dst: SERVER, sport: 40000, index: i })));
  }
  pair.run(4000);
  const idx = pair.deliveredAtGw.map((d) => packetIndex(d.packet));
  let outOfOrder = 0;
  for (let i = 1; i < idx.length; i++) if (idx[i] < idx[i - 1]) outOfOrder++;
  const link = pair.edge.link(0)!;
  const rb = pair.gw.link(0)!.reorder.counters;
  const q = link.queueDrops; // the offered load exceeds the paths at first: the send queue drops some (never sent, not lost)
  return {
    missing: 10000 - new Set(idx).size - q.overflow - q.codel,
    outOfOrder,
    resent: link.counters.lossResentPackets,
    recovered: rb.recovered,
    lostOnLte: pair.net.link(1, 'A').stats.droppedLoss,
  };
}

describe('tunnel-level loss recovery (simulated tunnel, real endpoints)', () => {
  it('resends what a lossy path proved lost and the receiver waits for it: the inner flow sees no loss and stays in order', () => {
    const on = transfer(true);
    expect(on.lostOnLte).to.be.greaterThan(10);
    expect(on.resent).to.be.at.least(0.8 * on.lostOnLte);
    expect(on.recovered).to.be.at.least(0.8 * on.lostOnLte);
    expect(on.missing).to.be.at.most(Math.ceil(0.1 * on.lostOnLte));
    expect(on.outOfOrder).to.be.at.most(Math.ceil(0.1 * on.lostOnLte));
  });

  it('without it (recover_losses = false), every datagram lost on the path is a packet the inner flow never gets', () => {
    const off = transfer(false);
    expect(off.resent).to.equal(0);
    expect(off.missing).to.be.at.least(0.5 * off.lostOnLte);
  });
});
