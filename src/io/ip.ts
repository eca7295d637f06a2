/**
 * iproute2 and nftables from Node. Control-plane only (never per packet):
 * `ip -batch` and `ip -json` are simple, debuggable and cover everything
 * braid needs (netns, veth, tuntap, addresses, routes, rules); measured here at
 * ~4 ms per call. See docs/io.md ("Control plane: iproute2, not netlink bindings") for why not a netlink binding.
 */
import { execFile, execFileSync, spawnSync } from 'child_process';
import { promisify } from 'util';
import { BraidError } from '../errors';

const execFileAsync = promisify(execFile);

export interface IpOptions {
  /** Run inside this named network namespace (`ip -n NAME`). */
  netns?: string;
}

function fail(cmd: string, args: string[], stderr: string): BraidError {
  const msg = stderr.trim().split('\n').pop() ?? '';
  if (/Operation not permitted|Permission denied/i.test(msg)) {
    return new BraidError('BRAID_ERR_PERMISSION', `${cmd} ${args.join(' ')}: needs root or CAP_NET_ADMIN`);
  }
  if (/Cannot find device|does not exist|No such device/i.test(msg)) {
    return new BraidError('BRAID_ERR_NO_INTERFACE', `${cmd} ${args.join(' ')}: ${msg}`);
  }
  return new BraidError('BRAID_ERR_SYSTEM', `${cmd} ${args.join(' ')}: ${msg || 'failed'}`);
}

function nsArgs(opts: IpOptions): string[] {
  return opts.netns ? ['-n', opts.netns] : [];
}

/** Runs `ip ARGS...` synchronously; throws a BraidError naming the command on failure. */
export function ip(args: string[], opts: IpOptions = {}): string {
  const full = [...nsArgs(opts), ...args];
  const r = spawnSync('ip', full, { encoding: 'utf8' });
  if (r.error) throw new BraidError('BRAID_ERR_SYSTEM', `ip: ${r.error.message}; install iproute2`);
  if (r.status !== 0) throw fail('ip', full, r.stderr);
  return r.stdout;
}

/** Like ip() but never throws; for cleanup paths. Returns true on success. */
export function ipQuiet(args: string[], opts: IpOptions = {}): boolean {
  const r = spawnSync('ip', [...nsArgs(opts), ...args], { encoding: 'utf8' });
  return r.status === 0;
}

/** `ip -json ...` parsed. */
export function ipJson<T = unknown>(args: string[], opts: IpOptions = {}): T {
  const out = ip(['-json', ...args], opts);
  return (out.trim() ? JSON.parse(out) : []) as T;
}

/** Runs many ip commands in one process (`ip -batch -`), one per line, stopping at the first error. */
export function ipBatch(lines: string[], opts: IpOptions = {}): void {
  if (lines.length === 0) return;
  const full = [...nsArgs(opts), '-batch', '-'];
  const r = spawnSync('ip', full, { input: lines.join('\n') + '\n', encoding: 'utf8' });
  if (r.status !== 0) throw fail('ip', full, r.stderr);
}

/** Async `ip`, for code on the event loop that must not block. */
export async function ipAsync(args: string[], opts: IpOptions = {}): Promise<string> {
  const full = [...nsArgs(opts), ...args];
  try {
    const { stdout } = await execFileAsync('ip', full, { encoding: 'utf8' });
    return stdout;
  } catch (err) {
    throw fail('ip', full, String((err as { stderr?: string }).stderr ?? err));
  }
}

/** Loads an nftables ruleset text (`nft -f -`), optionally inside a namespace. */
export function nft(ruleset: string, opts: IpOptions = {}): void {
  const args = opts.netns ? ['netns', 'exec', opts.netns, 'nft', '-f', '-'] : ['-f', '-'];
  const cmd = opts.netns ? 'ip' : 'nft';
  const r = spawnSync(cmd, args, { input: ruleset, encoding: 'utf8' });
  if (r.error) throw new BraidError('BRAID_ERR_SYSTEM', `nft: ${r.error.message}; install nftables`);
  if (r.status !== 0) throw fail('nft', ['-f', '-'], r.stderr);
}

export function netnsList(): string[] {
  const list = ipJson<Array<{ name: string }>>(['netns', 'list']);
  return list.map((n) => n.name);
}

export function netnsExists(name: string): boolean {
  return netnsList().includes(name);
}

/** Creates a namespace with loopback up. Throws if it exists already. */
export function netnsAdd(name: string): void {
  ip(['netns', 'add', name]);
  ip(['link', 'set', 'lo', 'up'], { netns: name });
}

/** Deletes a namespace if present (killing nothing: processes inside keep running until they exit). */
export function netnsDelete(name: string): void {
  ipQuiet(['netns', 'delete', name]);
}

/** PIDs of processes inside a namespace (`ip netns pids`). */
export function netnsPids(name: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** Runs a command inside a namespace synchronously and returns stdout. */
export function netnsExec(name: string, cmd: string[], input?: string): string {
  try {
    return execFileSync('ip', ['netns', 'exec', name, ...cmd], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    throw fail(cmd[0], cmd.slice(1), String((err as { stderr?: string }).stderr ?? err));
  }
}

/** Sets a sysctl inside a namespace (or the current one). */
export function sysctl(key: string, value: string | number, opts: IpOptions = {}): void {
  const cmd = ['sysctl', '-q', '-w', `${key}=${value}`];
  if (opts.netns) netnsExec(opts.netns, cmd);
  else execFileSync(cmd[0], cmd.slice(1));
}

/** Reads an interface counter from sysfs inside a namespace (e.g. tx_packets). */
export function linkCounter(dev: string, counter: string, opts: IpOptions = {}): number {
  const stats = ipJson<Array<{ stats64: { rx: Record<string, number>; tx: Record<string, number> } }>>(
    ['-s', 'link', 'show', 'dev', dev],
    opts,
  );
  const [dir, name] = counter.split('_') as ['rx' | 'tx', string];
  return stats[0]?.stats64?.[dir]?.[name] ?? 0;
}
