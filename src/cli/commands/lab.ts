import { spawnSync } from 'child_process';
import type { Command } from '../main';
import { optFlag, optNumber, optString, parseArgs } from '../args';
import { BraidError, UsageError } from '../../errors';
import { labDown, labDownAll, labInfo, labList, labSet, labStatus, labUp, type LabStatus } from '../../lab/lab';
import type { DirectionCounters } from '../../lab/relay';
import { formatParams, PARAM_HELP, parseParams } from '../../lab/params';
import { PRESETS } from '../../lab/presets';
import { probePath, probeStats } from '../../lab/probe';
import type { LabInfo } from '../../lab/topology';

const USAGE = `usage:
  braid lab up [--name NAME] [--paths wifi,lte[,NAME:PRESET...]] [--seed N] [--json]
  braid lab set [LAB] PATH KEY=VALUE...      change a path live
  braid lab status [LAB] [--json]            paths, parameters and counters
  braid lab down NAME | --all [--prefix P]   remove a lab (or all, also crashed ones)
  braid lab probe [LAB] PATH [--count N] [--interval MS] [--size B] [--down]
                                             measure one-way delay, loss, reordering
  braid lab exec [LAB] edge|gw|appe|appg|p<k> -- CMD...   run a command in a lab namespace
  braid lab list

presets: ${Object.keys(PRESETS).join(', ')}, direct (no relay: only rate and mtu; for ceilings)
keys for set (dir=up|down limits a change to one direction; up = edge->gateway):
${Object.entries(PARAM_HELP)
  .map(([k, v]) => `  ${k.padEnd(14)} ${v}`)
  .join('\n')}
LAB may be left out when exactly one lab is running. See docs/lab.md.`;

export const command: Command = {
  summary: 'test lab: edge and gateway namespaces joined by impaired paths',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    const args = parseArgs(rest, ['json', 'all', 'down']);
    switch (sub) {
      case 'up': {
        const paths = (optString(args, 'paths') ?? 'wifi,lte').split(',').filter(Boolean);
        const seed = args.options.has('seed') ? optNumber(args, 'seed', 0) : undefined;
        const info = await labUp({ name: optString(args, 'name'), paths, seed });
        out(optFlag(args, 'json') ? JSON.stringify(info, null, 2) : describe(info));
        return 0;
      }
      case 'set': {
        const words = args.positional;
        const plain = words.filter((w) => !w.includes('='));
        if (plain.length === 0 || plain.length > 2) throw new UsageError(`lab set needs [LAB] PATH KEY=VALUE...\n${USAGE}`);
        const lab = plain.length === 2 ? plain[0] : onlyLab();
        const pairs = words.filter((w) => w.includes('='));
        const dir = pairs.find((w) => w.startsWith('dir='))?.slice(4) ?? 'both';
        if (dir !== 'up' && dir !== 'down' && dir !== 'both') throw new UsageError(`dir must be up, down or both, got '${dir}'`);
        const params = parseParams(pairs.filter((w) => !w.startsWith('dir=')));
        if (Object.keys(params).length === 0) throw new UsageError('lab set needs at least one KEY=VALUE, e.g. delay=60ms');
        await labSet(lab, plain[plain.length - 1], params, dir);
        return 0;
      }
      case 'status': {
        const s = await labStatus(args.positional[0] ?? onlyLab());
        out(optFlag(args, 'json') ? JSON.stringify(s, null, 2) : formatStatus(s));
        return 0;
      }
      case 'down': {
        if (optFlag(args, 'all')) {
          const removed = await labDownAll({ prefix: optString(args, 'prefix') });
          out(removed.length ? `removed: ${removed.join(' ')}` : 'no labs');
          return 0;
        }
        const name = args.positional[0];
        if (!name) throw new UsageError('lab down needs a lab name or --all');
        await labDown(name);
        return 0;
      }
      case 'probe': {
        const words = args.positional;
        if (words.length === 0 || words.length > 2) throw new UsageError(`lab probe needs [LAB] PATH\n${USAGE}`);
        const info = labInfo(words.length === 2 ? words[0] : onlyLab());
        const r = await probePath(info, words[words.length - 1], {
          count: optNumber(args, 'count', 500),
          intervalMs: optNumber(args, 'interval', 2),
          size: optNumber(args, 'size', 100),
          direction: optFlag(args, 'down') ? 'down' : 'up',
        });
        const st = probeStats(r);
        if (optFlag(args, 'json')) out(JSON.stringify(st, null, 2));
        else {
          const ms = (x: number): string => `${x.toFixed(2)}ms`;
          out(`sent ${st.sent} received ${st.received} loss ${st.lossPct.toFixed(2)}% (mean burst ${st.meanLossBurst.toFixed(2)}) reordered ${st.reorderedPct.toFixed(2)}%`);
          out(`one-way delay p50 ${ms(st.p50)} p99 ${ms(st.p99)} mean ${ms(st.mean)} stddev ${ms(st.stddev)} min ${ms(st.min)} max ${ms(st.max)}`);
        }
        return 0;
      }
      case 'exec': {
        const words = args.positional;
        if (words.length === 0 || words.length > 2 || args.rest.length === 0) throw new UsageError(`lab exec needs [LAB] ROLE -- CMD...\n${USAGE}`);
        const lab = words.length === 2 ? words[0] : onlyLab();
        const role = words[words.length - 1];
        if (!/^(edge|gw|appe|appg|p\d+)$/.test(role)) throw new UsageError(`lab exec: role must be edge, gw, appe, appg or p<k>, got '${role}'`);
        const ns = `${labInfo(lab).name}-${role}`;
        const r = spawnSync('ip', ['netns', 'exec', ns, ...args.rest], { stdio: 'inherit' });
        if (r.error) throw new BraidError('BRAID_ERR_SYSTEM', `ip netns exec ${ns}: ${r.error.message}`);
        return r.status ?? 1;
      }
      case 'list':
        out(labList().join('\n') || '(no labs)');
        return 0;
      default:
        throw new UsageError(`unknown lab subcommand '${sub ?? ''}'\n${USAGE}`);
    }
  },
};

