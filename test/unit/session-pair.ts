/**
 * Two SecureEndpoints joined by an in-memory link on a fake clock, for the
 * session tests. The link has a latency and optional jitter (which reorders);
 * `run(until)` jumps the clock from event to event (deliveries and the
 * endpoints' own timeouts). Datagrams are copied on delivery because the
 * receiver decrypts in place, and every datagram ever sent is kept for the
 * replay tests.
 */
import { SecureEndpoint, SecureEndpointOptions, SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import type { ReceiveResult } from '../../src/core/session';
import { SeededRandom } from '../../src/core/random';
import type { Frame } from '../../src/core/wire/frames';

export type Side = 'a' | 'b';

export interface Delivered {
  to: Side;
  at: number;
  frame: Frame;
}

interface InFlight {
  at: number;
  to: Side;
  datagram: Uint8Array;
}

export class SessionPair {
  now = 1_000;
  latencyMs = 0;
  jitterMs = 0;
  /** While true the link loses everything. */
  blackhole = false;
  a: SecureEndpoint;
  b: SecureEndpoint;
  readonly aKey: Uint8Array;
  readonly bKey: Uint8Array;
  /** Every datagram sent, in order, with its destination. */
  readonly wire: Array<{ to: Side; datagram: Uint8Array }> = [];
  readonly delivered: Delivered[] = [];
  readonly results: Array<{ to: Side; result: ReceiveResult }> = [];
  /** Called at every clock step (traffic generators hook in here). */
  onTick: ((now: number) => void) | null = null;
  private inflight: InFlight[] = [];
  private readonly rng: SeededRandom;

  constructor(
    seed = 1,
    private readonly opts: Partial<SecureEndpointOptions> = {},
  ) {
    const rnd = new SeededRandomBytes(seed);
    this.rng = new SeededRandom(seed + 99);
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

  /** Replaces one endpoint with a fresh one holding the same key: a daemon restart that forgets every session. */
  restart(side: Side, seed: number): void {
    const key = side === 'a' ? this.aKey : this.bKey;
    const peer = side === 'a' ? this.bKey : this.aKey;
    const ep = new SecureEndpoint({
      privateKey: key,
      peers: [{ publicKey: publicKeyOf(peer), name: side === 'a' ? 'b' : 'a' }],
      random: new SeededRandomBytes(seed),
      ...this.opts,
    });
    if (side === 'a') this.a = ep;
    else this.b = ep;
  }

  ep(side: Side): SecureEndpoint {
    return side === 'a' ? this.a : this.b;
  }

  /** Puts a datagram on the link toward `to`. */
  send(to: Side, datagram: Uint8Array): void {
    this.wire.push({ to, datagram: datagram.slice() });
    if (this.blackhole) return;
    const at = this.now + this.latencyMs + (this.jitterMs > 0 ? this.rng.next() * this.jitterMs : 0);
    let i = this.inflight.length;
    while (i > 0 && this.inflight[i - 1].at > at) i--;
    this.inflight.splice(i, 0, { at, to, datagram: datagram.slice() });
  }

  /** Hands a datagram to `to` now and puts its replies on the link. */
  receive(to: Side, datagram: Uint8Array): ReceiveResult {
    // The source address only feeds per-source handshake limits: the peer's "address" is its name.
    const r = this.ep(to).handleDatagram(this.now, datagram.slice(), to === 'b' ? 'addr-a' : 'addr-b');
    this.results.push({ to, result: r });
    const back: Side = to === 'a' ? 'b' : 'a';
    if (r.kind === 'frame') this.delivered.push({ to, at: this.now, frame: r.frame });
    else if (r.kind === 'send' || r.kind === 'established' || r.kind === 'reply') for (const d of r.datagrams) this.send(back, d);
    return r;
  }

  /** a connects to b and the link runs until both sides have a session. */
  handshake(): void {
    for (const d of this.a.connect(this.now, 0)) this.send('b', d);
    const deadline = this.now + 10_000;
    while (!(this.a.sessionInfo(0, this.now).established && this.b.sessionInfo(0, this.now).established)) {
      if (this.now >= deadline) throw new Error('handshake did not complete');
      this.run(this.now + 1);
    }
    this.run(this.now + this.latencyMs + this.jitterMs + 1); // let stragglers land
  }

  /** Runs deliveries and both endpoints' timers up to `until`, calling onTick each `tickMs`. */
  run(until: number, tickMs = 0): void {
    let nextTick = tickMs > 0 ? this.now : Infinity;
    for (;;) {
      const ta = this.a.pollTimeout() ?? Infinity;
      const tb = this.b.pollTimeout() ?? Infinity;
      const td = this.inflight.length > 0 ? this.inflight[0].at : Infinity;
      const t = Math.max(this.now, Math.min(ta, tb, td, nextTick));
      if (t > until) break;
      this.now = t;
      while (this.inflight.length > 0 && this.inflight[0].at <= this.now) {
        const m = this.inflight.shift()!;
        this.receive(m.to, m.datagram);
      }
      if (ta <= this.now) for (const o of this.a.handleTimeout(this.now)) this.send('b', o.datagram);
      if (tb <= this.now) for (const o of this.b.handleTimeout(this.now)) this.send('a', o.datagram);
      if (nextTick <= this.now) {
        this.onTick?.(this.now);
        nextTick += tickMs;
      }
    }
    this.now = until;
  }
}

export function dataFrame(seq: number, payload: Uint8Array): Frame {
  return { data: { seq, pathId: 1, pathSeq: seq, prevSeq: seq - 1, flow: 7, flags: 0, sendTimeUs: seq * 10, payload } };
}
