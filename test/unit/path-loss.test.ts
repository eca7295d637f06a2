import { expect } from 'chai';
import { HALF_LOSS, LTE_ROUGH, WIFI } from '../sim/profiles';
import { makeBond } from '../sim/scenario';

describe('path loss gate (simulated)', () => {
  it('sets a path losing half its packets aside while a clean path is up', () => {
    const bond = makeBond({ paths: [WIFI, HALF_LOSS] });
    bond.net.clock.runUntil(5000);
    const lossy0 = bond.sender.sentOn.get(1) ?? 0;
    const clean0 = bond.sender.sentOn.get(0)!;
    bond.net.clock.runUntil(10_000);
    expect(bond.sender.paths.get(1)!.lossy).to.equal(true);
    const lossyShare = ((bond.sender.sentOn.get(1) ?? 0) - lossy0) / (bond.sender.sentOn.get(0)! - clean0);
    expect(lossyShare).to.be.below(0.01);
  });

  it('trusts the path again once its probes stop getting lost', () => {
    const bond = makeBond({ paths: [WIFI, HALF_LOSS] });
    bond.net.clock.runUntil(5000);
    bond.net.link(1).set({ ...HALF_LOSS.ab, loss: 0 });
    bond.net.link(1, 'B').set({ ...HALF_LOSS.ab, loss: 0 });
    bond.net.clock.runUntil(10_000);
    const before = bond.sender.sentOn.get(1) ?? 0;
    bond.net.clock.runUntil(12_000);
    expect(bond.sender.paths.get(1)!.lossy).to.equal(false);
    expect((bond.sender.sentOn.get(1) ?? 0) - before).to.be.greaterThan(1000);
  });

  it('keeps using a path with ordinary loss (0.5 %)', () => {
    const bond = makeBond({ paths: [WIFI, LTE_ROUGH] });
    bond.net.clock.runUntil(8000);
    expect(bond.sender.paths.get(1)!.lossy).to.equal(false);
    const p = bond.sender.paths.get(1)!;
    expect(p.lostPackets / p.sentPackets).to.be.within(0.002, 0.01);
  });
});

describe('path loss recovery (simulated)', () => {
  it('resends datagrams proven lost on their path while they are young, so nearly nothing is missing', () => {
    const lossy = { ab: { rateMbit: 20, delayMs: 30, loss: 0.02 } };
    const bond = makeBond({ paths: [WIFI, lossy], recoverLossWithinMs: 150 });
    // under a bulk load every LTE datagram in flight is a hole in the seq space: the
    // SACK ranges must reach back one LTE round trip for a loss to be provable
    bond.receiver.sackRanges = 256;
    bond.net.clock.runUntil(8000);
    const lost = bond.net.link(1).stats.droppedLoss;
    expect(lost).to.be.greaterThan(100);
    expect(bond.sender.recoveredPackets).to.be.within(0.8 * lost, 1.2 * lost);
  });

  it('resends nothing unless asked to', () => {
    const bond = makeBond({ paths: [WIFI, LTE_ROUGH] });
    bond.receiver.sackRanges = 64;
    bond.net.clock.runUntil(3000);
    expect(bond.sender.recoveredPackets).to.equal(0);
  });
});
