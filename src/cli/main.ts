/**
 * The `braid` command. Each subcommand is one file in ./commands exporting a
 * `Command`; adding a subcommand is adding a file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BraidError } from '../errors';

export interface Command {
  /** One line for `braid help`. */
  summary: string;
  /** Usage text shown for `braid help NAME` and on usage errors. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

const COMMANDS_DIR = path.join(__dirname, 'commands');

function commandNames(): string[] {
  return fs
    .readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export function loadCommand(name: string): Command | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) return undefined;
  const file = path.join(COMMANDS_DIR, `${name}.js`);
  if (!fs.existsSync(file)) return undefined;
  return (require(file) as { command: Command }).command;
}

function printHelp(): void {
  const lines = ['usage: braid COMMAND [ARGS...]', '', 'commands:'];
  for (const name of commandNames()) {
    const cmd = loadCommand(name);
    if (cmd) lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  }
  lines.push('', 'braid help COMMAND shows the usage of one command.');
  process.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const target = rest[0] && loadCommand(rest[0]);
    if (target) process.stdout.write(target.usage + '\n');
    else printHelp();
    return;
  }
  const cmd = loadCommand(name);
  if (!cmd) {
    process.stderr.write(`braid: unknown command '${name}'; run 'braid help' for the list\n`);
    process.exitCode = 2;
    return;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage + '\n');
    return;
  }
  try {
    process.exitCode = await cmd.run(rest);
  } catch (err) {
    if (err instanceof BraidError) {
      process.stderr.write(`braid ${name}: ${err.message}\n`);
      if (process.env.BRAID_DEBUG) process.stderr.write(String(err.stack) + '\n');
      process.exitCode = err.code === 'BRAID_ERR_USAGE' ? 2 : 1;
    } else {
      throw err;
    }
  }
}
