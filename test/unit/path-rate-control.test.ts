import { expect } from 'chai';
import { GoodputMeter, makeBond, type Bond } from '../sim/scenario';
import type { PathProfile } from '../sim/network';

/** Mean queueing delay on the A→B link of `path` between two snapshots, ms. */
function queueMeter(bond: Bond, path: number): () => number {
  const s = bond.net.link(path).stats;
  const sum0 = s.sumQueueDelayMs;
  const n0 = s.sent - s.droppedQueue;
  return () => (s.sumQueueDelayMs - sum0) / Math.max(1, s.sent - s.droppedQueue - n0);
}

const LTE_DEEP: PathProfile = { ab: { rateMbit: 20, delayMs: 30, queueBytes: 500_000 } }; // 200 ms of buffer

describe('path rate control (simulated)', () => {
  it('fills one path to its capacity without filling its deep buffer', () => {
    const bond = makeBond({ paths: [LTE_DEEP] });
    bond.net.clock.runUntil(2000);
    const m = new GoodputMeter(bond);
    m.start();
    const q = queueMeter(bond, 0);
    const drops0 = bond.net.link(0).stats.droppedQueue;
    bond.net.clock.runUntil(12_000);
    expect(m.mbit()).to.be.at.least(19);
    expect(q()).to.be.at.most(20);
    expect(bond.net.link(0).stats.droppedQueue - drops0).to.equal(0);
    const est = (bond.sender.paths.get(0)!.rateBytesPerMs * 8) / 1000;
    expect(est).to.be.within(18, 22);
  });

  it('follows a capacity drop within two seconds and drains the queue it caused', () => {
    const bond = makeBond({ paths: [LTE_DEEP] });
    bond.net.clock.runUntil(5000);
    bond.net.link(0).set({ ...LTE_DEEP.ab, rateMbit: 5 });
    bond.net.clock.runUntil(7000);
    const est = (bond.sender.paths.get(0)!.rateBytesPerMs * 8) / 1000;
    expect(est).to.be.within(4, 6.5);
    const q = queueMeter(bond, 0);
    const m = new GoodputMeter(bond);
    m.start();
    bond.net.clock.runUntil(12_000);
    expect(q()).to.be.at.most(30);
    expect(m.mbit()).to.be.at.least(4.5);
  });

  it('finds more capacity when the path speeds up', () => {
    const bond = makeBond({ paths: [{ ab: { rateMbit: 5, delayMs: 20 } }] });
    bond.net.clock.runUntil(3000);
    bond.net.link(0).set({ rateMbit: 40, delayMs: 20 });
    bond.net.clock.runUntil(6000);
    const m = new GoodputMeter(bond);
    m.start();
    bond.net.clock.runUntil(8000);
    expect(m.mbit()).to.be.at.least(36);
  });

  it('keeps its rate on a path with light random loss (loss alone is not congestion)', () => {
    const bond = makeBond({ paths: [{ ab: { rateMbit: 20, delayMs: 30, loss: 0.01 } }] });
    bond.net.clock.runUntil(2000);
    const m = new GoodputMeter(bond);
    m.start();
    bond.net.clock.runUntil(10_000);
    expect(m.mbit()).to.be.at.least(18);
  });

  it('never paces above a configured maximum rate', () => {
    const bond = makeBond({ paths: [{ ab: { rateMbit: 40, delayMs: 10 } }], configs: [{ maxRateBytesPerSec: 1_000_000 }] });
    bond.net.clock.runUntil(1000);
    const m = new GoodputMeter(bond);
    m.start();
    bond.net.clock.runUntil(5000);
    expect(m.mbit()).to.be.within(7.5, 8.05);
  });

  it('estimates each path of a bond near its own capacity', () => {
    const bond = makeBond({ paths: [{ ab: { rateMbit: 40, delayMs: 10 } }, LTE_DEEP] });
    bond.net.clock.runUntil(8000);
    const est = bond.sender.paths.paths.map((p) => (p.rateBytesPerMs * 8) / 1000);
    expect(est[0]).to.be.within(36, 44);
    expect(est[1]).to.be.within(18, 22);
  });
});

describe('path rate control on a sub-millisecond path (simulated)', () => {
  /** Estimate (Mbit/s) before a 30 ms delay spike and its lowest value in the 200 ms after. */
  function spike(delayMs: number): { before: number; after: number } {
    const base: PathProfile = { ab: { rateMbit: 400, delayMs, queueBytes: 2_000_000 } };
    const bond = makeBond({ paths: [base], saturateBytes: 1 << 20 });
    bond.net.clock.runUntil(1500);
    const p = bond.sender.paths.get(0)!;
    const before = (p.rateBytesPerMs * 8) / 1000;
    // the far daemon is not scheduled for 30 ms: everything in flight arrives 30 ms late
    bond.net.link(0).set({ ...base.ab, delayMs: delayMs + 30 });
    bond.net.link(0, 'B').set({ ...base.ab, delayMs: delayMs + 30 });
    bond.net.clock.runUntil(1530);
    bond.net.link(0).set(base.ab);
    bond.net.link(0, 'B').set(base.ab);
    let after = before;
    for (let t = 1530; t <= 1730; t += 5) {
      bond.net.clock.runUntil(t);
      after = Math.min(after, (p.rateBytesPerMs * 8) / 1000);
    }
    return { before, after };
  }

  it('a stall on a LAN-like path (min RTT 0.3 ms) cuts the estimate by at most 30 %; on a 30 ms path the same spike cuts to what was delivered', () => {
    const lan = spike(0.15);
    expect(lan.before).to.be.above(300);
    expect(lan.after).to.be.at.least(0.69 * lan.before);
    const wan = spike(15);
    expect(wan.before).to.be.above(300);
    expect(wan.after).to.be.below(0.6 * wan.before);
  });
});
