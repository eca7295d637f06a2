/**
 * Replays "download OLD, later download NEW" through an encoder and a decoder
 * the way the tunnel carries it: TCP-like segments of 1200–1360 bytes, NEW
 * behind `shift` header bytes so its segments fall at other offsets,
 * interleaved with flows-1 other flows, over a channel that may lose packets
 * and reorder them across flows (each flow stays in order, as the tunnel
 * delivers ordered flows), with delivery reports reaching the encoder one
 * `ackLagBytes` of traffic late. Lost packets are sent again later (as the
 * inner TCP would). Every delivered byte is compared with what was sent.
 *
 * Deterministic for a seed; wall-clock speed is measured only through the
 * injected `clock` (core reads no clock of its own).
 */
import { SeededRandom } from '../random';
import { ReDecoder } from './decoder';
import { ReEncoder, type ReGating } from './encoder';
import type { LiteralCodec } from './literal-codec';

export interface TransferSimOptions {
  anchor?: number;
  shift?: number;
  flows?: number;
  /** Loss probability per packet, 0..1 (reordering comes with it). */
  loss?: number;
  seed?: number;
  cacheBytes?: number;
  gating?: ReGating;
  /** Literal bytes plain or deflated (default 'none'). */
  literalCodec?: LiteralCodec;
  /** Delivery reports reach the encoder after this many more payload bytes were sent (default 1 MiB). */
  ackLagBytes?: number;
  /** A loss is reported to the encoder (onLost) this many packets later (default 8). */
  lossProofPackets?: number;
  /** Other flows together carry this fraction of the main flow's bytes (default 0.5). */
  otherShare?: number;
  /**
   * Milliseconds of CPU time (or wall time) from any origin, read only around
   * the separate throughput pass; without it the speeds come out 0.
   */
  clock?: () => number;
  /** Throughput passes to run; the fastest encode and decode are reported (default 1). */
  speedRuns?: number;
}

export interface TransferSimResult {
  new_in: number;
  new_wire: number;
  total_in: number;
  total_wire: number;
  ratio_new: number;
  ratio_total: number;
  encode_mbps: number;
  decode_mbps: number;
  verified: boolean;
  packets: number;
  lost: number;
  misses: number;
  recoveries: number;
  wrong: number;
  hits: number;
  cache_memory: number;
}

interface InFlight {
  flow: number;
  payload: Uint8Array;
  msg: Uint8Array | null; // null: sent raw
  token: number;
}

const OLD_FLOW = 1;
const NEW_FLOW = 2;

