/** The pure analyses behind the benchmark figures: quantiles, probe gaps, failback. */
import { expect } from 'chai';
import { quantiles, quantileSorted } from '../bench/measure/quantiles';
import { analyzeProbes, type ProbeRecord } from '../bench/measure/probe-gaps';
import { busiestPath, detectFailback } from '../bench/measure/failover-case';
import { cpuSecondsPerGb } from '../bench/measure/cpu';
import { failoverRows, latencyRows, throughputRows } from '../bench/measure/bench-results';
import type { FailoverCaseResult } from '../bench/measure/failover-case';
import { percentOfCapacity, twoPathRequests } from '../bench/measure/two-path-lab';

/** A 10 ms stream of n probes, RTT 1 ms, with the given seqs unanswered. */
function stream(n: number, lost: number[] = [], start = 1000): ProbeRecord[] {
  return Array.from({ length: n }, (_, seq) => ({
    seq,
    sentAtMs: start + seq * 10,
    receivedAtMs: lost.includes(seq) ? null : start + seq * 10 + 1,
  }));
}

describe('measure: quantiles', () => {
  it('interpolates between ranks', () => {
    expect(quantileSorted([1, 2], 0.5)).to.equal(1.5);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.95)).to.be.closeTo(4.8, 1e-12);
    expect(quantileSorted([7], 0.99)).to.equal(7);
    expect(quantileSorted([], 0.5)).to.be.NaN;
  });

  it('sorts a copy and reports p50/p95/p99/min/max', () => {
    const values = [5, 1, 4, 2, 3];
    const q = quantiles(values);
    expect(q).to.include({ p50: 3, min: 1, max: 5, n: 5 });
    expect(values).to.deep.equal([5, 1, 4, 2, 3]);
  });
});

