import { expect } from 'chai';
import { VirtualClock } from '../sim/clock';
import { SimNetwork } from '../sim/network';

interface Msg { n: number }

function collect(net: SimNetwork<Msg>, side: 'A' | 'B'): { n: number; at: number; path: number }[] {
  const got: { n: number; at: number; path: number }[] = [];
  net.onReceive(side, (path, d, at) => got.push({ n: d.n, at, path }));
  return got;
}

describe('sim: virtual clock', () => {
  it('runs events in time order, ties in insertion order, and jumps time', () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.at(50, () => seen.push('b'));
    c.at(10, () => seen.push('a'));
    c.at(50, () => seen.push('c'));
    const t = c.at(20, () => seen.push('cancelled'));
    c.cancel(t);
    c.runUntil(49);
    expect(seen).to.deep.equal(['a']);
    expect(c.now).to.equal(49);
    c.runUntil(1000);
    expect(seen).to.deep.equal(['a', 'b', 'c']);
    expect(c.now).to.equal(1000);
  });

  it('lets events schedule events, never in the past', () => {
    const c = new VirtualClock();
    const times: number[] = [];
    c.at(5, (now) => c.at(now - 100, (t) => times.push(t)));
    c.runUntil(10);
    expect(times).to.deep.equal([5]);
  });
});

describe('sim: network paths', () => {
  it('delays by propagation plus serialization at the path rate', () => {
    const net = new SimNetwork<Msg>([{ ab: { rateMbit: 8, delayMs: 10 } }]); // 8 Mbit/s = 1000 B/ms
    const got = collect(net, 'B');
    net.send('A', 0, { n: 1 }, 1000);
    net.send('A', 0, { n: 2 }, 1000);
    net.clock.runUntil(100);
    expect(got.map((g) => g.at)).to.deep.equal([11, 12]);
  });

  it('moves datagrams both ways on each path with per-path stats', () => {
    const net = new SimNetwork<Msg>([{ ab: { delayMs: 5 } }, { ab: { delayMs: 20 }, ba: { delayMs: 40 } }]);
    const atB = collect(net, 'B');
    const atA = collect(net, 'A');
    net.send('A', 1, { n: 1 }, 100);
    net.send('B', 1, { n: 2 }, 100);
    net.send('B', 0, { n: 3 }, 100);
    net.clock.runUntil(100);
    expect(atB).to.deep.equal([{ n: 1, at: 20, path: 1 }]);
    expect(atA).to.deep.equal([{ n: 3, at: 5, path: 0 }, { n: 2, at: 40, path: 1 }]);
    expect(net.link(1, 'B').stats.delivered).to.equal(1);
  });

  it('drops at the tail when the queue is full', () => {
    const net = new SimNetwork<Msg>([{ ab: { rateMbit: 8, delayMs: 1, queueBytes: 3000 } }]);
    const got = collect(net, 'B');
    for (let i = 0; i < 10; i++) net.send('A', 0, { n: i }, 1000);
    net.clock.runUntil(100);
    expect(got.map((g) => g.n)).to.deep.equal([0, 1, 2]);
    expect(net.link(0).stats.droppedQueue).to.equal(7);
  });

  it('drops datagrams above the MTU', () => {
    const net = new SimNetwork<Msg>([{ ab: { delayMs: 1, mtu: 1280 } }]);
    const got = collect(net, 'B');
    net.send('A', 0, { n: 1 }, 1281);
    net.send('A', 0, { n: 2 }, 1280);
    net.clock.runUntil(10);
    expect(got.map((g) => g.n)).to.deep.equal([2]);
    expect(net.link(0).stats.droppedMtu).to.equal(1);
  });

  it('loses a seeded random share, the same one for the same seed', () => {
    const run = (seed: number): number[] => {
      const net = new SimNetwork<Msg>([{ ab: { delayMs: 1, loss: 0.3 } }], { seed });
      const got = collect(net, 'B');
      for (let i = 0; i < 2000; i++) net.send('A', 0, { n: i }, 100);
      net.clock.runUntil(10);
      return got.map((g) => g.n);
    };
    const a = run(7);
    expect(a.length).to.be.within(1300, 1500);
    expect(run(7)).to.deep.equal(a);
    expect(run(8)).to.not.deep.equal(a);
  });

  it('stays FIFO under jitter unless reordering is allowed', () => {
    const run = (reorder: boolean): number[] => {
      const net = new SimNetwork<Msg>([{ ab: { delayMs: 20, jitterMs: 10, reorder } }]);
      const got = collect(net, 'B');
      for (let i = 0; i < 200; i++) net.clock.at(i * 0.5, () => net.send('A', 0, { n: i }, 100));
      net.clock.runUntil(1000);
      return got.map((g) => g.n);
    };
    const fifo = run(false);
    expect(fifo).to.deep.equal([...fifo].sort((x, y) => x - y));
    const mixed = run(true);
    expect(mixed).to.have.length(200);
    expect(mixed).to.not.deep.equal([...mixed].sort((x, y) => x - y));
  });

  it('loses everything during an outage, including datagrams in flight, then recovers', () => {
    const net = new SimNetwork<Msg>([{ ab: { delayMs: 10 } }]);
    const got = collect(net, 'B');
    net.outage(0, 100, 200);
    for (let t = 0; t < 300; t += 5) net.clock.at(t, () => net.send('A', 0, { n: t }, 100));
    net.clock.runUntil(400);
    const sent = got.map((g) => g.n);
    expect(sent.filter((t) => t >= 90 && t < 200)).to.deep.equal([]);
    expect(sent).to.include(85);
    expect(sent).to.include(200);
    expect(net.link(0).stats.droppedOutage).to.equal(22);
  });
});
