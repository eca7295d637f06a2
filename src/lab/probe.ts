/**
 * Measures a lab path with real traffic: UDP probes from edge to gateway
 * (up) or back (down) over one path, one-way delay per probe, loss, loss
 * bursts and reordering. Used by the lab's tests, `braid lab probe` and the
 * accuracy numbers in docs/lab.md.
 */
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { BraidError, UsageError } from '../errors';
import type { LabInfo } from './topology';

const PROBE_SCRIPT = path.join(__dirname, 'probe-main.js');

export interface ProbeOptions {
  count: number;
  intervalMs: number;
  /** UDP payload bytes (default 100). */
  size?: number;
  /** up = edge->gateway, down = gateway->edge. */
  direction?: 'up' | 'down';
  /** The receiver stops this long after the last probe arrives (default 500 ms). */
  idleMs?: number;
}

export interface ProbeResult {
  sent: number;
  /** Sequence numbers in arrival order, and each one's one-way delay (ms). */
  seqs: number[];
  delaysMs: number[];
}

export interface ProbeStats {
  sent: number;
  received: number;
  lossPct: number;
  /** Mean length of runs of consecutive lost sequence numbers. */
  meanLossBurst: number;
  /** Percent of received probes that arrived after a probe sent later. */
  reorderedPct: number;
  p50: number;
  p99: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
}

/** Where probes go from (tx) and to (rx): a namespace and an address in it, each. */
export interface ProbeEnds {
  txNs: string;
  txAddr: string;
  rxNs: string;
  rxAddr: string;
}

/** Probes one lab path, edge->gateway public address (up) or back (down). */
export async function probePath(lab: LabInfo, pathName: string, opts: ProbeOptions): Promise<ProbeResult> {
  const p = lab.paths.find((x) => x.name === pathName);
  if (!p) throw new UsageError(`lab '${lab.name}' has no path '${pathName}'`);
  const up = (opts.direction ?? 'up') === 'up';
  const edge = { ns: lab.edgeNs, addr: p.edgeAddr };
  const gw = { ns: lab.gwNs, addr: lab.gwPublicAddr };
  const [tx, rx] = up ? [edge, gw] : [gw, edge];
  return probe({ txNs: tx.ns, txAddr: tx.addr, rxNs: rx.ns, rxAddr: rx.addr }, opts);
}

/** Sends `count` UDP probes from ends.tx to ends.rx and reports what arrived, in order, with one-way delays. */
export async function probe(ends: ProbeEnds, opts: ProbeOptions): Promise<ProbeResult> {
  const { txNs, txAddr, rxNs, rxAddr } = ends;
  const sendMs = opts.count * opts.intervalMs;
  const rx = spawn('ip', ['netns', 'exec', rxNs, process.execPath, PROBE_SCRIPT, 'recv', rxAddr, String(opts.count), String(opts.idleMs ?? 500)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BRAID_PROBE_SEND_MS: String(Math.ceil(sendMs)) },
  });
  let out = '';
  rx.stdout.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    rx.stdout.on('data', (chunk: string) => {
      out += chunk;
      const m = /^ready (\d+)\n/.exec(out);
      if (m) {
        out = out.slice(m[0].length);
        resolve(Number(m[1]));
      }
    });
    rx.once('exit', () => reject(new BraidError('BRAID_ERR_LAB', `probe receiver in ${rxNs} exited early`)));
  });
  const done = new Promise<void>((resolve) => rx.once('close', () => resolve()));
  const size = String(opts.size ?? 100);
  const tx = spawnSync('ip', ['netns', 'exec', txNs, process.execPath, PROBE_SCRIPT, 'send', txAddr, rxAddr, String(port), String(opts.count), String(opts.intervalMs), size], {
    encoding: 'utf8',
  });
  if (tx.status !== 0) {
    rx.kill();
    throw new BraidError('BRAID_ERR_LAB', `probe sender in ${txNs} failed: ${tx.stderr.trim()}`);
  }
  await done;
  const line = out.trim().split('\n').pop() ?? '';
  const r = JSON.parse(line) as { seqs: number[]; delaysMs: number[] };
  return { sent: opts.count, seqs: r.seqs, delaysMs: r.delaysMs };
}

export function probeStats(r: ProbeResult): ProbeStats {
  const received = new Set(r.seqs);
  let bursts = 0;
  let lost = 0;
  for (let s = 0; s < r.sent; s++) {
    if (received.has(s)) continue;
    lost++;
    if (s === 0 || received.has(s - 1)) bursts++;
  }
  let reordered = 0;
  let maxSeen = -1;
  for (const s of r.seqs) {
    if (s < maxSeen) reordered++;
    else maxSeen = s;
  }
  const d = [...r.delaysMs].sort((a, b) => a - b);
  const n = d.length;
  const mean = n ? d.reduce((a, b) => a + b, 0) / n : NaN;
  const variance = n ? d.reduce((a, b) => a + (b - mean) ** 2, 0) / n : NaN;
  return {
    sent: r.sent,
    received: received.size,
    lossPct: (100 * lost) / r.sent,
    meanLossBurst: bursts ? lost / bursts : 0,
    reorderedPct: n ? (100 * reordered) / n : 0,
    p50: quantile(d, 0.5),
    p99: quantile(d, 0.99),
    mean,
    stddev: Math.sqrt(variance),
    min: n ? d[0] : NaN,
    max: n ? d[n - 1] : NaN,
  };
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
