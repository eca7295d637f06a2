/**
 * An edge and a gateway running braid over a lab: keys, configs, both
 * daemons (real `braid up` processes), and their removal. Shared by the
 * end-to-end tests, `braid demo` and the benchmarks, so all three run the
 * product exactly as a user would.
 *
 *   [braid-<edge> ns: apps] -- TUN -- edge daemon (in <lab>-edge, sockets bound to wifi, lte, ...)
 *        == lab paths ==  gateway daemon (in <lab>-gw, listening on the public address)
 *        -- TUN in braid-<gw> ns -- host link -- <lab>-gw -- LAN -- <lab>-appg (the intranet server)
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generatePrivateKey, encodeKey, publicKeyOf, SodiumRandomBytes } from '../core/session';
import { BraidError } from '../errors';
import { netnsExists } from '../io/ip';
import { labDown, labUp, type LabInfo, type PathRequest } from '../lab/lab';
import { LAN_DEV } from '../lab/topology';
import { fetchStatus } from '../daemon/control-client';
import type { EndpointStatus } from '../daemon/status-types';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'braid');

export interface LabTunnelOptions {
  /** Lab name, also the prefix of the endpoint names. */
  name: string;
  paths: PathRequest[];
  scheduler?: string;
  /** Extra TOML appended to both configs' [reorder]/[scheduler]... sections is not supported; use these. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra lines for the edge's [[edge.path]] entries, by path name. */
  edgePathExtra?: Record<string, string>;
  /** Metrics ports (inside each endpoint's host namespace, on 127.0.0.1). */
  edgeMetricsPort?: number;
  gwMetricsPort?: number;
  seed?: number;
  /** Redundancy elimination on both ends (16 MiB cache). */
  re?: boolean;
  /** The edge's host (the lab's edge namespace) sends all its own traffic through the tunnel. */
  wholeHost?: boolean;
  /** Gateway forwarding into the intranet: routed (default) or NATed behind the gateway's LAN address. */
  forwarding?: 'route' | 'nat';
}

export interface LabTunnel {
  lab: LabInfo;
  dir: string;
  edgeName: string;
  gwName: string;
  /** Namespace where apps use the tunnel (braid exec). */
  edgeNs: string;
  edgeTunAddr: string;
  gwTunAddr: string;
  edgePid: number;
  gwPid: number;
  edgeStatus(): Promise<EndpointStatus>;
  gwStatus(): Promise<EndpointStatus>;
  /** Stops the edge daemon only (SIGTERM), waiting for it to exit. */
  stopEdge(): Promise<void>;
  /**
   * Starts another edge over the same paths with its own key; `trusted` puts
   * that key in the gateway's peer list (only the first config's peers are
   * known, so an extra edge is always unknown to the gateway).
   */
  startStranger(name: string): Promise<{ namespace: string; status(): Promise<EndpointStatus>; stop(): Promise<void> }>;
  /** Stops both daemons and removes the lab and the files. Safe to call twice. */
  down(): Promise<void>;
}

function writeKey(file: string): string {
  const key = generatePrivateKey(new SodiumRandomBytes());
  fs.writeFileSync(file, encodeKey(key) + '\n', { mode: 0o600 });
  return encodeKey(publicKeyOf(key));
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Starts `braid up CONFIG` inside a lab host namespace (net namespace only, so `ip netns add` stays visible). */
function startDaemon(ns: string, config: string, logFile: string, logLevel: string): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  const child = spawn('nsenter', [`--net=/run/netns/${ns}`, process.execPath, BIN, 'up', config, '--log-level', logLevel], {
    stdio: ['ignore', out, out],
    env: { ...process.env, BRAID_DIST: path.basename(path.join(__dirname, '..', '..')) },
  });
  fs.closeSync(out);
  return child;
}

