/**
 * The lab's impairments measured with real traffic through a real lab:
 * UDP probes (one-way delay from the shared monotonic clock), iperf3 for
 * rates. Tolerances are wide enough for a busy 2-core machine and narrow
 * enough that a broken impairment fails.
 */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { ip, ipJson, ipQuiet } from '../../src/io/ip';
import { labDown, labSet, labStatus, labUp, type LabInfo } from '../../src/lab/lab';
import { iperfPath } from '../../src/lab/iperf';
import { probe, probePath, probeStats, quantile } from '../../src/lab/probe';

const CLEAN = { delayMs: 0, jitterMs: 0, lossPct: 0, burst: 1, reorderPct: 0, rateUp: 0, rateDown: 0, outage: false, mtu: 1500, pmtuIcmp: true };

async function relayPid(lab: string, path: string): Promise<number> {
  const s = await labStatus(lab);
  return s.paths.find((p) => p.name === path)?.relay?.pid ?? -1;
}

/** iperf3 TCP goodput in Mbit/s from edge over `dev` (SO_BINDTODEVICE) to the gateway, for `seconds`. */
async function iperfMbit(lab: LabInfo, dev: string, seconds: number, reverse = false): Promise<number> {
  return (await iperfPath(lab, dev, { seconds, reverse })).receivedMbit;
}

