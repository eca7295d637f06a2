/**
 * Reads one TOML table key by key, remembering which keys were used, so that
 * every key left over at the end is reported as unknown (with "did you mean"
 * when a known key is close). Every error names the full dotted key.
 */
import { ConfigError } from '../errors';
import { describe } from './quantities';

export type TomlTable = Record<string, unknown>;

export function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Edit distance counting a swap of two neighbours as one edit (typos like "egde"). Small strings only. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest known name, if it is close enough to be a likely typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const limit = name.length <= 3 ? 1 : name.length <= 6 ? 2 : 3;
  return bestD <= limit ? best : undefined;
}

export class TableReader {
  private readonly used = new Set<string>();

  /** `path` is the dotted key of this table ('' for the root). */
  constructor(readonly path: string, readonly table: TomlTable) {}

  keyOf(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  has(name: string): boolean {
    return this.table[name] !== undefined;
  }

  raw(name: string): unknown {
    this.used.add(name);
    return this.table[name];
  }

  /** Marks a key as known without reading it (for aliases handled elsewhere). */
  allow(...names: string[]): void {
    for (const n of names) this.used.add(n);
  }

  string(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new ConfigError(this.keyOf(name), `expected a string, got ${describe(v)}`);
    return v;
  }

  requiredString(name: string, example: string): string {
    const v = this.string(name);
    if (v === undefined || v === '') throw new ConfigError(this.keyOf(name), `is required, e.g. ${name} = ${example}`);
    return v;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if ((choices as readonly string[]).includes(v)) return v as T;
    const near = closest(v, choices);
    throw new ConfigError(
      this.keyOf(name),
      `unknown value "${v}"; ${near ? `did you mean "${near}"? ` : ''}choose one of ${choices.map((c) => `"${c}"`).join(', ')}`,
    );
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw new ConfigError(this.keyOf(name), `expected true or false, got ${describe(v)}`);
    return v;
  }

  /** An integer in [min, max]. */
  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(this.keyOf(name), `expected an integer ${min}..${max}, got ${describe(v)}`);
    }
    return v;
  }

  /** A list of strings; a single string is accepted as a list of one. */
  stringList(name: string): string[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw new ConfigError(this.keyOf(name), `expected a list of strings like ["a", "b"], got ${describe(v)}`);
    }
    return v as string[];
  }

  /** A sub-table ([name]), or undefined when absent. */
  child(name: string): TableReader | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (!isTable(v)) throw new ConfigError(this.keyOf(name), `expected a table [${this.keyOf(name)}], got ${describe(v)}`);
    return new TableReader(this.keyOf(name), v);
  }

  /** An array of tables ([[name]]); a single table is accepted as a list of one. */
  children(name: string): TableReader[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    return list.map((t, i) => {
      const key = `${this.keyOf(name)}[${i}]`;
      if (!isTable(t)) throw new ConfigError(key, `expected a table [[${this.keyOf(name)}]], got ${describe(t)}`);
      return new TableReader(key, t);
    });
  }

  /**
   * Declares the keys this table may hold and rejects any other at once, so a
   * typo is reported as a typo before a check that depends on the key fires.
   */
  only(known: readonly string[]): void {
    this.allow(...known);
    this.finish(known);
    this.used.clear();
  }

  /** Throws on the first key that was never read, suggesting the closest known one. */
  finish(known: readonly string[] = [...this.used]): void {
    for (const k of Object.keys(this.table)) {
      if (this.used.has(k)) continue;
      const near = closest(k, known);
      const where = this.path ? `in [${this.path}]` : 'at the top level';
      throw new ConfigError(
        this.keyOf(k),
        `unknown key ${where}; ${near ? `did you mean '${near}'?` : `known keys: ${known.join(', ')}`}`,
      );
    }
  }
}
