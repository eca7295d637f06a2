/**
 * Quantities written as text in a config file: durations ("150ms"), rates
 * ("20mbit") and sizes ("64MiB"). Each parser returns base units (ms, bytes per
 * second, bytes) or throws a ConfigError naming the key and the accepted forms.
 */
import { ConfigError } from '../errors';

const DURATION_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// tc-style rates: the suffix is bits. Bytes per second forms ("MB/s", "mbps") are rejected on purpose,
// because tc reads "mbps" as megabytes and most people mean megabits.
const RATE_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12 };

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

const QUANTITY = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z/]*)\s*$/;

function split(key: string, value: unknown, example: string): { n: number; unit: string } {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new ConfigError(key, `expected a string like "${example}", got ${describe(value)}`);
  }
  const m = QUANTITY.exec(String(value));
  if (!m) throw new ConfigError(key, `cannot read '${String(value)}'; write it like "${example}"`);
  return { n: Number(m[1]), unit: m[2].toLowerCase() };
}

/** "150ms", "2s", "1m", "500us", "1h" -> milliseconds. A bare 0 is allowed. */
export function parseDuration(key: string, value: unknown): number {
  const { n, unit } = split(key, value, '150ms');
  if (unit === '' && n === 0) return 0;
  const f = DURATION_UNITS[unit];
  if (f === undefined) {
    throw new ConfigError(key, `'${String(value)}' needs a time unit (us, ms, s, m, h), e.g. "150ms"`);
  }
  return n * f;
}

/** "20mbit", "1.5gbit", "800kbit" -> bytes per second. */
export function parseRate(key: string, value: unknown): number {
  const { n, unit } = split(key, value, '20mbit');
  const f = RATE_UNITS[unit];
  if (f === undefined) {
    const hint = /bps|\/s|byte/.test(unit) ? ' (rates are written in bits, tc style)' : '';
    throw new ConfigError(key, `'${String(value)}' needs a rate unit: bit, kbit, mbit, gbit, e.g. "20mbit"${hint}`);
  }
  if (n <= 0) throw new ConfigError(key, `rate must be above zero, got '${String(value)}'`);
  return (n * f) / 8;
}

/** "64MiB", "512KiB", "1GB", 65536 -> bytes (a bare number is bytes). */
export function parseSize(key: string, value: unknown): number {
  const { n, unit } = split(key, value, '64MiB');
  const f = unit === '' ? 1 : SIZE_UNITS[unit];
  if (f === undefined) {
    throw new ConfigError(key, `'${String(value)}' needs a size unit: B, KiB, MiB, GiB, KB, MB, GB, e.g. "64MiB"`);
  }
  return Math.round(n * f);
}

/** Short description of a TOML value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'string') return `the string "${value}"`;
  return `${typeof value} ${String(value)}`;
}
