/**
 * Named link profiles for lab paths. Round, typical figures (not any one
 * network's): docs/lab.md says where each comes from. Delay and loss are
 * per direction, so the round trip is twice `delayMs`.
 */
import { UsageError } from '../errors';
import { NO_IMPAIRMENT, type Impairment } from './impairment';

const MBIT = 1e6;

export const PRESETS: Record<string, Impairment> = {
  /** Home Wi-Fi to a nearby server: 50/50 Mbit/s, ~20 ms RTT, little jitter, rare loss. */
  wifi: { ...NO_IMPAIRMENT, delayMs: 10, jitterMs: 2, lossPct: 0.1, rateUp: 50 * MBIT, rateDown: 50 * MBIT, queueMs: 30 },
  /** 4G/LTE: 20 Mbit/s down, 10 up, ~60 ms RTT, noticeable jitter, 0.5 % loss, deep buffers. */
  lte: { ...NO_IMPAIRMENT, delayMs: 30, jitterMs: 8, lossPct: 0.5, rateUp: 10 * MBIT, rateDown: 20 * MBIT, queueMs: 100 },
  /** VDSL2: 50 Mbit/s down, 10 up, ~25 ms RTT, stable, almost no loss. */
  dsl: { ...NO_IMPAIRMENT, delayMs: 12.5, jitterMs: 1, lossPct: 0.05, rateUp: 10 * MBIT, rateDown: 50 * MBIT, queueMs: 50 },
  /** Geostationary satellite: ~600 ms RTT, 25 Mbit/s down, 3 up, 0.5 % loss. */
  satellite: { ...NO_IMPAIRMENT, delayMs: 300, jitterMs: 10, lossPct: 0.5, rateUp: 3 * MBIT, rateDown: 25 * MBIT, queueMs: 200 },
  /** A poor link (cell edge, congested hotspot): 2 Mbit/s, ~200 ms RTT, high jitter, 3 % bursty loss, some reordering. */
  bad: {
    ...NO_IMPAIRMENT,
    delayMs: 100,
    jitterMs: 40,
    lossPct: 3,
    burst: 3,
    reorderPct: 1,
    reorderMs: 20,
    rateUp: 2 * MBIT,
    rateDown: 2 * MBIT,
    queueMs: 200,
  },
  /** No impairment and no rate limit: the relay and veth only (for tests and ceilings). */
  clean: { ...NO_IMPAIRMENT },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function preset(name: string): Impairment {
  const p = PRESETS[name];
  if (!p) throw new UsageError(`unknown link preset '${name}'; presets: ${presetNames().join(', ')}`);
  return { ...p };
}
