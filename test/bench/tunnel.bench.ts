/**
 * braid itself over the lab (issue 4's benchmark): real `braid up` daemons,
 * real iperf3 and irtt traffic between the app host behind the gateway and
 * the edge's namespace.
 *   1. single_path_mbps (+ CPU s/GB): one clean path, no rate limit
 *   2. two_path_mbps per scheduler: wifi 40 Mbit/s 20 ms + lte 20 Mbit/s 60 ms (and equal delays)
 *   3. failover_gap_ms / failover_lost_packets / failback_ms per scheduler
 *   4. added_latency_ms idle and under one saturating TCP flow
 * BRAID_BENCH_SECONDS sets each transfer's length (default 5);
 * BRAID_BENCH_SCHEDULERS limits the schedulers (comma list).
 */
import { randomBytes } from 'crypto';
import { schedulerNames } from '../../src/core/sched/registry';
import { labTunnelUp, type LabTunnel } from '../../src/demo/lab-tunnel';
import type { PathRequest } from '../../src/lab/lab';
import type { Bench, BenchResult } from './harness';
import {
  bestPathRttMs, failoverRows, labPathControls, latencyRows, percentOfCapacity, runFailoverCase, runLatencyCase,
  runThroughputCase, throughputRows, twoPathRequests,
} from './measure';

const seconds = Number(process.env.BRAID_BENCH_SECONDS ?? 5);

function schedulers(): string[] {
  const want = process.env.BRAID_BENCH_SCHEDULERS?.split(',').map((s) => s.trim());
  return want ? schedulerNames().filter((s) => want.includes(s)) : schedulerNames();
}

async function withTunnel<T>(paths: PathRequest[], scheduler: string, fn: (t: LabTunnel) => Promise<T>): Promise<T> {
  const t = await labTunnelUp({ name: `bt-b${randomBytes(2).toString('hex')}`, paths, scheduler, logLevel: 'warn' });
  try {
    return await fn(t);
  } finally {
    await t.down();
  }
}

async function downloadMbps(t: LabTunnel): Promise<number> {
  const r = await runThroughputCase({ clientNs: t.edgeNs, serverNs: t.lab.appGwNs, serverAddr: t.lab.appGwAddr, seconds, reverse: true });
  return r.mbps;
}

export const bench: Bench = {
  group: 'tunnel',
  title: 'braid over the lab: throughput, aggregation, failover, added latency',
  async run(): Promise<BenchResult[]> {
    const out: BenchResult[] = [];
    // 1. one clean path
    await withTunnel(['wan:clean'], 'earliest-arrival', async (t) => {
      const r = await runThroughputCase({
        clientNs: t.edgeNs, serverNs: t.lab.appGwNs, serverAddr: t.lab.appGwAddr, seconds, pids: [t.edgePid, t.gwPid],
      });
      out.push(...throughputRows('single_path_mbps', r, { path: 'lab', seconds, system: 'braid' }));
    });
    // 2. aggregation per scheduler
    for (const equalDelays of [false, true]) {
      for (const scheduler of schedulers()) {
        const mbps = await withTunnel(twoPathRequests({ equalDelays }), scheduler, downloadMbps);
        const delays = equalDelays ? 'equal' : '20/60ms';
        out.push({ name: 'two_path_mbps', value: mbps, unit: 'Mbit/s', params: { scheduler, delays } });
        out.push({ name: 'two_path_pct_of_sum', value: percentOfCapacity(mbps), unit: '%', params: { scheduler, delays } });
      }
    }
    // 3. failover per scheduler
    for (const scheduler of schedulers()) {
      await withTunnel(twoPathRequests(), scheduler, async (t) => {
        const r = await runFailoverCase({ clientNs: t.edgeNs, serverNs: t.lab.appGwNs, addr: t.lab.appGwAddr, ...labPathControls(t.lab) });
        out.push(...failoverRows(r, { scheduler }));
      });
    }
    // 4. added latency, default scheduler
    await withTunnel(twoPathRequests(), 'earliest-arrival', async (t) => {
      const baselineMs = await bestPathRttMs(t.lab.paths.map((p) => ({ clientNs: t.lab.edgeNs, serverNs: t.lab.gwNs, addr: p.gwAddr })));
      const ends = { clientNs: t.edgeNs, serverNs: t.lab.appGwNs, addr: t.lab.appGwAddr };
      for (const load of ['idle', 'tcp'] as const) {
        const r = await runLatencyCase({ ...ends, baselineMs, load, durationMs: 5000, loadReverse: true });
        out.push(...latencyRows(r, { scheduler: 'earliest-arrival' }));
      }
    });
    return out;
  },
};
