/**
 * Two fresh namespaces joined by one veth pair: the smallest network a
 * measurement needs (tool tests, and a bare path when no lab is wanted).
 * Names start with `bt-` and a random suffix; down() removes both namespaces,
 * which also removes the veth.
 */
import { randomBytes } from 'crypto';
import { ip, netnsAdd, netnsDelete } from '../../../src/io/ip';

export interface VethPair {
  /** Namespace names. */
  a: string;
  b: string;
  /** Interface names inside a and b. */
  aDev: string;
  bDev: string;
  /** IPv4 addresses (no prefix) of a and b on the /30. */
  aAddr: string;
  bAddr: string;
  down(): void;
}

export interface VethPairOptions {
  /** Name prefix; default "bt-". */
  prefix?: string;
  /** Third octet of 10.247.X.0/30; default random. */
  subnet?: number;
  mtu?: number;
}

export function vethPairUp(opts: VethPairOptions = {}): VethPair {
  const id = randomBytes(3).toString('hex');
  const base = `${opts.prefix ?? 'bt-'}${id}`;
  const octet = opts.subnet ?? 1 + (randomBytes(1)[0] % 250);
  const pair: VethPair = {
    a: `${base}-a`,
    b: `${base}-b`,
    aDev: 'va',
    bDev: 'vb',
    aAddr: `10.247.${octet}.1`,
    bAddr: `10.247.${octet}.2`,
    down: () => {
      netnsDelete(pair.a);
      netnsDelete(pair.b);
    },
  };
  try {
    netnsAdd(pair.a);
    netnsAdd(pair.b);
    // Create inside a so the host namespace never holds the devices (no name clashes between runs).
    ip(['link', 'add', pair.aDev, 'type', 'veth', 'peer', 'name', pair.bDev, 'netns', pair.b], { netns: pair.a });
    ip(['addr', 'add', `${pair.aAddr}/30`, 'dev', pair.aDev], { netns: pair.a });
    ip(['addr', 'add', `${pair.bAddr}/30`, 'dev', pair.bDev], { netns: pair.b });
    if (opts.mtu) {
      ip(['link', 'set', pair.aDev, 'mtu', String(opts.mtu)], { netns: pair.a });
      ip(['link', 'set', pair.bDev, 'mtu', String(opts.mtu)], { netns: pair.b });
    }
    ip(['link', 'set', pair.aDev, 'up'], { netns: pair.a });
    ip(['link', 'set', pair.bDev, 'up'], { netns: pair.b });
  } catch (err) {
    pair.down();
    throw err;
  }
  return pair;
}
