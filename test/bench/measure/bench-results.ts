/**
 * Benchmark rows (name, value, unit, params) from the case results, with the
 * metric names of issue 4, so braid's cases and the peer baselines print
 * alike and land in bench-results.json under the same names.
 */
import type { BenchResult } from '../harness';
import type { FailoverCaseResult } from './failover-case';
import type { LatencyCaseResult } from './latency-case';
import type { ThroughputCaseResult } from './throughput-case';

export type BenchParams = Record<string, string | number | boolean>;

/** `<metric>` in Mbit/s (params.retransmits added), and cpu_seconds_per_gb when CPU was measured. */
export function throughputRows(metric: string, r: ThroughputCaseResult, params: BenchParams): BenchResult[] {
  const rows: BenchResult[] = [{ name: metric, value: r.mbps, unit: 'Mbit/s', params: { ...params, retransmits: r.retransmits } }];
  if (Number.isFinite(r.cpuSecondsPerGb)) rows.push({ name: 'cpu_seconds_per_gb', value: r.cpuSecondsPerGb, unit: 's/GB', params });
  return rows;
}

/** failover_gap_ms, failover_lost_packets, failback_ms (NaN failback: the path never came back into use). */
export function failoverRows(r: FailoverCaseResult, params: BenchParams): BenchResult[] {
  const p = { ...params, path: r.path };
  return [
    { name: 'failover_gap_ms', value: r.longestGapMs, unit: 'ms', params: p },
    { name: 'failover_lost_packets', value: r.lostPackets, unit: 'packets', params: { ...p, sent: r.probe.sent } },
    { name: 'failback_ms', value: r.failbackMs, unit: 'ms', params: p },
  ];
}

/** added_latency_ms for p50, p95 and p99, with params.load and params.quantile. */
export function latencyRows(r: LatencyCaseResult, params: BenchParams): BenchResult[] {
  return (['p50', 'p95', 'p99'] as const).map((quantile) => ({
    name: 'added_latency_ms',
    value: r.added[quantile],
    unit: 'ms',
    params: { ...params, load: r.load, quantile },
  }));
}
