/**
 * The endpoint's own network namespace (`braid-<name>`, the patent's "virtual
 * server space"): the TUN lives there, and the tunnel is its only way out.
 *
 * - edge: apps run inside with `braid exec NAME -- CMD`; optionally the host's
 *   own traffic is steered in through a veth pair and policy routing
 *   (whole-host mode), with braid's path sockets excluded by their SO_MARK.
 * - gateway: a veth pair joins the namespace to the host, which routes (or
 *   NATs) tunnel traffic into the intranet or out to the internet.
 *
 * A kill switch (nftables, inside the namespace) drops everything that would
 * leave by any way other than the TUN or the host link, so a dead tunnel
 * leaks nothing. Everything set up here is undone by `teardown()`, and
 * `cleanupStale()` removes what a crashed run left.
 */
import * as fs from 'fs';
import { ip, ipBatch, ipQuiet, netnsAdd, netnsDelete, netnsExists, nft, sysctl } from './ip';

/** Interface name of the TUN inside the endpoint namespace. */
export const TUN_IFNAME = 'braid0';
/** Interface name of the host link inside the namespace. */
export const NS_HOST_IFNAME = 'host0';
/** Mark carried by braid's own path sockets; whole-host policy routing skips marked packets. */
export const PATH_SOCKET_MARK = 0xb7a1;
const WHOLE_HOST_TABLE = 47_201;

export interface HostLinkOptions {
  /** Host-side veth name (≤ 15 chars). */
  hostDev: string;
  /** Host side and namespace side IPv4 addresses of the /30 link, without prefix. */
  hostAddr: string;
  nsAddr: string;
}

export interface EndpointNetnsOptions {
  namespace: string;
  /** Name the TUN has in the daemon's namespace before it is moved. */
  tunName: string;
  /** Tunnel addresses (CIDR), IPv4 and/or IPv6, put on the TUN. */
  addresses: string[];
  mtu: number;
  /** DNS servers for programs run with `braid exec` (written to /etc/netns/NS/resolv.conf). */
  dns?: string[];
  /** Gateway: routes the host sends into the namespace (the tunnel networks), optional NAT out of an interface. */
  gateway?: { link: HostLinkOptions; routes: string[]; natOutInterface?: string };
  /** Edge whole-host mode: the host's own traffic goes into the tunnel. */
  wholeHost?: { link: HostLinkOptions };
}

export interface EndpointNetns {
  namespace: string;
  teardown(): void;
}

function isV6(cidr: string): boolean {
  return cidr.includes(':');
}

/** Moves an already opened TUN into a fresh namespace and configures it. */
export function setupEndpointNetns(opts: EndpointNetnsOptions): EndpointNetns {
  const ns = opts.namespace;
  if (netnsExists(ns)) netnsDelete(ns);
  netnsAdd(ns);
  const undo: Array<() => void> = [() => netnsDelete(ns)];
  const teardown = (): void => {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // teardown must go on: each step is independent
      }
    }
    undo.length = 0;
  };
  try {
    ip(['link', 'set', 'dev', opts.tunName, 'netns', ns]);
    // txqueuelen 2000: a TCP sender may queue ~1 MB into the TUN while the daemon is descheduled;
    // the default 500 dropped it there (4-8x more inner retransmits, docs/performance.md).
    const lines = [`link set dev ${opts.tunName} name ${TUN_IFNAME}`, `link set dev ${TUN_IFNAME} mtu ${opts.mtu} txqueuelen 2000 up`];
    for (const a of opts.addresses) lines.push(`${isV6(a) ? '-6 ' : ''}addr add ${a} dev ${TUN_IFNAME}${isV6(a) ? ' nodad' : ''}`);
    if (opts.addresses.some((a) => !isV6(a))) lines.push(`route add default dev ${TUN_IFNAME}`);
    if (opts.addresses.some(isV6)) lines.push(`-6 route add default dev ${TUN_IFNAME}`);
    ipBatch(lines, { netns: ns });
    if (opts.dns?.length) {
      const dir = `/etc/netns/${ns}`;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(`${dir}/resolv.conf`, opts.dns.map((d) => `nameserver ${d}`).join('\n') + '\n');
      undo.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    }
    const link = opts.gateway?.link ?? opts.wholeHost?.link;
    if (link) {
      ipQuiet(['link', 'del', link.hostDev]);
      ipBatch([
        `link add ${link.hostDev} type veth peer name ${NS_HOST_IFNAME} netns ${ns}`,
        `addr add ${link.hostAddr}/30 dev ${link.hostDev}`,
        `link set ${link.hostDev} up`,
      ]);
      undo.push(() => ipQuiet(['link', 'del', link.hostDev]));
      ipBatch([`addr add ${link.nsAddr}/30 dev ${NS_HOST_IFNAME}`, `link set ${NS_HOST_IFNAME} up`], { netns: ns });
      sysctl('net.ipv4.ip_forward', 1, { netns: ns });
      sysctl('net.ipv4.ip_forward', 1);
    }
    if (opts.gateway) setupGatewayRouting(opts, opts.gateway, undo);
    if (opts.wholeHost) setupWholeHost(opts, opts.wholeHost.link, undo);
    nft(killSwitch(Boolean(link)), { netns: ns });
  } catch (err) {
    teardown();
    throw err;
  }
  return { namespace: ns, teardown };
}

