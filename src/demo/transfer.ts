/**
 * A byte-exact TCP transfer for the demo and the end-to-end tests, run inside a namespace:
 *   node transfer.js serve PORT BYTES   sends BYTES of a fixed keystream to the first client, then exits
 *   node transfer.js fetch HOST PORT    prints {"progress":N} lines while receiving (every 100 ms),
 *                                       then {"bytes":N,"sha256":"..."} of what it received
 * The keystream (AES-128-CTR of zeros, fixed key) is incompressible and the same every run.
 */
import { createCipheriv, createHash } from 'crypto';
import * as net from 'net';

export function keystream(): { next(n: number): Buffer } {
  const c = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  return { next: (n) => c.update(Buffer.alloc(n)) };
}

export function expectedSha256(bytes: number): string {
  const ks = keystream();
  const h = createHash('sha256');
  for (let left = bytes; left > 0; left -= 65536) h.update(ks.next(Math.min(65536, left)));
  return h.digest('hex');
}

function serve(port: number, bytes: number): void {
  const server = net.createServer((sock) => {
    server.close();
    const ks = keystream();
    let left = bytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(65536, left);
        left -= n;
        if (!sock.write(ks.next(n))) return void sock.once('drain', pump);
      }
      sock.end();
    };
    pump();
  });
  server.listen(port, () => process.stdout.write('listening\n'));
}

function fetch(host: string, port: number): void {
  const h = createHash('sha256');
  let n = 0;
  const sock = net.connect(port, host);
  const tick = setInterval(() => process.stdout.write(JSON.stringify({ progress: n }) + '\n'), 100);
  sock.on('data', (d) => {
    h.update(d);
    n += d.length;
  });
  sock.on('end', () => {
    clearInterval(tick);
    process.stdout.write(JSON.stringify({ bytes: n, sha256: h.digest('hex') }) + '\n');
  });
  sock.on('error', (e) => {
    process.stderr.write(`fetch: ${e.message}\n`);
    process.exit(1);
  });
}

if (require.main === module) {
  const [mode, a, b] = process.argv.slice(2);
  if (mode === 'serve') serve(Number(a), Number(b));
  else if (mode === 'fetch') fetch(a, Number(b));
  else {
    process.stderr.write('usage: transfer serve PORT BYTES | fetch HOST PORT\n');
    process.exit(2);
  }
}
