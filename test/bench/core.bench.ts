/**
 * Per-packet cost of the secure data path: seal+frame (encode a data Frame,
 * ChaCha20-Poly1305 in place) and open+parse (replay check, decrypt in place,
 * decode with the payload as a view), at 64 B and 1400 B payloads. Also the
 * raw AEAD (the floor), and the Frame encoder alone against protobufjs, which
 * it replaces on the hot path.
 */
import * as path from 'path';
import * as protobuf from 'protobufjs';
import type { Bench, BenchResult } from './harness';
import { opsPerSecond } from './harness';
import { SecureEndpoint, SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import { encodeFrame } from '../../src/core/wire/frame-encoder';
import { sodium } from '../../src/core/session/sodium';
import type { Frame } from '../../src/core/wire/frames';

const MS = 400;

function pair(): { a: SecureEndpoint; b: SecureEndpoint } {
  const rnd = new SeededRandomBytes(1);
  const ka = generatePrivateKey(rnd);
  const kb = generatePrivateKey(rnd);
  const a = new SecureEndpoint({ privateKey: ka, peers: [{ publicKey: publicKeyOf(kb) }], random: rnd });
  const b = new SecureEndpoint({ privateKey: kb, peers: [{ publicKey: publicKeyOf(ka) }], random: rnd });
  const r1 = b.handleDatagram(0, a.connect(0, 0)[0]);
  if (r1.kind !== 'send') throw new Error('bench handshake failed');
  const r2 = a.handleDatagram(0, r1.datagrams[0]);
  if (r2.kind !== 'established') throw new Error('bench handshake failed');
  b.handleDatagram(0, r2.datagrams[0]);
  return { a, b };
}

function frameOf(size: number, seq: number): Frame {
  return {
    data: {
      seq,
      pathId: 2,
      pathSeq: seq,
      prevSeq: seq - 3,
      flow: 0x9e3779b9,
      flags: 8,
      sendTimeUs: 3_600_000_000 + seq,
      payload: new Uint8Array(size).fill(0x5a),
    },
  };
}

function result(name: string, opsPerSec: number, size: number): BenchResult[] {
  return [
    { name: `${name}_ops`, value: opsPerSec, unit: 'ops/s', params: { size } },
    { name: `${name}_us`, value: 1e6 / opsPerSec, unit: 'us/op', params: { size } },
  ];
}

/** Opens datagrams sealed in untimed batches (each can be opened once: replay protection). */
function openRate(a: SecureEndpoint, b: SecureEndpoint, size: number): number {
  const batch = 4096;
  const frame = frameOf(size, 100);
  const slab = new Uint8Array(batch * (size + 128));
  const views: Uint8Array[] = new Array(batch);
  let ops = 0;
  let elapsed = 0n;
  let sink = 0;
  while (elapsed < BigInt(MS) * 1_000_000n) {
    let off = 0;
    for (let i = 0; i < batch; i++) {
      const n = a.sealFrameInto(0, 0, frame, slab, off);
      views[i] = slab.subarray(off, off + n);
      off += n;
    }
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) {
      const r = b.handleDatagram(0, views[i]);
      if (r.kind === 'frame') sink += r.frame.data!.payload.length;
    }
    elapsed += process.hrtime.bigint() - t0;
    ops += batch;
  }
  if (sink !== ops * size) throw new Error(`bench: datagrams failed to open: ${JSON.stringify(b.counters.drops)}`);
  return ops / (Number(elapsed) / 1e9);
}

export const bench: Bench = {
  group: 'core',
  title: 'secure session and wire codec, per packet',
  async run(): Promise<BenchResult[]> {
    const out: BenchResult[] = [];
    const root = protobuf.loadSync(path.join(__dirname, '..', '..', '..', 'proto', 'braid.proto'));
    const FrameType = root.lookupType('braid.Frame');
    for (const size of [64, 1400]) {
      const { a, b } = pair();
      const frame = frameOf(size, 123456);
      const buf = new Uint8Array(2048);
      out.push(...result('seal_frame', opsPerSecond(() => a.sealFrameInto(0, 0, frame, buf, 0), MS), size));
      out.push(...result('open_parse', openRate(a, b, size), size));
      // The raw AEAD at the same moment: on a shared machine, compare against this rather than across runs.
      const key = new Uint8Array(32);
      const nonce = new Uint8Array(12);
      const plain = new Uint8Array(size + 40);
      const sealed = new Uint8Array(size + 56);
      out.push(...result('aead_seal', opsPerSecond(() => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(sealed, plain, null, null, nonce, key), MS), size));
      out.push(...result('encode_frame', opsPerSecond(() => encodeFrame(frame, buf, 0), MS), size));
      const msg = FrameType.fromObject(frame as Record<string, unknown>);
      out.push(...result('protobufjs_encode', opsPerSecond(() => FrameType.encode(msg).finish(), MS), size));
    }
    return out;
  },
};
