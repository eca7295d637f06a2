/**
 * Config file -> BraidConfig: TOML parse, then every section read through a
 * TableReader so unknown keys, wrong types and bad values fail with one line
 * naming the key and the fix. Defaults are documented in docs/config.md.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseToml } from 'smol-toml';
import { BraidError, ConfigError } from '../errors';
import { cidrsOverlap, parseCidr, parseHostPort, parseIp, parseKey, type Cidr } from './net-values';
import { describe, parseDuration, parseRate, parseSize } from './quantities';
import { TableReader, type TomlTable } from './table-reader';
import {
  DEFAULT_METRICS_LISTEN,
  SCHEDULER_NAMES,
  type BraidConfig,
  type EdgeConfig,
  type EndpointConfig,
  type GatewayConfig,
  type PathConfig,
  type PeerConfig,
  type ReConfig,
  type ReorderConfig,
  type SchedulerConfig,
  type UserConfig,
} from './types';

export interface ParseOptions {
  /** Directory that relative file paths (private_key_file) are resolved against; default the cwd. */
  baseDir?: string;
}

// Names end up in interface, namespace and socket names, so keep them short and plain.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$/;

function checkName(key: string, value: string): string {
  if (!NAME.test(value)) {
    throw new ConfigError(key, `'${value}' is not a valid name: use 1-15 letters, digits, '-' or '_', starting with a letter or digit`);
  }
  return value;
}

/** Reads a list that may be written either as [[section.name]] or as top-level [[name]], not both. */
function aliasedChildren(root: TableReader, section: TableReader | undefined, name: string): TableReader[] {
  const top = root.children(name);
  const nested = section ? section.children(name) : [];
  if (top.length > 0 && nested.length > 0) {
    throw new ConfigError(name, `write the list either as [[${name}]] or as [[${section!.path}.${name}]], not both`);
  }
  return top.length > 0 ? top : nested;
}

