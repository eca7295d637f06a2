import type { Command } from '../main';

export const command: Command = {
  summary: 'print the braid version',
  usage: 'braid version',
  async run(): Promise<number> {
    // package.json sits three levels above dist/src/cli/commands
    const pkg = require('../../../../package.json') as { version: string };
    process.stdout.write(`braid ${pkg.version} (node ${process.version})\n`);
    return 0;
  },
};
