/**
 * The operator's view, for real: a Prometheus server scrapes a running edge
 * while traffic flows, and every query of the Grafana dashboard runs against
 * it without error; the braid series it reads all exist in the scrape.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labTunnelUp, type LabTunnel } from '../../src/demo/lab-tunnel';
import { concrete, dashboardExprs } from '../support/dashboard';

const PROM_PORT = 19090;

/** Runs a small Node script inside a namespace and returns its stdout. */
function inNs(ns: string, script: string, input = ''): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { input, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`script in ${ns} failed: ${r.stderr}`);
  return r.stdout;
}

const HTTP_GET = (url: string): string =>
  `require('http').get(${JSON.stringify(url)},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>process.stdout.write(b))}).on('error',e=>{console.error(e.message);process.exit(1)})`;

describe('Prometheus scrapes a running endpoint and runs every dashboard query', function () {
  this.timeout(120_000);
  let t: LabTunnel;
  let prom: ChildProcess | undefined;
  let dir: string;

  before(async () => {
    t = await labTunnelUp({ name: `bt-${randomBytes(2).toString('hex')}`, paths: ['wifi', 'lte'], re: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-prom-'));
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: braid', '    static_configs:', "      - targets: ['127.0.0.1:9468']"].join('\n') + '\n',
    );
    prom = spawn('ip', ['netns', 'exec', t.lab.edgeNs, 'prometheus', `--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${PROM_PORT}`], { stdio: 'ignore' });
    // traffic, so rates and histograms have data
    spawnSync('ip', ['netns', 'exec', t.edgeNs, 'ping', '-c', '20', '-i', '0.1', t.lab.appGwAddr]);
    // Prometheus takes a few seconds to start: wait (bounded) for a few scrapes of the edge to be stored
    const until = Date.now() + 45_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      let samples = 0;
      try {
        const q = JSON.parse(inNs(t.lab.edgeNs, HTTP_GET(`http://127.0.0.1:${PROM_PORT}/api/v1/query?query=count_over_time(braid_path_up[1m])`)));
        samples = Number(q.data?.result?.[0]?.value?.[1] ?? 0);
      } catch {
        // not listening yet
      }
      if (samples >= 3 || Date.now() > until) break;
    }
  });

  after(async () => {
    prom?.kill('SIGKILL');
    await t?.down();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scraped the edge (target up) and stores its braid series', () => {
    const targets = JSON.parse(inNs(t.lab.edgeNs, HTTP_GET(`http://127.0.0.1:${PROM_PORT}/api/v1/targets`)));
    const target = targets.data.activeTargets[0];
    expect(target.health, target.lastError).to.equal('up');
  });

  it('answers every dashboard query without error, with data for each braid metric it reads', () => {
    const exprs = dashboardExprs().map(concrete);
    expect(exprs.length).to.be.greaterThan(20);
    const script = `
      const exprs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      const http = require('http');
      const get = (q) => new Promise((res, rej) => http.get('http://127.0.0.1:${PROM_PORT}/api/v1/query?query=' + encodeURIComponent(q),
        r => { let b=''; r.on('data', d => b += d); r.on('end', () => res(JSON.parse(b))); }).on('error', rej));
      (async () => { const out = []; for (const e of exprs) out.push(await get(e)); console.log(JSON.stringify(out)); })();`;
    const results = JSON.parse(inNs(t.lab.edgeNs, script, JSON.stringify(exprs))) as Array<{ status: string; error?: string }>;
    results.forEach((r, i) => expect(r.status, `${exprs[i]}: ${r.error}`).to.equal('success'));
    // every braid_* series the dashboard reads is present in the stored data
    const names = new Set(exprs.flatMap((e) => e.match(/braid_[a-z_]+/g) ?? []));
    const stored = JSON.parse(inNs(t.lab.edgeNs, HTTP_GET(`http://127.0.0.1:${PROM_PORT}/api/v1/label/__name__/values`))).data as string[];
    const missing = [...names].filter((n) => !stored.includes(n) && !stored.includes(n.replace(/_(bucket|sum|count)$/, '') + '_bucket'));
    expect(missing, 'dashboard metrics missing from a real scrape').to.deep.equal([]);
  });
});
