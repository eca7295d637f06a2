import type { PathProfile } from './network';

/** Path profiles used across tests and docs (one-way delays are half the RTT). */
export const WIFI: PathProfile = { ab: { rateMbit: 40, delayMs: 10, queueBytes: 200_000 } };
export const LTE: PathProfile = { ab: { rateMbit: 20, delayMs: 30, queueBytes: 500_000 } };
/** LTE with ±10 ms jitter and 0.5 % loss, deep 200 ms buffer. */
export const LTE_ROUGH: PathProfile = { ab: { rateMbit: 20, delayMs: 30, jitterMs: 10, loss: 0.005, queueBytes: 500_000 } };
export const WIFI_LOSSY: PathProfile = { ab: { rateMbit: 40, delayMs: 10, jitterMs: 2, loss: 0.001, queueBytes: 200_000 } };
export const DSL: PathProfile = { ab: { rateMbit: 16, delayMs: 15, queueBytes: 100_000 } };
/** 700 ms RTT geostationary satellite. */
export const SATELLITE: PathProfile = { ab: { rateMbit: 10, delayMs: 350, queueBytes: 400_000 } };
/** A path that loses half of everything. */
export const HALF_LOSS: PathProfile = { ab: { rateMbit: 20, delayMs: 20, loss: 0.5 } };

export function withId(p: PathProfile, id: number): PathProfile {
  return { ...p, id };
}

/** Sum of the A→B rates in Mbit/s. */
export function sumRateMbit(paths: readonly PathProfile[]): number {
  return paths.reduce((s, p) => s + (p.ab.rateMbit ?? 0), 0);
}

/**
 * The lab's presets (src/lab/presets.ts) as the simulator sees them: Gaussian
 * jitter held for 10 ms as the lab relay draws it (datagrams bunch up when the
 * delay falls), per-direction loss, and the preset's buffer. Wi-Fi is limited
 * to 10 Mbit/s (issue 4's case: LTE is then the best single path).
 */
export const WIFI_10_LAB: PathProfile = { ab: { rateMbit: 10, delayMs: 10, jitterMs: 2, jitterHoldMs: 10, loss: 0.001, queueBytes: 37_500 } };
/** Lab LTE: 20 Mbit/s, 60 ms RTT, 8 ms jitter each way, 0.5 % loss, 100 ms buffer. */
export const LTE_LAB: PathProfile = { ab: { rateMbit: 20, delayMs: 30, jitterMs: 8, jitterHoldMs: 10, loss: 0.005, queueBytes: 250_000 } };
