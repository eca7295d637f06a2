import { expect } from 'chai';
import fc from 'fast-check';
import { DataFlags, type DataFrame } from '../../src/core/wire/frames';
import { ReorderBuffer, type ReorderFrame } from '../../src/core/reorder/reorder-buffer';

interface Plan {
  packets: Array<{ flow: number; path: number; lost: boolean; copies: number; jitter: number }>;
  pathDelay: number[];
  orderedFlows: boolean[];
  withFlowPrev: boolean;
  latePolicy: 'deliver' | 'drop';
  maxBytes: number;
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  packets: fc.array(
    fc.record({
      flow: fc.integer({ min: 0, max: 3 }),
      path: fc.integer({ min: 0, max: 2 }),
      lost: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
      copies: fc.integer({ min: 0, max: 2 }),
      jitter: fc.integer({ min: 0, max: 30 }),
    }),
    { minLength: 1, maxLength: 120 },
  ),
  pathDelay: fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 3, maxLength: 3 }),
  orderedFlows: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  withFlowPrev: fc.boolean(),
  latePolicy: fc.constantFrom('deliver' as const, 'drop' as const),
  maxBytes: fc.constantFrom(500, 5000, 1 << 22),
});

/** Runs the plan through a buffer with an event loop that honours pollTimeout. */
function run(plan: Plan, probe = false): { rb: ReorderBuffer; delivered: DataFrame[]; pushed: number; sent: Map<number, ReorderFrame> } {
  const rb = new ReorderBuffer({ latePolicy: plan.latePolicy, maxBytes: plan.maxBytes });
  const pathSeq = [0, 0, 0];
  const pathPrev = [0, 0, 0];
  const flowPrev = [0, 0, 0, 0];
  const events: Array<{ t: number; f: ReorderFrame }> = [];
  if (probe) for (let p = 0; p < 3; p++) rb.onPathSample(-1, p, (-1 - plan.pathDelay[p]) * 1000);
  const sent = new Map<number, ReorderFrame>();
  plan.packets.forEach((p, i) => {
    const seq = i + 1;
    const f: ReorderFrame = {
      seq,
      pathId: p.path,
      pathSeq: ++pathSeq[p.path],
      prevSeq: pathPrev[p.path],
      flow: p.flow,
      flags: plan.orderedFlows[p.flow] ? DataFlags.ORDERED : 0,
      sendTimeUs: i * 1000,
      payload: new Uint8Array(100),
    };
    pathPrev[p.path] = seq;
    if (plan.withFlowPrev) {
      f.flowPrevSeq = flowPrev[p.flow];
      flowPrev[p.flow] = seq;
    }
    sent.set(seq, f);
    // jitter > 20 breaks per-path FIFO on purpose: proofs may then be wrong, the invariants must hold anyway
    if (!p.lost) events.push({ t: i + plan.pathDelay[p.path] + (p.jitter > 20 ? p.jitter : 0), f });
    for (let c = 0; c < p.copies; c++) events.push({ t: i + plan.pathDelay[(p.path + 1 + c) % 3] + p.jitter, f: { ...f } });
  });
  events.sort((a, b) => a.t - b.t);
  const delivered: DataFrame[] = [];
  const take = (): void => {
    for (let d = rb.pollDeliver(); d !== undefined; d = rb.pollDeliver()) delivered.push(d);
  };
  for (const e of events) {
    for (let to = rb.pollTimeout(); to !== undefined && to <= e.t; to = rb.pollTimeout()) {
      rb.handleTimeout(to);
      take();
    }
    rb.push(e.t, e.f);
    take();
  }
  for (let to = rb.pollTimeout(); to !== undefined; to = rb.pollTimeout()) {
    rb.handleTimeout(to);
    take();
  }
  return { rb, delivered, pushed: events.length, sent };
}

describe('reorder buffer properties (any interleaving, duplication, loss)', () => {
  it('delivers each packet at most once, and everything it got exactly once when nothing is dropped as late', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const { rb, delivered, pushed, sent } = run(plan);
        const seen = new Set<number>();
        for (const d of delivered) {
          expect(seen.has(d.seq), `seq ${d.seq} twice`).to.equal(false);
          seen.add(d.seq);
          expect(sent.get(d.seq)?.flow).to.equal(d.flow);
        }
        const received = new Set<number>();
        plan.packets.forEach((p, i) => {
          if (!p.lost || p.copies > 0) received.add(i + 1);
        });
        expect(rb.heldPackets).to.equal(0);
        expect(rb.heldBytes).to.equal(0);
        const c = rb.counters;
        expect(c.received).to.equal(pushed);
        expect(c.delivered + c.duplicates + c.lateDropped + c.tooOld).to.equal(pushed);
        if (plan.latePolicy === 'deliver') expect([...seen].sort((a, b) => a - b)).to.deep.equal([...received].sort((a, b) => a - b));
      }),
      { numRuns: 400, seed: 4242 },
    );
  });

  it('delivers every ordered flow in increasing seq order when late packets are dropped', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const { delivered } = run({ ...plan, latePolicy: 'drop' });
        const last = new Map<number, number>();
        for (const d of delivered) {
          if ((d.flags & DataFlags.ORDERED) === 0) continue;
          expect(d.seq).to.be.greaterThan(last.get(d.flow) ?? 0);
          last.set(d.flow, d.seq);
        }
      }),
      { numRuns: 400, seed: 777 },
    );
  });

  it('with FIFO paths and no loss, never reorders and never times out, given the paths were probed', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const clean: Plan = {
          ...plan,
          maxBytes: 1 << 22,
          packets: plan.packets.map((p) => ({ ...p, lost: false, copies: 0, jitter: 0 })),
        };
        const { rb, delivered } = run(clean, true);
        expect(rb.counters.late).to.equal(0);
        const last = new Map<number, number>();
        for (const d of delivered) {
          if ((d.flags & DataFlags.ORDERED) === 0) continue;
          expect(d.seq).to.be.greaterThan(last.get(d.flow) ?? 0);
          last.set(d.flow, d.seq);
        }
      }),
      { numRuns: 200, seed: 99 },
    );
  });
});
