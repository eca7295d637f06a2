import type { PathConfig } from '../../src/core/path/path-state';
import type { Frame } from '../../src/core/wire/frames';
import { ModelReceiver, type Delivery } from './model-receiver';
import { ModelSender } from './model-sender';
import { SimNetwork, type PathProfile } from './network';

export interface BondScenario {
  paths: readonly PathProfile[];
  scheduler?: string;
  /** Per-path sender config beyond the id (weight, backup, ...), by index. */
  configs?: readonly Partial<PathConfig>[];
  seed?: number;
  /** Bytes the saturating source keeps queued; 0 = no bulk traffic. Default 256 KB. */
  saturateBytes?: number;
  /** Keep every first-copy delivery (for gap and latency analysis). */
  keepDeliveries?: boolean;
  /** Resend datagrams proven lost within this many ms (0: never). */
  recoverLossWithinMs?: number;
}

export interface Bond {
  net: SimNetwork<Frame>;
  sender: ModelSender;
  receiver: ModelReceiver;
}

/** Endpoint A (model sender) and B (model receiver) joined by the given simulated paths. */
export function makeBond(s: BondScenario): Bond {
  const net = new SimNetwork<Frame>(s.paths, { seed: s.seed ?? 1 });
  const configs: PathConfig[] = net.pathIds.map((id, i) => ({ ...(s.configs?.[i] ?? {}), id }));
  const sender = new ModelSender(net, { paths: configs, scheduler: s.scheduler, saturateBytes: s.saturateBytes ?? 256 * 1024, recoverLossWithinMs: s.recoverLossWithinMs });
  const receiver = new ModelReceiver(net, 'B', s.keepDeliveries ?? false);
  return { net, sender, receiver };
}

/** Goodput in Mbit/s of unique bytes received between two times (call before and after running). */
export class GoodputMeter {
  private bytes0 = 0;
  private t0 = 0;

  constructor(private readonly bond: Bond) {}

  start(): void {
    this.bytes0 = this.bond.receiver.uniqueBytes;
    this.t0 = this.bond.net.clock.now;
  }

  mbit(): number {
    const dt = this.bond.net.clock.now - this.t0;
    return ((this.bond.receiver.uniqueBytes - this.bytes0) * 8) / (dt * 1000);
  }
}

/** Sends one small packet every `intervalMs` ahead of bulk data (as a per-flow queue would) and records first copies. */
export function startPingStream(bond: Bond, intervalMs: number, from: number, to: number, flow = 7): Delivery[] {
  const got: Delivery[] = [];
  const prev = bond.receiver.onDeliver;
  bond.receiver.onDeliver = (d) => {
    if (d.flow === flow) got.push(d);
    prev?.(d);
  };
  for (let t = from; t < to; t += intervalMs) bond.net.clock.at(t, () => bond.sender.enqueue(100, flow, true));
  return got;
}

/** Longest time between consecutive first copies of a stream, ms. */
export function longestGap(ds: readonly Delivery[], from = -Infinity, to = Infinity): number {
  let gap = 0;
  let last = NaN;
  for (const d of ds) {
    if (d.at < from || d.at > to) continue;
    if (!Number.isNaN(last)) gap = Math.max(gap, d.at - last);
    last = d.at;
  }
  return gap;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
