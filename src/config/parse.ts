/**
 * Config file -> BraidConfig: TOML parse, then every section read through a
 * TableReader so unknown keys, wrong types and bad values fail with one line
 * naming the key and the fix. Defaults are documented in docs/config.md.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseToml } from 'smol-toml';
import { BraidError, ConfigError } from '../errors';
import { readEdge } from './edge-section';
import { readGateway } from './gateway-section';
import { parseCidr, parseHostPort } from './net-values';
import { describe, parseDuration, parseSize } from './quantities';
import { checkName } from './rules';
import { TableReader, type TomlTable } from './table-reader';
import {
  DEFAULT_METRICS_LISTEN,
  SCHEDULER_NAMES,
  type BraidConfig,
  type EndpointConfig,
  type ReConfig,
  type ReorderConfig,
  type SchedulerConfig,
} from './types';

export interface ParseOptions {
  /** Directory that relative file paths (private_key_file) are resolved against; default the cwd. */
  baseDir?: string;
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
  r.only(['max_hold', 'memory', 'recover_losses']);
  const hold = r.raw('max_hold');
  const maxHoldMs = hold === undefined ? 250 : parseDuration(r.keyOf('max_hold'), hold);
  if (maxHoldMs > 2000) throw new ConfigError(r.keyOf('max_hold'), `${maxHoldMs} ms is too long (TCP would time out first); use at most "2s"`);
  const mem = r.raw('memory');
  const memoryBytes = mem === undefined ? 4 * 1024 * 1024 : parseSize(r.keyOf('memory'), mem);
  if (memoryBytes < 64 * 1024) throw new ConfigError(r.keyOf('memory'), 'must be at least "64KiB" to hold a few packets per path');
  const recoverLosses = r.bool('recover_losses', true);
  r.finish();
  return { maxHoldMs, memoryBytes, recoverLosses };
}

function readRe(t: TableReader | undefined): ReConfig {
  const r = t ?? new TableReader('re', {});
  r.only(['enabled', 'cache_size', 'literal_codec', 'gating']);
  const enabled = r.bool('enabled', false);
  const literalCodec = r.oneOf('literal_codec', ['none', 'deflate'] as const, 'none');
  const gating = r.oneOf('gating', ['flow', 'acked'] as const, 'flow');
  const size = r.raw('cache_size');
  const cacheBytes = size === undefined ? 64 * 1024 * 1024 : parseSize(r.keyOf('cache_size'), size);
  // Both ends index the cache by offset masks, so the size is a power of two.
  if (cacheBytes < 4 << 20 || cacheBytes > 512 << 20 || (cacheBytes & (cacheBytes - 1)) !== 0) {
    throw new ConfigError(r.keyOf('cache_size'), `must be a power of two from "4MiB" to "512MiB" (e.g. "64MiB"), got ${cacheBytes} bytes`);
  }
  r.finish();
  return { enabled, cacheBytes, literalCodec, gating };
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
