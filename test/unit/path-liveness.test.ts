import { expect } from 'chai';
import { PathSet, type PathEvent } from '../../src/core/path/path-set';
import { PathStatus } from '../../src/core/path/liveness';
import type { ProbeFrame } from '../../src/core/wire/frames';

/** Answers every due probe of `pathId` after `rtt` ms (synthetic peer). */
function answerProbes(set: PathSet, now: number, rtt: number, alive: (id: number) => boolean): void {
  for (let p: ProbeFrame | undefined = set.pollProbe(now); p; p = set.pollProbe(now)) {
    if (alive(p.pathId)) pending.push({ at: now + rtt, probe: p });
  }
  for (let i = 0; i < pending.length; i++) {
    const e = pending[i];
    if (e.at > now) continue;
    set.onProbeReply(now, { pathId: e.probe.pathId, probeId: e.probe.probeId, echoSendTimeUs: e.probe.sendTimeUs, holdUs: 0 });
    pending.splice(i--, 1);
  }
}
let pending: { at: number; probe: ProbeFrame }[] = [];

function events(set: PathSet): PathEvent[] {
  const out: PathEvent[] = [];
  for (let e = set.pollEvent(); e; e = set.pollEvent()) out.push(e);
  return out;
}

/** Runs the set in 1 ms steps, answering probes on live paths. */
function run(set: PathSet, from: number, to: number, rtt: number, alive: (id: number, t: number) => boolean): PathEvent[] {
  const out: PathEvent[] = [];
  for (let t = from; t <= to; t++) {
    set.handleTimeout(t);
    answerProbes(set, t, rtt, (id) => alive(id, t));
    out.push(...events(set));
  }
  return out;
}