function setupGatewayRouting(
  opts: EndpointNetnsOptions,
  gw: NonNullable<EndpointNetnsOptions['gateway']>,
  undo: Array<() => void>,
): void {
  // Inside: everything not for the tunnel goes to the host; the default stays on the TUN for client networks.
  ipBatch(['route del default', `route add default via ${gw.link.hostAddr} dev ${NS_HOST_IFNAME}`], { netns: opts.namespace });
  for (const r of gw.routes.filter((c) => !isV6(c))) {
    ip(['route', 'replace', r, 'dev', TUN_IFNAME], { netns: opts.namespace });
    ip(['route', 'replace', r, 'via', gw.link.nsAddr, 'dev', gw.link.hostDev]);
    undo.push(() => ipQuiet(['route', 'del', r, 'via', gw.link.nsAddr]));
  }
  if (gw.natOutInterface) {
    const table = `braid_nat_${opts.namespace.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    const nets = gw.routes.filter((c) => !isV6(c)).join(', ');
    nft(
      `table ip ${table} {\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n` +
        `    oifname "${gw.natOutInterface}" ip saddr { ${nets} } masquerade\n  }\n}\n`,
    );
    undo.push(() => {
      try {
        nft(`delete table ip ${table}\n`);
      } catch {
        // already gone
      }
    });
  }
}

function setupWholeHost(opts: EndpointNetnsOptions, link: HostLinkOptions, undo: Array<() => void>): void {
  const t = String(WHOLE_HOST_TABLE);
  // wg-quick's scheme: unmarked traffic uses our table; the main table still wins for anything more specific than default.
  ipBatch([
    `route add default via ${link.nsAddr} dev ${link.hostDev} src ${link.hostAddr} table ${t}`,
    `rule add not fwmark ${PATH_SOCKET_MARK} table ${t} priority 32100`,
    `rule add table main suppress_prefixlength 0 priority 32090`,
  ]);
  undo.push(() => {
    ipQuiet(['rule', 'del', 'priority', '32100']);
    ipQuiet(['rule', 'del', 'priority', '32090']);
    ipQuiet(['route', 'flush', 'table', t]);
  });
  // Inside: the host's packets are NATed to the tunnel address on their way into the TUN.
  nft(
    `table ip braid_nat {\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n` +
      `    iifname "${NS_HOST_IFNAME}" oifname "${TUN_IFNAME}" masquerade\n  }\n}\n`,
    { netns: opts.namespace },
  );
}

/** The namespace's only ways out: the TUN, loopback and (gateway / whole-host) the host link. */
function killSwitch(hostLink: boolean): string {
  const allowOut = [`oifname "lo" accept`, `oifname "${TUN_IFNAME}" accept`];
  if (hostLink) allowOut.push(`oifname "${NS_HOST_IFNAME}" accept`);
  const forward = hostLink
    ? [
        `iifname "${NS_HOST_IFNAME}" oifname "${TUN_IFNAME}" accept`,
        `iifname "${TUN_IFNAME}" oifname "${NS_HOST_IFNAME}" accept`,
      ]
    : [];
  return (
    `table inet braid_killswitch {\n` +
    `  chain output {\n    type filter hook output priority 0; policy drop;\n    ${allowOut.join('\n    ')}\n  }\n` +
    `  chain forward {\n    type filter hook forward priority 0; policy drop;\n    ${forward.join('\n    ')}\n  }\n}\n`
  );
}

/** "10.77.0.2/24" -> "10.77.0.0/24" (routes need the network, not a host address). IPv6 is returned as given. */
export function networkOf(cidr: string): string {
  if (cidr.includes(':')) return cidr;
  const [addr, lenText] = cidr.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  const n = addr.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${len}`;
}
