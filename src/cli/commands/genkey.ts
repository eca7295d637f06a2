import type { Command } from '../main';
import { encodeKey, generatePrivateKey } from '../../core/session/keys';
import { SodiumRandomBytes } from '../../core/session/random-bytes';

export const command: Command = {
  summary: 'print a new private key (base64, same format as wg genkey)',
  usage: [
    'braid genkey',
    '',
    'Prints a new X25519 private key. Save it readable only by its owner:',
    '  (umask 077; braid genkey > /etc/braid/private.key)',
    'and give peers its public key: braid pubkey < /etc/braid/private.key',
  ].join('\n'),
  async run(): Promise<number> {
    process.stdout.write(encodeKey(generatePrivateKey(new SodiumRandomBytes())) + '\n');
    return 0;
  },
};
