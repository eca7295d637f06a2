/**
 * Prints the simulator numbers quoted in docs/scheduling.md:
 *   node dist/test/sim/report.js [seconds]
 * For each scheduler on wifi (40 Mbit/s, 20 ms RTT) + LTE (20 Mbit/s, 60 ms
 * RTT): bulk goodput as % of the sum of path rates, one-way latency of a
 * 10 ms ping stream under that load (p50/p95, minus the wifi base delay),
 * the longest gap in the ping stream when wifi is cut, and how long the
 * returning wifi takes to carry data again.
 */
import { schedulerNames } from '../../src/core/sched/registry';
import { LTE, LTE_ROUGH, WIFI, sumRateMbit } from './profiles';
import { GoodputMeter, longestGap, makeBond, percentile, startPingStream } from './scenario';
import type { PathProfile } from './network';

const seconds = Number(process.argv[2] ?? 20);

function throughput(name: string, paths: PathProfile[]): { pct: number; p50: number; p95: number } {
  const bond = makeBond({ paths, scheduler: name });
  const pings = startPingStream(bond, 10, 2000, 2000 + seconds * 1000);
  bond.net.clock.runUntil(2000);
  const m = new GoodputMeter(bond);
  m.start();
  bond.net.clock.runUntil(2000 + seconds * 1000);
  const base = paths[0].ab.delayMs;
  const lat = pings.map((d) => d.latencyMs - base);
  return { pct: (100 * m.mbit()) / sumRateMbit(paths), p50: percentile(lat, 50), p95: percentile(lat, 95) };
}

function failover(name: string, bulk: boolean): { gap: number; back: number } {
  const bond = makeBond({ paths: [WIFI, LTE], scheduler: name, saturateBytes: bulk ? 256 * 1024 : 0 });
  const pings = startPingStream(bond, 10, 500, 9000);
  bond.net.outage(0, 3000, 5000);
  bond.net.clock.runUntil(9000);
  const firstBack = pings.find((d) => d.at > 5000 && d.pathId === 0);
  return { gap: longestGap(pings, 2500, 4900), back: firstBack ? firstBack.at - 5000 : Infinity };
}

const rows: string[] = [];
rows.push('| scheduler | bulk % of sum (wifi+lte) | same, rough lte | ping +p50/+p95 ms under load | failover gap ms (light / bulk) | wifi used again after ms |');
rows.push('|---|---|---|---|---|---|');
for (const name of schedulerNames()) {
  const t = throughput(name, [WIFI, LTE]);
  const r = throughput(name, [WIFI, LTE_ROUGH]);
  const light = failover(name, false);
  const bulk = failover(name, true);
  rows.push(`| ${name} | ${t.pct.toFixed(1)} | ${r.pct.toFixed(1)} | ${t.p50.toFixed(1)} / ${t.p95.toFixed(1)} | ${light.gap.toFixed(0)} / ${bulk.gap.toFixed(0)} | ${Math.min(light.back, bulk.back).toFixed(0)} |`);
}
console.log(rows.join('\n'));
