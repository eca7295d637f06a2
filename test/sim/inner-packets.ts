/** Inner IPv4 packets for simulations: enough header for the flow classifier, and a counter in the payload. */
export function ipv4Packet(opts: {
  src: string;
  dst: string;
  proto?: number;
  sport?: number;
  dport?: number;
  /** Written as a uint32 at the start of the payload. */
  index: number;
  size?: number;
}): Uint8Array {
  const size = opts.size ?? 1200;
  const proto = opts.proto ?? 6;
  const p = new Uint8Array(size);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, size);
  p[8] = 64;
  p[9] = proto;
  p.set(opts.src.split('.').map(Number), 12);
  p.set(opts.dst.split('.').map(Number), 16);
  const l4 = 20;
  v.setUint16(l4, opts.sport ?? 40000);
  v.setUint16(l4 + 2, opts.dport ?? 80);
  const body = proto === 6 ? l4 + 20 : l4 + 8;
  if (proto === 6) p[l4 + 12] = 0x50;
  v.setUint32(body, opts.index);
  return p;
}

/** The index written by ipv4Packet (TCP or UDP). */
export function packetIndex(p: Uint8Array): number {
  const body = p[9] === 6 ? 40 : 28;
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(body);
}

export function packetSport(p: Uint8Array): number {
  return (p[20] << 8) | p[21];
}
