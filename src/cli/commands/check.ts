import type { Command } from '../main';
import { optFlag, optString, parseArgs } from '../args';
import { BraidError, UsageError } from '../../errors';
import { checkInterfaces, loadConfig, type BraidConfig } from '../../config';
import { loadPrivateKeyFile } from '../../core/session/key-file';

const usage = `usage: braid check CONFIG [--no-system] [--netns NAME]

Validates CONFIG without starting anything: prints a short summary and exits 0,
or prints the first problem on one line and exits 1.
  --no-system   check the file only (skip the interface and key-file checks),
                e.g. when validating a config meant for another machine
  --netns NAME  look for the path interfaces in namespace NAME`;

function summary(file: string, c: BraidConfig): string {
  const e = c.endpoint;
  const lines = [`${file}: ok`, `  endpoint ${e.name} (${c.role}), namespace ${e.namespace}, address ${e.addresses.map((a) => a.text).join(' ')}`];
  if (c.role === 'edge') {
    lines.push(`  gateway ${c.edge.gateway.text}${c.edge.wholeHost ? ', whole host through the tunnel' : ''}`);
    for (const p of c.edge.paths) {
      const via = [p.interface && `interface ${p.interface}`, p.source && `source ${p.source}`].filter(Boolean).join(', ');
      lines.push(`  path ${p.name}: ${via}${p.backup ? ', backup' : ''}${p.rateHint ? `, ~${((p.rateHint * 8) / 1e6).toFixed(1)} Mbit/s` : ''}`);
    }
    if (c.edge.users.length > 0) lines.push(`  ${c.edge.users.length} users`);
  } else {
    const f = c.gateway.forwarding;
    lines.push(`  listen ${c.gateway.listen.text}, ${c.gateway.peers.length} peer(s), forwarding ${f.mode}${f.outInterface ? ` via ${f.outInterface}` : ''}`);
  }
  lines.push(`  scheduler ${c.scheduler.name}, reorder hold <= ${c.reorder.maxHoldMs} ms, RE ${c.re.enabled ? 'on' : 'off'}`);
  lines.push(`  metrics ${e.metricsListen ? `http://${e.metricsListen.text}/metrics` : 'off'}, control socket ${e.controlSocket}`);
  return lines.join('\n') + '\n';
}

export const command: Command = {
  summary: 'validate a config file without starting the endpoint',
  usage,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, ['no-system']);
    const file = args.positional[0];
    if (!file || args.positional.length > 1) throw new UsageError(`expected one CONFIG file\n${usage}`);
    try {
      const config = loadConfig(file);
      if (!optFlag(args, 'no-system')) {
        checkInterfaces(config, { netns: optString(args, 'netns') });
        loadPrivateKeyFile(config.endpoint.privateKeyFile);
      }
      process.stdout.write(summary(file, config));
      return 0;
    } catch (err) {
      if (!(err instanceof BraidError)) throw err;
      const msg = err.message.includes(file) ? err.message : `${file}: ${err.message}`;
      process.stderr.write(`braid check: ${msg}\n`);
      return 1;
    }
  },
};
