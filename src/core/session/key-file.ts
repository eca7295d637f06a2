/**
 * Reads a private key file for the daemon. The one piece of file I/O in the
 * session folder: it runs once at startup, and keeping it beside the key
 * format keeps the permission rule next to the thing it protects.
 */
import * as fs from 'fs';
import { BraidError, fromSystemError } from '../../errors';
import { decodeKey } from './keys';

/**
 * Loads a base64 private key. Refuses a file that group or others can read,
 * like ssh refuses a loose private key: a leaked static key lets anyone
 * impersonate this endpoint.
 */
export function loadPrivateKeyFile(path: string): Uint8Array {
  let st: fs.Stats;
  let text: string;
  try {
    st = fs.statSync(path);
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BraidError('BRAID_ERR_KEY', `private key file ${path} does not exist; create it with 'braid genkey > ${path}'`);
    }
    throw fromSystemError(err, `reading private key file ${path}`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new BraidError(
      'BRAID_ERR_KEY',
      `private key file ${path} can be read or written by group or others (mode ${(st.mode & 0o777).toString(8)}); run 'chmod 600 ${path}'`,
    );
  }
  return decodeKey(text, `private key file ${path}`);
}
