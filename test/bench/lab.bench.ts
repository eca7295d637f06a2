/**
 * Lab accuracy: configured vs measured delay, rate and loss at 10 and 100
 * Mbit/s, and the relay's own ceiling (with and without the relay in the
 * path), so docs/lab.md can show the relay is not the bottleneck at the
 * preset rates. Group "lab": node dist/test/bench/run.js lab
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import type { Bench, BenchResult } from './harness';
import { labDown, labSet, labStatus, labUp, type LabInfo } from '../../src/lab/lab';
import { iperfPath } from '../../src/lab/iperf';
import { bypassRelay, routeThroughRelay } from '../../src/lab/network';
import { probePath, probeStats } from '../../src/lab/probe';

const SECONDS = 3;

async function ceiling(lab: LabInfo, out: BenchResult[]): Promise<void> {
  const p = lab.paths[0];
  for (const relay of [true, false]) {
    if (!relay) bypassRelay(p);
    const tcp = await iperfPath(lab, p.name, { seconds: SECONDS });
    const udp = await iperfPath(lab, p.name, { seconds: SECONDS, udpBps: 2e9 });
    out.push({ name: 'lab_ceiling_tcp', value: tcp.receivedMbit, unit: 'Mbit/s', params: { relay } });
    out.push({ name: 'lab_ceiling_udp_1400', value: udp.receivedMbit, unit: 'Mbit/s', params: { relay, offered: '2gbit' } });
    if (!relay) routeThroughRelay(p);
  }
}

async function atRate(lab: LabInfo, mbit: number, out: BenchResult[]): Promise<void> {
  const path = lab.paths[1].name;
  const rate = mbit * 1e6;
  await labSet(lab.name, path, { delayMs: 20, jitterMs: 0, lossPct: 0, rateUp: rate, rateDown: rate, queueMs: 50 });
  const params = { rate_mbit: mbit, delay_ms: 20 };
  const pid = (await labStatus(lab.name)).paths[1].relay?.pid ?? 0;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const tcp = await iperfPath(lab, path, { seconds: SECONDS });
  const cpuPct = (100 * (cpuSeconds(pid) - cpu0)) / ((performance.now() - t0) / 1000);
  out.push({ name: 'lab_rate_tcp_goodput', value: tcp.receivedMbit, unit: 'Mbit/s', params });
  out.push({ name: 'lab_relay_cpu', value: cpuPct, unit: '% of a core', params: { ...params, traffic: 'tcp both ways' } });
  const udp = await iperfPath(lab, path, { seconds: SECONDS, udpBps: rate * 1.2 });
  out.push({ name: 'lab_rate_udp_received', value: udp.receivedMbit, unit: 'Mbit/s', params: { ...params, offered_mbit: mbit * 1.2 } });

  const idle = probeStats(await probePath(lab, path, { count: 500, intervalMs: 2 }));
  out.push({ name: 'lab_delay_p50_idle', value: idle.p50, unit: 'ms', params });
  out.push({ name: 'lab_delay_p99_idle', value: idle.p99, unit: 'ms', params });
  const load = iperfPath(lab, path, { seconds: SECONDS, udpBps: rate * 0.7 });
  await new Promise((r) => setTimeout(r, 300));
  const busy = probeStats(await probePath(lab, path, { count: 500, intervalMs: 4 }));
  await load;
  out.push({ name: 'lab_delay_p50_load70', value: busy.p50, unit: 'ms', params });
  out.push({ name: 'lab_delay_p99_load70', value: busy.p99, unit: 'ms', params });

  for (const loss of [1, 5]) {
    await labSet(lab.name, path, { lossPct: loss });
    const before = await relayLoss(lab.name, path);
    const r = await iperfPath(lab, path, { seconds: SECONDS, udpBps: rate * 0.7 });
    const after = await relayLoss(lab.name, path);
    const lp = { ...params, loss_pct: loss, offered_mbit: mbit * 0.7 };
    out.push({ name: 'lab_loss_udp_iperf', value: r.lostPct ?? NaN, unit: '%', params: lp });
    out.push({ name: 'lab_loss_relay_counted', value: (100 * (after.lost - before.lost)) / (after.rx - before.rx), unit: '%', params: lp });
    out.push({ name: 'lab_loss_other_drops', value: after.other - before.other, unit: 'packets', params: lp });
  }
}

/** CPU time (user + system) a process has used, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The relay's own count of packets it dropped as loss, all it received, and drops for any other reason (rate queue, overflow). */
async function relayLoss(lab: string, path: string): Promise<{ lost: number; rx: number; other: number }> {
  const p = (await labStatus(lab)).paths.find((x) => x.name === path);
  const up = p?.relay?.up;
  if (!up || !p) return { lost: NaN, rx: NaN, other: NaN };
  return { lost: up.dropLoss, rx: up.rxPackets, other: up.dropOverflow + up.dropWrite + p.shaper.up.drops };
}

export const bench: Bench = {
  group: 'lab',
  title: 'lab accuracy: delay, rate and loss as configured vs measured; relay ceiling',
  async run(): Promise<BenchResult[]> {
    const name = `bt-labbench-${randomBytes(2).toString('hex')}`;
    const out: BenchResult[] = [];
    const lab = await labUp({ name, paths: ['clean', { name: 'm', preset: 'clean' }], seed: 1 });
    try {
      await ceiling(lab, out);
      for (const mbit of [10, 100]) await atRate(lab, mbit, out);
    } finally {
      await labDown(name);
    }
    return out;
  },
};
