import { expect } from 'chai';
import { createScheduler } from '../../src/core/sched/registry';
import { Pick } from '../../src/core/sched/scheduler';
import { FakePath } from '../sim/fake-path';
import { LTE, WIFI } from '../sim/profiles';
import { longestGap, makeBond, startPingStream } from '../sim/scenario';

describe('scheduler redundant', () => {
  it('puts a packet on every free up path, best path first', () => {
    const s = createScheduler('redundant');
    const out = new Pick();
    const slow = new FakePath(1, { owdOffsetMs: 20 });
    const fast = new FakePath(2);
    const busy = new FakePath(3, { nextSend: 50 });
    s.pick({ now: 10, size: 1400, backlogBytes: 1400, flow: 0 }, [slow, fast, busy], out);
    expect(out.pathIds.slice(0, out.count)).to.deep.equal([2, 1]);
  });

  it('in the simulator: a 10 ms stream loses nothing and keeps its pace when wifi is cut', () => {
    const bond = makeBond({ paths: [WIFI, LTE], scheduler: 'redundant', saturateBytes: 0 });
    const pings = startPingStream(bond, 10, 500, 6000);
    bond.net.outage(0, 3000, 4500);
    bond.net.clock.runUntil(6500);
    expect(new Set(pings.map((d) => d.seq)).size).to.equal(550);
    expect(longestGap(pings, 2000, 6000)).to.be.at.most(35); // 10 ms pace + the 20 ms extra one-way delay of LTE
    expect(bond.receiver.duplicatePackets).to.be.greaterThan(300);
  });
});
