import type { Command } from '../main';
import { parseArgs, optNumber } from '../args';
import { runDemo } from '../../demo/demo-run';

const usage = `braid demo [--seconds N]

Runs braid end to end in a throwaway lab (needs root): an edge with Wi-Fi and
LTE paths, a gateway, an intranet server; downloads through the tunnel while
Wi-Fi is cut and restored, shows the live per-path view, prints the metrics
URL, and removes everything.`;

export const command: Command = {
  summary: 'see braid work end to end in a throwaway lab (no config)',
  usage,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    await runDemo({ out: process.stdout, seconds: optNumber(args, 'seconds', 30) });
    return 0;
  },
};
