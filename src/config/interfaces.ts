/**
 * Checks a config against the machine: the interfaces and source addresses
 * it names exist in the namespace braid will run in. Separate from parsing so
 * a config can be validated on another host (braid check --no-system).
 */
import { BraidError } from '../errors';
import { ipJson } from '../io/ip';
import type { BraidConfig } from './types';

export interface InterfaceCheckOptions {
  /** Named network namespace to look in; default the current one. */
  netns?: string;
}

interface IpAddrEntry {
  ifname: string;
  addr_info?: { local?: string }[];
}

function where(opts: InterfaceCheckOptions): string {
  return opts.netns ? `in namespace ${opts.netns}` : 'on this host';
}

function missing(key: string, name: string, have: string[], opts: InterfaceCheckOptions): BraidError {
  const list = have.filter((n) => n !== 'lo').join(', ') || 'none';
  return new BraidError('BRAID_ERR_NO_INTERFACE', `${key}: no interface '${name}' ${where(opts)} (have: ${list}); fix the name or bring the device up`);
}

/** Throws BRAID_ERR_NO_INTERFACE naming the first key whose interface or address is not present. */
export function checkInterfaces(config: BraidConfig, opts: InterfaceCheckOptions = {}): void {
  const links = ipJson<IpAddrEntry[]>(['addr', 'show'], opts);
  const names = links.map((l) => l.ifname);
  const addresses = new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? '')));
  const hasAddress = (a: string): boolean => addresses.has(a);
  if (config.role === 'edge') {
    config.edge.paths.forEach((p, i) => {
      const key = `edge.path[${i}]`;
      if (p.interface !== null && !names.includes(p.interface)) throw missing(`${key}.interface`, p.interface, names, opts);
      if (p.source !== null && !hasAddress(p.source)) {
        throw new BraidError('BRAID_ERR_NO_INTERFACE', `${key}.source: no interface ${where(opts)} has address ${p.source}; fix the address or assign it first`);
      }
    });
  } else {
    const out = config.gateway.forwarding.outInterface;
    if (out !== null && !names.includes(out)) throw missing('gateway.forwarding.out_interface', out, names, opts);
    const host = config.gateway.listen.host;
    if (host !== '0.0.0.0' && host !== '::' && !hasAddress(host)) {
      throw new BraidError('BRAID_ERR_NO_INTERFACE', `gateway.listen: no interface ${where(opts)} has address ${host}; listen on "0.0.0.0:${config.gateway.listen.port}" or assign it`);
    }
  }
}
