import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BraidMetrics } from '../../src/metrics';
import { familyOf, parseExposition } from './metrics-exposition';
import { fakeStatus } from './metrics-fake-status';
import { ROOT, DASHBOARD, exprsOf, concrete } from '../support/dashboard';

const PROM_DIR = path.join(ROOT, 'deploy/prometheus');

const FUNCTIONS = new Set([
  'sum', 'avg', 'min', 'max', 'count', 'topk', 'bottomk', 'rate', 'irate', 'increase', 'changes', 'time',
  'histogram_quantile', 'last_over_time', 'count_over_time', 'max_over_time', 'abs', 'clamp_min', 'clamp_max',
]);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset']);
/** Series Prometheus makes itself, not the endpoint. */
const SYNTHETIC = new Set(['up']);

/** Metric names an expression reads, found by tokenizing after removing labels, ranges and grouping clauses. */
export function metricNames(expr: string): string[] {
  const bare = concrete(expr)
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b(group_left|group_right)\b/g, ' ');
  const names: string[] = [];
  const token = /[a-zA-Z_:][a-zA-Z0-9_:]*|\d+(?:\.\d+)?(?:e[+-]?\d+)?/g;
  let m: RegExpExecArray | null;
  while ((m = token.exec(bare))) {
    const word = m[0];
    if (/^\d/.test(word) || KEYWORDS.has(word)) continue;
    const isCall = /^\s*\(/.test(bare.slice(m.index + word.length));
    if (isCall) {
      expect(FUNCTIONS.has(word), `unknown PromQL function ${word} in: ${expr}`).to.equal(true);
      continue;
    }
    names.push(word);
  }
  return names;
}

function promtool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('deploy: Grafana dashboard and Prometheus files', () => {
  let exported: Set<string>;
  let types: Map<string, string>;

  before(async () => {
    const e = parseExposition(await new BraidMetrics({ snapshot: () => fakeStatus(2, 5) }).render());
    types = e.types;
    exported = new Set([...e.samples.keys()].map((k) => k.split('{')[0]));
  });

  function checkExists(name: string, where: string): void {
    if (SYNTHETIC.has(name)) return;
    const family = familyOf(name, types);
    expect(exported.has(name) || types.has(family), `${name} (used in ${where}) is not exported by the registry`).to.equal(true);
  }

  it('reads only metrics the registry exports', () => {
    const exprs = exprsOf(JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')));
    expect(exprs.length).to.be.greaterThan(30);
    const used = new Set(exprs.flatMap(metricNames));
    for (const name of used) checkExists(name, 'deploy/grafana/braid.json');
    // The panels the operator needs are there.
    for (const needed of ['braid_path_transmit_bytes_total', 'braid_path_estimated_rate_bytes', 'braid_path_rtt_seconds', 'braid_path_loss_ratio', 'braid_path_up', 'braid_tunnel_reorder_hold_seconds_bucket', 'braid_tunnel_reinjected_bytes_total', 'braid_dropped_packets_total', 'braid_user_transmit_bytes_total']) {
      expect(used.has(needed), needed).to.equal(true);
    }
  });

  it('the extractor finds names and would catch a typo', () => {
    expect(metricNames('sum by (path) (rate(braid_path_transmit_bytes_total{instance=~"$instance"}[$__rate_interval])) * 8 / 1e9')).to.deep.equal(['braid_path_transmit_bytes_total']);
    expect(metricNames('time() - max(braid_peer_last_handshake_timestamp_seconds) and on (peer) up')).to.deep.equal(['braid_peer_last_handshake_timestamp_seconds', 'up']);
    expect(() => checkExists('braid_path_rtt_secs', 'test')).to.throw(/not exported/);
  });

  it('every dashboard query is valid PromQL (promtool check rules)', () => {
    const exprs = exprsOf(JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-dash-'));
    try {
      const rules = ['groups:', '  - name: dashboard', '    rules:'];
      exprs.forEach((e, i) => rules.push(`      - record: dashboard:query_${i}`, `        expr: ${JSON.stringify(concrete(e))}`));
      const file = path.join(dir, 'rules.yml');
      fs.writeFileSync(file, rules.join('\n') + '\n');
      const r = promtool(['check', 'rules', file]);
      expect(r.status, r.out).to.equal(0);
      expect(r.out).to.include(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prometheus.yml and the alert rules validate and use exported metrics', () => {
    const c = promtool(['check', 'config', path.join(PROM_DIR, 'prometheus.yml')]);
    expect(c.status, c.out).to.equal(0);
    const r = promtool(['check', 'rules', path.join(PROM_DIR, 'braid-alerts.yml')]);
    expect(r.status, r.out).to.equal(0);
    const alerts = fs.readFileSync(path.join(PROM_DIR, 'braid-alerts.yml'), 'utf8');
    const exprs = [...alerts.matchAll(/^\s+expr: (.*)$/gm)].map((m) => m[1]);
    expect(exprs.length).to.be.greaterThan(5);
    for (const name of new Set(exprs.flatMap(metricNames))) checkExists(name, 'braid-alerts.yml');
  });
});
