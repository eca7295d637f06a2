/** Byte-exact TCP transfers through a lab tunnel, for the end-to-end tests. */
import { spawn } from 'child_process';
import * as path from 'path';
import type { LabTunnel } from '../../src/demo/lab-tunnel';
import { linkCounter } from '../../src/io/ip';

const TRANSFER = path.join(__dirname, '..', '..', 'src', 'demo', 'transfer.js');

/** Serves BYTES from the intranet host and fetches them through the tunnel; resolves with what arrived. */
export async function transfer(t: LabTunnel, bytes: number, port: number, during?: () => Promise<void>): Promise<{ bytes: number; sha256: string }> {
  const server = spawn('ip', ['netns', 'exec', t.lab.appGwNs, process.execPath, TRANSFER, 'serve', String(port), String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout!.once('data', () => resolve());
      server.once('exit', () => reject(new Error('transfer server exited early')));
    });
    const client = spawn('ip', ['netns', 'exec', t.edgeNs, process.execPath, TRANSFER, 'fetch', t.lab.appGwAddr, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    client.stdout!.on('data', (d) => (out += d));
    const done = new Promise<void>((resolve) => client.once('exit', () => resolve()));
    if (during) await during();
    await done;
    return JSON.parse(out.trim().split('\n').pop() ?? '{}');
  } finally {
    server.kill('SIGKILL');
  }
}

/** Bytes the gateway has sent on a lab path's interface (the downstream direction of that path). */
export function gwPathTx(t: LabTunnel, name: string): number {
  return linkCounter(name, 'tx_bytes', { netns: t.lab.gwNs });
}
