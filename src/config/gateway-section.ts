/** The [gateway] section: listen address, peers ([[gateway.peer]] or [[peer]]) and forwarding. */
import { ConfigError } from '../errors';
import { parseHostPort, parseKey } from './net-values';
import { aliasedChildren, checkName, checkNoOverlap, checkUnique, cidrList } from './rules';
import type { TableReader } from './table-reader';
import type { GatewayConfig, PeerConfig } from './types';

function readPeer(t: TableReader): PeerConfig {
  t.only(['name', 'public_key', 'allowed_ips']);
  const name = checkName(t.keyOf('name'), t.requiredString('name', '"laptop"'));
  const publicKey = parseKey(t.keyOf('public_key'), t.requiredString('public_key', '"<base64 key from braid pubkey>"'));
  const allowedIps = cidrList(t, 'allowed_ips');
  if (allowedIps.length === 0) throw new ConfigError(t.keyOf('allowed_ips'), `is required: the tunnel addresses peer '${name}' may use, e.g. allowed_ips = ["10.77.0.2/32"]`);
  t.finish();
  return { name, publicKey, allowedIps };
}

export function readGateway(root: TableReader, t: TableReader | undefined): GatewayConfig {
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
