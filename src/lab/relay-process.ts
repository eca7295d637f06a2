/**
 * Starting and stopping relay processes. A relay runs detached from whoever
 * started the lab (a test's mocha, the CLI) so it neither keeps that process
 * alive nor dies with it; it is found again by its pid file or, if that is
 * lost, by its command line, which names the lab's state directory.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BraidError } from '../errors';
import { callControl } from './control';
import { relayLog, relayPidFile, relaySocket } from './state';

const RELAY_SCRIPT = path.join(__dirname, 'relay-main.js');
const READY_TIMEOUT_MS = 5000;
const STOP_GRACE_MS = 1000;

export async function startRelay(stateDir: string, netns: string, pathName: string, seed?: number): Promise<number> {
  const logFd = fs.openSync(relayLog(stateDir, pathName), 'a');
  const args = ['netns', 'exec', netns, process.execPath, RELAY_SCRIPT, stateDir, pathName];
  if (seed !== undefined) args.push(String(seed));
  // `ip netns exec` execs the command in place, so the child's pid is the relay's.
  const child = spawn('ip', args, { detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, BRAID_LOG: 'info' } });
  fs.closeSync(logFd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new BraidError('BRAID_ERR_LAB', `could not start the lab relay for path ${pathName}`);
  fs.writeFileSync(relayPidFile(stateDir, pathName), `${pid}\n`);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited || !alive(pid)) break;
    try {
      const reply = await callControl(relaySocket(stateDir, pathName), { op: 'status' }, 500);
      if (reply.ok) return pid;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) break;
    await sleep(20);
  }
  const tail = readTail(relayLog(stateDir, pathName));
  throw new BraidError('BRAID_ERR_LAB', `lab relay for path ${pathName} did not start${tail ? `: ${tail}` : ''}`);
}

/** Stops every relay of the lab whose state directory is `stateDir`: by pid file, then by command line. */
export async function stopRelays(stateDir: string): Promise<void> {
  const pids = new Set<number>(relayPidsByCmdline(stateDir));
  let files: string[] = [];
  try {
    files = fs.readdirSync(stateDir).filter((f) => f.endsWith('.pid'));
  } catch {
    // no state dir
  }
  for (const f of files) {
    const pid = Number(fs.readFileSync(path.join(stateDir, f), 'utf8').trim());
    if (pid > 0 && isRelayOf(pid, stateDir)) pids.add(pid);
  }
  await killAll([...pids]);
}

/** Sends SIGTERM, waits a moment, then SIGKILL to whatever is left. */
export async function killAll(pids: number[]): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (pids.some(alive) && Date.now() < deadline) await sleep(20);
  for (const pid of pids) if (alive(pid)) signal(pid, 'SIGKILL');
  const hard = Date.now() + STOP_GRACE_MS;
  while (pids.some(alive) && Date.now() < hard) await sleep(20);
}

function relayPidsByCmdline(stateDir: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (isRelayOf(Number(entry), stateDir)) out.push(Number(entry));
  }
  return out;
}

function isRelayOf(pid: number, stateDir: string): boolean {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('relay-main.js')) && argv.includes(stateDir);
  } catch {
    return false;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its parent) counts as gone.
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The line of the relay's log that says what went wrong (a thrown error), else its last line. */
function readTail(file: string): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    return lines.find((l) => /Error|ERROR/.test(l))?.trim() ?? lines[lines.length - 1];
  } catch {
    return '';
  }
}