async function waitFor(what: string, ms: number, check: () => Promise<boolean> | boolean, logs: string[]): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) {
      const tail = logs.map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').slice(-15).join('\n') : '')).join('\n---\n');
      throw new BraidError('BRAID_ERR_LAB', `${what} did not happen within ${ms} ms; daemon logs:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function labTunnelUp(opts: LabTunnelOptions): Promise<LabTunnel> {
  const lab = await labUp({ name: opts.name, paths: opts.paths, seed: opts.seed });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `braid-${opts.name}-`));
  fs.chmodSync(dir, 0o700);
  const edgeName = `${opts.name}-e`;
  const gwName = `${opts.name}-g`;
  const children: ChildProcess[] = [];
  let stopped = false;
  const down = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => waitExit(c, 5000)));
    await labDown(opts.name);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const edgePub = writeKey(path.join(dir, 'edge.key'));
    const gwPub = writeKey(path.join(dir, 'gw.key'));
    const level = opts.logLevel ?? 'info';
    const reToml = opts.re ? ['[re]', 'enabled = true', 'cache_size = "16MiB"'] : [];
    const gwToml = [
      '[endpoint]', `name = "${gwName}"`, 'role = "gateway"', `private_key_file = "${dir}/gw.key"`,
      'address = ["10.77.0.1/24"]', `metrics_listen = "127.0.0.1:${opts.gwMetricsPort ?? 9469}"`,
      `control_socket = "/run/braid/${gwName}.sock"`,
      '[gateway]', `listen = "${lab.gwPublicAddr}:51820"`,
      '[gateway.forwarding]', `mode = "${opts.forwarding ?? 'route'}"`, `routes = ["${lab.appGwSubnet}"]`,
      ...(opts.forwarding === 'nat' ? [`out_interface = "${LAN_DEV}"`] : []),
      '[[gateway.peer]]', `name = "${edgeName}"`, `public_key = "${edgePub}"`, 'allowed_ips = ["10.77.0.2/32"]',
      '[scheduler]', `name = "${opts.scheduler ?? 'earliest-arrival'}"`,
      ...reToml,
    ].join('\n');
    const edgeToml = [
      '[endpoint]', `name = "${edgeName}"`, 'role = "edge"', `private_key_file = "${dir}/edge.key"`,
      'address = ["10.77.0.2/24"]', `metrics_listen = "127.0.0.1:${opts.edgeMetricsPort ?? 9468}"`,
      `control_socket = "/run/braid/${edgeName}.sock"`,
      '[edge]', `gateway = "${lab.gwPublicAddr}:51820"`, `whole_host = ${opts.wholeHost === true}`,
      '[edge.peer]', `public_key = "${gwPub}"`,
      ...lab.paths.flatMap((p) => ['[[edge.path]]', `name = "${p.name}"`, `interface = "${p.edgeDev}"`, opts.edgePathExtra?.[p.name] ?? '']),
      '[scheduler]', `name = "${opts.scheduler ?? 'earliest-arrival'}"`,
      ...reToml,
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'gw.toml'), gwToml + '\n');
    fs.writeFileSync(path.join(dir, 'edge.toml'), edgeToml + '\n');
    const gwLog = path.join(dir, 'gw.log');
    const edgeLog = path.join(dir, 'edge.log');
    const gwSock = `/run/braid/${gwName}.sock`;
    const edgeSock = `/run/braid/${edgeName}.sock`;
    const gw = startDaemon(lab.gwNs, path.join(dir, 'gw.toml'), gwLog, level);
    children.push(gw);
    await waitFor('gateway start', 10_000, () => fs.existsSync(gwSock) && netnsExists(`braid-${gwName}`), [gwLog]);
    const edge = startDaemon(lab.edgeNs, path.join(dir, 'edge.toml'), edgeLog, level);
    children.push(edge);
    await waitFor('edge session', 10_000, async () => {
      const s = await fetchStatus(edgeSock);
      return s.sessions[0]?.established === true && s.paths.every((p) => p.state === 'up');
    }, [gwLog, edgeLog]);
    return {
      lab,
      dir,
      edgeName,
      gwName,
      edgeNs: `braid-${edgeName}`,
      edgeTunAddr: '10.77.0.2',
      gwTunAddr: '10.77.0.1',
      edgePid: edge.pid!,
      gwPid: gw.pid!,
      edgeStatus: () => fetchStatus(edgeSock),
      gwStatus: () => fetchStatus(gwSock),
      stopEdge: async () => {
        edge.kill('SIGTERM');
        await waitExit(edge, 5000);
      },
      startStranger: async (name: string) => {
        writeKey(path.join(dir, `${name}.key`));
        const toml = edgeToml
          .replace(`name = "${edgeName}"`, `name = "${name}"`)
          .replace(`${dir}/edge.key`, `${dir}/${name}.key`)
          .replace(`/run/braid/${edgeName}.sock`, `/run/braid/${name}.sock`)
          .replace(/metrics_listen = "[^"]*"/, 'metrics_listen = ""');
        fs.writeFileSync(path.join(dir, `${name}.toml`), toml + '\n');
        const log = path.join(dir, `${name}.log`);
        const child = startDaemon(lab.edgeNs, path.join(dir, `${name}.toml`), log, level);
        children.push(child);
        const sock = `/run/braid/${name}.sock`;
        await waitFor(`${name} start`, 10_000, () => fs.existsSync(sock), [log]);
        return {
          namespace: `braid-${name}`,
          status: () => fetchStatus(sock),
          stop: async () => {
            child.kill('SIGTERM');
            await waitExit(child, 5000);
          },
        };
      },
      down,
    };
  } catch (err) {
    await down();
    throw err;
  }
}
