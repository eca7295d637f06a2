import { expect } from 'chai';
import { createScheduler } from '../../src/core/sched/registry';
import { Pick } from '../../src/core/sched/scheduler';
import { FakePath } from '../sim/fake-path';
import { LTE, WIFI } from '../sim/profiles';
import { makeBond, startPingStream } from '../sim/scenario';

describe('scheduler lowest-latency', () => {
  const s = createScheduler('lowest-latency');
  const out = new Pick();

  it('takes the free path with the smallest RTT, and the next one when that is busy', () => {
    const a = new FakePath(1, { srttMs: 20 });
    const b = new FakePath(2, { srttMs: 60 });
    s.pick({ now: 10, size: 1400, backlogBytes: 1400, flow: 0 }, [b, a], out);
    expect(out.pathIds[0]).to.equal(1);
    a.nextSend = 11;
    s.pick({ now: 10, size: 1400, backlogBytes: 1400, flow: 0 }, [b, a], out);
    expect(out.pathIds[0]).to.equal(2);
    b.nextSend = 12;
    s.pick({ now: 10, size: 1400, backlogBytes: 1400, flow: 0 }, [b, a], out);
    expect([out.count, out.waitUntil]).to.deep.equal([0, 11]);
  });

  it('in the simulator: a light stream rides the low-RTT path only', () => {
    const bond = makeBond({ paths: [LTE, WIFI], scheduler: 'lowest-latency', saturateBytes: 0 });
    const pings = startPingStream(bond, 10, 200, 4000);
    bond.net.clock.runUntil(4200);
    expect(pings.length).to.be.greaterThan(370);
    expect(pings.every((d) => d.pathId === 1)).to.equal(true);
  });
});
