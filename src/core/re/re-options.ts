/** Validation of RE options; the messages name the option and the fix. */
import { ConfigError } from '../../errors';

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

export function validateCacheBytes(n: number): number {
  if (!isPow2(n) || n < 4 << 20 || n > 512 << 20) {
    throw new ConfigError('re.cacheBytes', `must be a power of two from 4 MiB to 512 MiB, got ${n}`);
  }
  return n;
}

export function validateAnchor(n: number): number {
  if (!isPow2(n) || n < 32 || n > 4096) {
    throw new ConfigError('re.anchor', `must be a power of two from 32 to 4096 bytes, got ${n}`);
  }
  return n;
}