function readEndpoint(t: TableReader, baseDir: string): EndpointConfig {
  t.only(['name', 'role', 'private_key_file', 'namespace', 'address', 'mtu', 'metrics_listen', 'log_level', 'control_socket']);
  const name = checkName(t.keyOf('name'), t.requiredString('name', '"laptop"'));
  const role = t.oneOf('role', ['edge', 'gateway'] as const, 'edge');
  if (!t.has('role')) throw new ConfigError(t.keyOf('role'), 'is required: role = "edge" or role = "gateway"');
  const keyFile = t.requiredString('private_key_file', `"/etc/braid/${name}.key"`);
  const namespace = t.string('namespace') ?? `braid-${name}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(namespace)) {
    throw new ConfigError(t.keyOf('namespace'), `'${namespace}' is not a valid namespace name (letters, digits, '-', '_', '.')`);
  }
  const addressList = t.stringList('address');
  if (addressList.length === 0) throw new ConfigError(t.keyOf('address'), 'is required: the tunnel address(es), e.g. address = ["10.77.0.2/24"]');
  const addresses = addressList.map((a, i) => parseCidr(`${t.keyOf('address')}[${i}]`, a));
  const hasV6 = addresses.some((a) => a.family === 6);
  let mtu: number | null = null;
  if (t.has('mtu')) {
    mtu = t.int('mtu', 0, 576, 65535);
    if (hasV6 && mtu < 1280) throw new ConfigError(t.keyOf('mtu'), `${mtu} is below 1280, the IPv6 minimum; raise it or drop the IPv6 address`);
  }
  const metricsText = t.string('metrics_listen') ?? DEFAULT_METRICS_LISTEN;
  const metricsListen = metricsText === '' ? null : parseHostPort(t.keyOf('metrics_listen'), metricsText, false);
  const logLevel = t.oneOf('log_level', ['debug', 'info', 'warn', 'error'] as const, 'info');
  const controlSocket = t.string('control_socket') ?? `/run/braid/${name}.sock`;
  if (!path.isAbsolute(controlSocket)) throw new ConfigError(t.keyOf('control_socket'), `'${controlSocket}' must be an absolute path`);
  t.finish();
  return {
    name,
    role,
    privateKeyFile: path.resolve(baseDir, keyFile),
    namespace,
    addresses,
    mtu,
    metricsListen,
    logLevel,
    controlSocket,
  };
}

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

function cidrList(t: TableReader, name: string): Cidr[] {
  return t.stringList(name).map((c, i) => parseCidr(`${t.keyOf(name)}[${i}]`, c, true));
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

function readEdge(root: TableReader, t: TableReader | undefined): EdgeConfig {
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

function checkUnique(values: string[], key: (i: number) => string, what: string): void {
  const seen = new Map<string, number>();
  values.forEach((v, i) => {
    const prev = seen.get(v);
    if (prev !== undefined) throw new ConfigError(key(i), `${what} '${v.length > 16 ? v.slice(0, 12) + '...' : v}' is also used at ${key(prev)}; each must be unique`);
    seen.set(v, i);
  });
}

/** Cryptokey routing and user matching need every prefix to belong to one owner only. */
function checkNoOverlap(items: { c: Cidr; key: string; owner: string }[]): void {
  for (let i = 0; i < items.length; i++) {
    for (let j = 0; j < i; j++) {
      if (items[i].owner !== items[j].owner && cidrsOverlap(items[i].c, items[j].c)) {
        throw new ConfigError(items[i].key, `${items[i].c.text} overlaps ${items[j].c.text} of '${items[j].owner}' (${items[j].key}); each address must belong to one owner`);
      }
    }
  }
}

function readPeer(t: TableReader): PeerConfig {
  t.only(['name', 'public_key', 'allowed_ips']);
  const name = checkName(t.keyOf('name'), t.requiredString('name', '"laptop"'));
  const publicKey = parseKey(t.keyOf('public_key'), t.requiredString('public_key', '"<base64 key from braid pubkey>"'));
  const allowedIps = cidrList(t, 'allowed_ips');
  if (allowedIps.length === 0) throw new ConfigError(t.keyOf('allowed_ips'), `is required: the tunnel addresses peer '${name}' may use, e.g. allowed_ips = ["10.77.0.2/32"]`);
  t.finish();
  return { name, publicKey, allowedIps };
}

function readGateway(root: TableReader, t: TableReader | undefined): GatewayConfig {
  if (!t) throw new ConfigError('gateway', 'section [gateway] is required for role = "gateway" (listen = "0.0.0.0:51820")');
  t.only(['listen', 'peer', 'forwarding']);
  const listen = parseHostPort(t.keyOf('listen'), t.requiredString('listen', '"0.0.0.0:51820"'), false);
  const peerTables = aliasedChildren(root, t, 'peer');
  if (peerTables.length === 0) throw new ConfigError('gateway.peer', 'a gateway needs at least one peer: add [[gateway.peer]] with name, public_key and allowed_ips');
  const peers = peerTables.map(readPeer);
  checkUnique(peers.map((p) => p.name), (i) => `${peerTables[i].path}.name`, 'peer name');
  checkUnique(peers.map((p) => p.publicKey), (i) => `${peerTables[i].path}.public_key`, 'public key');
  checkNoOverlap(peers.flatMap((p, i) => p.allowedIps.map((c, j) => ({ c, key: `${peerTables[i].path}.allowed_ips[${j}]`, owner: p.name }))));
  const f = t.child('forwarding');
  f?.only(['mode', 'out_interface', 'routes']);
  const mode = f ? f.oneOf('mode', ['route', 'nat'] as const, 'route') : 'route';
  const outInterface = f?.string('out_interface') ?? null;
  const routes = f ? cidrList(f, 'routes') : [];
  if (mode === 'nat' && outInterface === null) {
    throw new ConfigError('gateway.forwarding.out_interface', 'is required with mode = "nat": the interface towards the intranet, e.g. "eth1"');
  }
  f?.finish();
  t.finish();
  return { listen, peers, forwarding: { mode, outInterface, routes } };
}

function readScheduler(t: TableReader | undefined): SchedulerConfig {
  const s = t ?? new TableReader('scheduler', {});
  s.only(['name', 'reinject', 'reinject_budget']);
  const name = s.oneOf('name', SCHEDULER_NAMES, 'earliest-arrival');
  const reinject = s.bool('reinject', true);
  const budget = s.raw('reinject_budget');
  let reinjectBudget = 0.05;
  if (budget !== undefined) {
    if (typeof budget !== 'number' || !(budget >= 0 && budget <= 0.5)) {
      throw new ConfigError(s.keyOf('reinject_budget'), `expected a fraction 0..0.5 of the traffic, e.g. 0.05, got ${describe(budget)}`);
    }
    reinjectBudget = budget;
  }
  s.finish();
  return { name, reinject, reinjectBudget };
}

function readReorder(t: TableReader | undefined): ReorderConfig {
  const r = t ?? new TableReader('reorder', {});
  r.only(['max_hold', 'memory']);
  const hold = r.raw('max_hold');
  const maxHoldMs = hold === undefined ? 250 : parseDuration(r.keyOf('max_hold'), hold);
  if (maxHoldMs > 2000) throw new ConfigError(r.keyOf('max_hold'), `${maxHoldMs} ms is too long (TCP would time out first); use at most "2s"`);
  const mem = r.raw('memory');
  const memoryBytes = mem === undefined ? 4 * 1024 * 1024 : parseSize(r.keyOf('memory'), mem);
  if (memoryBytes < 64 * 1024) throw new ConfigError(r.keyOf('memory'), 'must be at least "64KiB" to hold a few packets per path');
  r.finish();
  return { maxHoldMs, memoryBytes };
}

function readRe(t: TableReader | undefined): ReConfig {
  const r = t ?? new TableReader('re', {});
  r.only(['enabled', 'cache_size']);
  const enabled = r.bool('enabled', false);
  const size = r.raw('cache_size');
  const cacheBytes = size === undefined ? 64 * 1024 * 1024 : parseSize(r.keyOf('cache_size'), size);
  // Both ends index the cache by offset masks, so the size is a power of two.
  if (cacheBytes < 4 << 20 || cacheBytes > 512 << 20 || (cacheBytes & (cacheBytes - 1)) !== 0) {
    throw new ConfigError(r.keyOf('cache_size'), `must be a power of two from "4MiB" to "512MiB" (e.g. "64MiB"), got ${cacheBytes} bytes`);
  }
  r.finish();
  return { enabled, cacheBytes };
}

function parseTomlText(text: string, sourceName: string): TomlTable {
  try {
    return parseToml(text) as TomlTable;
  } catch (err) {
    const e = err as { line?: number; column?: number; message?: string };
    const reason = String(e.message ?? err).split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
    throw new ConfigError(`${sourceName}:${e.line ?? '?'}:${e.column ?? '?'}`, `invalid TOML: ${reason}`);
  }
}

const TOP_LEVEL = ['endpoint', 'edge', 'gateway', 'path', 'peer', 'user', 'scheduler', 'reorder', 're'];

/** Parses and validates config text. `sourceName` is used in messages. */
export function parseConfig(text: string, sourceName = 'config', options: ParseOptions = {}): BraidConfig {
  const root = new TableReader('', parseTomlText(text, sourceName));
  // Unknown sections first: a misspelt [endpiont] should say so, not "[endpoint] is required".
  root.allow(...TOP_LEVEL);
  root.finish(TOP_LEVEL);
  const baseDir = options.baseDir ?? process.cwd();
  const endpointTable = root.child('endpoint');
  if (!endpointTable) throw new ConfigError('endpoint', 'section [endpoint] is required (name, role, private_key_file, address)');
  const endpoint = readEndpoint(endpointTable, baseDir);
  const edgeTable = root.child('edge');
  const gatewayTable = root.child('gateway');
  const scheduler = readScheduler(root.child('scheduler'));
  const reorder = readReorder(root.child('reorder'));
  const re = readRe(root.child('re'));
  const common = { source: sourceName, endpoint, scheduler, reorder, re };
  let config: BraidConfig;
  if (endpoint.role === 'edge') {
    if (gatewayTable) throw new ConfigError('gateway', 'section [gateway] is for role = "gateway"; this endpoint has role = "edge", so remove it');
    if (root.has('peer')) throw new ConfigError('peer', 'an edge has one peer, the gateway: write [edge.peer] public_key = "..." instead of [[peer]]');
    config = { ...common, role: 'edge', edge: readEdge(root, edgeTable) };
  } else {
    if (edgeTable) throw new ConfigError('edge', 'section [edge] is for role = "edge"; this endpoint has role = "gateway", so remove it');
    for (const k of ['path', 'user']) {
      if (root.has(k)) throw new ConfigError(k, `[[${k}]] belongs to an edge; a gateway has [[peer]] entries`);
    }
    config = { ...common, role: 'gateway', gateway: readGateway(root, gatewayTable) };
  }
  return config;
}

/** Reads and validates a config file; relative paths in it are resolved against its directory. */
export function loadConfig(file: string): BraidConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BraidError('BRAID_ERR_NOT_FOUND', `config file ${file} does not exist; pass the path of your .toml file`);
    if (code === 'EACCES') throw new BraidError('BRAID_ERR_PERMISSION', `cannot read config file ${file}; run as root or fix its permissions`);
    throw new BraidError('BRAID_ERR_CONFIG', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  return parseConfig(text, file, { baseDir: path.dirname(path.resolve(file)) });
}
