/**
 * Where the session layer gets its randomness (ephemeral keys, session
 * indices, retry jitter). Core never reads a global source: the daemon passes
 * `SodiumRandomBytes` (the OS CSPRNG), tests pass `SeededRandomBytes` so every
 * handshake is reproducible.
 */
import { sodium } from './sodium';
import { SeededRandom } from '../random';

export interface RandomBytes {
  /** n fresh random bytes. */
  randomBytes(n: number): Uint8Array;
}

/** Crypto-strong bytes from libsodium (getrandom(2) underneath). */
export class SodiumRandomBytes implements RandomBytes {
  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    sodium.randombytes_buf(out);
    return out;
  }
}

/** Deterministic bytes for tests and simulations. Never use for real keys. */
export class SeededRandomBytes implements RandomBytes {
  private readonly rng: SeededRandom;

  constructor(seed: number) {
    this.rng = new SeededRandom(seed);
  }

  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const w = this.rng.nextU32();
      out[i] = w & 0xff;
      if (i + 1 < n) out[i + 1] = (w >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (w >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = w >>> 24;
    }
    return out;
  }
}

/** A uniformly random non-zero 32-bit integer (session indices are never 0). */
export function randomU32NonZero(random: RandomBytes): number {
  for (;;) {
    const b = random.randomBytes(4);
    const v = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    if (v !== 0) return v;
  }
}
