/**
 * The test lab's programmatic API (`braid lab` is a thin CLI over it):
 * labUp builds an edge and a gateway joined by N impaired paths, labSet
 * changes a path while traffic flows, labStatus reads parameters and
 * counters, labDown / labDownAll remove everything, also what a crashed run
 * left. See docs/lab.md.
 */
import { randomBytes } from 'crypto';
import { BraidError, UsageError } from '../errors';
import { netnsList } from '../io/ip';
import { netnsKillAll } from './netns-procs';
import { callControl, type RelayStatus } from './control';
import { NO_IMPAIRMENT, type Impairment } from './impairment';
import { createLabNetwork, destroyLabNetwork, labNamespacesPresent, routeThroughRelay, waitLinksUp } from './network';
import { log } from '../log';
import { preset, PRESETS } from './presets';
import { applyPathMtu } from './path-mtu';
import { applyRateLimits, readShaperCounters, type ShaperCounters } from './rate-limit';
import { startRelay, stopRelays } from './relay-process';
import { labDir, listLabNames, readLabState, relaySocket, removeLabDir, requireLabState, writeLabState } from './state';
import { buildTopology, checkLabName, directionParams, labNamespaces, NS_SUFFIX, type LabInfo, type LabPathInfo, type LinkDirection, type PathSpec } from './topology';

export type { LabInfo, LabPathInfo, LinkDirection } from './topology';
export type { Impairment } from './impairment';

/**
 * A path: `"wifi"` (name = preset), `"lte2:lte"` (name:preset), or an object with parameter overrides.
 * Preset `direct` (or `relay: false`) leaves the relay out: no delay, loss or outage, only rate and MTU,
 * and no CPU spent per packet, for measuring braid's own ceiling.
 */
export type PathRequest = string | ({ name: string; preset?: string; relay?: boolean } & Partial<Impairment>);

const DIRECT = 'direct';

export interface LabUpOptions {
  /** Default: `lab-<4 hex>`. */
  name?: string;
  paths: PathRequest[];
  /** Seeds the relays' random sources (path k gets seed + k) for repeatable loss patterns. */
  seed?: number;
}

export interface LabPathStatus {
  name: string;
  /** What each direction runs with (up = edge->gw), as recorded by labUp/labSet. */
  paramsUp: Impairment;
  paramsDown: Impairment;
  /** Relay counters per direction; null if the relay does not answer (then `relayError` says why). */
  relay: RelayStatus | null;
  relayError?: string;
  /** The tbf rate limiters: up = edge->gw, down = gw->edge. */
  shaper: { up: ShaperCounters; down: ShaperCounters };
}

export interface LabStatus {
  info: LabInfo;
  createdAt: string;
  paths: LabPathStatus[];
}

export function resolvePath(req: PathRequest): PathSpec {
  if (typeof req === 'string') {
    const [name, presetName = name, ...extra] = req.split(':');
    if (extra.length > 0) throw new UsageError(`path '${req}' must be NAME or NAME:PRESET`);
    if (presetName === DIRECT) return { name, preset: DIRECT, relay: false, params: { ...NO_IMPAIRMENT } };
    if (!PRESETS[presetName]) {
      throw new UsageError(
        `unknown link preset '${presetName}' for path '${name}'; use NAME:PRESET with a preset from ${[...Object.keys(PRESETS), DIRECT].join(', ')}`,
      );
    }
    return { name, preset: presetName, relay: true, params: preset(presetName) };
  }
  const { name, preset: presetName, relay, ...overrides } = req;
  const direct = presetName === DIRECT || relay === false;
  const base = presetName && presetName !== DIRECT ? preset(presetName) : PRESETS[name] && !direct ? preset(name) : { ...NO_IMPAIRMENT };
  const params = { ...base, ...overrides };
  if (direct && MODEL_KEYS.some((k) => params[k] !== NO_IMPAIRMENT[k])) {
    throw new UsageError(`path '${name}' has no relay (preset direct), so it takes only rate, queue and mtu settings`);
  }
  return { name, preset: presetName ?? (direct ? DIRECT : PRESETS[name] ? name : 'custom'), relay: !direct, params };
}

export async function labUp(opts: LabUpOptions): Promise<LabInfo> {
  const name = opts.name ?? `lab-${randomBytes(2).toString('hex')}`;
  checkLabName(name);
  if (readLabState(name) || labNamespacesPresent(name).length > 0) {
    throw new BraidError('BRAID_ERR_LAB', `lab '${name}' exists already; remove it with 'braid lab down ${name}' or pick another name`);
  }
  const info = buildTopology(name, opts.paths.map(resolvePath), labDir(name));
  // Written first: whatever happens next, labDown finds it.
  writeLabState({ info, createdAt: new Date().toISOString(), namespaces: labNamespaces(name, info.paths.length) });
  try {
    createLabNetwork(info);
    for (const p of info.paths) {
      applyRateLimits(p, p.params);
      if (p.params.mtu !== NO_IMPAIRMENT.mtu || !p.params.pmtuIcmp) applyPathMtu(p, p.params);
    }
    await Promise.all(
      info.paths.map(async (p) => {
        if (p.relay === false) return;
        await startRelay(info.stateDir, p.middleNs, p.name, opts.seed === undefined ? undefined : opts.seed + p.index);
        routeThroughRelay(p);
      }),
    );
    if (!(await waitLinksUp(info))) log('warn', 'lab_links_slow', { lab: name, note: 'some veths have no carrier yet' });
  } catch (err) {
    await labDown(name);
    throw err;
  }
  return info;
}

