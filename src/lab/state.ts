/**
 * What a lab leaves on disk: /run/braid/labs/<name>/lab.json (the LabInfo
 * with current parameters) plus per path a relay pid file, control socket and
 * log. lab.json is written before anything is created, so a crash at any
 * point leaves enough behind for `braid lab down` to find and remove it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BraidError } from '../errors';
import type { LabInfo } from './topology';

/** Overridable so a test can keep its labs apart; the relay gets the directory on its command line. */
export function labRoot(): string {
  return process.env.BRAID_LAB_ROOT ?? '/run/braid/labs';
}

export function labDir(name: string): string {
  return path.join(labRoot(), name);
}

export interface LabState {
  info: LabInfo;
  createdAt: string;
  /** Namespaces this lab owns (written before they are created). */
  namespaces: string[];
}

export function writeLabState(state: LabState): void {
  const dir = state.info.stateDir;
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = path.join(dir, 'lab.json');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function readLabState(name: string): LabState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(labDir(name), 'lab.json'), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export function requireLabState(name: string): LabState {
  const s = readLabState(name);
  if (!s) throw new BraidError('BRAID_ERR_NOT_FOUND', `no lab named '${name}'; 'braid lab status' lists the labs`);
  return s;
}

/** Names of labs with a state directory. */
export function listLabNames(): string[] {
  try {
    return fs
      .readdirSync(labRoot(), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

export function relayPidFile(dir: string, pathName: string): string {
  return path.join(dir, `${pathName}.pid`);
}

export function relaySocket(dir: string, pathName: string): string {
  return path.join(dir, `${pathName}.sock`);
}

export function relayLog(dir: string, pathName: string): string {
  return path.join(dir, `${pathName}.log`);
}

export function removeLabDir(name: string): void {
  fs.rmSync(labDir(name), { recursive: true, force: true });
}
