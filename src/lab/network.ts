/**
 * Builds and removes the lab's namespaces, veths, addresses, routes and
 * policy rules (see topology.ts for the picture). Control plane only: a
 * handful of `ip -batch` runs per lab.
 */
import { ipBatch, ipJson, netnsAdd, netnsDelete, netnsExec, netnsList } from '../io/ip';
import {
  APP_DEV,
  LAN_DEV,
  MIDDLE_EDGE_DEV,
  MIDDLE_GW_DEV,
  TUN_DOWN,
  TUN_UP,
  labNamespaces,
  middleGwSideAddr,
  type LabInfo,
  type LabPathInfo,
} from './topology';

/** Policy rule preference and table in the middle namespace that send each direction into its TUN. */
const MIDDLE_UP_TABLE = 100;
const MIDDLE_DOWN_TABLE = 101;
/** Held packets queue in the TUN's kernel queue while the relay is busy: room for a burst. */
const TUN_TXQUEUELEN = 4096;

export function createLabNetwork(lab: LabInfo): void {
  for (const ns of labNamespaces(lab.name, lab.paths.length)) netnsAdd(ns);
  const links: string[] = [
    `link add name ${LAN_DEV} netns ${lab.edgeNs} type veth peer name ${APP_DEV} netns ${lab.appEdgeNs}`,
    `link add name ${LAN_DEV} netns ${lab.gwNs} type veth peer name ${APP_DEV} netns ${lab.appGwNs}`,
  ];
  for (const p of lab.paths) {
    links.push(`link add name ${p.edgeDev} netns ${lab.edgeNs} type veth peer name ${MIDDLE_EDGE_DEV} netns ${p.middleNs}`);
    links.push(`link add name ${p.gwDev} netns ${lab.gwNs} type veth peer name ${MIDDLE_GW_DEV} netns ${p.middleNs}`);
  }
  ipBatch(links);
  // Forwarding on the routers; rp_filter off because multipath traffic is asymmetric by design.
  const routerSysctls = ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'];
  netnsExec(lab.edgeNs, ['sysctl', '-qw', ...routerSysctls]);
  netnsExec(lab.gwNs, ['sysctl', '-qw', ...routerSysctls]);
  setupAppHost(lab.appEdgeNs, lab.appEdgeAddr, lab.edgeLanAddr);
  setupAppHost(lab.appGwNs, lab.appGwAddr, lab.gwLanAddr);
  ipBatch(edgeLines(lab), { netns: lab.edgeNs });
  ipBatch(gwLines(lab), { netns: lab.gwNs });
  for (const p of lab.paths) setupMiddle(p);
}

function setupAppHost(ns: string, addr: string, router: string): void {
  ipBatch([`addr add ${addr}/24 dev ${APP_DEV}`, `link set dev ${APP_DEV} up`, `route add default via ${router}`], { netns: ns });
}

function edgeLines(lab: LabInfo): string[] {
  const lines = [`addr add ${lab.edgeLanAddr}/24 dev ${LAN_DEV}`, `link set dev ${LAN_DEV} up`];
  for (const p of lab.paths) {
    const metric = 100 + p.index; // the first path is the preferred default, like a laptop preferring Wi-Fi
    lines.push(
      `addr add ${p.edgeAddr}/24 dev ${p.edgeDev}`,
      `link set dev ${p.edgeDev} up`,
      `route add default via ${p.edgeRouter} dev ${p.edgeDev} metric ${metric}`,
      // Per path routes to the gateway: a socket bound to this device (SO_BINDTODEVICE) finds its own.
      `route add ${lab.gwPublicAddr}/32 via ${p.edgeRouter} dev ${p.edgeDev} metric ${metric}`,
      `route add ${p.gwAddr}/32 via ${p.edgeRouter} dev ${p.edgeDev}`,
      // A socket bound to this path's address leaves by this path whatever the main table prefers.
      `route add default via ${p.edgeRouter} dev ${p.edgeDev} table ${p.table}`,
      `rule add from ${p.edgeAddr} lookup ${p.table} pref ${1000 + p.index}`,
    );
  }
  return lines;
}

