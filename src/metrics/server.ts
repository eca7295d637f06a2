/**
 * The /metrics HTTP endpoint (and /healthz). Plain node:http; one scrape
 * renders one snapshot.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { BraidError } from '../errors';
import { log } from '../log';
import { BraidMetrics, type MetricsOptions, type MetricsSource } from './registry';

export interface MetricsServerOptions extends MetricsOptions {
  /** Address to listen on; port 0 picks a free port (tests). */
  host: string;
  port: number;
  source: MetricsSource;
}

export interface MetricsServer {
  /** The bound address, e.g. { host: '127.0.0.1', port: 9468 }. */
  readonly host: string;
  readonly port: number;
  readonly metrics: BraidMetrics;
  close(): Promise<void>;
}

function handle(metrics: BraidMetrics, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  if (url === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    return;
  }
  if (url !== '/metrics') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found; metrics are at /metrics\n');
    return;
  }
  metrics.render().then(
    (text) => {
      res.writeHead(200, { 'Content-Type': metrics.contentType });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    (err: unknown) => {
      log('error', 'metrics.scrape_failed', { error: String(err) });
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('scrape failed\n');
    },
  );
}

/** Starts serving; rejects with BRAID_ERR_ADDRESS_IN_USE (naming metrics_listen) when the port is taken. */
export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const metrics = new BraidMetrics(options.source, options);
  const server = http.createServer((req, res) => handle(metrics, req, res));
  const where = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new BraidError('BRAID_ERR_ADDRESS_IN_USE', `endpoint.metrics_listen: ${where} is already in use; stop the other process or set metrics_listen to a free port ("" turns metrics off)`, { cause: err }));
      } else if (err.code === 'EADDRNOTAVAIL') {
        reject(new BraidError('BRAID_ERR_CONFIG', `endpoint.metrics_listen: no local interface has address ${options.host}; use "127.0.0.1:${options.port}" or an address of this host`, { cause: err }));
      } else {
        reject(new BraidError('BRAID_ERR_SYSTEM', `endpoint.metrics_listen: cannot listen on ${where}: ${err.message}`, { cause: err }));
      }
    });
    server.listen(options.port, options.host, () => {
      const addr = server.address() as AddressInfo;
      resolve({
        host: addr.address,
        port: addr.port,
        metrics,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
