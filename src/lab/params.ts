/**
 * `braid lab set wifi delay=60ms loss=1% rate=20mbit outage=on`: the text
 * form of impairment parameters, parsed into Partial<Impairment> and back.
 */
import { UsageError } from '../errors';
import type { Impairment } from './impairment';

/** The keys a user types, with what each sets. */
export const PARAM_HELP: Record<string, string> = {
  delay: 'one-way delay each direction (60ms, 0.2s)',
  jitter: 'std deviation of the one-way delay (10ms)',
  loss: 'average loss each direction (1%, 0.5)',
  burst: 'mean loss burst length in packets (1 = independent losses)',
  reorder: 'share of packets held back so later ones overtake them (2%)',
  'reorder-delay': 'how long a reordered packet is held back (10ms)',
  rate: 'rate limit both directions (20mbit, 500kbit, off)',
  up: 'rate limit edge->gateway only',
  down: 'rate limit gateway->edge only',
  queue: 'bottleneck buffer in ms at the rate (50ms)',
  outage: 'on: link stays up but every packet is lost; off: back to normal',
  mtu: 'path MTU, 68-1500 (bigger packets: ICMP "fragmentation needed" or fragments)',
  icmp: 'off: packets over the MTU vanish silently (a PMTU black hole); on: normal',
};

export function parseParams(words: string[]): Partial<Impairment> {
  const out: Partial<Impairment> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new UsageError(`'${w}' is not KEY=VALUE; keys: ${Object.keys(PARAM_HELP).join(', ')}`);
    const key = w.slice(0, eq).toLowerCase();
    const value = w.slice(eq + 1).trim().toLowerCase();
    switch (key) {
      case 'delay':
        out.delayMs = parseDuration(key, value);
        break;
      case 'jitter':
        out.jitterMs = parseDuration(key, value);
        break;
      case 'loss':
        out.lossPct = parsePercent(key, value);
        break;
      case 'burst':
        out.burst = parseNumber(key, value, 1);
        break;
      case 'reorder':
        out.reorderPct = parsePercent(key, value);
        break;
      case 'reorder-delay':
        out.reorderMs = parseDuration(key, value);
        break;
      case 'rate':
        out.rateUp = out.rateDown = parseRate(key, value);
        break;
      case 'up':
        out.rateUp = parseRate(key, value);
        break;
      case 'down':
        out.rateDown = parseRate(key, value);
        break;
      case 'queue':
        out.queueMs = parseDuration(key, value);
        if (out.queueMs < 1) throw new UsageError(`queue must be at least 1ms, got '${value}'`);
        break;
      case 'outage':
        out.outage = parseSwitch(key, value);
        break;
      case 'mtu':
        out.mtu = parseNumber(key, value, 68);
        if (out.mtu > 1500 || !Number.isInteger(out.mtu)) throw new UsageError(`mtu must be a whole number from 68 to 1500, got '${value}'`);
        break;
      case 'icmp':
        out.pmtuIcmp = parseSwitch(key, value);
        break;
      default:
        throw new UsageError(`unknown parameter '${key}'; keys: ${Object.keys(PARAM_HELP).join(', ')}`);
    }
  }
  return out;
}

/** `60ms`, `0.2s`, `60` (ms) -> ms. */
export function parseDuration(key: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s)?$/.exec(v);
  if (!m) throw new UsageError(`${key} needs a duration like 60ms or 0.2s, got '${v}'`);
  const n = Number(m[1]);
  return m[2] === 's' ? n * 1000 : m[2] === 'us' ? n / 1000 : n;
}

/** `1%` or `1` -> 1 (percent). */
export function parsePercent(key: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0 && n <= 100)) throw new UsageError(`${key} needs a percentage from 0 to 100 like 1%, got '${v}'`);
  return n;
}

function parseNumber(key: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${key} needs a number >= ${min}, got '${v}'`);
  return n;
}

const RATE_UNITS: Record<string, number> = { '': 1, bit: 1, k: 1e3, kbit: 1e3, m: 1e6, mbit: 1e6, g: 1e9, gbit: 1e9 };

/** `20mbit`, `500kbit`, `1gbit`, `off` -> bit/s (0 = unlimited). */
export function parseRate(key: string, v: string): number {
  if (v === 'off' || v === '0' || v === 'none') return 0;
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(v);
  const unit = m ? RATE_UNITS[m[2]] : undefined;
  if (!m || unit === undefined) throw new UsageError(`${key} needs a rate like 20mbit, 500kbit or off, got '${v}'`);
  return Math.round(Number(m[1]) * unit);
}

function parseSwitch(key: string, v: string): boolean {
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new UsageError(`${key} needs on or off, got '${v}'`);
}

export function formatRate(bps: number): string {
  if (bps <= 0) return 'unlimited';
  if (bps >= 1e9 && bps % 1e7 === 0) return `${bps / 1e9}gbit`;
  if (bps >= 1e6) return `${+(bps / 1e6).toFixed(3)}mbit`;
  if (bps >= 1e3) return `${+(bps / 1e3).toFixed(3)}kbit`;
  return `${bps}bit`;
}

/** One line in the same KEY=VALUE language `set` accepts. */
export function formatParams(p: Impairment): string {
  const parts = [`delay=${p.delayMs}ms`, `jitter=${p.jitterMs}ms`, `loss=${p.lossPct}%`];
  if (p.burst > 1) parts.push(`burst=${p.burst}`);
  if (p.reorderPct > 0) parts.push(`reorder=${p.reorderPct}%`, `reorder-delay=${p.reorderMs}ms`);
  if (p.rateUp === p.rateDown) parts.push(`rate=${formatRate(p.rateUp)}`);
  else parts.push(`up=${formatRate(p.rateUp)}`, `down=${formatRate(p.rateDown)}`);
  parts.push(`queue=${p.queueMs}ms`);
  if (p.outage) parts.push('outage=on');
  if (p.mtu !== 1500) parts.push(`mtu=${p.mtu}`);
  if (!p.pmtuIcmp) parts.push('icmp=off');
  return parts.join(' ');
}
