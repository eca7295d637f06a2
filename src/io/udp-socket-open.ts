/**
 * Creates, configures and binds a UDP socket fd through the addon for both
 * path socket implementations, and turns failures into one-line BraidErrors.
 */
import { BraidError, fromSystemError } from '../errors';
import { native } from './native';
import type { PathSocketOptions } from './udp-socket';

const DEVICE_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;

function describe(opts: PathSocketOptions): string {
  const parts = [`udp${opts.family}`, `${opts.address ?? 'any'}:${opts.port ?? 0}`];
  if (opts.device) parts.push(`dev ${opts.device}`);
  if (opts.mark) parts.push(`mark 0x${opts.mark.toString(16)}`);
  return `path socket (${parts.join(' ')})`;
}

function validate(opts: PathSocketOptions): void {
  const bad = (msg: string): never => {
    throw new BraidError('BRAID_ERR_CONFIG', msg);
  };
  if (opts.family !== 4 && opts.family !== 6) bad(`socket family must be 4 or 6, got ${String(opts.family)}`);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) bad(`port ${port} is out of range; use 0..65535`);
  if (opts.device !== undefined && !DEVICE_RE.test(opts.device)) bad(`interface name '${opts.device}' is invalid`);
  const mark = opts.mark ?? 0;
  if (!Number.isInteger(mark) || mark < 0 || mark > 0xffffffff) bad(`mark ${mark} is out of range; use 0..0xffffffff`);
  const maxBatch = opts.maxBatch ?? 64;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 1024) bad(`maxBatch must be an integer in 1..1024, got ${maxBatch}`);
  for (const k of ['rcvbuf', 'sndbuf'] as const) {
    const v = opts[k] ?? 0;
    if (!Number.isInteger(v) || v < 0 || v > 0x3fffffff) bad(`${k} ${v} is out of range`);
  }
}

function pmtud(df: PathSocketOptions['dontFragment']): 0 | 1 | 2 {
  if (df === undefined || df === false) return 0;
  if (df === true || df === 'probe') return 1;
  if (df === 'do') return 2;
  throw new BraidError('BRAID_ERR_CONFIG', `dontFragment must be true, false, 'probe' or 'do', got '${String(df)}'`);
}

export function openUdpFd(opts: PathSocketOptions): number {
  validate(opts);
  try {
    return native().udpOpen(
      opts.family,
      opts.address ?? null,
      opts.port ?? 0,
      opts.device ?? null,
      (opts.mark ?? 0) | 0, // the kernel reads an int; keep the bit pattern of marks >= 2^31
      pmtud(opts.dontFragment),
      opts.rcvbuf ?? 0,
      opts.sndbuf ?? 0,
    );
  } catch (err) {
    throw openError(err, opts);
  }
}

function openError(err: unknown, opts: PathSocketOptions): BraidError {
  if (err instanceof BraidError) return err;
  const e = err as NodeJS.ErrnoException;
  const what = describe(opts);
  if (e.code === 'ENODEV' && e.syscall === 'setsockopt SO_BINDTODEVICE') {
    return new BraidError('BRAID_ERR_NO_INTERFACE', `${what}: no such interface '${opts.device}'; check the name with 'ip link'`, { cause: err });
  }
  if (e.code === 'EINVAL' && e.syscall === 'inet_pton') {
    return new BraidError('BRAID_ERR_CONFIG', `${what}: '${opts.address}' is not an IPv${opts.family} address`, { cause: err });
  }
  if (e.code === 'EADDRNOTAVAIL') {
    return new BraidError('BRAID_ERR_CONFIG', `${what}: ${opts.address} is not an address of this host (or of the namespace); fix the local address`, { cause: err });
  }
  if (e.code === 'EAFNOSUPPORT') {
    return new BraidError('BRAID_ERR_SYSTEM', `${what}: IPv${opts.family} is disabled on this host`, { cause: err });
  }
  return fromSystemError(err, what);
}
