/**
 * Network values in a config file: CIDRs, address:port pairs and base64 keys,
 * each checked with an error that names the key and shows a valid example.
 */
import { isIP } from 'net';
import { ConfigError } from '../errors';
import { describe } from './quantities';

export interface Cidr {
  /** The address as written (host bits kept: "10.77.0.2/24" is the address 10.77.0.2 on a /24). */
  address: string;
  prefix: number;
  family: 4 | 6;
  /** Normalised text, "10.77.0.2/24". */
  text: string;
}

export interface HostPort {
  /** IP address or DNS name, without brackets. */
  host: string;
  port: number;
  /** 4 or 6 for a literal address, 0 for a DNS name. */
  family: 0 | 4 | 6;
  /** "host:port" with brackets around IPv6. */
  text: string;
}

function str(key: string, value: unknown, example: string): string {
  if (typeof value !== 'string') throw new ConfigError(key, `expected a string like "${example}", got ${describe(value)}`);
  return value.trim();
}

export function parseIp(key: string, value: unknown): { address: string; family: 4 | 6 } {
  const s = str(key, value, '192.0.2.1');
  const family = isIP(s);
  if (family === 0) throw new ConfigError(key, `'${s}' is not an IPv4 or IPv6 address`);
  return { address: s, family: family as 4 | 6 };
}

/** "10.77.0.2/24" or "fd77::2/64"; a bare address gets /32 or /128 when `bareIsHost` is set. */
export function parseCidr(key: string, value: unknown, bareIsHost = false): Cidr {
  const s = str(key, value, '10.77.0.2/24');
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) throw new ConfigError(key, `'${s}' is not a CIDR; write it like "10.77.0.2/24" or "fd77::2/64"`);
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash < 0) {
    if (!bareIsHost) throw new ConfigError(key, `'${s}' needs a prefix length, e.g. "${addr}/${family === 4 ? 24 : 64}"`);
  } else {
    const p = s.slice(slash + 1);
    prefix = /^[0-9]{1,3}$/.test(p) ? Number(p) : NaN;
    if (!(prefix >= 0 && prefix <= max)) {
      throw new ConfigError(key, `prefix length in '${s}' must be 0..${max}`);
    }
  }
  return { address: addr, prefix, family: family as 4 | 6, text: `${addr}/${prefix}` };
}

export function parsePort(key: string, value: unknown): number {
  const n = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ConfigError(key, `port must be an integer 1..65535, got ${describe(value)}`);
  }
  return n;
}

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** "192.0.2.1:51820", "[2001:db8::1]:51820", or with `allowName` "gw.example.net:51820". */
export function parseHostPort(key: string, value: unknown, allowName: boolean): HostPort {
  const s = str(key, value, '192.0.2.1:51820');
  let host: string;
  let portText: string;
  const m6 = /^\[([^\]]+)\]:(.*)$/.exec(s);
  if (m6) {
    host = m6[1];
    portText = m6[2];
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) throw new ConfigError(key, `'${s}' needs a port, e.g. "${s}:51820"`);
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(':')) throw new ConfigError(key, `put IPv6 addresses in brackets, e.g. "[${host}]:${portText}"`);
  }
  const port = parsePort(key, portText);
  const family = isIP(host) as 0 | 4 | 6;
  if (family === 0) {
    if (!allowName) throw new ConfigError(key, `'${host}' is not an IP address; listen addresses must be literal, e.g. "0.0.0.0:${port}"`);
    if (!HOSTNAME.test(host)) throw new ConfigError(key, `'${host}' is neither an IP address nor a host name`);
  }
  return { host, port, family, text: family === 6 ? `[${host}]:${port}` : `${host}:${port}` };
}

/** A WireGuard-style key: base64 of exactly 32 bytes. Returns the canonical base64 text. */
export function parseKey(key: string, value: unknown): string {
  const s = str(key, value, 'base64 of 32 bytes, as printed by braid genkey');
  const bytes = Buffer.from(s, 'base64');
  if (!/^[A-Za-z0-9+/]{43}=$/.test(s) || bytes.length !== 32) {
    throw new ConfigError(key, `'${s.length > 12 ? s.slice(0, 12) + '...' : s}' is not a key: expected 44 base64 characters (32 bytes)`);
  }
  return s;
}

function addressBits(c: Cidr): bigint {
  if (c.family === 4) return c.address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  // Expand "::" and an optional embedded IPv4 tail into 8 groups of 16 bits.
  let text = c.address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = Number(addressBits({ address: v4[1], prefix: 32, family: 4, text: '' }));
    text = text.slice(0, -v4[1].length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** True when the two prefixes share at least one address (one contains the other). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const width = a.family === 4 ? 32n : 128n;
  const prefix = BigInt(Math.min(a.prefix, b.prefix));
  const shift = width - prefix;
  return addressBits(a) >> shift === addressBits(b) >> shift;
}