export function simulateTransfer(oldData: Uint8Array, newData: Uint8Array, opts: TransferSimOptions = {}): TransferSimResult {
  const rnd = new SeededRandom(opts.seed ?? 1);
  const loss = opts.loss ?? 0;
  const flows = Math.max(1, opts.flows ?? 1);
  const lag = opts.ackLagBytes ?? 1 << 20;
  const cacheBytes = opts.cacheBytes ?? 64 << 20;
  const enc = new ReEncoder({ cacheBytes, anchor: opts.anchor ?? 128, gating: opts.gating ?? 'flow', literalCodec: opts.literalCodec });
  const dec = new ReDecoder({ cacheBytes });
  const header = new Uint8Array(opts.shift ?? 0);
  for (let i = 0; i < header.length; i++) header[i] = 32 + rnd.int(95);
  const newStream = concat(header, newData);

  const wire = new Map<number, number>();
  const input = new Map<number, number>();
  let sentIn = 0;
  let packets = 0;
  let lost = 0;
  let wrong = 0;
  let undelivered = 0;
  const acks: { at: number; token: number }[] = [];
  const losses: { at: number; token: number }[] = [];
  let ackHead = 0;
  const channel: { due: number; pkt: InFlight }[] = [];
  const lastDue = new Map<number, number>();
  const retransmit: { due: number; flow: number; payload: Uint8Array }[] = [];
  const out = new Uint8Array(70000);
  const decoded = new Uint8Array(70000);
  const missMsg = new Uint8Array(32);

  const send = (flow: number, payload: Uint8Array): void => {
    const len = enc.encode(flow, payload, out);
    const msg = len < 0 ? null : out.slice(0, len);
    const wireLen = len < 0 ? payload.length : len;
    wire.set(flow, (wire.get(flow) ?? 0) + wireLen);
    input.set(flow, (input.get(flow) ?? 0) + payload.length);
    sentIn += payload.length;
    packets++;
    const pkt: InFlight = { flow, payload, msg, token: len < 0 ? 0 : enc.lastToken };
    if (loss > 0 && rnd.next() < loss) {
      lost++;
      // the tunnel proves a loss after a packet time or so (per-path sequence gaps)
      if (pkt.token !== 0) losses.push({ at: packets + (opts.lossProofPackets ?? 8), token: pkt.token });
      retransmit.push({ due: packets + 16 + rnd.int(16), flow, payload });
    } else {
      // reordered across flows, kept in order within a flow (the tunnel's contract for ordered flows)
      const due = Math.max(packets + (loss > 0 ? rnd.int(8) : 0), lastDue.get(flow) ?? 0);
      lastDue.set(flow, due);
      channel.push({ due, pkt });
    }
    pump(false);
  };

  const deliver = (pkt: InFlight): void => {
    if (pkt.msg === null) return; // raw: delivered as is
    let n = dec.decode(pkt.flow, pkt.msg, decoded);
    // miss: ask; the encoder resends the lost source (or this packet), which travels reliably here
    for (let tries = 0; n === -1 && tries < 4; tries++) {
      const m = dec.writeMissRequest(missMsg);
      const missPos = dec.missPos;
      const r = enc.onMissRequest(missMsg.subarray(0, m), out);
      wire.set(pkt.flow, (wire.get(pkt.flow) ?? 0) + m + Math.max(0, r));
      if (r < 0) break;
      n = dec.decode(pkt.flow, out.subarray(0, r), decoded);
      if (n >= 0 && dec.lastPos !== missPos) n = dec.decode(pkt.flow, pkt.msg, decoded); // the source came: try again
    }
    if (n === -1) {
      retransmit.push({ due: packets + 16, flow: pkt.flow, payload: pkt.payload });
      return;
    }
    if (n < 0) {
      undelivered++;
      return;
    }
    if (n !== pkt.payload.length || !equal(decoded, pkt.payload, n)) wrong++;
    acks.push({ at: sentIn + lag, token: pkt.token });
  };

  const pump = (drain: boolean): void => {
    // deliver due packets (a random delay of a few packets reorders them)
    for (let i = 0; i < channel.length; ) {
      if (drain || channel[i].due <= packets) {
        const { pkt } = channel[i];
        channel.splice(i, 1);
        deliver(pkt);
      } else i++;
    }
    while (ackHead < acks.length && (drain || acks[ackHead].at <= sentIn)) enc.onDelivered(acks[ackHead++].token);
    while (losses.length > 0 && (drain || losses[0].at <= packets)) enc.onLost((losses.shift() as { token: number }).token);
    if (ackHead > 4096) {
      acks.splice(0, ackHead);
      ackHead = 0;
    }
    for (let i = 0; i < retransmit.length; ) {
      if (drain || retransmit[i].due <= packets) {
        const r = retransmit[i];
        retransmit.splice(i, 1);
        send(r.flow, r.payload);
      } else i++;
    }
  };

  const others = Array.from({ length: flows - 1 }, (_, k) => 100 + k);
  const phase = (flow: number, data: Uint8Array): void => {
    const share = opts.otherShare ?? 0.5;
    let off = 0;
    let otherBudget = others.length > 0 ? data.length * share : 0;
    while (off < data.length) {
      if (otherBudget > 0 && rnd.next() < share / (1 + share)) {
        const seg = randomBytes(rnd, segmentSize(rnd));
        otherBudget -= seg.length;
        send(others[rnd.int(others.length)], seg);
        continue;
      }
      const n = Math.min(segmentSize(rnd), data.length - off);
      send(flow, data.subarray(off, off + n));
      off += n;
    }
  };
  phase(OLD_FLOW, oldData);
  phase(NEW_FLOW, newStream);
  for (let i = 0; i < 64 && (channel.length > 0 || retransmit.length > 0); i++) pump(true);

  const speed = { encodeMbps: 0, decodeMbps: 0 };
  for (let run = 0; opts.clock && run < Math.max(1, opts.speedRuns ?? 1); run++) {
    // the fastest run: other jobs on a shared machine only ever slow one down
    const r = measureThroughput(oldData, newStream, opts.clock, opts);
    speed.encodeMbps = Math.max(speed.encodeMbps, r.encodeMbps);
    speed.decodeMbps = Math.max(speed.decodeMbps, r.decodeMbps);
  }
  const newIn = input.get(NEW_FLOW) ?? 0;
  const newWire = wire.get(NEW_FLOW) ?? 0;
  const totalIn = newIn + (input.get(OLD_FLOW) ?? 0);
  const totalWire = newWire + (wire.get(OLD_FLOW) ?? 0);
  return {
    new_in: newIn,
    new_wire: newWire,
    total_in: totalIn,
    total_wire: totalWire,
    ratio_new: newWire / newIn,
    ratio_total: totalWire / totalIn,
    encode_mbps: speed.encodeMbps,
    decode_mbps: speed.decodeMbps,
    verified: wrong === 0 && undelivered === 0 && channel.length === 0 && retransmit.length === 0,
    packets,
    lost,
    misses: dec.misses,
    recoveries: dec.recoveries,
    wrong,
    hits: enc.hits,
    cache_memory: enc.memoryBytes,
  };
}

