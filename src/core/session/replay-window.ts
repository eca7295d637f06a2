/**
 * Sliding-window replay filter over 64-bit transport counters (RFC 6479):
 * a ring of 32-bit blocks; moving the window forward clears whole blocks, so
 * both check and update are O(1) however far the counter jumps.
 *
 * Size: 1024 blocks, of which one is always being recycled, so 32,736
 * counters behind the highest one seen are still accepted. Multipath
 * reordering needs at least rate × worst path skew: 1 Gbit/s of 1400-byte
 * packets is ~89,000 packets/s, × 100 ms skew ≈ 9,000 packets. WireGuard's
 * 8,128 (for one path) is too small for that; 32,736 covers ~360 ms of skew
 * at 1 Gbit/s, or 100 ms at 3.6 Gbit/s, for 4 KiB per session.
 */
const BLOCK_BITS = 32;
const BLOCKS = 1024; // a power of two, so the ring index is a mask
const BLOCK_MASK = BLOCKS - 1;

export const REPLAY_WINDOW = (BLOCKS - 1) * BLOCK_BITS;

export class ReplayWindow {
  private readonly bits = new Uint32Array(BLOCKS);
  /** Highest counter accepted so far (0 before any, which is also a valid first counter). */
  private top = 0;

  /** Whether `counter` is new and inside the window. Does not record it. */
  check(counter: number): boolean {
    if (counter > this.top) return true;
    if (this.top - counter >= REPLAY_WINDOW) return false;
    // `& ` works on the low 32 bits, which hold the low bits of counters above 2^32 too.
    return (this.bits[Math.floor(counter / BLOCK_BITS) & BLOCK_MASK] & (1 << (counter & 31))) === 0;
  }

  /** Records an authenticated counter; false if it was a replay or too old. */
  update(counter: number): boolean {
    if (counter > this.top) {
      const topBlock = Math.floor(this.top / BLOCK_BITS);
      const newBlock = Math.floor(counter / BLOCK_BITS);
      const clear = Math.min(newBlock - topBlock, BLOCKS);
      for (let i = 1; i <= clear; i++) this.bits[(topBlock + i) & BLOCK_MASK] = 0;
      this.top = counter;
    } else if (this.top - counter >= REPLAY_WINDOW) {
      return false;
    }
    const idx = Math.floor(counter / BLOCK_BITS) & BLOCK_MASK;
    const bit = 1 << (counter & 31);
    if ((this.bits[idx] & bit) !== 0) return false;
    this.bits[idx] |= bit;
    return true;
  }

  /** Highest counter accepted (for `braid status`). */
  get highest(): number {
    return this.top;
  }
}
