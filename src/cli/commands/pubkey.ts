import type { Command } from '../main';
import { UsageError } from '../../errors';
import { decodeKey, encodeKey, publicKeyOf } from '../../core/session/keys';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const command: Command = {
  summary: 'read a private key on stdin, print its public key (same as wg pubkey)',
  usage: 'braid pubkey < private.key',
  async run(args: string[]): Promise<number> {
    if (args.length > 0) throw new UsageError(`pubkey takes no arguments; pipe the private key in: braid pubkey < private.key`);
    const priv = decodeKey(await readStdin(), 'the private key on stdin');
    process.stdout.write(encodeKey(publicKeyOf(priv)) + '\n');
    return 0;
  },
};
