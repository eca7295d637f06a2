/**
 * Redundancy elimination on the npm corpus (/work/shared/corpus/make.sh):
 * bytes on the wire for a new version given the old one went first, and
 * encode/decode speed on one core (CPU time). Builds the corpus when missing;
 * skips with a note when it cannot.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Bench, BenchResult } from './harness';
import { simulateTransfer, type LiteralCodec, type ReGating } from '../../src/core/re';

const CORPUS = process.env.BRAID_CORPUS ?? path.join(os.homedir(), '.cache', 'braid-corpus');

function corpusReady(): boolean {
  const list = path.join(CORPUS, 'scenarios.txt');
  if (fs.existsSync(list)) return true;
  // the repository's checkout sits beside shared/ (dev machines and CI)
  const maker = [path.join(__dirname, '..', '..', '..', '..', 'shared', 'corpus', 'make.sh'), '/work/shared/corpus/make.sh']
    .find((p) => fs.existsSync(p));
  if (!maker) return false;
  try {
    execFileSync('bash', [maker, CORPUS], { stdio: 'ignore', timeout: 300_000 });
  } catch {
    return false;
  }
  return fs.existsSync(list);
}

function scenarios(): { name: string; old: string; neu: string }[] {
  return fs
    .readFileSync(path.join(CORPUS, 'scenarios.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const [name, old, neu] = l.trim().split(/\s+/);
      return { name, old, neu };
    });
}

const cpuMs = (): number => process.cpuUsage().user / 1000;

export const bench: Bench = {
  group: 're',
  title: 'redundancy elimination on the npm corpus',
  async run(): Promise<BenchResult[]> {
    if (!corpusReady()) {
      process.stdout.write(`re: corpus missing at ${CORPUS} and could not be built (needs npm pack); skipped\n`);
      return [];
    }
    const out: BenchResult[] = [];
    const read = (kind: string, base: string): Uint8Array => fs.readFileSync(path.join(CORPUS, kind, `${base}.${kind}`));
    const ratio = (
      scenario: string, a: Uint8Array, b: Uint8Array, anchor: number, shift: number, flows: number, gating: ReGating = 'flow',
      literals: LiteralCodec = 'none',
    ): void => {
      const r = simulateTransfer(a, b, { anchor, shift, flows, gating, literalCodec: literals, cacheBytes: 128 << 20, seed: 1 });
      if (!r.verified) throw new Error(`re: ${scenario} decoded wrong bytes`);
      out.push({ name: 're_wire_ratio', value: r.ratio_new, unit: 'ratio', params: { scenario, anchor, shift, flows, gating, literals } });
    };
    for (const s of scenarios()) {
      const a = read('tar', s.old);
      const b = read('tar', s.neu);
      ratio(s.name, a, b, 128, 0, 1);
      ratio(s.name, a, b, 128, 0, 1, 'acked');
      ratio(s.name, a, b, 128, 0, 1, 'flow', 'deflate');
      if (s.name.startsWith('vue')) {
        ratio(s.name, a, b, 256, 0, 1);
        ratio(s.name, a, b, 512, 0, 1);
        ratio(`${s.name}-identical`, a, a, 128, 137, 8); // the near-identical target: ≤ 1 %
        ratio(`${s.name}-tgz`, read('tgz', s.old), read('tgz', s.neu), 128, 0, 1);
      }
      if (s.name.startsWith('eslint') || s.name.startsWith('datefns')) {
        // eslint: a typical case; date-fns: the slowest (26 MB of text with short repeats)
        const r = simulateTransfer(a, b, { anchor: 128, cacheBytes: 128 << 20, clock: cpuMs, speedRuns: 3 });
        out.push({ name: 're_encode_mbps', value: r.encode_mbps, unit: 'MB/s', params: { scenario: s.name, anchor: 128 } });
        out.push({ name: 're_decode_mbps', value: r.decode_mbps, unit: 'MB/s', params: { scenario: s.name, anchor: 128 } });
      }
    }
    return out;
  },
};
