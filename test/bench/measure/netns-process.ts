/**
 * Runs measurement tools inside network namespaces and always reaps them.
 *
 * `ip netns exec NS CMD` enters the namespace and then execs CMD in the same
 * process, so the PID we spawn is the tool's own PID: signals reach the tool,
 * and /proc/PID/stat counts the tool's CPU. Every started process is tracked
 * until it exits; on Node's exit (normal, uncaught error, or SIGINT/SIGTERM
 * turned into exit) the survivors get SIGKILL, so an aborted `make bench`
 * leaves no iperf3 or VPN daemon behind.
 */
import { spawn, type ChildProcess } from 'child_process';
import { MeasureError, tail } from './measure-error';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when we stopped it because its time ran out. */
  timedOut: boolean;
}

export interface StartOptions {
  /** Kill the process (SIGTERM, then SIGKILL) after this long. Default: no limit. */
  timeoutMs?: number;
  /** Text written to stdin, which is then closed. Default: stdin closed at once. */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

const live = new Set<NetnsProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllStarted);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAllStarted();
      process.exit(130);
    });
  }
}

/** SIGKILLs every process started here that is still running (synchronous; safe in exit handlers). */
export function killAllStarted(): void {
  for (const p of live) p.kill('SIGKILL');
}

/** Number of started processes that have not exited yet (tests use it to prove cleanup). */
export function liveProcessCount(): number {
  return live.size;
}

/** The argv that runs `argv` inside namespace `ns` (or here when ns is undefined). */
export function netnsArgv(ns: string | undefined, argv: readonly string[]): string[] {
  return ns ? ['ip', 'netns', 'exec', ns, ...argv] : [...argv];
}

/** A tool running in the background inside a namespace. */
export class NetnsProcess {
  readonly pid: number;
  readonly name: string;
  /** Resolves (never rejects) when the process has exited and its output is complete. */
  readonly exited: Promise<RunResult>;
  private readonly child: ChildProcess;
  private readonly out: string[] = [];
  private readonly err: string[] = [];
  private timedOut = false;
  private running = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(ns: string | undefined, argv: readonly string[], opts: StartOptions = {}) {
    installExitHook();
    this.name = argv[0];
    const full = netnsArgv(ns, argv);
    this.child = spawn(full[0], full.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
    });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => this.out.push(s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => this.err.push(s));
    this.child.stdin!.on('error', () => undefined);
    this.child.stdin!.end(opts.input ?? '');
    live.add(this);
    this.exited = new Promise<RunResult>((resolve) => {
      let spawnError: Error | undefined;
      this.child.once('error', (e) => {
        spawnError = e;
      });
      let settled = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        this.running = false;
        live.delete(this);
        if (this.timer) clearTimeout(this.timer);
        const stderr = this.err.join('') + (spawnError ? `\n${spawnError.message}` : '');
        resolve({ code, signal, stdout: this.out.join(''), stderr, timedOut: this.timedOut });
      };
      // 'close' follows 'exit' once the pipes drain; a grandchild that inherited
      // the pipes can hold them open, so after exit wait for it only briefly.
      this.child.once('close', finish);
      this.child.once('exit', (code, signal) => {
        this.running = false;
        setTimeout(() => finish(code, signal), 500).unref();
      });
    });
    this.pid = this.child.pid ?? -1;
    if (opts.timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        void this.stop();
      }, opts.timeoutMs);
    }
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Output so far (stdout then stderr). */
  output(): string {
    return this.out.join('') + this.err.join('');
  }

  /** Sends a signal if the process still runs. */
  kill(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once it has exited. */
  async stop(graceMs = 1000): Promise<RunResult> {
    this.kill('SIGTERM');
    const hard = setTimeout(() => this.kill('SIGKILL'), graceMs);
    const r = await this.exited;
    clearTimeout(hard);
    return r;
  }

  /**
   * Resolves when the output (stdout or stderr) matches `re`. Rejects when the
   * process exits first or nothing matches within timeoutMs (the process is
   * left running: the caller owns it and stops it).
   */
  waitForOutput(re: RegExp, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        clearTimeout(limit);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (re.test(this.output())) finish();
        else if (!this.running) {
          finish(new MeasureError(this.name, `exited before printing ${re}: ${tail(this.output())}`));
        }
      };
      const poll = setInterval(check, 10);
      const limit = setTimeout(
        () => finish(new MeasureError(this.name, `no ${re} within ${timeoutMs} ms: ${tail(this.output())}`)),
        timeoutMs,
      );
      check();
    });
  }
}

/** Starts `argv` inside `ns` (current namespace when undefined) in the background. */
export function startInNetns(ns: string | undefined, argv: readonly string[], opts: StartOptions = {}): NetnsProcess {
  return new NetnsProcess(ns, argv, opts);
}

/** Runs `argv` inside `ns` to completion (or until timeoutMs, then killed); never rejects. */
export function runInNetns(
  ns: string | undefined,
  argv: readonly string[],
  opts: StartOptions & { timeoutMs: number },
): Promise<RunResult> {
  return new NetnsProcess(ns, argv, opts).exited;
}

/** Like runInNetns but throws a MeasureError unless the tool exits 0; returns stdout. */
export async function runChecked(
  ns: string | undefined,
  argv: readonly string[],
  opts: StartOptions & { timeoutMs: number },
): Promise<string> {
  const r = await runInNetns(ns, argv, opts);
  if (r.timedOut) throw new MeasureError(argv[0], `timed out after ${opts.timeoutMs} ms: ${tail(r.stderr || r.stdout)}`);
  if (r.code !== 0) throw new MeasureError(argv[0], `exit ${r.code ?? r.signal}: ${tail(r.stderr || r.stdout)}`);
  return r.stdout;
}
