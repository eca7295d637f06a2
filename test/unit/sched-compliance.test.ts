import { expect } from 'chai';
import { schedulerNames } from '../../src/core/sched/registry';
import { DSL, HALF_LOSS, LTE, LTE_ROUGH, SATELLITE, WIFI } from '../sim/profiles';
import { GoodputMeter, longestGap, makeBond, startPingStream } from '../sim/scenario';
import type { PathProfile } from '../sim/network';

/**
 * Every registered scheduler, run in the simulator: the promises all of them
 * keep whatever their policy. A new scheduler is covered by being registered.
 */
function bulkGoodput(name: string, paths: PathProfile[], seconds = 6): number {
  const bond = makeBond({ paths, scheduler: name });
  bond.net.clock.runUntil(2000);
  const m = new GoodputMeter(bond);
  m.start();
  bond.net.clock.runUntil(2000 + seconds * 1000);
  expect(bond.sender.capacityViolations, 'sent faster than rate control allows').to.equal(0);
  return m.mbit();
}

const PROFILES: { name: string; paths: PathProfile[] }[] = [
  { name: 'wifi + lte', paths: [WIFI, LTE] },
  { name: 'dsl + rough lte', paths: [DSL, LTE_ROUGH] },
  { name: 'wifi + 50 % loss path', paths: [WIFI, HALF_LOSS] },
  { name: 'lte + 700 ms satellite', paths: [LTE, SATELLITE] },
];

for (const name of schedulerNames()) {
  describe(`scheduler compliance: ${name}`, () => {
    it('never sends data on a down path, nor on a suspect one while another is up, and routes around a cut', () => {
      const bond = makeBond({ paths: [WIFI, LTE], scheduler: name });
      const pings = startPingStream(bond, 10, 500, 8000);
      bond.net.outage(0, 3000, 5000);
      bond.net.clock.runUntil(8000);
      expect(bond.sender.sentOnDownPath).to.equal(0);
      expect(bond.sender.sentOnSuspectWhileUp).to.equal(0);
      expect(bond.sender.capacityViolations).to.equal(0);
      expect(bond.sender.events.filter((e) => e.kind === 'down').map((e) => e.pathId)).to.deep.equal([0]);
      expect(longestGap(pings, 2500, 4900)).to.be.at.most(150);
    });

    it('uses a path again after it returns', () => {
      const bond = makeBond({ paths: [WIFI, LTE], scheduler: name });
      bond.net.outage(0, 2000, 4000);
      bond.net.clock.runUntil(4000);
      const before = bond.sender.sentOn.get(0) ?? 0;
      bond.net.clock.runUntil(7000);
      const up = bond.sender.events.find((e) => e.kind === 'up' && e.pathId === 0 && e.at > 4000);
      expect(up, 'path 0 declared up again').to.exist;
      expect(up!.at).to.be.at.most(4000 + 3000);
      expect((bond.sender.sentOn.get(0) ?? 0) - before).to.be.greaterThan(1000);
    });

    for (const prof of PROFILES) {
      it(`is never below the best single path on ${prof.name}`, () => {
        const bond = bulkGoodput(name, prof.paths);
        const best = Math.max(...prof.paths.map((p) => bulkGoodput(name, [p])));
        expect(bond).to.be.at.least(0.95 * best);
      });
    }

    it('delivers every packet of a light stream when nothing fails', () => {
      const bond = makeBond({ paths: [WIFI, LTE_ROUGH], scheduler: name, saturateBytes: 0 });
      const pings = startPingStream(bond, 10, 100, 3100);
      bond.net.clock.runUntil(4000);
      const seqs = new Set(pings.map((d) => d.seq));
      // 300 pings; the rough LTE loses 0.5 %, so a ping that only went there may be gone
      expect(seqs.size).to.be.at.least(297);
    });

    it('is deterministic for a seed', () => {
      const run = (): number => {
        const bond = makeBond({ paths: [WIFI, LTE_ROUGH], scheduler: name, seed: 3 });
        bond.net.clock.runUntil(1500);
        return bond.receiver.uniqueBytes;
      };
      expect(run()).to.equal(run());
    });
  });
}
