/**
 * The relay's control socket: a unix socket in the lab's state directory,
 * one JSON request line per connection, one JSON reply line back. A unix
 * socket path works across network namespaces (it lives in the filesystem).
 */
import * as fs from 'fs';
import * as net from 'net';
import { BraidError } from '../errors';
import type { Impairment } from './impairment';
import type { DirectionCounters } from './relay';

export type ControlRequest =
  | { op: 'status' }
  | { op: 'set'; params: Partial<Impairment>; direction?: 'up' | 'down' | 'both' }
  | { op: 'stop' };

export interface RelayStatus {
  pid: number;
  /** What each direction runs with now (up = edge->gw). */
  paramsUp: Impairment;
  paramsDown: Impairment;
  up: DirectionCounters;
  down: DirectionCounters;
}

export type ControlReply = { ok: true; status?: RelayStatus } | { ok: false; error: string };

const MAX_REQUEST = 64 * 1024;

export function serveControl(socketPath: string, handle: (req: ControlRequest) => ControlReply): net.Server {
  try {
    fs.unlinkSync(socketPath); // a stale socket from a crashed relay
  } catch {
    // none there
  }
  const server = net.createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > MAX_REQUEST) conn.destroy();
        return;
      }
      let reply: ControlReply;
      try {
        reply = handle(JSON.parse(buf.slice(0, nl)) as ControlRequest);
      } catch (err) {
        reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      conn.end(JSON.stringify(reply) + '\n');
    });
    conn.on('error', () => conn.destroy());
  });
  server.listen(socketPath);
  return server;
}

/** Sends one request; rejects with a BraidError naming the socket if the relay does not answer in time. */
export function callControl(socketPath: string, req: ControlRequest, timeoutMs = 2000): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(socketPath);
    let buf = '';
    const fail = (why: string): void => {
      conn.destroy();
      reject(new BraidError('BRAID_ERR_CONTROL', `lab relay at ${socketPath} ${why}; 'braid lab down' and up again restarts it`));
    };
    conn.setTimeout(timeoutMs, () => fail('did not answer'));
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(JSON.stringify(req) + '\n'));
    conn.on('data', (chunk: string) => {
      buf += chunk;
    });
    conn.on('end', () => {
      try {
        resolve(JSON.parse(buf) as ControlReply);
      } catch {
        fail('sent a malformed reply');
      }
    });
    conn.on('error', (err) => fail(`is not reachable (${(err as NodeJS.ErrnoException).code ?? err.message})`));
  });
}
