import { expect } from 'chai';
import { PathStatus } from '../../src/core/path/liveness';
import { createScheduler } from '../../src/core/sched/registry';
import { Pick } from '../../src/core/sched/scheduler';
import { FakePath } from '../sim/fake-path';
import { LTE, WIFI } from '../sim/profiles';
import { GoodputMeter, makeBond } from '../sim/scenario';

describe('scheduler priority', () => {
  it('leaves a backup path idle while any primary is up, even if the backup is free and the primary busy', () => {
    const s = createScheduler('priority');
    const out = new Pick();
    const primary = new FakePath(1, { nextSend: 150 });
    const backup = new FakePath(2, { backup: true, srttMs: 5 });
    s.pick({ now: 100, size: 1400, backlogBytes: 1e7, flow: 0 }, [primary, backup], out);
    expect(out.count).to.equal(0);
    expect(out.waitUntil).to.equal(150);
    primary.status = PathStatus.Down;
    s.pick({ now: 100, size: 1400, backlogBytes: 1e7, flow: 0 }, [primary, backup], out);
    expect(out.pathIds.slice(0, out.count)).to.deep.equal([2]);
  });

  it('in the simulator: LTE backup carries data only while wifi is down, then goes idle again', () => {
    const bond = makeBond({ paths: [WIFI, LTE], scheduler: 'priority', configs: [{}, { backup: true }] });
    bond.net.clock.runUntil(3000);
    expect(bond.sender.sentOn.get(1) ?? 0).to.equal(0);
    bond.net.outage(0, 3000, 5000);
    bond.net.clock.runUntil(4900);
    const m = new GoodputMeter(bond);
    m.start();
    bond.net.clock.runUntil(5000);
    expect(m.mbit()).to.be.at.least(15); // LTE took over
    bond.net.clock.runUntil(6000); // wifi back (three good probes)
    const onLte = bond.sender.sentOn.get(1)!;
    bond.net.clock.runUntil(8000);
    expect(bond.sender.sentOn.get(1)).to.equal(onLte);
  });
});
