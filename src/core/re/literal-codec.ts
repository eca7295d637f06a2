/**
 * Optional compression of a packet's literal bytes (the bytes RE found no
 * reference for): raw deflate, level 1, one independent stream per packet,
 * so a lost packet never affects another one's decoding. Measured on the
 * npm corpus (docs/re.md): it halves what new text costs on the wire, which
 * is where RE alone loses to zstd, at several µs of CPU per packet each way.
 *
 * Deterministic pure computation (zlib's output depends only on its input
 * and settings), so it fits the sans-IO core.
 */
import * as zlib from 'zlib';

export type LiteralCodec = 'none' | 'deflate';

/** Packets with fewer literal bytes keep them plain: the call costs more than it saves. */
export const LITERAL_Z_MIN = 192;

const DEFLATE_OPTS: zlib.ZlibOptions = { level: 1, memLevel: 8, windowBits: 15, strategy: zlib.constants.Z_DEFAULT_STRATEGY };
const INFLATE_OPTS: zlib.ZlibOptions = { windowBits: 15 };
let inflateOpts: zlib.ZlibOptions = INFLATE_OPTS;

/** Deflates src[0, n); null when it does not come out smaller. */
export function deflateLiterals(src: Uint8Array, n: number): Uint8Array | null {
  const z = zlib.deflateRawSync(src.subarray(0, n), DEFLATE_OPTS);
  return z.length < n ? z : null;
}

/**
 * Inflates a packet's literal stream into out; returns the byte count, or
 * -1 when the stream is malformed or longer than out (never throws: network
 * input).
 */
export function inflateLiterals(z: Uint8Array, out: Uint8Array): number {
  if (inflateOpts.maxOutputLength !== out.length) inflateOpts = { ...INFLATE_OPTS, maxOutputLength: out.length };
  try {
    const r = zlib.inflateRawSync(z, inflateOpts);
    out.set(r, 0);
    return r.length;
  } catch {
    return -1;
  }
}
