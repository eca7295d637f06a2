/**
 * Benchmark plumbing. Each `*.bench.ts` file in this folder exports
 * `bench: Bench`; `make bench` runs them all, `make bench-io` only group "io".
 */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  params: Record<string, string | number | boolean>;
}

export interface Bench {
  group: string;
  title: string;
  run(): Promise<BenchResult[]>;
}

/** Runs fn repeatedly for about `ms` milliseconds; returns ops per second. */
export function opsPerSecond(fn: () => void, ms = 500): number {
  for (let i = 0; i < 1000; i++) fn(); // warm up
  let ops = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 256; i++) fn();
    ops += 256;
    elapsed = process.hrtime.bigint() - start;
  }
  return ops / (Number(elapsed) / 1e9);
}