describe('lab impairments, measured through a real lab', function () {
  this.timeout(60_000);
  const name = `bt-lab-${randomBytes(2).toString('hex')}`;
  let lab: LabInfo;

  before(async () => {
    lab = await labUp({ name, paths: [{ name: 'a', preset: 'clean' }, { name: 'b', preset: 'clean' }], seed: 1 });
  });

  after(async () => {
    await labDown(name);
  });

  beforeEach(async () => {
    await labSet(name, 'a', CLEAN);
  });

  it('joins edge and gateway by one link per path, each carrying its own traffic', async () => {
    for (const p of lab.paths) {
      const r = probeStats(await probePath(lab, p.name, { count: 50, intervalMs: 1 }));
      expect(r.received, p.name).to.equal(50);
      const back = probeStats(await probePath(lab, p.name, { count: 50, intervalMs: 1, direction: 'down' }));
      expect(back.received, p.name).to.equal(50);
    }
    const s = await labStatus(name);
    for (const p of s.paths) {
      expect(p.relay?.up.forwardedPackets, p.name).to.equal(50);
      expect(p.relay?.down.forwardedPackets, p.name).to.equal(50);
    }
  });

  it('routes a socket bound to a path device or address over that path, whatever the default prefers', () => {
    const viaDev = ipJson<Array<{ dev: string; gateway: string }>>(['route', 'get', lab.gwPublicAddr, 'oif', 'b'], { netns: lab.edgeNs });
    expect(viaDev[0]).to.include({ dev: 'b', gateway: '10.20.2.1' });
    const viaAddr = ipJson<Array<{ dev: string }>>(['route', 'get', lab.gwPublicAddr, 'from', '10.20.2.2'], { netns: lab.edgeNs });
    expect(viaAddr[0].dev).to.equal('b');
    const byDefault = ipJson<Array<{ dev: string }>>(['route', 'get', lab.gwPublicAddr], { netns: lab.edgeNs });
    expect(byDefault[0].dev).to.equal('a');
  });

  it('lets the app hosts reach their endpoint host', async () => {
    const r1 = await probe({ txNs: lab.appEdgeNs, txAddr: lab.appEdgeAddr, rxNs: lab.edgeNs, rxAddr: lab.edgeLanAddr }, { count: 20, intervalMs: 1 });
    const r2 = await probe({ txNs: lab.gwNs, txAddr: lab.gwLanAddr, rxNs: lab.appGwNs, rxAddr: lab.appGwAddr }, { count: 20, intervalMs: 1 });
    expect([r1.seqs.length, r2.seqs.length]).to.deep.equal([20, 20]);
  });

  it('delays each direction by the configured one-way delay, changed live without a restart', async () => {
    const pid = await relayPid(name, 'a');
    await labSet(name, 'a', { delayMs: 20 });
    const up = probeStats(await probePath(lab, 'a', { count: 200, intervalMs: 2 }));
    const down = probeStats(await probePath(lab, 'a', { count: 200, intervalMs: 2, direction: 'down' }));
    // the relay releases packets due within 0.5 ms (RELEASE_SLACK_MS, relay.ts): a median may sit that much early
    expect(up.p50).to.be.within(19.5, 23);
    expect(down.p50).to.be.within(19.5, 23);
    await labSet(name, 'a', { delayMs: 50 });
    const later = probeStats(await probePath(lab, 'a', { count: 100, intervalMs: 2 }));
    expect(later.p50).to.be.within(49.5, 53);
    expect(await relayPid(name, 'a')).to.equal(pid);
    // The other path is untouched.
    expect(probeStats(await probePath(lab, 'b', { count: 50, intervalMs: 1 })).p50).to.be.below(5);
  });

  it('jitters the delay by about the configured deviation without reordering', async () => {
    await labSet(name, 'a', { delayMs: 30, jitterMs: 5 });
    const r = await probePath(lab, 'a', { count: 150, intervalMs: 10 });
    const s = probeStats(r);
    expect(s.p50).to.be.within(28, 34);
    // The interquartile range of a normal is 1.35 σ; unlike the standard deviation it shrugs off the odd
    // probe delayed by CPU contention on a busy machine.
    const sorted = [...r.delaysMs].sort((x, y) => x - y);
    const iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
    expect(iqr / 1.35).to.be.within(3, 7.5);
    expect(s.reorderedPct).to.equal(0);
  });

  it('loses about the configured share of packets, and the relay counts each one', async () => {
    await labSet(name, 'a', { lossPct: 10 });
    const before = (await labStatus(name)).paths[0].relay?.up.dropLoss ?? 0;
    // 1 ms apart: fast enough for a tight estimate (σ ≈ 0.8 points), slow enough that a busy machine
    // drops nothing else on the way (a 0.5 ms stream once lost 7 % more in socket buffers under load)
    const s = probeStats(await probePath(lab, 'a', { count: 1500, intervalMs: 1 }));
    expect(s.lossPct).to.be.within(7.5, 12.5);
    expect(s.meanLossBurst).to.be.below(1.5);
    const after = (await labStatus(name)).paths[0].relay?.up.dropLoss ?? 0;
    expect(after - before).to.equal(s.sent - s.received);
  });

  it('loses in bursts of about the configured mean length', async () => {
    await labSet(name, 'a', { lossPct: 10, burst: 5 });
    const s = probeStats(await probePath(lab, 'a', { count: 3000, intervalMs: 0.5 }));
    expect(s.lossPct).to.be.within(5, 15);
    expect(s.meanLossBurst).to.be.within(3.5, 7);
  });

  it('reorders about the configured share of packets', async () => {
    await labSet(name, 'a', { reorderPct: 10, reorderMs: 10 });
    const s = probeStats(await probePath(lab, 'a', { count: 1000, intervalMs: 1 }));
    expect(s.received).to.equal(1000);
    expect(s.reorderedPct).to.be.within(6, 14);
  });

  it('drops everything during an outage while the link stays up, and recovers after', async () => {
    const pid = await relayPid(name, 'a');
    await labSet(name, 'a', { outage: true });
    const during = probeStats(await probePath(lab, 'a', { count: 100, intervalMs: 2, idleMs: 200 }));
    expect(during.received).to.equal(0);
    const link = ipJson<Array<{ operstate: string; flags: string[] }>>(['link', 'show', 'a'], { netns: lab.edgeNs })[0];
    expect(link.operstate).to.equal('UP');
    expect(link.flags).to.include('LOWER_UP');
    expect((await labStatus(name)).paths[0].relay?.up.dropOutage).to.be.at.least(100);
    await labSet(name, 'a', { outage: false });
    expect(probeStats(await probePath(lab, 'a', { count: 100, intervalMs: 1 })).received).to.equal(100);
    expect(await relayPid(name, 'a')).to.equal(pid);
  });

  it('impairs one direction only when asked', async () => {
    await labSet(name, 'a', { lossPct: 100 }, 'down');
    try {
      expect(probeStats(await probePath(lab, 'a', { count: 50, intervalMs: 1 })).received).to.equal(50);
      expect(probeStats(await probePath(lab, 'a', { count: 50, intervalMs: 1, direction: 'down', idleMs: 200 })).received).to.equal(0);
    } finally {
      await labSet(name, 'a', { lossPct: 0 }); // both: clears the one-direction setting too
    }
    expect(probeStats(await probePath(lab, 'a', { count: 50, intervalMs: 1, direction: 'down' })).received).to.equal(50);
  });

  it('limits the path MTU: ICMP "fragmentation needed" by default, a silent black hole with icmp off', async () => {
    const a = lab.paths[0];
    await labSet(name, 'a', { mtu: 1400 });
    try {
      // 1450 + 28 bytes of headers: over the MTU. The first probe is refused with ICMP, the rest go fragmented.
      const big = probeStats(await probePath(lab, 'a', { count: 20, intervalMs: 5, size: 1450 }));
      expect(big.received).to.be.at.least(15);
      expect(ip(['route', 'get', lab.gwPublicAddr, 'from', a.edgeAddr], { netns: lab.edgeNs })).to.match(/mtu 1400/);
      ipQuiet(['route', 'flush', 'cache'], { netns: lab.edgeNs });
      await labSet(name, 'a', { pmtuIcmp: false });
      const hole = probeStats(await probePath(lab, 'a', { count: 20, intervalMs: 5, size: 1450, idleMs: 200 }));
      expect(hole.received).to.equal(0);
      expect(ip(['route', 'get', lab.gwPublicAddr, 'from', a.edgeAddr], { netns: lab.edgeNs })).to.not.match(/mtu/);
      expect(probeStats(await probePath(lab, 'a', { count: 20, intervalMs: 1, size: 1300 })).received).to.equal(20);
    } finally {
      await labSet(name, 'a', { mtu: 1500, pmtuIcmp: true });
      ipQuiet(['route', 'flush', 'cache'], { netns: lab.edgeNs });
    }
  });

  it('runs a direct path without a relay: traffic flows, rate applies, impairments are refused', async () => {
    const d = `${name}-d`;
    const dlab = await labUp({ name: d, paths: ['fast:direct'] });
    try {
      expect(probeStats(await probePath(dlab, 'fast', { count: 50, intervalMs: 1 })).received).to.equal(50);
      const s = await labStatus(d);
      expect(s.paths[0].relay).to.equal(null);
      await labSet(d, 'fast', { rateUp: 5e6 });
      expect((await iperfPath(dlab, 'fast', { seconds: 1, udpBps: 10e6 })).receivedMbit).to.be.within(4, 5.1);
      await labSet(d, 'fast', { delayMs: 5 }).then(
        () => expect.fail('a direct path took a delay'),
        (err: Error) => expect(err.message).to.match(/no relay/),
      );
    } finally {
      await labDown(d);
    }
  });

  it('caps throughput at the configured rate, per direction, changed live', async () => {
    await labSet(name, 'a', { rateUp: 10e6, rateDown: 30e6 });
    const up = await iperfMbit(lab, 'a', 2);
    expect(up).to.be.within(8.5, 10.2);
    const down = await iperfMbit(lab, 'a', 2, true);
    expect(down).to.be.within(25.5, 30.5);
    await labSet(name, 'a', { rateUp: 40e6 });
    expect(await iperfMbit(lab, 'a', 2)).to.be.within(34, 40.5);
    const s = await labStatus(name);
    expect(s.paths[0].shaper.up.sentPackets).to.be.above(1000);
  });
});
