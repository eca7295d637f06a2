/**
 * The lab's names and addresses, computed from the lab name and its path
 * list (pure; nothing here touches the system). Every lab lives entirely in
 * its own namespaces, so two labs can use the same addresses side by side.
 *
 *   appe ──lan── edge ──<path k>── p<k> (relay) ── gw ──lan── appg
 *  10.1.0.2   10.1.0.1 / 10.20.k.2    10.20.k.1|10.30.k.2   10.30.k.1 / 10.2.0.1   10.2.0.2
 *                                                    gw public address 198.51.100.1 (on lo)
 */
import { UsageError } from '../errors';
import type { Impairment } from './impairment';

export const GW_PUBLIC_ADDR = '198.51.100.1';
export const APP_EDGE_SUBNET = '10.1.0.0/24';
export const APP_GW_SUBNET = '10.2.0.0/24';
/** Interface names inside a path's middle namespace. */
export const MIDDLE_EDGE_DEV = 'to-edge';
export const MIDDLE_GW_DEV = 'to-gw';
export const TUN_UP = 'imp-up';
export const TUN_DOWN = 'imp-down';
/** LAN interface on edge and gw; app hosts call theirs eth0. */
export const LAN_DEV = 'lan';
export const APP_DEV = 'eth0';
/** Edge routing table for sockets bound to path k's address: PATH_TABLE_BASE + k. */
export const PATH_TABLE_BASE = 100;
export const MAX_PATHS = 16;

export interface LabPathInfo {
  /** Path name, also the interface name on edge and gw (`wifi`, `lte`, ...). */
  name: string;
  /** 1-based position; the first path is the edge's preferred default route. */
  index: number;
  preset: string;
  /** false: no impairment relay, the middle namespace only forwards and shapes (rate, MTU); for throughput ceilings. */
  relay: boolean;
  /** Interface in the edge namespace. */
  edgeDev: string;
  /** Edge's address on this path (no prefix). */
  edgeAddr: string;
  /** The next hop from edge on this path (the path's "ISP router", inside the middle namespace). */
  edgeRouter: string;
  /** Interface in the gateway namespace. */
  gwDev: string;
  /** Gateway's own address on this path's link. */
  gwAddr: string;
  /** Namespace that holds the relay and the rate limiter of this path. */
  middleNs: string;
  /** Edge routing table used by sockets bound to edgeAddr. */
  table: number;
  /** Parameters of both directions (rateUp/rateDown are per direction by name). */
  params: Impairment;
  /** Model parameters set for one direction only (`labSet(..., 'up')`), over `params`. */
  upOnly?: Partial<Impairment>;
  downOnly?: Partial<Impairment>;
}

export type LinkDirection = 'up' | 'down' | 'both';

/** What one direction of a path runs with: the shared parameters and that direction's own. */
export function directionParams(p: LabPathInfo, dir: 'up' | 'down'): Impairment {
  return { ...p.params, ...(dir === 'up' ? p.upOnly : p.downOnly) };
}

export interface LabInfo {
  name: string;
  edgeNs: string;
  gwNs: string;
  appEdgeNs: string;
  appGwNs: string;
  /** The gateway's one public address, reachable from edge over every path. */
  gwPublicAddr: string;
  /** App host behind edge, and edge's address on that LAN (the app host's default gateway). */
  appEdgeAddr: string;
  edgeLanAddr: string;
  appEdgeSubnet: string;
  /** App host behind the gateway (an intranet server), and gw's address on that LAN. */
  appGwAddr: string;
  gwLanAddr: string;
  appGwSubnet: string;
  paths: LabPathInfo[];
  /** Where the lab keeps its state, pid files and control sockets. */
  stateDir: string;
}

export interface PathSpec {
  name: string;
  preset: string;
  relay: boolean;
  params: Impairment;
}

const LAB_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const PATH_NAME = /^[a-z][a-z0-9_]{0,11}$/;
const RESERVED_DEVS = new Set(['lo', LAN_DEV, APP_DEV]);
/** The suffixes of a lab's namespaces (`<lab>-edge`, `<lab>-p1`, ...). */
export const NS_SUFFIX = /-(edge|gw|appe|appg|p\d+)$/;

export function checkLabName(name: string): void {
  if (!LAB_NAME.test(name) || NS_SUFFIX.test(name)) {
    throw new UsageError(`lab name '${name}' must be 1-40 of a-z, 0-9 and '-', starting with a letter or digit`);
  }
}

export function checkPathName(name: string): void {
  if (!PATH_NAME.test(name) || RESERVED_DEVS.has(name)) {
    throw new UsageError(`path name '${name}' must be 1-12 of a-z, 0-9 and '_', start with a letter, and not be lo/lan/eth0`);
  }
}

export function labNamespaces(name: string, pathCount: number): string[] {
  const ns = [`${name}-edge`, `${name}-gw`, `${name}-appe`, `${name}-appg`];
  for (let k = 1; k <= pathCount; k++) ns.push(`${name}-p${k}`);
  return ns;
}

export function buildTopology(name: string, specs: PathSpec[], stateDir: string): LabInfo {
  checkLabName(name);
  if (specs.length === 0) throw new UsageError('a lab needs at least one path, e.g. --paths wifi,lte');
  if (specs.length > MAX_PATHS) throw new UsageError(`a lab has at most ${MAX_PATHS} paths`);
  const seen = new Set<string>();
  const paths = specs.map((s, i): LabPathInfo => {
    checkPathName(s.name);
    if (seen.has(s.name)) throw new UsageError(`path '${s.name}' appears twice; name the second one like ${s.name}2:${s.preset}`);
    seen.add(s.name);
    const k = i + 1;
    return {
      name: s.name,
      index: k,
      preset: s.preset,
      relay: s.relay,
      edgeDev: s.name,
      edgeAddr: `10.20.${k}.2`,
      edgeRouter: `10.20.${k}.1`,
      gwDev: s.name,
      gwAddr: `10.30.${k}.1`,
      middleNs: `${name}-p${k}`,
      table: PATH_TABLE_BASE + k,
      params: { ...s.params },
    };
  });
  return {
    name,
    edgeNs: `${name}-edge`,
    gwNs: `${name}-gw`,
    appEdgeNs: `${name}-appe`,
    appGwNs: `${name}-appg`,
    gwPublicAddr: GW_PUBLIC_ADDR,
    appEdgeAddr: '10.1.0.2',
    edgeLanAddr: '10.1.0.1',
    appEdgeSubnet: APP_EDGE_SUBNET,
    appGwAddr: '10.2.0.2',
    gwLanAddr: '10.2.0.1',
    appGwSubnet: APP_GW_SUBNET,
    paths,
    stateDir,
  };
}

/** Middle-namespace address facing the gateway on path k. */
export function middleGwSideAddr(p: LabPathInfo): string {
  return `10.30.${p.index}.2`;
}