/** The LabInfo of a running lab. */
export function labInfo(name: string): LabInfo {
  return requireLabState(name).info;
}

export function labList(): string[] {
  return listLabNames();
}

function findPath(info: LabInfo, pathName: string): LabPathInfo {
  const p = info.paths.find((x) => x.name === pathName);
  if (!p) throw new UsageError(`lab '${info.name}' has no path '${pathName}'; its paths: ${info.paths.map((x) => x.name).join(', ')}`);
  return p;
}

/** Keys the kernel applies (tbf, link MTU); the rest go to the relay's models. rateUp/rateDown name their direction. */
const SHAPER_KEYS = ['rateUp', 'rateDown', 'queueMs'] as const;
const MTU_KEYS = ['mtu', 'pmtuIcmp'] as const;
/** What only the relay can do. */
const MODEL_KEYS = ['delayMs', 'jitterMs', 'lossPct', 'burst', 'reorderPct', 'outage'] as const;

/**
 * Changes a path's parameters live, in one direction (up = edge->gw) or both:
 * the relay takes them at once, tbf is replaced in place, nothing restarts.
 */
export async function labSet(lab: string, pathName: string, change: Partial<Impairment>, direction: LinkDirection = 'both'): Promise<void> {
  const state = requireLabState(lab);
  const p = findPath(state.info, pathName);
  const model: Partial<Impairment> = { ...change };
  const shaper: Partial<Impairment> = {};
  for (const k of [...SHAPER_KEYS, ...MTU_KEYS]) {
    if (model[k] !== undefined) (shaper as Record<string, unknown>)[k] = model[k];
    delete model[k];
  }
  if (direction === 'up') delete shaper.rateDown; // `rate=` for one direction limits only that one
  if (direction === 'down') delete shaper.rateUp;
  if (p.relay === false && Object.keys(model).length > 0) {
    throw new UsageError(`path '${p.name}' has no relay (preset direct): only rate, up, down, queue, mtu and icmp can change`);
  }
  const nextParams: Impairment = { ...p.params, ...shaper };
  if (SHAPER_KEYS.some((k) => nextParams[k] !== p.params[k])) applyRateLimits(p, nextParams);
  if (MTU_KEYS.some((k) => nextParams[k] !== p.params[k])) applyPathMtu(p, nextParams); // both directions, whatever `direction`
  if (Object.keys(model).length > 0) {
    const reply = await callControl(relaySocket(state.info.stateDir, p.name), { op: 'set', params: model, direction });
    if (!reply.ok) throw new BraidError('BRAID_ERR_LAB', `lab relay for path ${p.name} refused the change: ${reply.error}`);
  }
  p.params = nextParams;
  if (direction === 'both') {
    Object.assign(p.params, model);
    for (const only of [p.upOnly, p.downOnly]) for (const k of Object.keys(model)) if (only) delete only[k as keyof Impairment];
  } else if (direction === 'up') p.upOnly = { ...p.upOnly, ...model };
  else p.downOnly = { ...p.downOnly, ...model };
  writeLabState(state);
}

export async function labStatus(lab: string): Promise<LabStatus> {
  const state = requireLabState(lab);
  const paths = await Promise.all(
    state.info.paths.map(async (p): Promise<LabPathStatus> => {
      const shaper = readShaperCounters(p);
      const base = { name: p.name, paramsUp: directionParams(p, 'up'), paramsDown: directionParams(p, 'down'), shaper };
      if (p.relay === false) return { ...base, relay: null, relayError: 'none (direct path: only rate and MTU apply)' };
      try {
        const reply = await callControl(relaySocket(state.info.stateDir, p.name), { op: 'status' });
        if (reply.ok && reply.status) return { ...base, relay: reply.status };
        return { ...base, relay: null, relayError: reply.ok ? 'no status' : reply.error };
      } catch (err) {
        return { ...base, relay: null, relayError: (err as Error).message };
      }
    }),
  );
  return { info: state.info, createdAt: state.createdAt, paths };
}

function isLabName(name: string): boolean {
  try {
    checkLabName(name);
    return true;
  } catch {
    return false;
  }
}

/** Removes lab `name`: relays and every process inside its namespaces, the namespaces, its state. Idempotent. */
export async function labDown(name: string): Promise<void> {
  checkLabName(name);
  await stopRelays(labDir(name));
  await netnsKillAll(labNamespacesPresent(name));
  destroyLabNetwork(name);
  removeLabDir(name);
}

/**
 * Removes every lab: all with a state directory, and namespaces of generated
 * names (`lab-xxxx-*`) even without one. With `prefix`, only labs whose name
 * starts with it (tests use this so they never touch anyone else's lab).
 * Returns the names removed.
 */
export async function labDownAll(opts: { prefix?: string } = {}): Promise<string[]> {
  const names = new Set<string>(listLabNames());
  for (const ns of netnsList()) {
    const m = NS_SUFFIX.exec(ns);
    if (!m) continue;
    const base = ns.slice(0, m.index);
    if (opts.prefix ? base.startsWith(opts.prefix) : /^lab-[0-9a-f]{4}$/.test(base)) names.add(base);
  }
  const chosen = [...names].filter((n) => isLabName(n) && (opts.prefix ? n.startsWith(opts.prefix) : true)).sort();
  for (const n of chosen) await labDown(n);
  return chosen;
}
