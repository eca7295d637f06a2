import { expect } from 'chai';
import { createScheduler } from '../../src/core/sched/registry';
import { Pick } from '../../src/core/sched/scheduler';
import { FakePath } from '../sim/fake-path';
import { LTE, WIFI } from '../sim/profiles';
import { makeBond, percentile } from '../sim/scenario';
import type { Delivery } from '../sim/model-receiver';

describe('scheduler wrr', () => {
  it('shares bytes by weight among free paths', () => {
    const s = createScheduler('wrr');
    const out = new Pick();
    const a = new FakePath(1, { weight: 3 });
    const b = new FakePath(2, { weight: 1 });
    const count = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      s.pick({ now: i, size: 1000, backlogBytes: 1e6, flow: 0 }, [a, b], out);
      count.set(out.pathIds[0], (count.get(out.pathIds[0]) ?? 0) + 1);
    }
    expect(count.get(1)).to.equal(3000);
    expect(count.get(2)).to.equal(1000);
  });

  it('follows configured weights whatever the paths\' delays', () => {
    const s = createScheduler('wrr');
    const out = new Pick();
    const a = new FakePath(1, { weight: 2 });
    const b = new FakePath(2, { weight: 1, owdOffsetMs: 20 });
    let onB = 0;
    for (let i = 0; i < 3000; i++) {
      s.pick({ now: i, size: 1000, backlogBytes: 1000, flow: 0 }, [a, b], out);
      if (out.pathIds[0] === 2) onB++;
    }
    expect(onB).to.equal(1000);
  });

  it('without weights: a slower path takes turns only while the faster one is busy', () => {
    const s = createScheduler('wrr');
    const out = new Pick();
    const a = new FakePath(1, { rateBytesPerMs: 5000 });
    const b = new FakePath(2, { rateBytesPerMs: 2500, owdOffsetMs: 20 });
    const c = new FakePath(3, { rateBytesPerMs: 2500, owdOffsetMs: 1 }); // same delay class as a
    const count = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      s.pick({ now: i, size: 1000, backlogBytes: 1000, flow: 0 }, [a, b, c], out);
      count.set(out.pathIds[0], (count.get(out.pathIds[0]) ?? 0) + 1);
    }
    expect(count.get(1)).to.equal(2000); // a and c by rate, 2:1
    expect(count.get(3)).to.equal(1000);
    expect(count.get(2)).to.equal(undefined);
    a.nextSend = Infinity; // a's pacer busy: work-conserving, c then b
    c.nextSend = Infinity;
    s.pick({ now: 3000, size: 1000, backlogBytes: 1000, flow: 0 }, [a, b, c], out);
    expect(out.pathIds[0]).to.equal(2);
  });

  it('does not let a returning path catch up on everything it missed', () => {
    const s = createScheduler('wrr');
    const out = new Pick();
    const a = new FakePath(1);
    const b = new FakePath(2);
    for (let i = 0; i < 1000; i++) s.pick({ now: i, size: 1000, backlogBytes: 1e6, flow: 0 }, [a], out);
    let onB = 0;
    for (let i = 1000; i < 1200; i++) {
      s.pick({ now: i, size: 1000, backlogBytes: 1e6, flow: 0 }, [a, b], out);
      if (out.pathIds[0] === 2) onB++;
    }
    expect(onB).to.be.below(170); // at most 64 kB of catching up, then an even split
  });

  it('in the simulator: two equal fast paths weighted 3:1 carry a 32 Mbit/s load 3:1', () => {
    const fat = { ab: { rateMbit: 100, delayMs: 10 } };
    const bond = makeBond({ paths: [fat, fat], scheduler: 'wrr', saturateBytes: 0, configs: [{ weight: 3 }, { weight: 1 }] });
    for (let t = 0; t < 3000; t += 0.35) bond.net.clock.at(t, () => bond.sender.enqueue(1400)); // 4 MB/s
    bond.net.clock.runUntil(1000); // both paths out of startup
    const a0 = bond.sender.sentOn.get(0)!;
    const b0 = bond.sender.sentOn.get(1)!;
    bond.net.clock.runUntil(3000);
    const ratio = (bond.sender.sentOn.get(0)! - a0) / (bond.sender.sentOn.get(1)! - b0);
    expect(ratio).to.be.within(2.8, 3.2);
  });

  /** A 12 Mbit/s stream (well below wifi's 40) after 2 s: latency above wifi's delay and share per path id. */
  function lightStream(lteDelayMs: number): { p95: number; lteShare: number } {
    const bond = makeBond({ paths: [WIFI, { ab: { ...LTE.ab, delayMs: lteDelayMs } }], scheduler: 'wrr', saturateBytes: 0 });
    const got: Delivery[] = [];
    bond.receiver.onDeliver = (d) => {
      if (d.at > 2000) got.push(d);
    };
    for (let t = 0; t < 4000; t += 1) bond.net.clock.at(t, () => bond.sender.enqueue(1500));
    bond.net.clock.runUntil(4200);
    const lat = got.map((d) => d.latencyMs - WIFI.ab.delayMs!);
    return { p95: percentile(lat, 95), lteShare: got.filter((d) => d.pathId === 1).length / got.length };
  }

  it('in the simulator without weights: a light flow stays on wifi when LTE is 20 ms slower one way', () => {
    // a rate split would put a third on LTE: every packet then waits for LTE at the receiver
    const r = lightStream(30);
    expect(r.lteShare).to.be.below(0.02);
    expect(r.p95).to.be.below(5);
  });

  it('in the simulator without weights: on paths of equal delay a light flow still takes turns on both', () => {
    // (a light flow keeps both rate estimates app-limited, so the turns come out near even)
    const r = lightStream(10);
    expect(r.lteShare).to.be.within(0.2, 0.6);
    expect(r.p95).to.be.below(5);
  });
});
