/**
 * The Internet checksum (RFC 1071) for inner packets: braid finishes the
 * checksums the kernel leaves partial when the TUN offloads them (virtio
 * NEEDS_CSUM), and writes fresh ones into the TCP segments it cuts from a
 * super-packet. Sums run over big-endian 32-bit words (one's-complement
 * addition is associative, and 2^16 = 1 mod 0xffff, so they fold to the
 * same 16 bits as the textbook 16-bit loop, at half the reads).
 */

/** One's-complement sum of b[at, at+len) as big-endian 16-bit words (an odd last byte padded with zero), unfolded. */
export function sum16(b: Uint8Array, at: number, len: number, initial: number): number {
  let sum = initial;
  let k = at;
  const end = at + len;
  const words = end - ((end - at) & 3);
  for (; k < words; k += 4) sum += ((b[k] << 24) | (b[k + 1] << 16) | (b[k + 2] << 8) | b[k + 3]) >>> 0;
  for (; k + 1 < end; k += 2) sum += (b[k] << 8) | b[k + 1];
  if (k < end) sum += b[k] << 8;
  return sum;
}

/** Folds an unfolded sum (any non-negative integer below 2^53) to 16 bits. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** Sum of the IPv4/IPv6 pseudo-header of a transport segment of `l4Len` bytes (addresses, protocol, length). */
export function pseudoHeaderSum(p: Uint8Array, proto: number, l4Len: number): number {
  const addrs = p[0] >> 4 === 4 ? sum16(p, 12, 8, 0) : sum16(p, 8, 32, 0);
  return addrs + proto + l4Len;
}

/**
 * Completes a checksum left partial by the kernel: the field at
 * csumStart + csumOffset holds the pseudo-header sum, and the checksum
 * covers everything from csumStart to the end. False if the offsets lie
 * outside the packet (nothing written).
 */
export function completeChecksum(p: Uint8Array, csumStart: number, csumOffset: number): boolean {
  const field = csumStart + csumOffset;
  if (csumStart >= p.length || field + 2 > p.length) return false;
  const c = ~fold(sum16(p, csumStart, p.length - csumStart, 0)) & 0xffff;
  // as the kernel does (skb_checksum_help): a zero result goes out as 0xffff, which UDP reads as "checksummed"
  const v = c === 0 ? 0xffff : c;
  p[field] = v >> 8;
  p[field + 1] = v & 0xff;
  return true;
}

/** Writes a fresh IPv4 header checksum over the header's IHL words. */
export function setIpv4HeaderChecksum(p: Uint8Array, at = 0): void {
  const ihl = (p[at] & 0x0f) << 2;
  p[at + 10] = 0;
  p[at + 11] = 0;
  const c = ~fold(sum16(p, at, ihl, 0)) & 0xffff;
  p[at + 10] = c >> 8;
  p[at + 11] = c & 0xff;
}
