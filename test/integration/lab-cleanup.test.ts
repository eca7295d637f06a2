/**
 * A lab leaves nothing behind: not after labDown, not after the process that
 * made it was killed (even half way through labUp) and `down --all` ran.
 * Every lab here is named bt-labc-<hex>-*, and `down --all` is limited to
 * that prefix so it never touches anyone else's lab.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ip, netnsList } from '../../src/io/ip';
import { labDown, labDownAll, labList, labStatus, labUp } from '../../src/lab/lab';
import { labDir } from '../../src/lab/state';

const DIST = path.resolve(__dirname, '..', '..');
const BRAID = path.resolve(DIST, '..', 'bin', 'braid');

/** Links and rules in the root namespace that could only come from a lab (other tests may change the rest meanwhile). */
function labTracesInRoot(): string[] {
  const names = new Set(['wifi', 'lte', 'dsl', 'lan', 'to-edge', 'to-gw', 'imp-up', 'imp-down']);
  const links = ip(['-o', 'link', 'show'])
    .split('\n')
    .map((l) => (l.split(':')[1] ?? '').trim().split('@')[0])
    .filter((n) => names.has(n));
  const rules = ip(['rule', 'show'])
    .split('\n')
    .filter((l) => /10\.20\.|to-edge|to-gw/.test(l));
  return [...links, ...rules];
}

function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(text)) pids.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function expectGone(name: string): void {
  expect(netnsList().filter((n) => n.startsWith(`${name}-`))).to.deep.equal([]);
  expect(processesMentioning(labDir(name))).to.deep.equal([]);
  expect(fs.existsSync(labDir(name))).to.equal(false);
  expect(labList()).to.not.include(name);
}

describe('lab cleanup', function () {
  this.timeout(60_000);
  const prefix = `bt-labc-${randomBytes(2).toString('hex')}`;

  after(async () => {
    await labDownAll({ prefix });
  });

  it('labDown removes namespaces, relays, processes inside and state, and touches nothing outside', async () => {
    const traces = labTracesInRoot();
    const name = `${prefix}-a`;
    const lab = await labUp({ name, paths: ['wifi', 'lte', 'dsl'] });
    expect(netnsList().filter((n) => n.startsWith(`${name}-`))).to.have.length(7);
    // A server a test forgot: it lives in the lab, so it goes with it.
    const stray = spawn('ip', ['netns', 'exec', lab.gwNs, 'sleep', '60'], { stdio: 'ignore', detached: true });
    const strayExit = new Promise((r) => stray.once('exit', r));
    await new Promise((r) => setTimeout(r, 100));
    await labDown(name);
    expectGone(name);
    await Promise.race([strayExit, new Promise((r) => setTimeout(r, 2000))]);
    expect(stray.signalCode ?? stray.exitCode, 'the stray process still runs').to.not.equal(null);
    expect(labTracesInRoot()).to.deep.equal(traces);
    await labDown(name); // idempotent
  });

  it('down --all removes a lab whose creator was killed, relays included', async () => {
    const name = `${prefix}-b`;
    const child = spawn(process.execPath, [BRAID, 'lab', 'up', '--name', name, '--paths', 'wifi,lte'], {
      env: { ...process.env, BRAID_DIST: path.basename(DIST) },
      stdio: 'ignore',
    });
    await new Promise((r) => child.once('exit', r));
    expect((await labStatus(name)).paths.every((p) => p.relay !== null)).to.equal(true);
    expect(processesMentioning(labDir(name))).to.have.length(2);
    const r = spawnSync(process.execPath, [BRAID, 'lab', 'down', '--all', '--prefix', prefix], {
      env: { ...process.env, BRAID_DIST: path.basename(DIST) },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include(name);
    expectGone(name);
  });

  it('down --all removes what a labUp killed half way left behind', async () => {
    let partial = 0;
    for (const afterStateMs of [0, 20, 60, 150]) {
      const name = `${prefix}-c${afterStateMs}`;
      const child = spawn(process.execPath, [BRAID, 'lab', 'up', '--name', name, '--paths', 'wifi,lte,dsl'], {
        env: { ...process.env, BRAID_DIST: path.basename(DIST) },
        stdio: 'ignore',
      });
      const exited = new Promise((r) => child.once('exit', r));
      // lab.json is written before anything is created: kill at points from there on.
      for (let i = 0; i < 500 && !fs.existsSync(path.join(labDir(name), 'lab.json')); i++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, afterStateMs));
      child.kill('SIGKILL');
      await exited;
      if (netnsList().some((n) => n.startsWith(`${name}-`))) partial++;
      await labDownAll({ prefix });
      expectGone(name);
    }
    expect(partial).to.be.at.least(1);
  });

  it('refuses to start a lab whose name is taken, naming the fix', async () => {
    const name = `${prefix}-d`;
    await labUp({ name, paths: ['clean'] });
    try {
      await labUp({ name, paths: ['clean'] }).then(
        () => expect.fail('second labUp succeeded'),
        (err: Error) => expect(err.message).to.match(/exists already; remove it with 'braid lab down/),
      );
    } finally {
      await labDown(name);
    }
  });

  it('drives a lab from the command line: up, set, status, down', async () => {
    const name = `${prefix}-e`;
    const env = { ...process.env, BRAID_DIST: path.basename(DIST) };
    const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
      spawnSync(process.execPath, [BRAID, 'lab', ...args], { env, encoding: 'utf8' });
    try {
      const up = run('up', '--name', name, '--paths', 'wifi,lte2:lte', '--json');
      expect(up.status, up.stderr).to.equal(0);
      expect(JSON.parse(up.stdout).paths.map((p: { name: string }) => p.name)).to.deep.equal(['wifi', 'lte2']);
      expect(run('set', name, 'lte2', 'delay=5ms', 'outage=on').status).to.equal(0);
      const bad = run('set', name, 'lte2', 'delay=soon');
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.match(/delay needs a duration/);
      const st = JSON.parse(run('status', name, '--json').stdout);
      expect(st.paths[1].paramsUp).to.include({ delayMs: 5, outage: true });
      expect(st.paths[1].relay.paramsDown).to.include({ delayMs: 5, outage: true });
      expect(run('set', name, 'lte2', 'dir=up', 'outage=off', 'rate=3mbit').status).to.equal(0);
      const st2 = JSON.parse(run('status', name, '--json').stdout);
      expect([st2.paths[1].relay.paramsUp.outage, st2.paths[1].relay.paramsDown.outage]).to.deep.equal([false, true]);
      expect([st2.paths[1].paramsUp.rateUp, st2.paths[1].paramsUp.rateDown]).to.deep.equal([3e6, 20e6]);
      expect(run('status', name).stdout).to.match(/path lte2:\n {2}up: {3}delay=5ms .*up=3mbit down=20mbit.*\n {2}down: delay=5ms .* outage=on/);
    } finally {
      expect(run('down', name).status).to.equal(0);
    }
    expectGone(name);
  });
});
