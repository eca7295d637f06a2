/**
 * The [edge] section: the gateway to reach, its key, and the paths
 * ([[edge.path]] or [[path]]) and users ([[edge.user]] or [[user]]).
 */
import { ConfigError } from '../errors';
import { parseHostPort, parseIp, parseKey } from './net-values';
import { parseRate } from './quantities';
import { aliasedChildren, checkName, checkNoOverlap, checkUnique, cidrList } from './rules';
import type { TableReader } from './table-reader';
import type { EdgeConfig, PathConfig, UserConfig } from './types';

function readPath(t: TableReader, edge: { gateway: EdgeConfig['gateway'] }): PathConfig {
  t.only(['name', 'interface', 'source', 'remote', 'weight', 'backup', 'rate']);
  const name = checkName(t.keyOf('name'), t.requiredString('name', '"wifi"'));
  const iface = t.string('interface') ?? null;
  if (iface !== null && !/^[^\s/]{1,15}$/.test(iface)) {
    throw new ConfigError(t.keyOf('interface'), `'${iface}' is not an interface name (at most 15 characters, no spaces or '/')`);
  }
  const sourceText = t.string('source');
  const source = sourceText === undefined ? null : parseIp(t.keyOf('source'), sourceText).address;
  if (iface === null && source === null) {
    throw new ConfigError(t.path, `path '${name}' needs interface = "wlan0" or source = "192.168.1.20" to say where it leaves`);
  }
  const remoteText = t.string('remote');
  const remote = remoteText === undefined ? edge.gateway : parseHostPort(t.keyOf('remote'), remoteText, true);
  const weight = t.int('weight', 1, 1, 1000);
  const backup = t.bool('backup', false);
  const rateRaw = t.raw('rate');
  const rateHint = rateRaw === undefined ? null : parseRate(t.keyOf('rate'), rateRaw);
  t.finish();
  return { name, interface: iface, source, remote, weight, backup, rateHint };
}

function checkPaths(paths: PathConfig[], key: (i: number) => string): void {
  const names = new Map<string, number>();
  const bindings = new Map<string, number>();
  paths.forEach((p, i) => {
    const prev = names.get(p.name);
    if (prev !== undefined) throw new ConfigError(`${key(i)}.name`, `path name '${p.name}' is already used by ${key(prev)}; path names must be unique`);
    names.set(p.name, i);
    const binding = `${p.interface ?? ''}|${p.source ?? ''}|${p.remote.text}`;
    const same = bindings.get(binding);
    if (same !== undefined) {
      const what = p.interface !== null ? `interface '${p.interface}'` : `source ${p.source}`;
      throw new ConfigError(`${key(i)}.${p.interface !== null ? 'interface' : 'source'}`, `${what} is already used by ${key(same)} to the same remote; remove the duplicate path`);
    }
    bindings.set(binding, i);
  });
  if (paths.length > 0 && paths.every((p) => p.backup)) {
    throw new ConfigError(`${key(0)}.backup`, 'every path is a backup; set backup = false on at least one path');
  }
}

function readUser(t: TableReader): UserConfig {
  t.only(['name', 'match', 'class', 'weight']);
  const name = checkName(t.keyOf('name'), t.requiredString('name', '"alice"'));
  const match = cidrList(t, 'match');
  if (match.length === 0) throw new ConfigError(t.keyOf('match'), 'is required: the user\'s inner source addresses, e.g. match = ["192.168.10.23"]');
  const cls = t.oneOf('class', ['normal', 'priority'] as const, 'normal');
  const weight = t.int('weight', 1, 1, 1000);
  t.finish();
  return { name, match, class: cls, weight };
}

export function readEdge(root: TableReader, t: TableReader | undefined): EdgeConfig {
  if (!t) throw new ConfigError('edge', 'section [edge] is required for role = "edge" (gateway = "ADDRESS:PORT" and the gateway\'s public key)');
  t.only(['gateway', 'peer', 'gateway_public_key', 'whole_host', 'dns', 'routes', 'capture', 'path', 'user']);
  const gateway = parseHostPort(t.keyOf('gateway'), t.requiredString('gateway', '"203.0.113.10:51820"'), true);
  const peer = t.child('peer');
  let gatewayPublicKey: string;
  const shorthand = t.raw('gateway_public_key');
  if (peer && shorthand !== undefined) throw new ConfigError(t.keyOf('gateway_public_key'), 'the key is also given in [edge.peer]; keep only one');
  if (peer) {
    peer.only(['name', 'public_key']);
    if (!peer.has('public_key')) throw new ConfigError(peer.keyOf('public_key'), 'is required: the gateway\'s public key (braid pubkey on the gateway prints it)');
    gatewayPublicKey = parseKey(peer.keyOf('public_key'), peer.raw('public_key'));
    if (peer.has('name')) checkName(peer.keyOf('name'), peer.string('name')!);
    peer.finish();
  } else if (shorthand !== undefined) {
    gatewayPublicKey = parseKey(t.keyOf('gateway_public_key'), shorthand);
  } else {
    throw new ConfigError(t.keyOf('peer.public_key'), 'is required: add [edge.peer] public_key = "..." (the gateway\'s public key)');
  }
  const wholeHost = t.bool('whole_host', false);
  const dns = t.stringList('dns').map((d, i) => parseIp(`${t.keyOf('dns')}[${i}]`, d).address);
  const routes = cidrList(t, 'routes');
  const capture = cidrList(t, 'capture');
  const pathTables = aliasedChildren(root, t, 'path');
  if (pathTables.length === 0) throw new ConfigError('edge.path', 'an edge needs at least one path: add [[edge.path]] with name and interface');
  const paths = pathTables.map((p) => readPath(p, { gateway }));
  checkPaths(paths, (i) => pathTables[i].path);
  const userTables = aliasedChildren(root, t, 'user');
  const users = userTables.map(readUser);
  checkUnique(users.map((u) => u.name), (i) => `${userTables[i].path}.name`, 'user name');
  checkNoOverlap(users.flatMap((u, i) => u.match.map((c, j) => ({ c, key: `${userTables[i].path}.match[${j}]`, owner: u.name }))));
  t.finish();
  return { gateway, gatewayPublicKey, wholeHost, dns, routes, capture, paths, users };
}
