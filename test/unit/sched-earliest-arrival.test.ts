import { expect } from 'chai';
import { PathStatus } from '../../src/core/path/liveness';
import { createScheduler } from '../../src/core/sched/registry';
import { Pick } from '../../src/core/sched/scheduler';
import { FakePath } from '../sim/fake-path';
import { LTE, WIFI } from '../sim/profiles';
import { makeBond, startPingStream } from '../sim/scenario';

const req = (now: number, backlogBytes = 1400) => ({ now, size: 1400, backlogBytes, flow: 1 });

describe('scheduler earliest-arrival', () => {
  const s = createScheduler('earliest-arrival');
  const out = new Pick();
  // wifi: 5000 B/ms (40 Mbit/s), no offset; lte: 2500 B/ms, 20 ms more one-way delay
  const wifi = () => new FakePath(1, { rateBytesPerMs: 5000 });
  const lte = () => new FakePath(2, { rateBytesPerMs: 2500, owdOffsetMs: 20 });

  it('sends a lone packet on the path where it arrives first', () => {
    s.pick(req(100), [lte(), wifi()], out);
    expect([out.count, out.pathIds[0]]).to.deep.equal([1, 1]);
  });

  it('waits for a busy fast path rather than send a lone packet the slow way', () => {
    const w = wifi();
    w.nextSend = 105; // free in 5 ms; lte would take 20 ms longer
    s.pick(req(100), [w, lte()], out);
    expect(out.count).to.equal(0);
    expect(out.waitUntil).to.equal(105);
  });

  it('takes the free slow path when the backlog would keep the fast path busy past its arrival', () => {
    const w = wifi();
    w.nextSend = 105;
    s.pick(req(100, 500_000), [w, lte()], out); // 500 kB = 100 ms of wifi
    expect([out.count, out.pathIds[0]]).to.deep.equal([1, 2]);
  });

  it('spreads a flow whose small backlog never drains (a bulk flow held short by queue management)', () => {
    const ea = createScheduler('earliest-arrival');
    const w = wifi();
    w.nextSend = 100.3;
    const l = lte();
    const r = { now: 100, size: 1400, backlogBytes: 30_000, flow: 9 };
    ea.pick(r, [w, l], out);
    expect(out.count).to.equal(0); // 30 kB is done on wifi before LTE would deliver
    r.now = 131; // still backlogged 31 ms later: more than the 20 ms OWD spread + 10 ms
    w.nextSend = 131.3;
    ea.pick(r, [w, l], out);
    expect(out.pathIds.slice(0, out.count)).to.deep.equal([2]);
    r.backlogBytes = 1400; // drained: light again
    ea.pick(r, [w, l], out);
    expect(out.count).to.equal(0);
  });

  it('sends a resend (urgent) where it arrives first, even when its bulk flow would spread to the free slow path', () => {
    const ea = createScheduler('earliest-arrival');
    const w = wifi();
    w.nextSend = 102; // busy for 2 ms; lte is free but 20 ms slower
    const r = { now: 100, size: 1400, backlogBytes: 500_000, flow: 3, urgent: false };
    ea.pick(r, [w, lte()], out);
    expect(out.pathIds.slice(0, out.count)).to.deep.equal([2]); // new bulk data: the free slow path
    r.urgent = true;
    ea.pick(r, [w, lte()], out);
    expect(out.count).to.equal(0); // the resend waits 2 ms for wifi rather than arrive 18 ms later
    expect(out.waitUntil).to.equal(102);
  });

  it('counts queueing delay in the network and prefers the path without it', () => {
    const w = wifi();
    w.queueDelayMs = 30;
    s.pick(req(100), [w, lte()], out);
    expect(out.pathIds[0]).to.equal(2);
  });

  it('never uses a down path, and falls back to a suspect one only when nothing is up', () => {
    const w = wifi();
    w.status = PathStatus.Down;
    const l = lte();
    s.pick(req(100), [w, l], out);
    expect(out.pathIds.slice(0, out.count)).to.deep.equal([2]);
    l.status = PathStatus.Suspect;
    s.pick(req(100), [w, l], out);
    expect(out.pathIds.slice(0, out.count)).to.deep.equal([2]);
    l.status = PathStatus.Down;
    s.pick(req(100), [w, l], out);
    expect(out.count).to.equal(0);
  });

  it('waits for acks when every window is full', () => {
    const w = wifi();
    w.cwndBytes = 0;
    w.inflightBytes = 10_000;
    s.pick(req(100), [w], out);
    expect(out.count).to.equal(0);
    expect(out.waitUntil).to.equal(Infinity);
  });

  it('in the simulator: a light stream stays on wifi, bulk data uses both paths in proportion to their rates', () => {
    const light = makeBond({ paths: [WIFI, LTE], saturateBytes: 0 });
    const pings = startPingStream(light, 10, 200, 5000);
    light.net.clock.runUntil(5200);
    expect(pings.filter((d) => d.pathId === 1)).to.have.length(0);
    const bulk = makeBond({ paths: [WIFI, LTE] });
    bulk.net.clock.runUntil(6000);
    const share = (bulk.sender.sentOn.get(0) ?? 0) / (bulk.sender.sentOn.get(1) ?? 1);
    expect(share).to.be.within(1.7, 2.3);
  });
});
