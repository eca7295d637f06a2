/**
 * Two SecureEndpoints joined by an in-memory link on a fake clock, for the
 * session tests. Datagrams are copied on delivery (the receiver decrypts in
 * place), and every datagram ever sent is kept for replay tests.
 */
import { SecureEndpoint, SecureEndpointOptions, SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import type { Frame } from '../../src/core/wire/frames';

export interface Delivered {
  to: 'a' | 'b';
  frame: Frame;
}

export class SessionPair {
  now = 1_000;
  readonly a: SecureEndpoint;
  readonly b: SecureEndpoint;
  readonly aKey: Uint8Array;
  readonly bKey: Uint8Array;
  /** Every datagram sent, in order, with its destination. */
  readonly wire: Array<{ to: 'a' | 'b'; datagram: Uint8Array }> = [];
  readonly delivered: Delivered[] = [];

  constructor(seed = 1, opts: Partial<SecureEndpointOptions> = {}) {
    const rnd = new SeededRandomBytes(seed);
    this.aKey = generatePrivateKey(rnd);
    this.bKey = generatePrivateKey(rnd);
    this.a = new SecureEndpoint({
      privateKey: this.aKey,
      peers: [{ publicKey: publicKeyOf(this.bKey), name: 'b' }],
      random: new SeededRandomBytes(seed * 7 + 1),
      ...opts,
    });
    this.b = new SecureEndpoint({
      privateKey: this.bKey,
      peers: [{ publicKey: publicKeyOf(this.aKey), name: 'a' }],
      random: new SeededRandomBytes(seed * 7 + 2),
      ...opts,
    });
  }

  ep(name: 'a' | 'b'): SecureEndpoint {
    return name === 'a' ? this.a : this.b;
  }

  /** Delivers one datagram to `to` and processes any replies to completion. */
  deliver(to: 'a' | 'b', datagram: Uint8Array): void {
    const queue: Array<{ to: 'a' | 'b'; datagram: Uint8Array }> = [{ to, datagram }];
    while (queue.length > 0) {
      const m = queue.shift()!;
      this.wire.push({ to: m.to, datagram: m.datagram.slice() });
      const r = this.ep(m.to).handleDatagram(this.now, m.datagram.slice());
      const back = m.to === 'a' ? 'b' : 'a';
      if (r.kind === 'frame') this.delivered.push({ to: m.to, frame: r.frame });
      else if (r.kind === 'send' || r.kind === 'established') for (const d of r.datagrams) queue.push({ to: back, datagram: d });
    }
  }

  /** a connects to b; returns when both sides have a session. */
  handshake(): void {
    for (const d of this.a.connect(this.now, 0)) this.deliver('b', d);
  }

  /** Runs both endpoints' timers up to `until`, delivering what they send. */
  advance(until: number): void {
    for (;;) {
      const ta = this.a.pollTimeout() ?? Infinity;
      const tb = this.b.pollTimeout() ?? Infinity;
      const t = Math.max(this.now, Math.min(ta, tb));
      if (t > until) break;
      this.now = t;
      for (const o of this.a.handleTimeout(this.now)) this.deliver('b', o.datagram);
      for (const o of this.b.handleTimeout(this.now)) this.deliver('a', o.datagram);
    }
    this.now = until;
  }
}

export function dataFrame(seq: number, payload: Uint8Array): Frame {
  return { data: { seq, pathId: 1, pathSeq: seq, prevSeq: seq - 1, flow: 7, flags: 0, sendTimeUs: seq * 10, payload } };
}