describe('measure: probe gaps', () => {
  it('an unbroken stream has no gaps and a longest gap of one interval', () => {
    const s = analyzeProbes(stream(100), 10);
    expect(s).to.include({ sent: 100, lost: 0, longestGapMs: 10 });
    expect(s.gaps).to.deep.equal([]);
    expect(s.rttQuantiles.p50).to.equal(1);
  });

  it('a run of losses is one gap from the last reply before to the first reply after', () => {
    const s = analyzeProbes(stream(100, [40, 41, 42, 43, 44]), 10);
    expect(s.lost).to.equal(5);
    expect(s.gaps).to.deep.equal([{ startMs: 1391, endMs: 1451, durationMs: 60, lost: 5 }]);
    expect(s.longestGapMs).to.equal(60);
  });

  it('a single loss stays under the default threshold of 3 intervals', () => {
    const s = analyzeProbes(stream(100, [50]), 10);
    expect(s.lost).to.equal(1);
    expect(s.longestGapMs).to.equal(20);
    expect(s.gaps).to.deep.equal([]);
  });

  it('a tunnel that dies and never returns: the gap runs to the last send', () => {
    const s = analyzeProbes(stream(50, [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]), 10);
    expect(s.longestGapMs).to.equal(1490 - 1391);
    expect(s.gaps.at(-1)).to.include({ lost: 10 });
  });

  it('a tunnel that starts dead: the gap runs from the first send', () => {
    const s = analyzeProbes(stream(50, [0, 1, 2, 3, 4]), 10);
    expect(s.gaps[0]).to.deep.equal({ startMs: 1000, endMs: 1051, durationMs: 51, lost: 5 });
  });

  it('no reply at all: the whole stream is one gap', () => {
    const s = analyzeProbes(stream(10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 10);
    expect(s).to.include({ sent: 10, lost: 10, longestGapMs: 90 });
    expect(s.rttQuantiles.n).to.equal(0);
  });

  it('replies arriving out of order still measure the silence between arrivals', () => {
    const recs = stream(10);
    recs[3].receivedAtMs = 1000 + 60; // probe 3 (sent at 1030) answered late, after probe 5's reply
    const s = analyzeProbes(recs, 10);
    expect(s.longestGapMs).to.equal(20); // nothing arrived between 1021 and 1041
    expect(s.rttQuantiles.max).to.equal(30);
  });
});

describe('measure: failback detection', () => {
  const samples = (points: Array<[number, number]>) => points.map(([atMs, bytes]) => ({ atMs, bytes }));

  it('is the first rise after the restore that starts sustained traffic', () => {
    const s = samples([[0, 100], [20, 100], [40, 100], [60, 100], [80, 1100], [100, 2100], [120, 3100], [140, 4100]]);
    expect(detectFailback(s, 30, 2000, 60)).to.equal(50);
  });

  it('ignores a keepalive trickle below the threshold', () => {
    const s = samples([[0, 0], [20, 80], [40, 80], [60, 160], [80, 160], [100, 5160], [120, 10160]]);
    expect(detectFailback(s, 0, 2000, 60)).to.equal(100);
  });

  it('ignores traffic before the restore', () => {
    const s = samples([[0, 0], [20, 5000], [40, 10000], [60, 10000], [80, 10000]]);
    expect(detectFailback(s, 40, 1000, 60)).to.be.NaN;
  });

  it('the busiest path is the one whose counter grew most', () => {
    expect(busiestPath({ wifi: 1000, lte: 50 }, { wifi: 1100, lte: 9050 })).to.equal('lte');
    expect(() => busiestPath({}, {})).to.throw(/no paths/);
  });
});

describe('measure: CPU per GB', () => {
  it('divides CPU seconds by 10^9-byte units', () => {
    expect(cpuSecondsPerGb(3, 1.5e9)).to.equal(2);
    expect(cpuSecondsPerGb(1, 0)).to.be.NaN;
  });
});

describe('measure: bench rows', () => {
  it('failover rows carry the issue 4 names, the cut path and the probes sent', () => {
    const r = { path: 'wifi', longestGapMs: 250, lostPackets: 20, failbackMs: 800, probe: { sent: 900 } } as unknown as FailoverCaseResult;
    const rows = failoverRows(r, { scheduler: 'rr' });
    expect(rows.map((x) => [x.name, x.value])).to.deep.equal([['failover_gap_ms', 250], ['failover_lost_packets', 20], ['failback_ms', 800]]);
    expect(rows[1].params).to.deep.equal({ scheduler: 'rr', path: 'wifi', sent: 900 });
  });

  it('latency rows: one per quantile, labelled with load and quantile', () => {
    const q = { p50: 1, p95: 2, p99: 3, min: 0, max: 4, n: 10 };
    const rows = latencyRows({ load: 'tcp', rtt: q, added: { p50: 0.5, p95: 1.5, p99: 2.5 }, lost: 0, sent: 10 }, { system: 'braid' });
    expect(rows.map((x) => [x.name, x.value, x.params.quantile, x.params.load])).to.deep.equal([
      ['added_latency_ms', 0.5, 'p50', 'tcp'],
      ['added_latency_ms', 1.5, 'p95', 'tcp'],
      ['added_latency_ms', 2.5, 'p99', 'tcp'],
    ]);
  });

  it('throughput rows add cpu_seconds_per_gb only when CPU was measured', () => {
    const base = { mbps: 100, retransmits: 3, bytes: 1e8, cpuSeconds: 0, cpuSecondsPerGb: NaN };
    expect(throughputRows('veth_mbps', base, {}).map((x) => x.name)).to.deep.equal(['veth_mbps']);
    const rows = throughputRows('openvpn_mbps', { ...base, cpuSeconds: 1, cpuSecondsPerGb: 10 }, { system: 'openvpn' });
    expect(rows.map((x) => [x.name, x.value, x.unit])).to.deep.equal([['openvpn_mbps', 100, 'Mbit/s'], ['cpu_seconds_per_gb', 10, 's/GB']]);
  });
});

describe('measure: two-path lab', () => {
  it('wifi 40 Mbit/s 20 ms RTT and lte 20 Mbit/s 60 ms RTT, or lte at the wifi delay', () => {
    const [wifi, lte] = twoPathRequests() as Array<Record<string, unknown>>;
    expect(wifi).to.include({ name: 'wifi', delayMs: 10, rateUp: 40e6, rateDown: 40e6, jitterMs: 0, lossPct: 0 });
    expect(lte).to.include({ name: 'lte', delayMs: 30, rateUp: 20e6, rateDown: 20e6, jitterMs: 0, lossPct: 0 });
    expect((twoPathRequests({ equalDelays: true })[1] as Record<string, unknown>).delayMs).to.equal(10);
    expect(percentOfCapacity(45)).to.equal(75);
  });
});