function gwLines(lab: LabInfo): string[] {
  const lines = [`addr add ${lab.gwPublicAddr}/32 dev lo`, `addr add ${lab.gwLanAddr}/24 dev ${LAN_DEV}`, `link set dev ${LAN_DEV} up`];
  for (const p of lab.paths) {
    lines.push(
      `addr add ${p.gwAddr}/24 dev ${p.gwDev}`,
      `link set dev ${p.gwDev} up`,
      // Replies to the edge's address on path k go back over path k.
      `route add 10.20.${p.index}.0/24 via ${middleGwSideAddr(p)} dev ${p.gwDev}`,
    );
  }
  return lines;
}

/**
 * The middle namespace routes between edge and gw; policy rules by input
 * interface send every transit packet into a TUN per direction, where the
 * relay holds or drops it and writes it back; from the TUN (iif imp-*) the
 * main table forwards it on. Packets for the middle's own addresses stay
 * local (the local table comes first) and are not impaired.
 */
function setupMiddle(p: LabPathInfo): void {
  netnsExec(p.middleNs, [
    'sysctl',
    '-qw',
    'net.ipv4.ip_forward=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    'net.ipv4.conf.all.send_redirects=0',
    'net.ipv4.conf.default.send_redirects=0',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]);
  ipBatch(
    [
      `addr add ${p.edgeRouter}/24 dev ${MIDDLE_EDGE_DEV}`,
      `link set dev ${MIDDLE_EDGE_DEV} up`,
      `addr add ${middleGwSideAddr(p)}/24 dev ${MIDDLE_GW_DEV}`,
      `link set dev ${MIDDLE_GW_DEV} up`,
      `route add default via ${p.gwAddr} dev ${MIDDLE_GW_DEV}`,
      `tuntap add dev ${TUN_UP} mode tun`,
      `tuntap add dev ${TUN_DOWN} mode tun`,
      `link set dev ${TUN_UP} txqueuelen ${TUN_TXQUEUELEN} up`,
      `link set dev ${TUN_DOWN} txqueuelen ${TUN_TXQUEUELEN} up`,
      `route add default dev ${TUN_UP} table ${MIDDLE_UP_TABLE}`,
      `route add default dev ${TUN_DOWN} table ${MIDDLE_DOWN_TABLE}`,
    ],
    { netns: p.middleNs },
  );
}

/** Sends the path's transit traffic through its relay; until then the middle namespace just forwards. */
export function routeThroughRelay(p: LabPathInfo): void {
  ipBatch(
    [
      `rule add iif ${MIDDLE_EDGE_DEV} lookup ${MIDDLE_UP_TABLE} pref ${MIDDLE_UP_TABLE}`,
      `rule add iif ${MIDDLE_GW_DEV} lookup ${MIDDLE_DOWN_TABLE} pref ${MIDDLE_DOWN_TABLE}`,
    ],
    { netns: p.middleNs },
  );
}

/**
 * Waits until every veth of the lab reports carrier (operstate UP). The kernel
 * sets it asynchronously, up to about a second after the link came up; until
 * then routes over it may be skipped, and a test's first packets lost.
 */
export async function waitLinksUp(lab: LabInfo, timeoutMs = 3000): Promise<boolean> {
  const namespaces = labNamespaces(lab.name, lab.paths.length);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const down = namespaces.filter((ns) =>
      ipJson<Array<{ link_type: string; operstate: string }>>(['link', 'show'], { netns: ns }).some((l) => l.link_type === 'ether' && l.operstate !== 'UP'),
    );
    if (down.length === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Takes the relay out of the path (the middle namespace just forwards): for measuring what the relay costs. */
export function bypassRelay(p: LabPathInfo): void {
  ipBatch([`rule del pref ${MIDDLE_UP_TABLE}`, `rule del pref ${MIDDLE_DOWN_TABLE}`], { netns: p.middleNs });
}

/** Deletes every namespace of the lab that exists (veths and TUNs go with them). */
export function destroyLabNetwork(name: string): void {
  for (const ns of labNamespacesPresent(name)) netnsDelete(ns);
}

/** Namespaces present now that belong to lab `name` (by their `<name>-<role>` names). */
export function labNamespacesPresent(name: string): string[] {
  const re = new RegExp(`^${escapeRegExp(name)}-(edge|gw|appe|appg|p\\d+)$`);
  return netnsList().filter((ns) => re.test(ns));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
