/**
 * Quantiles of a sample, by linear interpolation between closest ranks (the
 * same definition as numpy's default), so p50 of [1, 2] is 1.5.
 */

/** Quantile q (0..1) of values already sorted ascending; NaN when empty. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  if (q <= 0) return sorted[0];
  if (q >= 1) return sorted[sorted.length - 1];
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const frac = pos - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  n: number;
}

/** p50/p95/p99/min/max of an unsorted sample (not modified). */
export function quantiles(values: readonly number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    min: sorted.length ? sorted[0] : NaN,
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    n: sorted.length,
  };
}
