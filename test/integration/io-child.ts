/**
 * A small program the io tests and benchmark run inside a network namespace
 * (`ip netns exec NS node io-child.js '<json>'`), because Node cannot setns.
 * It prints one JSON object per line on stdout.
 *   send:  open a PathSocket, send `count` datagrams of `size` bytes to `to`, report stats
 *   recv:  open a PathSocket, print {ready, port}, collect `count` datagrams (or until timeoutMs), report them
 *   blast: send as fast as possible for `seconds` with sendBatch, report how many went out
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';
import { openPathSocket, type PathSocketImpl, type PathSocketOptions } from '../../src/io/udp-socket';
import { SockAddr } from '../../src/io/sock-addr';

export interface ChildSend {
  cmd: 'send' | 'blast';
  impl?: PathSocketImpl;
  socket: PathSocketOptions;
  to: string;
  count?: number;
  size: number;
  seconds?: number;
  /** Payload i starts with `${prefix}${i}`. */
  prefix?: string;
}

export interface ChildRecv {
  cmd: 'recv';
  impl?: PathSocketImpl;
  socket: PathSocketOptions;
  count: number;
  timeoutMs: number;
}

export type ChildCommand = ChildSend | ChildRecv;

function print(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function payload(prefix: string, i: number, size: number): Buffer {
  const b = Buffer.alloc(size, 0x2e);
  b.write(`${prefix}${i}`);
  return b;
}

function send(c: ChildSend): void {
  const s = openPathSocket(c.socket, c.impl);
  const to = SockAddr.parse(c.to);
  const count = c.count ?? 1;
  const packets = Array.from({ length: count }, (_, i) => payload(c.prefix ?? 'p', i, c.size));
  const sent = s.sendBatch(packets, count, to);
  // dgram sends complete on the next turns of the event loop.
  setTimeout(() => {
    print({ sent, stats: s.stats, lastSendError: s.lastSendError });
    s.close();
  }, 100);
}

function blast(c: ChildSend): void {
  const s = openPathSocket(c.socket, c.impl);
  const to = SockAddr.parse(c.to);
  const packets = Array.from({ length: 64 }, (_, i) => payload('b', i, c.size));
  const end = Date.now() + (c.seconds ?? 2) * 1000;
  let sent = 0;
  const loop = (): void => {
    for (let k = 0; k < 8; k++) sent += s.sendBatch(packets, 64, to);
    if (Date.now() < end) setImmediate(loop);
    else {
      print({ sent, stats: s.stats });
      s.close();
    }
  };
  print({ ready: true });
  loop();
}

function recv(c: ChildRecv): void {
  const s = openPathSocket(c.socket, c.impl);
  const got: Array<{ src: string; data: string; len: number }> = [];
  const finish = (): void => {
    clearTimeout(timer);
    print({ got, stats: s.stats });
    s.close();
  };
  const timer = setTimeout(finish, c.timeoutMs);
  s.startReceiving((batch) => {
    for (let i = 0; i < batch.count; i++) {
      const p = batch.payloads[i];
      got.push({ src: batch.source(i).key, data: p.subarray(0, 32).toString('latin1').replace(/\.+$/, ''), len: p.length });
    }
    if (got.length >= c.count) finish();
  });
  print({ ready: true, port: s.localPort() });
}

/** A running io-child, optionally inside a namespace; collects its JSON lines. */
export class IoChild {
  readonly proc: ChildProcess;
  readonly lines: Array<Record<string, unknown>> = [];
  stderr = '';
  private readonly exit: Promise<number>;
  private wake: (() => void) | null = null;

  constructor(netns: string | null, cmd: ChildCommand) {
    const file = path.join(__dirname, 'io-child.js');
    const argv = [file, JSON.stringify(cmd)];
    this.proc = netns
      ? spawn('ip', ['netns', 'exec', netns, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    readline.createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
      this.wake?.();
    });
    this.exit = new Promise((resolve) => this.proc.on('close', (code) => {
      this.wake?.();
      resolve(code ?? -1);
    }));
  }

  /** Resolves with the first line that has `key`; rejects if the child exits first. */
  async line(key: string): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.lines.find((l) => key in l);
      if (found) return found;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`io-child exited without '${key}': ${JSON.stringify(this.lines)} ${this.stderr}`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  done(): Promise<number> {
    return this.exit;
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

/** Runs a command to completion and returns its last JSON line. */
export async function runIoChild(netns: string | null, cmd: ChildCommand): Promise<Record<string, unknown>> {
  const child = new IoChild(netns, cmd);
  try {
    await child.done();
    const last = child.lines[child.lines.length - 1];
    if (!last) throw new Error(`io-child printed nothing: ${child.stderr}`);
    return last;
  } finally {
    child.kill();
  }
}

if (require.main === module) {
  const c = JSON.parse(process.argv[2] ?? '{}') as ChildCommand;
  try {
    if (c.cmd === 'send') send(c);
    else if (c.cmd === 'blast') blast(c);
    else if (c.cmd === 'recv') recv(c);
    else throw new Error(`unknown command ${JSON.stringify(c)}`);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    print({ error: e.code ?? 'ERROR', message: e.message ?? String(err) });
    process.exitCode = 1;
  }
}
