import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { BraidError } from '../../src/errors';
import { BraidMetrics, startMetricsServer } from '../../src/metrics';
import { fakeStatus } from './metrics-fake-status';
import { familyOf, parseExposition } from './metrics-exposition';

const ROOT = path.resolve(__dirname, '../../..');

function promtool(text: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function get(port: number, urlPath: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

describe('metrics: exposition', () => {
  it('passes promtool check metrics for every braid metric', async () => {
    const m = new BraidMetrics({ snapshot: () => fakeStatus(3) }, { defaultMetrics: false });
    const r = promtool(await m.render());
    expect(r.out).to.equal('');
    expect(r.status).to.equal(0);
  });

  it('with the Node.js defaults, promtool finds nothing to fix in braid_ metrics', async () => {
    const m = new BraidMetrics({ snapshot: () => fakeStatus(3) });
    const text = await m.render();
    expect(text).to.match(/^process_cpu_seconds_total /m);
    const r = promtool(text);
    // prom-client names a few gauges nodejs_*_total; that lint is prom-client's, not ours.
    const problems = r.out.split('\n').filter((l) => l.trim() !== '' && !/^nodejs_\w+_total non-counter/.test(l));
    expect(problems).to.deep.equal([]);
  });

  it('exports exactly the metrics listed in docs/metrics.md', async () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `(braid_[a-z_]+)` \|/gm)].map((m) => m[1]).sort();
    const m = new BraidMetrics({ snapshot: () => fakeStatus(2, 5) }, { defaultMetrics: false });
    expect(m.braidMetricNames().sort()).to.deep.equal(documented);
    const e = parseExposition(await m.render());
    const families = new Set([...e.samples.keys()].map((k) => familyOf(k, e.types)));
    expect([...families].sort(), 'every metric has samples with the full fake status').to.deep.equal(documented);
  });

  it('follows the naming conventions: counters end in _total, nothing else does, units in the name', async () => {
    const e = parseExposition(await new BraidMetrics({ snapshot: () => fakeStatus(1) }, { defaultMetrics: false }).render());
    for (const [name, type] of e.types) {
      expect(name.endsWith('_total'), name).to.equal(type === 'counter');
      if (type === 'gauge') expect(name, name).to.match(/_(info|up|state|seconds|bytes|ratio|packets|established)$/);
    }
  });

  it('counters never go down between scrapes as the data plane counts', async () => {
    let tick = 1;
    const m = new BraidMetrics({ snapshot: () => fakeStatus(tick, 30) }, { defaultMetrics: false, maxUsers: 5 });
    let prev = parseExposition(await m.render());
    for (tick = 2; tick <= 4; tick++) {
      const cur = parseExposition(await m.render());
      for (const [series, v] of cur.samples) {
        const type = cur.types.get(familyOf(series, cur.types));
        if (type !== 'counter' && type !== 'histogram') continue;
        const before = prev.samples.get(series);
        if (before !== undefined) expect(v, series).to.be.at.least(before);
      }
      prev = cur;
    }
    expect(prev.samples.get('braid_path_transmit_bytes_total{path="wifi"}')).to.equal(4_000_000 * 4);
  });

  it('turns a histogram snapshot into cumulative buckets', async () => {
    const e = parseExposition(await new BraidMetrics({ snapshot: () => fakeStatus(1) }, { defaultMetrics: false }).render());
    expect(e.samples.get('braid_tunnel_reorder_hold_seconds_bucket{le="0.001"}')).to.equal(50);
    expect(e.samples.get('braid_tunnel_reorder_hold_seconds_bucket{le="0.005"}')).to.equal(70);
    expect(e.samples.get('braid_tunnel_reorder_hold_seconds_bucket{le="+Inf"}')).to.equal(88);
    expect(e.samples.get('braid_tunnel_reorder_hold_seconds_count')).to.equal(88);
  });

  it('omits a path RTT until it is measured and the RE series while RE is off', async () => {
    const text = await new BraidMetrics({ snapshot: () => ({ ...fakeStatus(1), re: null }) }, { defaultMetrics: false }).render();
    expect(text).to.include('braid_path_rtt_seconds{path="wifi"}');
    expect(text).not.to.include('braid_path_rtt_seconds{path="eth"}');
    expect(text).not.to.match(/^braid_re_/m);
  });
});

describe('metrics: bounded user labels', () => {
  it('labels at most maxUsers users, the busiest, and sums the rest into "other"', async () => {
    const m = new BraidMetrics({ snapshot: () => fakeStatus(1, 50) }, { defaultMetrics: false, maxUsers: 5 });
    const e = parseExposition(await m.render());
    const users = [...e.samples.keys()].filter((k) => k.startsWith('braid_user_transmit_bytes_total'));
    expect(users).to.have.length(6);
    for (const u of ['u0', 'u1', 'u2', 'u3', 'u4', 'other']) expect(users.some((k) => k.includes(`user="${u}"`)), u).to.equal(true);
    // users u5..u49 sent (50-i)*1000 bytes each
    let rest = 0;
    for (let i = 5; i < 50; i++) rest += (50 - i) * 1000;
    expect(e.samples.get('braid_user_transmit_bytes_total{user="other",class="normal"}')).to.equal(rest);
  });

  it('keeps "other" monotonic when users leave and new ones arrive', async () => {
    let status = fakeStatus(1, 10);
    const m = new BraidMetrics({ snapshot: () => status }, { defaultMetrics: false, maxUsers: 2 });
    const key = 'braid_user_transmit_bytes_total{user="other",class="normal"}';
    const first = parseExposition(await m.render()).samples.get(key)!;
    status = { ...fakeStatus(2, 10), users: fakeStatus(2, 10).users.slice(0, 4) };
    const second = parseExposition(await m.render()).samples.get(key)!;
    expect(second).to.be.at.least(first);
    status = fakeStatus(3, 12);
    const third = parseExposition(await m.render()).samples.get(key)!;
    expect(third).to.be.at.least(second);
  });
});

describe('metrics: HTTP server', () => {
  it('serves /metrics and /healthz and answers 404 elsewhere', async () => {
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0, source: { snapshot: () => fakeStatus(1) }, defaultMetrics: false });
    try {
      const r = await get(s.port, '/metrics');
      expect(r.status).to.equal(200);
      expect(r.type).to.match(/^text\/plain; version=0\.0\.4/);
      expect(r.body).to.include('braid_path_up{path="wifi"} 1');
      expect((await get(s.port, '/healthz')).body).to.equal('ok\n');
      expect((await get(s.port, '/')).status).to.equal(404);
    } finally {
      await s.close();
    }
  });

  it('names metrics_listen when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await startMetricsServer({ host: '127.0.0.1', port, source: { snapshot: () => fakeStatus(1) }, defaultMetrics: false }).then(
        () => expect.fail('listened on a taken port'),
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(BraidError);
      expect((err as BraidError).code).to.equal('BRAID_ERR_ADDRESS_IN_USE');
      expect((err as Error).message).to.match(/^endpoint\.metrics_listen: 127\.0\.0\.1:\d+ is already in use/);
    } finally {
      blocker.close();
    }
  });

  it('prints the cost of one scrape (3 paths, 30 users, Node.js metrics included)', async () => {
    let tick = 1;
    const m = new BraidMetrics({ snapshot: () => fakeStatus(tick, 30) });
    await m.render();
    const n = 100;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      tick++;
      await m.render();
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / n;
    console.log(`      scrape: ${ms.toFixed(2)} ms`);
  });
});
