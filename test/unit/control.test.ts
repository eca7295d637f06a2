import { expect } from 'chai';
import { execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { BraidError } from '../../src/errors';
import { startControlServer, type ControlHandler, type ControlServer } from '../../src/daemon/control';
import { controlRequest, fetchStatus, resolveControlSockets, setScheduler } from '../../src/daemon/control-client';
import type { EndpointStatus } from '../../src/daemon/status-types';
import { bar, renderTop } from '../../src/cli/commands/top';
import { fakeStatus } from './metrics-fake-status';

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.basename(path.resolve(__dirname, '../..'));

/** A handler like the daemon's: counters grow on every status request. */
function fakeHandler(): ControlHandler & { tick: number } {
  let scheduler = 'earliest-arrival';
  const h = {
    tick: 0,
    status(): EndpointStatus {
      h.tick++;
      const s = fakeStatus(h.tick, 3);
      return { ...s, scheduler: { ...s.scheduler, name: scheduler } };
    },
    setScheduler(name: string): void {
      if (!fakeStatus().scheduler.available.includes(name)) throw new BraidError('BRAID_ERR_USAGE', `unknown scheduler '${name}'`);
      scheduler = name;
    },
  };
  return h;
}

function braid(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/braid'), ...args], { env: { ...process.env, BRAID_DIST: DIST } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function rawLine(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath, () => c.write(line + '\n'));
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      buf += d;
      if (buf.includes('\n')) {
        c.end();
        resolve(buf.trim());
      }
    });
    c.on('error', reject);
  });
}

describe('control socket', () => {
  let dir: string;
  let sock: string;
  let server: ControlServer | undefined;
  let handler: ReturnType<typeof fakeHandler>;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-ctl-'));
    sock = path.join(dir, 'run', 'lap.sock');
    handler = fakeHandler();
    server = await startControlServer(sock, handler);
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is usable by root only: socket 0600 in a new 0700 directory', () => {
    expect(fs.statSync(sock).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.dirname(sock)).mode & 0o777).to.equal(0o700);
  });

  it('answers status with the daemon snapshot and switches the scheduler at run time', async () => {
    const s = await fetchStatus(sock);
    expect(s.paths.map((p) => p.name)).to.deep.equal(['wifi', 'eth', 'lte']);
    expect(await setScheduler(sock, 'wrr')).to.equal('wrr');
    expect((await fetchStatus(sock)).scheduler.name).to.equal('wrr');
  });

  it('passes the handler\'s error back with its code', async () => {
    const err = await setScheduler(sock, 'fastest').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BraidError);
    expect((err as BraidError).code).to.equal('BRAID_ERR_USAGE');
    expect((err as Error).message).to.equal("unknown scheduler 'fastest'");
  });

  it('speaks plain text lines too and survives bad requests', async () => {
    const bad = JSON.parse(await rawLine(sock, 'reboot')) as { ok: boolean; error: { message: string } };
    expect(bad.ok).to.equal(false);
    expect(bad.error.message).to.match(/unknown command 'reboot'/);
    expect(JSON.parse(await rawLine(sock, '{not json')).ok).to.equal(false);
    const paths = JSON.parse(await rawLine(sock, 'paths')) as { ok: boolean; result: { name: string }[] };
    expect(paths.result.map((p) => p.name)).to.include('lte');
    expect(((await controlRequest(sock, { id: 7, cmd: 'status' })) as EndpointStatus).endpoint.name).to.equal('lap');
  });

  it('replaces a stale socket but refuses to start beside a live endpoint', async () => {
    const err = await startControlServer(sock, handler).catch((e: unknown) => e);
    expect((err as BraidError).code).to.equal('BRAID_ERR_ADDRESS_IN_USE');
    expect((err as Error).message).to.match(/another endpoint is running on control socket/);
    // A stale socket file: left behind by a listener that was killed.
    const stale = path.join(dir, 'stale.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`]);
    try {
      await new Promise((r) => child.stdout.once('data', r));
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect(fs.existsSync(stale)).to.equal(true);
    const second = await startControlServer(stale, handler);
    expect((await fetchStatus(stale)).endpoint.name).to.equal('lap');
    await second.close();
  });

  it('braid status prints a table with every path and the session', async () => {
    const r = await braid('status', '--socket', sock);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^endpoint lap \(edge\)/);
    expect(r.stdout).to.match(/^session gw {2}established/m);
    expect(r.stdout).to.match(/^PATH +STATE +RTT/m);
    expect(r.stdout).to.match(/^wifi +up +80\.0 ms +8\.0 ms +4\.0% +50\.0 Mbit\/s/m);
    expect(r.stdout).to.match(/^eth +down +- /m);
    expect(r.stdout).to.match(/^lte +probing \(backup\)/m);
    expect(r.stdout).to.match(/^drops +decrypt_failed 1 +replayed 2/m);
  });

  it('braid status --json prints the snapshot', async () => {
    const r = await braid('status', '--socket', sock, '--json');
    expect(r.code, r.stderr).to.equal(0);
    const s = JSON.parse(r.stdout) as EndpointStatus;
    expect(s.paths).to.have.length(3);
    expect(s.tunnel.reorderHold.bounds).to.have.length(6);
  });

  it('braid status says in one line that nothing runs, and how to start it', async () => {
    const missing = path.join(dir, 'none.sock');
    const r = await braid('status', '--socket', missing);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`braid: no endpoint running (no control socket at ${missing}); start it with braid up CONFIG\n`);
    expect(() => resolveControlSockets(undefined, undefined, path.join(dir, 'empty'))).to.throw(/no control socket at .*empty\/\*\.sock/);
  });

  it('finds endpoints by name, by config file, and all of them in the run directory', () => {
    const run = path.dirname(sock);
    expect(resolveControlSockets('lap', undefined, run)).to.deep.equal([sock]);
    expect(resolveControlSockets(undefined, undefined, run)).to.deep.equal([sock]);
    expect(resolveControlSockets(path.join(ROOT, 'deploy/examples/laptop.toml'), undefined)).to.deep.equal(['/run/braid/laptop.sock']);
  });

  it('braid top shows per-path throughput computed between refreshes, then exits', async () => {
    const r = await braid('top', '--socket', sock, '--count', '2', '--interval', '0.2');
    expect(r.code, r.stderr).to.equal(0);
    const frames = r.stdout.split(/\n\n(?=endpoint )/);
    expect(frames).to.have.length(2);
    expect(frames[0]).to.match(/^wifi +up +·+ +\.\.\./m);
    // Second frame: wifi sent 4 MB more per tick over ~0.2 s, so well above a megabit.
    expect(frames[1]).to.match(/^wifi +up +█[█▏▎▍▌▋▊▉·]* +[\d.]+ (M|G)bit\/s/m);
    expect(frames[1]).to.match(/^eth +down /m);
  });
});

describe('braid top rendering', () => {
  it('scales bars to the larger of the estimated and measured rates', () => {
    const a = fakeStatus(1);
    const b = fakeStatus(2);
    const lines = renderTop(a, b, 1, 120).join('\n');
    // wifi sent 4 MB in 1 s = 32 Mbit/s; eth 3 MB; lte 3 MB; estimated max 50 Mbit/s
    expect(lines).to.match(/^wifi +up +█+.* 32\.0 Mbit\/s/m);
    expect(lines).to.match(/bars: full = 50\.0 Mbit\/s/);
    expect(bar(0.5, 10)).to.equal('█████·····');
    expect(bar(1, 4)).to.equal('████');
    expect(bar(0, 4)).to.equal('····');
  });
});
