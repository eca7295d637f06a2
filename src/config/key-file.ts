/**
 * Reads the endpoint's private key file: base64 of 32 bytes, one line, and not
 * readable by group or others (a leaked key lets anyone impersonate the endpoint).
 */
import * as fs from 'fs';
import { BraidError } from '../errors';

/** Returns the 32 key bytes or throws BRAID_ERR_KEY with the fix. */
export function readPrivateKeyFile(file: string): Buffer {
  let st: fs.Stats;
  let text: string;
  try {
    st = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BraidError('BRAID_ERR_KEY', `private key file ${file} does not exist; create it with: braid genkey > ${file}`);
    throw new BraidError('BRAID_ERR_KEY', `cannot read private key file ${file}: ${(err as Error).message}`, { cause: err });
  }
  if ((st.mode & 0o077) !== 0) {
    throw new BraidError('BRAID_ERR_KEY', `private key file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${file}`);
  }
  const bytes = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text) || bytes.length !== 32) {
    throw new BraidError('BRAID_ERR_KEY', `private key file ${file} does not hold a key (expected 44 base64 characters); regenerate it with braid genkey`);
  }
  return bytes;
}
