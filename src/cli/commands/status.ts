import type { Command } from '../main';
import { optFlag, optString, parseArgs } from '../args';
import { BraidError, UsageError } from '../../errors';
import { fetchStatus, resolveControlSockets } from '../../daemon/control-client';
import type { EndpointStatus, PathStatus } from '../../daemon/status-types';

const usage = `usage: braid status [NAME | CONFIG] [--socket PATH] [--json]

Shows the running endpoint: paths (state, RTT, loss, rate, share, traffic),
session, tunnel counters and scheduler. NAME is the endpoint name (socket
/run/braid/NAME.sock), CONFIG a config file; with neither, every endpoint
running on this host is shown.
  --socket PATH  talk to this control socket
  --json         print the status object as JSON (one per endpoint)`;

// Shared with `braid top`.

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** Bytes per second shown as bits per second, the unit links are sold in. */
export function formatRate(bytesPerSecond: number): string {
  const bits = bytesPerSecond * 8;
  if (bits >= 1e9) return `${(bits / 1e9).toFixed(2)} Gbit/s`;
  if (bits >= 1e6) return `${(bits / 1e6).toFixed(1)} Mbit/s`;
  if (bits >= 1e3) return `${(bits / 1e3).toFixed(0)} kbit/s`;
  return `${bits.toFixed(0)} bit/s`;
}

export function formatSeconds(s: number | null): string {
  if (s === null) return '-';
  return s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`;
}

export function formatAge(s: number): string {
  const t = Math.floor(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  if (t < 86400) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(t / 86400)}d${String(Math.floor((t % 86400) / 3600)).padStart(2, '0')}h`;
}

