import * as fs from 'fs';
import type { Command } from '../main';
import { parseArgs, optString } from '../args';
import { UsageError } from '../../errors';
import { fetchStatus, resolveControlSockets, setScheduler } from '../../daemon/control-client';

const usage = `braid scheduler [NAME|CONFIG] [--socket PATH] [SCHEDULER]

Shows the running endpoint's path scheduler and the ones available, or
switches to SCHEDULER at run time (no restart, no packet loss):
earliest-arrival, wrr, priority, lowest-latency, redundant.
NAME is the endpoint name (its control socket /run/braid/NAME.sock); it may be
left out when one endpoint runs.`;

export const command: Command = {
  summary: 'show or switch the path scheduler of a running endpoint',
  usage,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    if (args.positional.length > 2) throw new UsageError(`usage: ${usage.split('\n')[0]}`);
    // One positional: an endpoint name if such a socket exists, otherwise a scheduler name.
    let target: string | undefined;
    let wanted: string | undefined;
    if (args.positional.length === 2) [target, wanted] = args.positional;
    else if (args.positional.length === 1) {
      const one = args.positional[0];
      const sockets = (() => {
        try {
          return resolveControlSockets(one, optString(args, 'socket'));
        } catch {
          return [];
        }
      })();
      if (one.endsWith('.toml') || sockets.some((s) => fs.existsSync(s))) target = one;
      else wanted = one;
    }
    const sockets = resolveControlSockets(target, optString(args, 'socket'));
    if (sockets.length > 1) throw new UsageError(`several endpoints are running (${sockets.join(', ')}); name one: braid scheduler NAME [SCHEDULER]`);
    if (wanted) {
      await setScheduler(sockets[0], wanted);
    }
    const s = await fetchStatus(sockets[0]);
    process.stdout.write(`${s.endpoint.name}: scheduler ${s.scheduler.name} (available: ${s.scheduler.available.join(', ')})\n`);
    return 0;
  },
};
