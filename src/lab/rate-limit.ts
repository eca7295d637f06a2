/**
 * Path rate limits: a tbf qdisc on each egress of the middle namespace
 * (`to-gw` shapes the upload, `to-edge` the download). tbf is in this kernel
 * (netem is not); `tc qdisc replace` changes it while traffic flows.
 */
import { spawnSync } from 'child_process';
import { BraidError } from '../errors';
import { MIDDLE_EDGE_DEV, MIDDLE_GW_DEV, type LabPathInfo } from './topology';
import type { Impairment } from './impairment';

/** Smallest bucket: two full-size frames, so a lone packet never waits for tokens. */
const MIN_BURST_BYTES = 3028;
/** The bucket holds this much time at the rate: short enough that bursts above the rate stay small. */
const BURST_MS = 2;

function tc(ns: string, args: string[], quiet = false): string {
  const r = spawnSync('tc', ['-n', ns, ...args], { encoding: 'utf8' });
  if (r.error) throw new BraidError('BRAID_ERR_SYSTEM', `tc: ${r.error.message}; install iproute2`);
  if (r.status !== 0 && !quiet) {
    throw new BraidError('BRAID_ERR_LAB', `tc -n ${ns} ${args.join(' ')}: ${r.stderr.trim() || 'failed'}`);
  }
  return r.stdout;
}

/** tbf arguments for a rate in bit/s and a buffer of queueMs at that rate. */
export function tbfArgs(rateBps: number, queueMs: number): string[] {
  const burst = Math.max(MIN_BURST_BYTES, Math.ceil(((rateBps / 8) * BURST_MS) / 1000));
  return ['tbf', 'rate', `${rateBps}bit`, 'burst', String(burst), 'latency', `${queueMs}ms`];
}

function applyOne(ns: string, dev: string, rateBps: number, queueMs: number): void {
  if (rateBps > 0) tc(ns, ['qdisc', 'replace', 'dev', dev, 'root', ...tbfArgs(rateBps, queueMs)]);
  else tc(ns, ['qdisc', 'del', 'dev', dev, 'root'], true); // fails harmlessly when there is none
}

export function applyRateLimits(p: LabPathInfo, params: Impairment): void {
  applyOne(p.middleNs, MIDDLE_GW_DEV, params.rateUp, params.queueMs);
  applyOne(p.middleNs, MIDDLE_EDGE_DEV, params.rateDown, params.queueMs);
}

export interface ShaperCounters {
  sentPackets: number;
  sentBytes: number;
  /** Packets the bottleneck buffer had no room for. */
  drops: number;
  backlogBytes: number;
}

const ZERO: ShaperCounters = { sentPackets: 0, sentBytes: 0, drops: 0, backlogBytes: 0 };

function readOne(ns: string, dev: string): ShaperCounters {
  const out = tc(ns, ['-s', '-j', 'qdisc', 'show', 'dev', dev], true);
  if (!out.trim()) return { ...ZERO };
  const list = JSON.parse(out) as Array<{ kind: string; root?: boolean; packets: number; bytes: number; drops: number; backlog: number }>;
  const q = list.find((x) => x.kind === 'tbf');
  return q ? { sentPackets: q.packets, sentBytes: q.bytes, drops: q.drops, backlogBytes: q.backlog } : { ...ZERO };
}

export function readShaperCounters(p: LabPathInfo): { up: ShaperCounters; down: ShaperCounters } {
  return { up: readOne(p.middleNs, MIDDLE_GW_DEV), down: readOne(p.middleNs, MIDDLE_EDGE_DEV) };
}
