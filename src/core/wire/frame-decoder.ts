/**
 * Hand-written protobuf decoder for `Frame`, the receive half of
 * frame-encoder.ts. Input is untrusted plaintext (it passed the AEAD, but a
 * peer can still send nonsense): it never throws, returns null for anything
 * malformed, skips unknown fields (so newer peers can add some), and gives
 * the payload as a subarray view of the input, not a copy.
 */
import type { AckFrame, DataFrame, Frame, PathJoinFrame, PathReceiveStats, ProbeFrame, ProbeReplyFrame, ReControlFrame, SeqRange } from './frames';
import { Reader, unzigzag } from './varint';

const utf8 = new TextDecoder('utf-8', { fatal: false });
const r = new Reader();
const EMPTY = new Uint8Array(0);

function readData(end: number): DataFrame {
  const d: DataFrame = { seq: 0, pathId: 0, pathSeq: 0, prevSeq: 0, flow: 0, flags: 0, sendTimeUs: 0, payload: EMPTY };
  let flowPrevGap = 0;
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    switch (key) {
      case 0x08: d.seq = r.varint(); break;
      case 0x10: d.pathId = r.varint(); break;
      case 0x18: d.pathSeq = r.varint(); break;
      case 0x20: d.prevSeq = r.varint(); break;
      case 0x2d: d.flow = r.fixed32(); break;
      case 0x30: d.flags = r.varint(); break;
      case 0x38: d.sendTimeUs = r.varint(); break;
      case 0x48: flowPrevGap = r.varint(); break;
      case 0x42: {
        const n = r.length();
        d.payload = r.buf.subarray(r.pos, r.pos + n);
        r.pos += n;
        break;
      }
      default: r.skip(key & 7);
    }
  }
  if (flowPrevGap > 0 && flowPrevGap < d.seq) d.flowPrevSeq = d.seq - flowPrevGap;
  return d;
}

function readRange(end: number): SeqRange {
  const s: SeqRange = { start: 0, end: 0 };
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    if (key === 0x08) s.start = r.varint();
    else if (key === 0x10) s.end = r.varint();
    else r.skip(key & 7);
  }
  return s;
}

function readPathStats(end: number): PathReceiveStats {
  const p: PathReceiveStats = { pathId: 0, highestPathSeq: 0, packets: 0, bytes: 0, echoSendTimeUs: 0, ackDelayUs: 0, owdUs: 0 };
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    switch (key) {
      case 0x08: p.pathId = r.varint(); break;
      case 0x10: p.highestPathSeq = r.varint(); break;
      case 0x18: p.packets = r.varint(); break;
      case 0x20: p.bytes = r.varint(); break;
      case 0x28: p.echoSendTimeUs = r.varint(); break;
      case 0x30: p.ackDelayUs = r.varint(); break;
      case 0x38: p.owdUs = unzigzag(r.varint()); break;
      default: r.skip(key & 7);
    }
  }
  return p;
}

function readAck(end: number): AckFrame {
  const a: AckFrame = { ranges: [], paths: [] };
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    if (key === 0x0a) {
      const n = r.length();
      const sub = r.pos + n;
      a.ranges.push(readRange(sub));
      if (r.pos !== sub) r.fail();
    } else if (key === 0x12) {
      const n = r.length();
      const sub = r.pos + n;
      a.paths.push(readPathStats(sub));
      if (r.pos !== sub) r.fail();
    } else if (key === 0x1a) {
      // packed, as proto3 writes it
      const n = r.length();
      const sub = r.pos + n;
      const lost = a.lost ?? (a.lost = []);
      while (r.pos < sub && !r.bad) lost.push(r.varint());
      if (r.pos !== sub) r.fail();
    } else if (key === 0x18) {
      (a.lost ?? (a.lost = [])).push(r.varint()); // unpacked: also valid protobuf
    } else r.skip(key & 7);
  }
  return a;
}

function readProbe(end: number): ProbeFrame {
  const p: ProbeFrame = { pathId: 0, probeId: 0, sendTimeUs: 0 };
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    if (key === 0x08) p.pathId = r.varint();
    else if (key === 0x10) p.probeId = r.varint();
    else if (key === 0x18) p.sendTimeUs = r.varint();
    else r.skip(key & 7);
  }
  return p;
}

function readProbeReply(end: number): ProbeReplyFrame {
  const p: ProbeReplyFrame = { pathId: 0, probeId: 0, echoSendTimeUs: 0, holdUs: 0 };
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    if (key === 0x08) p.pathId = r.varint();
    else if (key === 0x10) p.probeId = r.varint();
    else if (key === 0x18) p.echoSendTimeUs = r.varint();
    else if (key === 0x20) p.holdUs = r.varint();
    else r.skip(key & 7);
  }
  return p;
}

function readString(): string {
  const n = r.length();
  if (r.bad) return '';
  const s = utf8.decode(r.buf.subarray(r.pos, r.pos + n));
  r.pos += n;
  return s;
}

function readPathJoin(end: number): PathJoinFrame {
  const j: PathJoinFrame = { pathId: 0, name: '' };
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    if (key === 0x08) j.pathId = r.varint();
    else if (key === 0x12) j.name = readString();
    else r.skip(key & 7);
  }
  return j;
}

function readClose(end: number): { reason: string } {
  const c = { reason: '' };
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    if (key === 0x0a) c.reason = readString();
    else r.skip(key & 7);
  }
  return c;
}

function readReControl(end: number): ReControlFrame {
  const c: ReControlFrame = { msg: EMPTY };
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    if (key === 0x0a) {
      const n = r.length();
      if (r.bad) break;
      c.msg = r.buf.subarray(r.pos, r.pos + n);
      r.pos += n;
    } else r.skip(key & 7);
  }
  return c;
}

/**
 * Decodes buf[start, end) as a Frame; null if malformed. A repeated
 * sub-message field keeps the last occurrence (proto3 would merge; braid
 * encoders never repeat them).
 */
export function decodeFrame(buf: Uint8Array, start: number, end: number): Frame | null {
  r.reset(buf, start, end);
  const f: Frame = {};
  while (r.pos < end && !r.bad) {
    const key = r.varint();
    if ((key & 7) !== 2 || key < 0x0a || key > 0x3a) {
      r.skip(key & 7);
      continue;
    }
    const n = r.length();
    if (r.bad) break;
    const subEnd = r.pos + n;
    // Sub-readers stop at subEnd; a field that runs past it is malformed.
    const saved = r.end;
    r.end = subEnd;
    switch (key) {
      case 0x0a: f.data = readData(subEnd); break;
      case 0x12: f.ack = readAck(subEnd); break;
      case 0x1a: f.probe = readProbe(subEnd); break;
      case 0x22: f.probeReply = readProbeReply(subEnd); break;
      case 0x2a: f.pathJoin = readPathJoin(subEnd); break;
      case 0x32: f.close = readClose(subEnd); break;
      case 0x3a: f.re = readReControl(subEnd); break;
      default: r.pos = subEnd;
    }
    if (r.pos !== subEnd) r.fail();
    if (r.bad) break;
    r.end = saved;
  }
  return r.bad ? null : f;
}
