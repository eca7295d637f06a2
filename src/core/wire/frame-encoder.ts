/**
 * Hand-written protobuf encoder for `Frame` (proto/braid.proto). It writes
 * exactly the bytes a proto3 encoder writes (fields in number order, default
 * values omitted) straight into the caller's buffer: the data path encodes
 * every packet, and protobufjs costs ~1.8 µs and allocates per encode.
 * test/unit/wire-codec.test.ts checks it against protobufjs both ways.
 *
 * Numbers must be non-negative integers below 2^53 (owdUs may be negative).
 */
import type { AckFrame, DataFrame, Frame, PathReceiveStats, ProbeFrame, ProbeReplyFrame, SeqRange } from './frames';
import { varintSize, writeVarint, zigzag } from './varint';

const utf8 = new TextEncoder();

// Field keys: (field number << 3) | wire type (0 varint, 2 length-delimited, 5 fixed32).
const F_DATA = 0x0a, F_ACK = 0x12, F_PROBE = 0x1a, F_PROBE_REPLY = 0x22, F_PATH_JOIN = 0x2a, F_CLOSE = 0x32, F_RE = 0x3a;

/** Bytes a field `key = v` (varint) takes, 0 when v is the default. */
function vfield(v: number): number {
  return v === 0 ? 0 : 1 + varintSize(v);
}

/** Bytes of a length-delimited field holding n bytes, including key and length. */
function lfield(n: number): number {
  return 1 + varintSize(n) + n;
}

export function dataSize(d: DataFrame): number {
  return (
    vfield(d.seq) +
    vfield(d.pathId) +
    vfield(d.pathSeq) +
    vfield(d.prevSeq) +
    ((d.flow >>> 0) === 0 ? 0 : 5) +
    vfield(d.flags) +
    vfield(d.sendTimeUs) +
    (d.payload.length === 0 ? 0 : lfield(d.payload.length)) +
    vfield(flowPrevGap(d))
  );
}

/** seq − flowPrevSeq: small on the wire; 0 (absent) when there is no valid predecessor. */
function flowPrevGap(d: DataFrame): number {
  const p = d.flowPrevSeq;
  return p !== undefined && p > 0 && p < d.seq ? d.seq - p : 0;
}

function rangeSize(r: SeqRange): number {
  return vfield(r.start) + vfield(r.end);
}

function pathStatsSize(p: PathReceiveStats): number {
  return (
    vfield(p.pathId) +
    vfield(p.highestPathSeq) +
    vfield(p.packets) +
    vfield(p.bytes) +
    vfield(p.echoSendTimeUs) +
    vfield(p.ackDelayUs) +
    vfield(zigzag(p.owdUs))
  );
}

function ackSize(a: AckFrame): number {
  let n = 0;
  for (let i = 0; i < a.ranges.length; i++) n += lfield(rangeSize(a.ranges[i]));
  for (let i = 0; i < a.paths.length; i++) n += lfield(pathStatsSize(a.paths[i]));
  const lost = lostSize(a);
  if (lost > 0) n += lfield(lost);
  return n;
}

/** Bytes of the packed `lost` list's contents (0: the field is absent). */
function lostSize(a: AckFrame): number {
  const l = a.lost;
  if (l === undefined) return 0;
  let n = 0;
  for (let i = 0; i < l.length; i++) n += varintSize(l[i]);
  return n;
}

function probeSize(p: ProbeFrame): number {
  return vfield(p.pathId) + vfield(p.probeId) + vfield(p.sendTimeUs);
}

function probeReplySize(p: ProbeReplyFrame): number {
  return vfield(p.pathId) + vfield(p.probeId) + vfield(p.echoSendTimeUs) + vfield(p.holdUs);
}

function stringSize(s: string): number {
  return s.length === 0 ? 0 : lfield(Buffer.byteLength(s, 'utf8'));
}

/** Exact encoded size of a Frame in bytes. */
export function frameSize(f: Frame): number {
  let n = 0;
  if (f.data) n += lfield(dataSize(f.data));
  if (f.ack) n += lfield(ackSize(f.ack));
  if (f.probe) n += lfield(probeSize(f.probe));
  if (f.probeReply) n += lfield(probeReplySize(f.probeReply));
  if (f.pathJoin) n += lfield(vfield(f.pathJoin.pathId) + stringSize(f.pathJoin.name));
  if (f.close) n += lfield(stringSize(f.close.reason));
  if (f.re) n += lfield(bytesSize(f.re.msg));
  return n;
}

function bytesSize(b: Uint8Array): number {
  return b.length === 0 ? 0 : lfield(b.length);
}

function putVarintField(buf: Uint8Array, pos: number, key: number, v: number): number {
  if (v === 0) return pos;
  buf[pos++] = key;
  return writeVarint(buf, pos, v);
}

function putString(buf: Uint8Array, pos: number, key: number, s: string): number {
  if (s.length === 0) return pos;
  const n = Buffer.byteLength(s, 'utf8');
  buf[pos++] = key;
  pos = writeVarint(buf, pos, n);
  utf8.encodeInto(s, buf.subarray(pos, pos + n));
  return pos + n;
}