describe('path liveness', () => {
  beforeEach(() => {
    pending = [];
  });

  it('comes up on the first probe reply and stays up while probes are answered', () => {
    const set = new PathSet([{ id: 1, initialRttMs: 50 }]);
    const ev = run(set, 0, 10_000, 20, () => true);
    expect(ev.map((e) => [e.kind, e.at])).to.deep.equal([['up', 20]]);
    expect(set.get(1)!.srttMs).to.be.closeTo(20, 0.01);
  });

  it('suspects a silent path after about one RTT and declares it down soon after, handing back what was unacked', () => {
    const set = new PathSet([{ id: 1 }]);
    run(set, 0, 1000, 20, () => true);
    // data sent at 1000..1009 is never acknowledged: the path went silent with its interface up
    for (let i = 0; i < 10; i++) set.onDataSent(1000 + i, 1, 500 + i, 1200);
    const ev = run(set, 1000, 2000, 20, (_id, t) => t < 1000);
    const suspect = ev.find((e) => e.kind === 'suspect')!;
    const down = ev.find((e) => e.kind === 'down')!;
    expect(suspect.at - 1000).to.be.within(25, 60);
    expect(down.at - 1000).to.be.within(60, 150);
    expect(down.reinject).to.deep.equal([500, 501, 502, 503, 504, 505, 506, 507, 508, 509]);
    expect(set.get(1)!.status).to.equal(PathStatus.Down);
    expect(set.get(1)!.inflightBytes).to.equal(0);
  });

  it('probes every 10 ms while suspect and clears suspicion on a late reply without going down', () => {
    const set = new PathSet([{ id: 1 }]);
    run(set, 0, 1000, 20, () => true);
    set.onDataSent(1000, 1, 7, 1200);
    let probes = 0;
    const ev: PathEvent[] = [];
    for (let t = 1000; t <= 1100; t++) {
      set.handleTimeout(t);
      for (let p = set.pollProbe(t); p; p = set.pollProbe(t)) {
        probes++;
        // the path is only slow: this probe is answered 5 ms later
        if (set.get(1)!.suspect && probes === 1) pending.push({ at: t + 5, probe: p });
      }
      answerProbes(set, t, 5, () => false);
      ev.push(...events(set));
    }
    expect(ev.map((e) => e.kind)).to.deep.equal(['suspect', 'up']);
  });

  it('needs three good probe replies to return, ignoring echoes from before the outage', () => {
    const set = new PathSet([{ id: 1 }]);
    run(set, 0, 1000, 20, () => true);
    set.onDataSent(1000, 1, 7, 1200);
    const ev = run(set, 1000, 3000, 20, (_id, t) => t < 1000 || t >= 2000);
    const down = ev.find((e) => e.kind === 'down')!;
    const up = ev.find((e) => e.kind === 'up' && e.at > 2000)!;
    expect(down).to.exist;
    // probes every 100 ms while down: the third reply after 2000 comes within about 300 ms
    expect(up.at).to.be.within(2200, 2350);
    const stale = new PathSet([{ id: 2 }]);
    run(stale, 0, 1000, 20, () => true);
    stale.setLinkState(1000, 2, false);
    stale.onProbeReply(1001, { pathId: 2, probeId: 1, echoSendTimeUs: 990_000, holdUs: 0 });
    stale.onProbeReply(1002, { pathId: 2, probeId: 1, echoSendTimeUs: 995_000, holdUs: 0 });
    stale.onProbeReply(1003, { pathId: 2, probeId: 1, echoSendTimeUs: 999_000, holdUs: 0 });
    expect(stale.get(2)!.status).to.equal(PathStatus.Down);
  });

  it('damps flapping: a path that fails again soon after returning must prove itself for longer', () => {
    const set = new PathSet([{ id: 1 }]);
    run(set, 0, 1000, 20, () => true);
    const returnTimes: number[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      const cut = 1000 + cycle * 3000;
      set.onDataSent(cut, 1, cycle + 1, 1200);
      const ev = run(set, cut, cut + 3000, 20, (_id, t) => t < cut || t >= cut + 500);
      returnTimes.push(ev.find((e) => e.kind === 'up')!.at - (cut + 500));
    }
    expect(returnTimes[1]).to.be.greaterThan(returnTimes[0] + 200);
    expect(returnTimes[2]).to.be.greaterThan(returnTimes[1] + 200);
  });

  /**
   * A busy path: a packet every 0.5 ms from 1000 ms to `until`, each acked exactly 25 ms later, except that no
   * ack leaves during `stalls` (the peer slept); everything due is acked right after a stall. Returns the events.
   */
  function busyPath(set: PathSet, until: number, stalls: (t: number) => boolean): PathEvent[] {
    run(set, 0, 1000, 25, () => true);
    let pathSeq = 0, acked = 0;
    const sentAt: number[] = [];
    const ev: PathEvent[] = [];
    for (let t = 1000; t <= until; t += 0.5) {
      sentAt[++pathSeq] = t;
      set.onDataSent(t, 1, pathSeq, 1200);
      const due = t - 25;
      if (!stalls(t) && due >= 1000) {
        // everything sent up to `due` is acked now (in one ack after the pause)
        let high = acked;
        while (high + 1 <= pathSeq && sentAt[high + 1] <= due) high++;
        if (high > acked) {
          acked = high;
          set.onAck(t, { ranges: [{ start: 1, end: high }], paths: [{ pathId: 1, highestPathSeq: high, packets: high,
            bytes: high * 1200, echoSendTimeUs: sentAt[high] * 1000, ackDelayUs: 0, owdUs: 12_500 }] }, 1);
        }
      }
      set.handleTimeout(t);
      ev.push(...events(set));
    }
    return ev;
  }

  it('does not suspect a busy path whose steady acks pause for a few ms (a late wake-up at the peer)', () => {
    const set = new PathSet([{ id: 1 }]);
    const ev = busyPath(set, 4000, (t) => t >= 3000 && t < 3006);
    expect(ev.map((e) => e.kind)).to.deep.equal([]);
    expect(set.get(1)!.rttVarMs).to.be.below(1);
  });

  it('stops flapping on a loaded host: after a few spurious suspicions, the same late acks no longer suspect the path', () => {
    const set = new PathSet([{ id: 1 }]);
    // the peer stalls 15 ms every 200 ms
    const ev = busyPath(set, 4000, (t) => t % 200 < 15);
    const suspects = ev.filter((e) => e.kind === 'suspect').map((e) => e.at);
    expect(suspects.length).to.be.within(1, 4);
    expect(suspects[suspects.length - 1]).to.be.below(2000);
    expect(ev.filter((e) => e.kind === 'down')).to.deep.equal([]);
    expect(set.get(1)!.liveness.spuriousSuspicions).to.equal(suspects.length);
  });

  it('gives the widened allowance back after 10 s without a spurious suspicion, so a real outage is again seen fast', () => {
    /** When the path is suspected once it dies at 30 s, after a busy half minute with `stalls`. */
    const suspectAfterCut = (stalls: (t: number) => boolean): number => {
      pending = [];
      const set = new PathSet([{ id: 1 }]);
      busyPath(set, 30_000, stalls);
      pending = []; // warm-up probes never answered stay unanswered
      return run(set, 30_001, 31_000, 25, () => false).find((e) => e.kind === 'suspect')!.at;
    };
    const calm = suspectAfterCut(() => false);
    const loadedEarly = suspectAfterCut((t) => t < 2000 && t % 200 < 15);
    expect(calm - 30_000).to.be.below(20);
    expect(loadedEarly).to.equal(calm);
  });

  it('goes down at once when the local interface goes away', () => {
    const set = new PathSet([{ id: 1 }, { id: 2 }]);
    run(set, 0, 500, 20, () => true);
    set.onDataSent(500, 2, 42, 1000);
    set.setLinkState(501, 2, false);
    expect(events(set)).to.deep.equal([{ kind: 'down', pathId: 2, at: 501, reinject: [42] }]);
    expect(set.get(1)!.usable).to.equal(true);
  });
});
