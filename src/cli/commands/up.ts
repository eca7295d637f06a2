import type { Command } from '../main';
import { parseArgs, optString } from '../args';
import { UsageError } from '../../errors';
import { loadConfig, checkInterfaces } from '../../config';
import { startEndpoint } from '../../daemon/endpoint-daemon';
import { log, setLogLevel, type LogLevel } from '../../log';
import type { PathSocketImpl } from '../../io/udp-socket';

const usage = `braid up CONFIG [--log-level debug|info|warn|error] [--sockets native|dgram]

Starts the endpoint described by CONFIG (TOML; see docs/config.md) in the
foreground: path sockets, the TUN in its namespace, /metrics and the control
socket for braid status. Stops cleanly on Ctrl-C or SIGTERM.`;

export const command: Command = {
  summary: 'start an endpoint (edge or gateway) from a config file',
  usage,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    const file = args.positional[0];
    if (!file) throw new UsageError(`usage: ${usage.split('\n')[0]}`);
    const config = loadConfig(file);
    setLogLevel((optString(args, 'log-level') as LogLevel | undefined) ?? config.endpoint.logLevel);
    checkInterfaces(config);
    const running = await startEndpoint(config, { socketImpl: optString(args, 'sockets') as PathSocketImpl | undefined });
    const where = config.endpoint.metricsListen ? ` metrics http://${config.endpoint.metricsListen.text}/metrics` : '';
    process.stderr.write(`braid: ${config.endpoint.name} (${config.role}) up in namespace ${config.endpoint.namespace};${where}\n`);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log('info', 'daemon.stopping', { signal });
        void running.stop().then(resolve, resolve);
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};