export function percent(r: number): string {
  return `${(r * 100).toFixed(r < 0.1 && r > 0 ? 1 : 0)}%`;
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

export function pathState(p: PathStatus): string {
  return p.backup ? `${p.state} (backup)` : p.state;
}

export function headerLines(s: EndpointStatus): string[] {
  const e = s.endpoint;
  const lines = [`endpoint ${e.name} (${e.role})  up ${formatAge(e.uptimeSeconds)}  scheduler ${s.scheduler.name}  pid ${e.pid}  braid ${e.version}`];
  for (const x of s.sessions) {
    lines.push(
      `session ${x.peer}  ${x.established ? `established ${formatAge(x.ageSeconds)} ago` : 'not established'}` +
        (x.endpoint ? `  at ${x.endpoint}` : ''),
    );
  }
  return lines;
}

function statusText(s: EndpointStatus): string {
  const lines = headerLines(s);
  lines.push('');
  const rows = [['PATH', 'STATE', 'RTT', 'JITTER', 'LOSS', 'RATE', 'SHARE', 'IN FLIGHT', 'SENT', 'RECEIVED', 'INTERFACE']];
  for (const p of s.paths) {
    rows.push([
      p.name,
      pathState(p),
      formatSeconds(p.rttSeconds),
      formatSeconds(p.rttVarSeconds),
      percent(p.lossRatio),
      p.estimatedRateBytesPerSecond > 0 ? formatRate(p.estimatedRateBytesPerSecond) : '-',
      percent(p.schedulerShare),
      formatBytes(p.inFlightBytes),
      formatBytes(p.txBytes),
      formatBytes(p.rxBytes),
      p.interface ?? p.localAddress,
    ]);
  }
  lines.push(...table(rows), '');
  const t = s.tunnel;
  lines.push(
    `tunnel  sent ${formatBytes(t.txBytes)} (${t.txPackets} pkts)  received ${formatBytes(t.rxBytes)} (${t.rxPackets} pkts)`,
    `reorder ${t.reorderBufferPackets} pkts waiting  ${t.reorderTimeouts} timeouts  ${t.reorderOverflows} overflows  ` +
      `reinjected ${t.reinjectedPackets} pkts  duplicates ${t.duplicatePacketsReceived}  ` +
      `losses resent ${t.lossResentPackets} / recovered ${t.lossRecoveredPackets}`,
    `tso     super-packets sent ${t.superPacketsSent} in ${t.superPiecesSent} pieces  joined ${t.superPacketsJoined} (${t.superPacketsJoinedLate} late)  pieces dropped ${t.superPiecesDropped}`,
    offloadLine(s.io),
  );
  const drops = Object.entries(t.drops).filter(([, n]) => n > 0);
  if (drops.length > 0) lines.push(`drops   ${drops.map(([r, n]) => `${r} ${n}`).join('  ')}`);
  const hs = Object.entries(s.handshakes).filter(([, n]) => n > 0);
  if (hs.length > 0) lines.push(`handshakes  ${hs.map(([r, n]) => `${r} ${n}`).join('  ')}`);
  if (s.re) {
    const saved = s.re.inputBytes > 0 ? 1 - s.re.outputBytes / s.re.inputBytes : 0;
    lines.push(`RE      ${formatBytes(s.re.inputBytes)} in, ${formatBytes(s.re.outputBytes)} out (saved ${percent(saved)})  hits ${s.re.hits}  misses ${s.re.misses} (recovered ${s.re.recovered}, resends sent ${s.re.resends}${s.re.resendsTooLarge ? `, ${s.re.resendsTooLarge} too large` : ''})`);
  }
  if (s.users.length > 0) {
    lines.push('');
    const busiest = [...s.users].sort((a, b) => b.txBytes + b.rxBytes - (a.txBytes + a.rxBytes)).slice(0, 10);
    const urows = [['USER', 'CLASS', 'SENT', 'RECEIVED', 'DROPPED']];
    for (const u of busiest) urows.push([u.name, u.class, formatBytes(u.txBytes), formatBytes(u.rxBytes), String(u.droppedPackets)]);
    lines.push(...table(urows));
    if (s.users.length > busiest.length) lines.push(`(${s.users.length - busiest.length} more users; --json lists all)`);
  }
  return lines.join('\n') + '\n';
}

export const command: Command = {
  summary: 'show the running endpoint: paths, session, counters',
  usage,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, ['json']);
    if (args.positional.length > 1) throw new UsageError(`expected at most one NAME or CONFIG\n${usage}`);
    const json = optFlag(args, 'json');
    let sockets: string[];
    try {
      sockets = resolveControlSockets(args.positional[0], optString(args, 'socket'));
    } catch (err) {
      if (!(err instanceof BraidError) || err.code !== 'BRAID_ERR_CONTROL') throw err;
      process.stderr.write(`braid: ${err.message}\n`);
      return 1;
    }
    let failed = 0;
    const out: string[] = [];
    for (const sock of sockets) {
      try {
        const s = await fetchStatus(sock);
        out.push(json ? JSON.stringify(s, null, 2) + '\n' : statusText(s));
      } catch (err) {
        if (!(err instanceof BraidError)) throw err;
        process.stderr.write(`braid: ${err.message}\n`);
        failed++;
      }
    }
    process.stdout.write(out.join(json ? '' : '\n'));
    return failed > 0 ? 1 : 0;
  },
};

/** One line on the kernel offloads: what is on and how much each one batched. */
function offloadLine(io: EndpointStatus['io']): string {
  const per = (n: number, of: number): string => (n > 0 ? ` (${(of / n).toFixed(1)} per)` : '');
  const udp = io.udpGso ? `gso ${io.gsoSends} sends${per(io.gsoSends, io.gsoDatagrams)}${io.gsoRefused ? `, ${io.gsoRefused} refused` : ''}` : 'gso off';
  const gro = io.udpGro ? `gro ${io.groBuffers} buffers${per(io.groBuffers, io.groDatagrams)}` : 'gro off';
  const tun = io.tunOffload ? `tun super-packets ${io.tunSuperWrites}${per(io.tunSuperWrites, io.tunSuperSegments)}` : 'tun offload off';
  const tso = io.tunTso ? `tso reads ${io.tunSuperReads}` : 'tso off';
  return `offload ${udp}  ${gro}  ${tun}  ${tso}`;
}
