import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeKey, encodeKey, generatePrivateKey, loadPrivateKeyFile, publicKeyOf, SeededRandomBytes } from '../../src/core/session';

// __dirname is <repo>/<dist folder>/test/unit
const repo = path.resolve(__dirname, '..', '..', '..');
const dist = path.basename(path.resolve(__dirname, '..', '..'));

function braid(args: string[], input?: string): string {
  return execFileSync(path.join(repo, 'bin', 'braid'), args, {
    input,
    env: { ...process.env, BRAID_DIST: dist },
    encoding: 'utf8',
  });
}

function wg(args: string[], input?: string): string {
  return execFileSync('wg', args, { input, encoding: 'utf8' });
}

describe('keys: WireGuard-compatible X25519 keys', () => {
  it('braid genkey | wg pubkey equals braid pubkey, and wg genkey | braid pubkey equals wg pubkey', () => {
    const ours = braid(['genkey']);
    expect(ours).to.match(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(braid(['pubkey'], ours)).to.equal(wg(['pubkey'], ours));
    const theirs = wg(['genkey']);
    expect(braid(['pubkey'], theirs)).to.equal(wg(['pubkey'], theirs));
    expect(braid(['pubkey'], ours)).to.not.equal(braid(['pubkey'], theirs));
  });

  it('makes clamped private keys like wg genkey', () => {
    const k = generatePrivateKey(new SeededRandomBytes(3));
    expect(k[0] & 7).to.equal(0);
    expect(k[31] & 0xc0).to.equal(0x40);
    expect(decodeKey(encodeKey(k), 'k')).to.deep.equal(k);
    expect(publicKeyOf(k)).to.have.length(32);
  });

  it('rejects text that is not a key with a message naming the key', () => {
    expect(() => decodeKey('hello', 'peers[0].publicKey')).to.throw(/peers\[0\]\.publicKey is not a key/);
    expect(() => decodeKey('A'.repeat(42) + 'B=', 'k')).to.throw(/not a key/); // last char must leave 2 zero bits
  });

  describe('loadPrivateKeyFile', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-keys-'));
    });
    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('loads a mode 600 key file', () => {
      const file = path.join(dir, 'private.key');
      const k = generatePrivateKey(new SeededRandomBytes(5));
      fs.writeFileSync(file, encodeKey(k) + '\n', { mode: 0o600 });
      expect(loadPrivateKeyFile(file)).to.deep.equal(k);
    });

    it('refuses a group- or world-readable key file with one line naming chmod 600', () => {
      for (const mode of [0o644, 0o640, 0o604]) {
        const file = path.join(dir, `k${mode.toString(8)}`);
        fs.writeFileSync(file, encodeKey(generatePrivateKey(new SeededRandomBytes(mode))) + '\n');
        fs.chmodSync(file, mode);
        let msg = '';
        try {
          loadPrivateKeyFile(file);
        } catch (e) {
          msg = (e as Error).message;
          expect((e as { code?: string }).code).to.equal('BRAID_ERR_KEY');
        }
        expect(msg).to.contain(`chmod 600 ${file}`);
        expect(msg).to.not.contain('\n');
      }
    });

    it('names genkey when the file is missing', () => {
      expect(() => loadPrivateKeyFile(path.join(dir, 'nope'))).to.throw(/braid genkey/);
    });
  });
});