function putData(buf: Uint8Array, pos: number, d: DataFrame): number {
  pos = putVarintField(buf, pos, 0x08, d.seq);
  pos = putVarintField(buf, pos, 0x10, d.pathId);
  pos = putVarintField(buf, pos, 0x18, d.pathSeq);
  pos = putVarintField(buf, pos, 0x20, d.prevSeq);
  const flow = d.flow >>> 0;
  if (flow !== 0) {
    buf[pos] = 0x2d; // field 5, fixed32: a hash has no small values, so fixed beats varint
    buf[pos + 1] = flow & 0xff;
    buf[pos + 2] = (flow >>> 8) & 0xff;
    buf[pos + 3] = (flow >>> 16) & 0xff;
    buf[pos + 4] = flow >>> 24;
    pos += 5;
  }
  pos = putVarintField(buf, pos, 0x30, d.flags);
  pos = putVarintField(buf, pos, 0x38, d.sendTimeUs);
  const len = d.payload.length;
  if (len !== 0) {
    buf[pos++] = 0x42;
    pos = writeVarint(buf, pos, len);
    buf.set(d.payload, pos);
    pos += len;
  }
  return putVarintField(buf, pos, 0x48, flowPrevGap(d));
}

function putAck(buf: Uint8Array, pos: number, a: AckFrame): number {
  for (let i = 0; i < a.ranges.length; i++) {
    const r = a.ranges[i];
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, rangeSize(r));
    pos = putVarintField(buf, pos, 0x08, r.start);
    pos = putVarintField(buf, pos, 0x10, r.end);
  }
  for (let i = 0; i < a.paths.length; i++) {
    const p = a.paths[i];
    buf[pos++] = 0x12;
    pos = writeVarint(buf, pos, pathStatsSize(p));
    pos = putVarintField(buf, pos, 0x08, p.pathId);
    pos = putVarintField(buf, pos, 0x10, p.highestPathSeq);
    pos = putVarintField(buf, pos, 0x18, p.packets);
    pos = putVarintField(buf, pos, 0x20, p.bytes);
    pos = putVarintField(buf, pos, 0x28, p.echoSendTimeUs);
    pos = putVarintField(buf, pos, 0x30, p.ackDelayUs);
    pos = putVarintField(buf, pos, 0x38, zigzag(p.owdUs));
  }
  const lost = lostSize(a);
  if (lost > 0) {
    buf[pos++] = 0x1a;
    pos = writeVarint(buf, pos, lost);
    for (let i = 0; i < a.lost!.length; i++) pos = writeVarint(buf, pos, a.lost![i]);
  }
  return pos;
}

/**
 * Encodes `f` into buf at pos; returns the position after it, or -1 (and
 * writes nothing) when it doesn't fit.
 */
export function encodeFrame(f: Frame, buf: Uint8Array, pos: number): number {
  if (pos + frameSize(f) > buf.length) return -1;
  if (f.data) {
    buf[pos++] = F_DATA;
    pos = writeVarint(buf, pos, dataSize(f.data));
    pos = putData(buf, pos, f.data);
  }
  if (f.ack) {
    buf[pos++] = F_ACK;
    pos = writeVarint(buf, pos, ackSize(f.ack));
    pos = putAck(buf, pos, f.ack);
  }
  if (f.probe) {
    const p = f.probe;
    buf[pos++] = F_PROBE;
    pos = writeVarint(buf, pos, probeSize(p));
    pos = putVarintField(buf, pos, 0x08, p.pathId);
    pos = putVarintField(buf, pos, 0x10, p.probeId);
    pos = putVarintField(buf, pos, 0x18, p.sendTimeUs);
  }
  if (f.probeReply) {
    const p = f.probeReply;
    buf[pos++] = F_PROBE_REPLY;
    pos = writeVarint(buf, pos, probeReplySize(p));
    pos = putVarintField(buf, pos, 0x08, p.pathId);
    pos = putVarintField(buf, pos, 0x10, p.probeId);
    pos = putVarintField(buf, pos, 0x18, p.echoSendTimeUs);
    pos = putVarintField(buf, pos, 0x20, p.holdUs);
  }
  if (f.pathJoin) {
    const j = f.pathJoin;
    buf[pos++] = F_PATH_JOIN;
    pos = writeVarint(buf, pos, vfield(j.pathId) + stringSize(j.name));
    pos = putVarintField(buf, pos, 0x08, j.pathId);
    pos = putString(buf, pos, 0x12, j.name);
  }
  if (f.close) {
    buf[pos++] = F_CLOSE;
    pos = writeVarint(buf, pos, stringSize(f.close.reason));
    pos = putString(buf, pos, 0x0a, f.close.reason);
  }
  if (f.re) {
    const m = f.re.msg;
    buf[pos++] = F_RE;
    pos = writeVarint(buf, pos, bytesSize(m));
    if (m.length !== 0) {
      buf[pos++] = 0x0a;
      pos = writeVarint(buf, pos, m.length);
      buf.set(m, pos);
      pos += m.length;
    }
  }
  return pos;
}

/** Exact Frame bytes a data frame adds around its payload (key, lengths and header fields). */
export function dataFrameOverhead(d: DataFrame): number {
  const inner = dataSize(d);
  return 1 + varintSize(inner) + inner - d.payload.length;
}
