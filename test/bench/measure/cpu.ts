/**
 * CPU time of processes from /proc/PID/stat, to express a tunnel's cost as
 * CPU seconds per GB carried. utime and stime include the kernel work done in
 * the process's own system calls (TUN and socket I/O); softirq work on other
 * CPUs is not attributed to anyone, for every system alike.
 */
import * as fs from 'fs';
import { execFileSync } from 'child_process';

export interface CpuTimes {
  /** Seconds in user mode. */
  user: number;
  /** Seconds in kernel mode. */
  system: number;
  /** user + system of waited-for children (cutime + cstime). */
  children: number;
}

let ticksPerSecond: number | undefined;

/** USER_HZ (`getconf CLK_TCK`), almost always 100. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * Parses the text of /proc/PID/stat. The command name (field 2) is in
 * parentheses and may itself contain spaces and parentheses, so fields are
 * counted from the last ')'.
 */
export function parseProcStat(text: string, hz = clockTicksPerSecond()): CpuTimes {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/PID/stat line: ${text.slice(0, 60)}`);
  // After ")": field 3 (state) is index 0, so field N is index N - 3.
  const f = text.slice(close + 2).trim().split(/\s+/);
  const at = (field: number): number => Number(f[field - 3]);
  return { user: at(14) / hz, system: at(15) / hz, children: (at(16) + at(17)) / hz };
}

/**
 * CPU seconds used so far by `pid` (user + system), plus its waited-for
 * children when `includeChildren`. A process that has exited reads as 0, so
 * take the "after" sample before stopping it.
 */
export function cpuSeconds(pid: number, includeChildren = false): number {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  const t = parseProcStat(text);
  return t.user + t.system + (includeChildren ? t.children : 0);
}

/** Sum of cpuSeconds over several processes. */
export function cpuSecondsOf(pids: readonly number[], includeChildren = false): number {
  let total = 0;
  for (const pid of pids) total += cpuSeconds(pid, includeChildren);
  return total;
}

/** CPU seconds per GB (10^9 bytes) carried. */
export function cpuSecondsPerGb(cpuSecondsUsed: number, bytes: number): number {
  return bytes > 0 ? cpuSecondsUsed / (bytes / 1e9) : NaN;
}
