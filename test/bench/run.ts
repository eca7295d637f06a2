/** Runs the benchmarks, prints a table and writes bench-results.json. */
import * as fs from 'fs';
import * as path from 'path';
import type { Bench, BenchResult } from './harness';

async function main(): Promise<void> {
  const group = process.argv[2];
  const dir = __dirname;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bench.js')).sort();
  const results: BenchResult[] = [];
  for (const f of files) {
    const { bench } = require(path.join(dir, f)) as { bench: Bench };
    if (group && bench.group !== group) continue;
    process.stdout.write(`\n== ${bench.title} (${f})\n`);
    const rs = await bench.run();
    for (const r of rs) {
      const params = Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ');
      process.stdout.write(`${r.name.padEnd(28)} ${formatValue(r.value).padStart(12)} ${r.unit.padEnd(10)} ${params}\n`);
    }
    results.push(...rs);
  }
  const out = path.join(dir, '..', '..', '..', 'bench-results.json');
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\n${results.length} results written to ${path.resolve(out)}\n`);
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
