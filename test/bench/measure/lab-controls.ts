/**
 * runFailoverCase's hooks for a lab: per-path byte counters and a silent
 * blackhole through the path's impairment relay (`outage`: the link stays up,
 * every packet vanishes).
 *
 * The counter of a path is the bytes *delivered* over it: rx bytes of the
 * path's device on the gateway (upload) plus on the edge (download). The relay
 * sits between those devices, so a blackholed path reads flat however hard the
 * tunnel keeps sending into it.
 */
import { ipJson } from '../../../src/io/ip';
import { labSet } from '../../../src/lab/lab';
import type { LabInfo } from '../../../src/lab/topology';
import type { PathBytes } from './failover-case';

interface LinkStats {
  ifname: string;
  stats64?: { rx?: { bytes?: number } };
}

/** rx bytes of every device in a namespace, by name (one `ip -s -json link` call). */
export function rxBytesByDevice(ns: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of ipJson<LinkStats[]>(['-s', 'link', 'show'], { netns: ns })) out[l.ifname] = l.stats64?.rx?.bytes ?? 0;
  return out;
}

export interface LabPathControls {
  pathBytes(): PathBytes;
  blackhole(path: string): Promise<void>;
  restore(path: string): Promise<void>;
}

export function labPathControls(info: LabInfo): LabPathControls {
  return {
    pathBytes: () => {
      const gw = rxBytesByDevice(info.gwNs);
      const edge = rxBytesByDevice(info.edgeNs);
      const out: PathBytes = {};
      for (const p of info.paths) out[p.name] = (gw[p.gwDev] ?? 0) + (edge[p.edgeDev] ?? 0);
      return out;
    },
    blackhole: (path) => labSet(info.name, path, { outage: true }),
    restore: (path) => labSet(info.name, path, { outage: false }),
  };
}
