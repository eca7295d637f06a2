import { expect } from 'chai';
import { SeededRandom } from '../../src/core/random';
import { DROP_LOSS, DROP_OUTAGE, ImpairmentModel, JITTER_HOLD_MS, NO_IMPAIRMENT } from '../../src/lab/impairment';

/** Runs n packets, one every `gap` ms from t=0, and returns the model's answers. */
function run(model: ImpairmentModel, n: number, gap: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(model.admit(i * gap));
  return out;
}

function lossRuns(results: number[]): number[] {
  const runs: number[] = [];
  let cur = 0;
  for (const r of results) {
    if (r === DROP_LOSS) cur++;
    else if (cur > 0) {
      runs.push(cur);
      cur = 0;
    }
  }
  if (cur > 0) runs.push(cur);
  return runs;
}

describe('lab impairment model', () => {
  it('passes packets straight through with no impairment', () => {
    const m = new ImpairmentModel(new SeededRandom(1));
    expect(run(m, 5, 3)).to.deep.equal([0, 3, 6, 9, 12]);
  });

  it('delays every packet by exactly the configured one-way delay', () => {
    const m = new ImpairmentModel(new SeededRandom(1), { delayMs: 25 });
    expect(run(m, 4, 1.5)).to.deep.equal([25, 26.5, 28, 29.5]);
  });

  it('drops everything during an outage and recovers when it ends', () => {
    const m = new ImpairmentModel(new SeededRandom(1), { delayMs: 5 });
    m.configure({ outage: true });
    expect(run(m, 3, 1)).to.deep.equal([DROP_OUTAGE, DROP_OUTAGE, DROP_OUTAGE]);
    m.configure({ outage: false });
    expect(m.admit(10)).to.equal(15);
  });

  it('is exactly repeatable for a seed and differs between seeds', () => {
    const params = { delayMs: 10, jitterMs: 3, lossPct: 5, burst: 3, reorderPct: 2 };
    const a = run(new ImpairmentModel(new SeededRandom(7), params), 2000, 1);
    const b = run(new ImpairmentModel(new SeededRandom(7), params), 2000, 1);
    const c = run(new ImpairmentModel(new SeededRandom(8), params), 2000, 1);
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
  });

  it('loses the configured share of packets independently when burst is 1', () => {
    const r = run(new ImpairmentModel(new SeededRandom(42), { lossPct: 10 }), 100_000, 1);
    const lost = r.filter((x) => x === DROP_LOSS).length;
    expect(lost / r.length).to.be.within(0.097, 0.103);
    const runs = lossRuns(r);
    // Independent losses: mean run length 1/(1-p) = 1.11.
    expect(runs.reduce((s, x) => s + x, 0) / runs.length).to.be.within(1.08, 1.14);
  });

  it('loses the same share in bursts of the configured mean length (Gilbert model)', () => {
    const r = run(new ImpairmentModel(new SeededRandom(42), { lossPct: 5, burst: 4 }), 200_000, 1);
    const lost = r.filter((x) => x === DROP_LOSS).length;
    expect(lost / r.length).to.be.within(0.046, 0.054);
    const runs = lossRuns(r);
    expect(runs.reduce((s, x) => s + x, 0) / runs.length).to.be.within(3.7, 4.3);
  });

  it('jitters the delay with the configured standard deviation, never below zero', () => {
    const m = new ImpairmentModel(new SeededRandom(3), { delayMs: 20, jitterMs: 5 });
    // Packets far enough apart that each gets a fresh draw and none waits behind the one before.
    const gap = 5 * JITTER_HOLD_MS;
    const delays = run(m, 20_000, gap).map((r, i) => r - i * gap);
    const mean = delays.reduce((s, x) => s + x, 0) / delays.length;
    const sd = Math.sqrt(delays.reduce((s, x) => s + (x - mean) ** 2, 0) / delays.length);
    expect(mean).to.be.within(19.8, 20.2);
    expect(sd).to.be.within(4.7, 5.1); // clipping at ±3σ trims it by about 1 %
    expect(Math.min(...delays)).to.be.at.least(5);
    expect(Math.max(...delays)).to.be.at.most(35);
  });

  it('keeps packets in order under jitter (a link does not reorder by itself)', () => {
    const m = new ImpairmentModel(new SeededRandom(5), { delayMs: 10, jitterMs: 8 });
    const r = run(m, 5000, 0.5);
    for (let i = 1; i < r.length; i++) expect(r[i]).to.be.at.least(r[i - 1]);
    const m0 = new ImpairmentModel(new SeededRandom(5), { delayMs: 0, jitterMs: 8 });
    for (let i = 0; i < 1000; i++) expect(m0.admit(i)).to.be.at.least(i);
  });

  it('holds back the configured share of packets so later ones overtake them', () => {
    const m = new ImpairmentModel(new SeededRandom(9), { delayMs: 5, reorderPct: 10, reorderMs: 10 });
    const r = run(m, 50_000, 1);
    let late = 0;
    for (let i = 0; i < r.length; i++) {
      if (r[i] === i + 15) late++;
      else expect(r[i]).to.equal(i + 5);
    }
    expect(late / r.length).to.be.within(0.095, 0.105);
  });

  it('applies a change at once but never lets a packet overtake one admitted earlier', () => {
    const m = new ImpairmentModel(new SeededRandom(1), { delayMs: 100 });
    expect(m.admit(0)).to.equal(100);
    m.configure({ delayMs: 0 });
    expect(m.admit(1)).to.equal(100); // waits behind the packet still on the wire
    expect(m.admit(200)).to.equal(200);
    expect(m.current).to.deep.equal({ ...NO_IMPAIRMENT, delayMs: 0 });
  });

  it('loses everything at 100 % loss, bursty or not', () => {
    for (const burst of [1, 5]) {
      const r = run(new ImpairmentModel(new SeededRandom(1), { lossPct: 100, burst }), 100, 1);
      expect(r.every((x) => x === DROP_LOSS)).to.equal(true);
    }
  });
});
