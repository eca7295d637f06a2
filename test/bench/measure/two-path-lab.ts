/**
 * The two paths of the aggregation benchmark (issue 4, case 2): wifi 40 Mbit/s
 * with 20 ms RTT and lte 20 Mbit/s with 60 ms RTT, each way, without jitter
 * or random loss so the figure shows the scheduler and not the dice. With
 * `equalDelays` both paths get the wifi delay, which separates the cost of
 * the RTT difference from the cost of the capacity difference.
 */
import type { PathRequest } from '../../../src/lab/lab';

const MBIT = 1e6;

/** The ideal: one flow using both paths in full. */
export const TWO_PATH_CAPACITY_MBPS = 60;

export function twoPathRequests(opts: { equalDelays?: boolean } = {}): PathRequest[] {
  const clean = { jitterMs: 0, lossPct: 0, reorderPct: 0, outage: false };
  return [
    { name: 'wifi', preset: 'wifi', ...clean, delayMs: 10, rateUp: 40 * MBIT, rateDown: 40 * MBIT },
    { name: 'lte', preset: 'lte', ...clean, delayMs: opts.equalDelays ? 10 : 30, rateUp: 20 * MBIT, rateDown: 20 * MBIT },
  ];
}

/** Share of the two paths' capacity a flow reached, in percent. */
export function percentOfCapacity(mbps: number, capacityMbps = TWO_PATH_CAPACITY_MBPS): number {
  return (100 * mbps) / capacityMbps;
}
