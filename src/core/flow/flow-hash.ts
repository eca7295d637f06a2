/**
 * 32-bit hashing of header words for flow ids (the MurmurHash3 x86_32 block
 * and finalisation steps). Not cryptographic: a per-session seed keeps flows
 * from being steered into one bucket from outside, which is all it must do.
 */

/** Mix one 32-bit word into the running hash `h`. */
export function hashWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Final avalanche; `length` is the number of bytes hashed. Returns a uint32. */
export function hashFinish(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
