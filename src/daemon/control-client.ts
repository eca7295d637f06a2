/**
 * Client side of the control socket, used by `braid status`, `braid top` and
 * tests: one request, one reply line, errors as BraidErrors that say what to do.
 */
import * as fs from 'fs';
import * as net from 'net';
import { loadConfig } from '../config';
import { BraidError, type BraidErrorCode } from '../errors';
import { DEFAULT_CONTROL_DIR, type ControlReply, type ControlRequest } from './control-protocol';
import type { EndpointStatus } from './status-types';

function notRunning(socketPath: string): BraidError {
  return new BraidError('BRAID_ERR_CONTROL', `no endpoint running (no control socket at ${socketPath}); start it with braid up CONFIG`);
}

/** Sends one request and resolves to its result; rejects with a BraidError. */
export function controlRequest(socketPath: string, request: ControlRequest, timeoutMs = 3000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let buffered = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new BraidError('BRAID_ERR_CONTROL', `the endpoint on ${socketPath} did not answer within ${timeoutMs} ms; check its logs`));
    }, timeoutMs);
    const fail = (err: BraidError): void => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(request) + '\n'));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') fail(notRunning(socketPath));
      else if (err.code === 'EACCES' || err.code === 'EPERM') fail(new BraidError('BRAID_ERR_PERMISSION', `control socket ${socketPath} is for root only; run with sudo`));
      else fail(new BraidError('BRAID_ERR_CONTROL', `control socket ${socketPath}: ${err.message}`));
    });
    sock.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      let rep: ControlReply;
      try {
        rep = JSON.parse(buffered.slice(0, nl)) as ControlReply;
      } catch {
        reject(new BraidError('BRAID_ERR_CONTROL', `the endpoint on ${socketPath} sent an unreadable reply; are braid and the daemon the same version?`));
        return;
      }
      if (rep.ok) resolve(rep.result);
      else reject(new BraidError(rep.error.code as BraidErrorCode, rep.error.message));
    });
    sock.on('end', () => {
      if (!buffered.includes('\n')) fail(new BraidError('BRAID_ERR_CONTROL', `the endpoint on ${socketPath} closed the connection without answering`));
    });
  });
}

export async function fetchStatus(socketPath: string): Promise<EndpointStatus> {
  return (await controlRequest(socketPath, { cmd: 'status' })) as EndpointStatus;
}

export async function setScheduler(socketPath: string, name: string): Promise<string> {
  const r = (await controlRequest(socketPath, { cmd: 'set-scheduler', name })) as { scheduler: string };
  return r.scheduler;
}

/**
 * Which control sockets a `braid status [TARGET] [--socket P]` means: an
 * explicit socket, a config file's control_socket, an endpoint name, or every
 * socket in /run/braid when nothing is given.
 */
export function resolveControlSockets(target: string | undefined, socket: string | undefined, dir = DEFAULT_CONTROL_DIR): string[] {
  if (socket !== undefined) return [socket];
  if (target !== undefined) {
    if (target.endsWith('.toml') || target.includes('/')) return [loadConfig(target).endpoint.controlSocket];
    return [`${dir}/${target}.sock`];
  }
  let found: string[] = [];
  try {
    found = fs.readdirSync(dir).filter((f) => f.endsWith('.sock')).sort().map((f) => `${dir}/${f}`);
  } catch {
    // no directory: nothing running
  }
  if (found.length === 0) throw notRunning(`${dir}/*.sock`);
  return found;
}
