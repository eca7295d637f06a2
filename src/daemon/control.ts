/**
 * The control socket server: a unix socket only root can use (socket 0600 in
 * a 0700 directory) that answers `braid status`, `braid top` and run-time
 * changes. The daemon passes a ControlHandler; this file only speaks the
 * protocol in control-protocol.ts.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { BraidError } from '../errors';
import { log } from '../log';
import { MAX_REQUEST_LINE, parseRequestLine, type ControlReply, type ControlRequest } from './control-protocol';
import type { EndpointStatus } from './status-types';

/** Implemented by the daemon. */
export interface ControlHandler {
  status(): EndpointStatus;
  /** Switches the path scheduler; throws a BraidError for an unknown name. */
  setScheduler(name: string): void;
}

export interface ControlServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

function answer(handler: ControlHandler, req: ControlRequest): unknown {
  switch (req.cmd) {
    case 'status':
      return handler.status();
    case 'paths':
      return handler.status().paths;
    case 'set-scheduler':
      handler.setScheduler(req.name!);
      log('info', 'control.set_scheduler', { scheduler: req.name });
      return { scheduler: handler.status().scheduler.name };
  }
}

function reply(handler: ControlHandler, line: string): ControlReply {
  let req: ControlRequest;
  try {
    req = parseRequestLine(line);
  } catch (err) {
    return { ok: false, error: { code: 'BRAID_ERR_USAGE', message: (err as Error).message } };
  }
  try {
    return { id: req.id, ok: true, result: answer(handler, req) };
  } catch (err) {
    const code = err instanceof BraidError ? err.code : 'BRAID_ERR_SYSTEM';
    if (!(err instanceof BraidError)) log('error', 'control.handler_failed', { cmd: req.cmd, error: String(err) });
    return { id: req.id, ok: false, error: { code, message: (err as Error).message } };
  }
}

function serve(handler: ControlHandler, sock: net.Socket): void {
  let buffered = '';
  sock.setEncoding('utf8');
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== '') sock.write(JSON.stringify(reply(handler, line)) + '\n');
    }
    if (buffered.length > MAX_REQUEST_LINE) {
      sock.end(JSON.stringify({ ok: false, error: { code: 'BRAID_ERR_USAGE', message: 'request line too long' } }) + '\n');
    }
  });
}

/** Resolves true if something answers on the socket (a live endpoint), false if it is stale. */
function isLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

async function prepare(socketPath: string): Promise<void> {
  const dir = path.dirname(socketPath);
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  else if (path.basename(dir) === 'braid') fs.chmodSync(dir, 0o700);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new BraidError('BRAID_ERR_CONTROL', `control_socket ${socketPath} exists and is not a socket; remove it or set endpoint.control_socket`);
  if (await isLive(socketPath)) {
    throw new BraidError('BRAID_ERR_ADDRESS_IN_USE', `another endpoint is running on control socket ${socketPath}; stop it first or give this one another name`);
  }
  fs.unlinkSync(socketPath); // left behind by an endpoint that died
}

/** Listens on `socketPath` (mode 0600); replaces a stale socket, refuses a live one. */
export async function startControlServer(socketPath: string, handler: ControlHandler): Promise<ControlServer> {
  try {
    await prepare(socketPath);
  } catch (err) {
    if (err instanceof BraidError) throw err;
    throw new BraidError('BRAID_ERR_CONTROL', `control socket ${socketPath}: ${(err as Error).message}; run as root or set endpoint.control_socket`, { cause: err });
  }
  const server = net.createServer((sock) => serve(handler, sock));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new BraidError('BRAID_ERR_CONTROL', `control socket ${socketPath}: ${err.message}`, { cause: err })));
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o600);
  return {
    socketPath,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        try {
          fs.unlinkSync(socketPath);
        } catch {
          // already gone
        }
      }),
  };
}
