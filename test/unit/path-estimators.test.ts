import { expect } from 'chai';
import fc from 'fast-check';
import { RttEstimator } from '../../src/core/path/rtt-estimator';
import { SentLedger } from '../../src/core/path/sent-ledger';
import { WindowedFilter } from '../../src/core/path/windowed-filter';
import { ReinjectBudget } from '../../src/core/path/reinject-budget';

describe('path: windowed max/min filter', () => {
  it('never misses an extreme inside the window, never holds one older than two windows', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 300 }), fc.boolean(), (xs, max) => {
        const window = 20;
        const f = new WindowedFilter(window, max);
        xs.forEach((v, t) => {
          const got = f.update(t, v);
          const inWindow = xs.slice(Math.max(0, t - window), t + 1);
          const truth = max ? Math.max(...inWindow) : Math.min(...inWindow);
          // the three-sample scheme may hold an extreme a little past the window, never drop one inside it
          if (max) expect(got).to.be.at.least(truth);
          else expect(got).to.be.at.most(truth);
          const wider = xs.slice(Math.max(0, t - 2 * window), t + 1);
          expect(wider).to.include(got);
        });
      }),
    );
  });

  it('forgets a peak once it is a full window old', () => {
    const f = new WindowedFilter(10, true);
    f.update(0, 100);
    for (let t = 1; t <= 30; t++) f.update(t, 5);
    expect(f.value).to.equal(5);
  });
});

describe('path: RTT estimator', () => {
  it('starts from the first sample and smooths with gains 1/8 and 1/4', () => {
    const r = new RttEstimator(100, 10_000);
    expect(r.smoothed).to.equal(100);
    r.onSample(0, 40);
    expect([r.srtt, r.rttvar, r.min]).to.deep.equal([40, 20, 40]);
    r.onSample(1, 80);
    expect(r.srtt).to.equal(45);
    expect(r.rttvar).to.equal(25);
    expect(r.min).to.equal(40);
  });

  it('ignores nonsense samples', () => {
    const r = new RttEstimator(100, 10_000);
    r.onSample(0, -5);
    r.onSample(0, NaN);
    r.onSample(0, Infinity);
    expect(r.hasSample).to.equal(false);
  });

  it('lets the minimum rise after the window when the path gets longer', () => {
    const r = new RttEstimator(100, 1000);
    r.onSample(0, 20);
    for (let t = 100; t <= 3000; t += 100) r.onSample(t, 50);
    expect(r.min).to.equal(50);
  });
});

describe('path: sent ledger', () => {
  it('keys records by pathSeq, counts bytes in flight and pops what the peer resolved', () => {
    const l = new SentLedger(16);
    for (let i = 0; i < 100; i++) expect(l.push(1000 + i, 100 + i, i, 0, 0, 0, false)).to.equal(i + 1);
    expect(l.seqAt(50)).to.equal(1049);
    expect(l.sizeAt(50)).to.equal(149);
    const total = Array.from({ length: 100 }, (_, i) => 100 + i).reduce((a, b) => a + b);
    expect(l.inflightBytes).to.equal(total);
    l.markLost(3);
    l.markLost(3);
    expect(l.inflightBytes).to.equal(total - 102);
    l.popThrough(10);
    expect(l.first).to.equal(11);
    expect(l.inflightBytes).to.equal(total - (100 + 101 + 102 + 103 + 104 + 105 + 106 + 107 + 108 + 109));
    l.popThrough(1000);
    expect(l.count).to.equal(0);
    expect(l.inflightBytes).to.equal(0);
    expect(l.push(1, 1, 0, 0, 0, 0, false)).to.equal(101);
  });
});

describe('path: reinjection budget', () => {
  it('allows at most 5 % of sent bytes over a long run, after the initial allowance', () => {
    const b = new ReinjectBudget(0.05, 256 * 1024, 64 * 1024);
    let spent = 0;
    for (let i = 0; i < 100_000; i++) {
      b.onSent(1400);
      const take = Math.min(b.available, 1400);
      b.spend(take);
      spent += take;
    }
    expect(spent).to.be.at.most(0.05 * 1400 * 100_000 + 64 * 1024);
    expect(spent).to.be.at.least(0.049 * 1400 * 100_000);
  });
});