/**
 * Speed on one core: OLD then NEW as one flow of 1300-byte packets, each
 * reported delivered at once, timed as two tight loops (encode all, then
 * decode all) with the caches committed beforehand (steady state, no page
 * faults of a fresh cache in the figure).
 */
export function measureThroughput(
  oldData: Uint8Array, newData: Uint8Array, clock: () => number, opts: TransferSimOptions = {},
): { encodeMbps: number; decodeMbps: number } {
  const cacheBytes = opts.cacheBytes ?? 64 << 20;
  // warm the JIT first: a cold run measures the compiler, not the code
  warmUp(oldData.subarray(0, Math.min(oldData.length, 2 << 20)), opts);
  const enc = new ReEncoder({ cacheBytes, anchor: opts.anchor ?? 128, gating: opts.gating ?? 'flow', literalCodec: opts.literalCodec, prefault: true });
  const dec = new ReDecoder({ cacheBytes, prefault: true });
  const total = oldData.length + newData.length;
  const wire = new Uint8Array(total + (Math.ceil(total / 1300) + 2) * 8);
  const lens: number[] = [];
  let at = 0;
  const t0 = clock();
  for (const data of [oldData, newData]) {
    for (let off = 0; off < data.length; off += 1300) {
      const p = data.subarray(off, Math.min(off + 1300, data.length));
      const n = enc.encode(1, p, wire.subarray(at, at + p.length + 5));
      if (n < 0) continue;
      enc.onDelivered(enc.lastToken);
      lens.push(n);
      at += n;
    }
  }
  const t1 = clock();
  const out = new Uint8Array(70000);
  at = 0;
  let bytes = 0;
  for (const n of lens) {
    bytes += Math.max(0, dec.decode(1, wire.subarray(at, at + n), out));
    at += n;
  }
  const t2 = clock();
  return { encodeMbps: total / 1000 / Math.max(1e-3, t1 - t0), decodeMbps: bytes / 1000 / Math.max(1e-3, t2 - t1) };
}

function warmUp(sample: Uint8Array, opts: TransferSimOptions): void {
  const out = new Uint8Array(70000);
  const back = new Uint8Array(70000);
  for (let round = 0; round < 3; round++) {
    const enc = new ReEncoder({ cacheBytes: 4 << 20, anchor: opts.anchor ?? 128, gating: opts.gating ?? 'flow', literalCodec: opts.literalCodec });
    const dec = new ReDecoder({ cacheBytes: 4 << 20 });
    for (let pass = 0; pass < 2; pass++) {
      for (let off = pass * 7; off < sample.length; off += 1300) {
        const n = enc.encode(1, sample.subarray(off, Math.min(off + 1300, sample.length)), out);
        if (n < 0) continue;
        enc.onDelivered(enc.lastToken);
        dec.decode(1, out.subarray(0, n), back);
      }
    }
  }
}

function segmentSize(rnd: SeededRandom): number {
  return 1200 + rnd.int(161);
}

function randomBytes(rnd: SeededRandom, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = rnd.nextU32();
    b[i] = v;
    if (i + 1 < n) b[i + 1] = v >>> 8;
    if (i + 2 < n) b[i + 2] = v >>> 16;
    if (i + 3 < n) b[i + 3] = v >>> 24;
  }
  return b;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a, 0);
  c.set(b, a.length);
  return c;
}

function equal(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
