import type { Command } from '../main';
import { optNumber, optString, parseArgs } from '../args';
import { BraidError, UsageError } from '../../errors';
import { fetchStatus, resolveControlSockets } from '../../daemon/control-client';
import type { EndpointStatus } from '../../daemon/status-types';
import { formatRate, formatSeconds, headerLines, pathState, percent, table } from './status';

const usage = `usage: braid top [NAME | CONFIG] [--socket PATH] [--interval SECONDS] [--count N]

Live view of one endpoint, refreshed every second: throughput per path as bars
(from the byte counters between refreshes) against each path's estimated rate,
RTT, loss and the tunnel totals. q or Ctrl-C quits.
  --interval S  seconds between refreshes (default 1)
  --count N     stop after N refreshes (default: run until q)`;

const ESC = '\x1b[';

/** A bar of `width` cells filled to `ratio` (0..1), with eighth-cell precision. */
export function bar(ratio: number, width: number): string {
  const cells = Math.max(0, Math.min(1, ratio)) * width;
  const full = Math.floor(cells);
  const eighths = Math.floor((cells - full) * 8);
  const part = full < width && eighths > 0 ? '▏▎▍▌▋▊▉'[eighths - 1] : '';
  return ('█'.repeat(full) + part).padEnd(width, '·');
}

/**
 * One screen. Throughput is the byte-counter difference between two
 * snapshots divided by the time between them (the first frame has none yet).
 */
export function renderTop(prev: EndpointStatus | null, cur: EndpointStatus, dtSeconds: number, width: number): string[] {
  const lines = headerLines(cur);
  lines.push('');
  const rateOf = (now: number, before: number | undefined): number | null =>
    before === undefined || dtSeconds <= 0 ? null : Math.max(0, now - before) / dtSeconds;
  const txRates = cur.paths.map((p) => rateOf(p.txBytes, prev?.paths.find((q) => q.name === p.name)?.txBytes));
  const rxRates = cur.paths.map((p) => rateOf(p.rxBytes, prev?.paths.find((q) => q.name === p.name)?.rxBytes));
  // Scale every bar to the largest of the paths' estimated rates and what was just measured.
  const scale = Math.max(1, ...cur.paths.map((p) => p.estimatedRateBytesPerSecond), ...txRates.map((r) => r ?? 0), ...rxRates.map((r) => r ?? 0));
  const barWidth = Math.max(8, Math.min(40, Math.floor((width - 80) / 2)));
  const rows = [['PATH', 'STATE', 'SEND', '', 'RECEIVE', '', 'RTT', 'LOSS', 'SHARE']];
  cur.paths.forEach((p, i) => {
    const tx = txRates[i];
    const rx = rxRates[i];
    rows.push([
      p.name,
      pathState(p),
      bar((tx ?? 0) / scale, barWidth),
      tx === null ? '...' : formatRate(tx),
      bar((rx ?? 0) / scale, barWidth),
      rx === null ? '...' : formatRate(rx),
      formatSeconds(p.rttSeconds),
      percent(p.lossRatio),
      percent(p.schedulerShare),
    ]);
  });
  lines.push(...table(rows));
  const total = (f: (s: EndpointStatus) => number): string =>
    prev === null || dtSeconds <= 0 ? '...' : formatRate(Math.max(0, f(cur) - f(prev)) / dtSeconds);
  // what this end may send: estimated from its own traffic, so it stays low in a direction that carries little
  const estimated = cur.paths.filter((p) => p.state === 'up').reduce((a, p) => a + p.estimatedRateBytesPerSecond, 0);
  lines.push(
    '',
    `tunnel  send ${total((s) => s.tunnel.txBytes)}  receive ${total((s) => s.tunnel.rxBytes)}  send capacity (est.) ${formatRate(estimated)}`,
    `reorder ${cur.tunnel.reorderBufferPackets} pkts waiting  timeouts ${cur.tunnel.reorderTimeouts}  reinjected ${cur.tunnel.reinjectedPackets} pkts  ` +
      `losses recovered ${cur.tunnel.lossRecoveredPackets}`,
    '',
    `bars: full = ${formatRate(scale)}    q quits`,
  );
  return lines;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export const command: Command = {
  summary: 'live per-path throughput view of the running endpoint',
  usage,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    if (args.positional.length > 1) throw new UsageError(`expected at most one NAME or CONFIG\n${usage}`);
    const interval = optNumber(args, 'interval', 1);
    const count = optNumber(args, 'count', Infinity);
    if (!(interval > 0)) throw new UsageError('--interval must be above 0');
    let socket: string;
    try {
      const sockets = resolveControlSockets(args.positional[0], optString(args, 'socket'));
      if (sockets.length > 1) throw new UsageError(`several endpoints are running (${sockets.join(', ')}); name one: braid top NAME`);
      socket = sockets[0];
    } catch (err) {
      if (!(err instanceof BraidError) || err.code !== 'BRAID_ERR_CONTROL') throw err;
      process.stderr.write(`braid: ${err.message}\n`);
      return 1;
    }

    const tty = process.stdout.isTTY === true;
    const stdin = process.stdin;
    let quit = false;
    const onKey = (k: Buffer): void => {
      if (k[0] === 0x71 || k[0] === 0x51 || k[0] === 0x03) quit = true; // q, Q, Ctrl-C
    };
    const onSignal = (): void => {
      quit = true;
    };
    const restore = (): void => {
      if (tty) process.stdout.write(`${ESC}?25h${ESC}?1049l`);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.off('data', onKey);
      stdin.pause();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    if (tty) process.stdout.write(`${ESC}?1049h${ESC}?25l`);
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      stdin.on('data', onKey);
      stdin.resume();
    }
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    let prev: EndpointStatus | null = null;
    let prevAt = 0;
    try {
      for (let n = 0; n < count && !quit; n++) {
        const cur = await fetchStatus(socket);
        const at = performance.now();
        const frame = renderTop(prev, cur, prev ? (at - prevAt) / 1000 : 0, process.stdout.columns ?? 120);
        // Overwrite in place (home, each line cleared to its end, rest of screen cleared): no flicker.
        process.stdout.write(tty ? `${ESC}H${frame.map((l) => `${l}${ESC}K`).join('\n')}\n${ESC}J` : `${frame.join('\n')}\n\n`);
        prev = cur;
        prevAt = at;
        const until = performance.now() + interval * 1000;
        while (!quit && n + 1 < count && performance.now() < until) await sleep(Math.min(50, until - performance.now()));
      }
    } finally {
      restore();
    }
    return 0;
  },
};
