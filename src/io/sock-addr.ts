/**
 * A UDP peer address (IP + port) as braid's sockets use it: parsed once, then
 * compared and passed to the native addon as raw `struct sockaddr` bytes so
 * the per-packet path never parses or formats strings.
 */
import { isIP } from 'net';
import { BraidError } from '../errors';
import { native } from './native';

export class SockAddr {
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
  /** "1.2.3.4:51820" or "[2001:db8::1]:51820": a stable map key. */
  readonly key: string;
  private rawBytes: Buffer | null;

  private constructor(family: 4 | 6, address: string, port: number, raw: Buffer | null) {
    this.family = family;
    this.address = address;
    this.port = port;
    this.key = family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
    this.rawBytes = raw;
  }

  /** Parses an IP literal (IPv6 may carry a %scope) and a port; throws a BraidError naming the bad part. */
  static of(address: string, port: number): SockAddr {
    const family = isIP(address.split('%')[0]);
    if ((family !== 4 && family !== 6) || (family === 4 && address.includes('%'))) {
      throw new BraidError('BRAID_ERR_CONFIG', `'${address}' is not an IP address; use an IPv4 or IPv6 literal`);
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new BraidError('BRAID_ERR_CONFIG', `port ${port} is out of range; use 0..65535`);
    }
    return new SockAddr(family, address, port, null);
  }

  /** Parses "host:port" or "[v6]:port". */
  static parse(text: string): SockAddr {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
    if (!m) throw new BraidError('BRAID_ERR_CONFIG', `'${text}' is not ADDRESS:PORT; write it as 192.0.2.1:51820 or [2001:db8::1]:51820`);
    return SockAddr.of(m[1], Number(m[2]));
  }

  /** From raw struct sockaddr bytes (copied). */
  static fromRaw(raw: Uint8Array): SockAddr {
    const [family, address, port] = native().sockaddrFormat(raw);
    if (family === 0) throw new BraidError('BRAID_ERR_SYSTEM', 'not an IPv4 or IPv6 socket address');
    const len = family === 4 ? 16 : 28;
    return new SockAddr(family, address, port, Buffer.from(raw.subarray(0, len)));
  }

  /** The struct sockaddr_in / sockaddr_in6 bytes (built on first use). */
  get raw(): Buffer {
    if (!this.rawBytes) this.rawBytes = native().sockaddrMake(this.family, this.address, this.port);
    return this.rawBytes;
  }

  equals(other: SockAddr): boolean {
    return this.key === other.key;
  }

  /**
   * True if raw sockaddr bytes at buf[offset..] are this address and port.
   * Compares family, port, address (and IPv6 scope), ignoring flow info.
   */
  matchesRaw(buf: Uint8Array, offset: number): boolean {
    const raw = this.raw;
    if (buf[offset] !== raw[0] || buf[offset + 1] !== raw[1]) return false; // sa_family_t
    if (buf[offset + 2] !== raw[2] || buf[offset + 3] !== raw[3]) return false; // port
    const [from, to] = this.family === 4 ? [4, 8] : [8, 28];
    for (let i = from; i < to; i++) if (buf[offset + i] !== raw[i]) return false;
    return true;
  }

  toString(): string {
    return this.key;
  }
}