function out(text: string): void {
  process.stdout.write(text + '\n');
}

function onlyLab(): string {
  const labs = labList();
  if (labs.length === 1) return labs[0];
  if (labs.length === 0) throw new BraidError('BRAID_ERR_NOT_FOUND', "no lab is running; start one with 'braid lab up'");
  throw new UsageError(`${labs.length} labs are running (${labs.join(', ')}); name one`);
}

function describe(info: LabInfo): string {
  const lines = [
    `lab ${info.name}`,
    `  edge    ns ${info.edgeNs}   lan ${info.edgeLanAddr}   app host ${info.appEdgeNs} ${info.appEdgeAddr}`,
    `  gateway ns ${info.gwNs}   public ${info.gwPublicAddr}   lan ${info.gwLanAddr}   app host ${info.appGwNs} ${info.appGwAddr}`,
  ];
  for (const p of info.paths) {
    lines.push(`  path ${p.name.padEnd(10)} edge ${p.edgeDev} ${p.edgeAddr} -> gw ${p.gwAddr}   ${formatParams(p.params)}`);
  }
  lines.push(`try: ip netns exec ${info.edgeNs} irtt client --local=${info.paths[0].edgeAddr} ${info.gwPublicAddr}   (server: ip netns exec ${info.gwNs} irtt server)`);
  return lines.join('\n');
}

function counters(c: DirectionCounters): string {
  const drops = `drop loss ${c.dropLoss} outage ${c.dropOutage} overflow ${c.dropOverflow} write ${c.dropWrite}`;
  return `in ${c.rxPackets} fwd ${c.forwardedPackets} ${drops} reordered ${c.reordered} held ${c.held}`;
}

function formatStatus(s: LabStatus): string {
  const lines = [`lab ${s.info.name} (up since ${s.createdAt})`];
  for (const p of s.paths) {
    const up = formatParams(p.paramsUp);
    const down = formatParams(p.paramsDown);
    if (up === down) lines.push(`path ${p.name}: ${up}`);
    else lines.push(`path ${p.name}:`, `  up:   ${up}`, `  down: ${down}`);
    if (p.relay) {
      lines.push(`  up   (edge->gw) ${counters(p.relay.up)} rate-drop ${p.shaper.up.drops}`);
      lines.push(`  down (gw->edge) ${counters(p.relay.down)} rate-drop ${p.shaper.down.drops}`);
    } else if (p.relayError?.startsWith('none')) {
      lines.push(`  relay ${p.relayError}; rate-drop up ${p.shaper.up.drops} down ${p.shaper.down.drops}`);
    } else lines.push(`  relay not answering: ${p.relayError}`);
  }
  return lines.join('\n');
}
