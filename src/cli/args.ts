/**
 * Tiny argument parser shared by the subcommands: `--key value`, `--key=value`,
 * boolean `--flag`, and positionals; `--` ends options (the rest is positional).
 */
import { UsageError } from '../errors';

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
  /** Everything after a literal `--`, untouched. */
  rest: string[];
}

/** `booleans` lists flags that take no value. */
export function parseArgs(argv: string[], booleans: readonly string[] = []): ParsedArgs {
  const out: ParsedArgs = { positional: [], options: new Map(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) out.options.set(key, a.slice(eq + 1));
      else if (booleans.includes(key)) out.options.set(key, true);
      else {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`option --${key} needs a value`);
        out.options.set(key, v);
        i++;
      }
    } else out.positional.push(a);
  }
  return out;
}

export function optString(args: ParsedArgs, key: string): string | undefined {
  const v = args.options.get(key);
  return typeof v === 'string' ? v : undefined;
}

export function optNumber(args: ParsedArgs, key: string, fallback: number): number {
  const v = args.options.get(key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new UsageError(`option --${key} needs a number, got '${String(v)}'`);
  return n;
}

export function optFlag(args: ParsedArgs, key: string): boolean {
  return args.options.get(key) === true;
}
