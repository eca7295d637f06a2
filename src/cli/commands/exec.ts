import { spawn } from 'child_process';
import type { Command } from '../main';
import { parseArgs, optString } from '../args';
import { BraidError, UsageError } from '../../errors';
import { netnsExists } from '../../io/ip';

const usage = `braid exec NAME [--namespace NS] -- CMD [ARGS...]

Runs CMD inside endpoint NAME's namespace (braid-NAME), where the tunnel is the
only way out and DNS is the endpoint's. Exit status is CMD's.`;

export const command: Command = {
  summary: "run a program inside an endpoint's namespace (through the tunnel)",
  usage,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    const name = args.positional[0];
    if (!name || args.rest.length === 0) throw new UsageError(`usage: ${usage.split('\n')[0]}`);
    const ns = optString(args, 'namespace') ?? `braid-${name}`;
    if (!netnsExists(ns)) {
      throw new BraidError('BRAID_ERR_NOT_FOUND', `no namespace '${ns}': start the endpoint first with braid up CONFIG`);
    }
    const child = spawn('ip', ['netns', 'exec', ns, ...args.rest], { stdio: 'inherit' });
    return new Promise<number>((resolve) => {
      child.on('error', (err) => {
        process.stderr.write(`braid exec: ${err.message}\n`);
        resolve(127);
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1)));
    });
  },
};
