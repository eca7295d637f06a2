/** The Grafana dashboard's PromQL, for tests that check it against the registry and a real Prometheus. */
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../../..');
export const DASHBOARD = path.join(ROOT, 'deploy/grafana/braid.json');

/** Every `expr` in the dashboard (panels, nested rows, annotations). */
export function exprsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => exprsOf(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'expr' && typeof v === 'string') out.push(v);
      else exprsOf(v, out);
    }
  }
  return out;
}

export function dashboardExprs(): string[] {
  return exprsOf(JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')));
}

/** Grafana variables replaced by values PromQL accepts. */
export function concrete(expr: string): string {
  return expr.replace(/\$__rate_interval/g, '1m').replace(/\$instance/g, '.+');
}
