import type { AckFrame, ProbeFrame, ProbeReplyFrame } from '../wire/frames';
import { PathStatus, Transition } from './liveness';
import { PathState, type PathConfig } from './path-state';
import type { ReinjectBudget } from './reinject-budget';

/** A change in a path's liveness the connection must act on. */
export interface PathEvent {
  kind: 'up' | 'suspect' | 'down';
  pathId: number;
  at: number;
  /**
   * For 'down': global seqs sent on the path and not acknowledged on it, in
   * send order. Send them again on a live path ahead of new data (skip those
   * the peer's SACK ranges already cover).
   */
  reinject: number[];
}

/**
 * All paths of one connection (sender side): routes feedback to the right
 * path, keeps the one-way-delay offsets relative across paths, emits probes,
 * runs the timers and reports liveness changes as events. Sans-IO: every
 * call takes `now` (ms); `pollTimeout()` says when to call `handleTimeout`.
 */
export class PathSet {
  readonly paths: PathState[] = [];
  private readonly events: PathEvent[] = [];

  constructor(configs: readonly PathConfig[] = []) {
    for (const c of configs) this.add(c);
  }

  add(cfg: PathConfig): PathState {
    if (this.get(cfg.id)) throw new RangeError(`path id ${cfg.id} already exists`);
    const p = new PathState(cfg);
    this.paths.push(p);
    return p;
  }

  /** Removes a path; returns the seqs it still had unacknowledged (to reinject). */
  remove(id: number): number[] {
    const i = this.paths.findIndex((p) => p.id === id);
    if (i < 0) return [];
    const out: number[] = [];
    this.paths[i].drainForReinjection(out);
    this.paths.splice(i, 1);
    this.updateOwdOffsets();
    return out;
  }

  get(id: number): PathState | undefined {
    for (let i = 0; i < this.paths.length; i++) if (this.paths[i].id === id) return this.paths[i];
    return undefined;
  }

  /** A data datagram went out on `pathId`. Returns its pathSeq; read `get(id).prevSeq` before the call for DataFrame.prevSeq. */
  onDataSent(now: number, pathId: number, seq: number, size: number, reinjected = false): number {
    const p = this.get(pathId);
    if (!p) return 0;
    return p.onDataSent(now, seq, size, reinjected);
  }

  /** An ack arrived on path `arrivedOn`: apply each path's receive stats. */
  onAck(now: number, ack: AckFrame, arrivedOn: number): void {
    for (let i = 0; i < ack.paths.length; i++) {
      const s = ack.paths[i];
      const p = this.get(s.pathId);
      if (!p) continue;
      this.apply(p, now, p.onReceiveStats(now, s, s.pathId === arrivedOn));
    }
    this.updateOwdOffsets();
    this.checkAll(now);
  }

  onProbeReply(now: number, reply: ProbeReplyFrame): void {
    const p = this.get(reply.pathId);
    if (!p) return;
    const sentAt = reply.echoSendTimeUs / 1000;
    if (!(sentAt <= now) || sentAt < now - 60_000) return; // not an echo of ours
    this.apply(p, now, p.onProbeReply(now, sentAt, reply.holdUs / 1000, reply.probeId));
  }

  /** The local interface of a path went down (or came back: then it must prove itself with probes). */
  setLinkState(now: number, pathId: number, up: boolean): void {
    const p = this.get(pathId);
    if (!p || up) return;
    this.apply(p, now, p.liveness.forceDown(now));
  }

  /** Next probe to send, if one is due (call until undefined). Send it on `probe.pathId`. */
  pollProbe(now: number): ProbeFrame | undefined {
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i];
      if (!p.probeDue(now)) continue;
      const probeId = p.onProbeSent(now);
      return { pathId: p.id, probeId, sendTimeUs: Math.round(now * 1000) };
    }
    return undefined;
  }

  handleTimeout(now: number): void {
    for (let i = 0; i < this.paths.length; i++) this.paths[i].detectTailLoss(now);
    this.checkAll(now);
  }

  /** When `handleTimeout` (or `pollProbe`) next has work; Infinity if never. */
  pollTimeout(now: number): number {
    let t = Infinity;
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i];
      t = Math.min(t, p.nextLivenessCheck(), p.nextTailLossTime(), Math.max(now, p.nextProbeTime(now)));
    }
    return t;
  }

  pollEvent(): PathEvent | undefined {
    return this.events.shift();
  }

  /**
   * Proactive reinjection: seqs of datagrams overdue on suspect paths, while
   * `budget` lasts. Appends to `out`, returns how many were added.
   */
  collectStuck(now: number, budget: ReinjectBudget, out: number[]): number {
    const before = out.length;
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i];
      if (!p.suspect || budget.available <= 0) continue;
      budget.spend(p.takeStuck(now, out, budget.available));
    }
    return out.length - before;
  }

  private checkAll(now: number): void {
    for (let i = 0; i < this.paths.length; i++) this.apply(this.paths[i], now, this.paths[i].checkLiveness(now));
  }

  private apply(p: PathState, now: number, t: Transition): void {
    if (t === Transition.None) return;
    if (t === Transition.Up) {
      if (p.liveness.returnedAt === now) {
        p.rate.restart(now);
        p.resetLoss();
      }
      this.events.push({ kind: 'up', pathId: p.id, at: now, reinject: [] });
    } else if (t === Transition.Suspect) {
      this.events.push({ kind: 'suspect', pathId: p.id, at: now, reinject: [] });
    } else {
      const reinject: number[] = [];
      p.drainForReinjection(reinject);
      this.events.push({ kind: 'down', pathId: p.id, at: now, reinject });
      this.updateOwdOffsets();
    }
  }

  /** OWD offsets relative to the fastest live path (clock offsets cancel in the difference). */
  private updateOwdOffsets(): void {
    let allOwd = true;
    let best = Infinity;
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i];
      if (p.status === PathStatus.Down) continue;
      if (p.baseOwd.empty) allOwd = false;
    }
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i];
      if (p.status === PathStatus.Down) continue;
      best = Math.min(best, allOwd ? p.baseOwd.value : p.minRttMs / 2);
    }
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i];
      const own = allOwd && !p.baseOwd.empty ? p.baseOwd.value : p.minRttMs / 2;
      p.owdOffsetMs = Number.isFinite(best) ? Math.max(0, own - best) : 0;
    }
  }
}
