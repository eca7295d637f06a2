import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BraidError } from '../../src/errors';
import { checkInterfaces, loadConfig, parseConfig, type BraidConfig } from '../../src/config';
import { parseDuration, parseRate, parseSize } from '../../src/config/quantities';

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.basename(path.resolve(__dirname, '../..'));
const EXAMPLES = path.join(ROOT, 'deploy/examples');
const KEY_A = 'RxoQc95svow4XVUs+nnM85jMpOX4h8NTtmP7qeF0J64=';
const KEY_B = 'TnH9Rw9xRPlln+skEhCGheGyOdcLhF7OqNH9QhIOBXE=';

const EDGE = `
[endpoint]
name = "lap"
role = "edge"
private_key_file = "lap.key"
address = ["10.77.0.2/24"]

[edge]
gateway = "192.0.2.1:51820"
[edge.peer]
public_key = "${KEY_A}"

[[edge.path]]
name = "wifi"
interface = "wlan0"

[[edge.path]]
name = "lte"
interface = "wwan0"
`;

const GATEWAY = `
[endpoint]
name = "gw"
role = "gateway"
private_key_file = "/etc/braid/gw.key"
address = ["10.77.0.1/24"]

[gateway]
listen = "0.0.0.0:51820"

[[peer]]
name = "a"
public_key = "${KEY_A}"
allowed_ips = ["10.77.0.2/32"]

[[peer]]
name = "b"
public_key = "${KEY_B}"
allowed_ips = ["10.77.0.3/32", "192.168.10.0/24"]
`;

/** Parses `text` and returns the error message (fails the test if it parses). */
function errorOf(text: string): string {
  try {
    parseConfig(text, 'test.toml');
  } catch (err) {
    expect(err).to.be.instanceOf(BraidError);
    const msg = (err as Error).message;
    expect(msg, 'one line').not.to.include('\n');
    return msg;
  }
  expect.fail('config was accepted');
}

describe('config: examples', () => {
  for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.toml'))) {
    it(`deploy/examples/${file} validates`, () => {
      const c = loadConfig(path.join(EXAMPLES, file));
      expect(c.endpoint.name).to.match(/^[a-z-]+$/);
    });
  }

  it('the laptop example has two paths to the gateway and sends the whole host', () => {
    const c = loadConfig(path.join(EXAMPLES, 'laptop.toml'));
    if (c.role !== 'edge') expect.fail('laptop is an edge');
    expect(c.edge.paths.map((p) => p.name)).to.deep.equal(['wifi', 'lte']);
    expect(c.edge.paths[1].rateHint).to.equal(20e6 / 8);
    expect(c.edge.paths[0].remote.text).to.equal('203.0.113.10:51820');
    expect(c.edge.wholeHost).to.equal(true);
    expect(c.reorder.maxHoldMs).to.equal(150);
  });

  it('the site gateway example routes into the intranet with two peers', () => {
    const c = loadConfig(path.join(EXAMPLES, 'site-gateway.toml'));
    if (c.role !== 'gateway') expect.fail('site-gw is a gateway');
    expect(c.gateway.peers.map((p) => p.name)).to.deep.equal(['laptop', 'branch']);
    expect(c.gateway.forwarding).to.deep.include({ mode: 'route', outInterface: 'eth1' });
    expect(c.re).to.deep.equal({ enabled: true, cacheBytes: 256 * 1024 * 1024, literalCodec: 'none', gating: 'flow' });
  });
});

describe('config: defaults', () => {
  it('fills every optional key of an edge', () => {
    const c = parseConfig(EDGE, 'lap.toml', { baseDir: '/etc/braid' });
    expect(c.endpoint).to.deep.include({
      namespace: 'braid-lap',
      privateKeyFile: '/etc/braid/lap.key',
      mtu: null,
      logLevel: 'info',
      controlSocket: '/run/braid/lap.sock',
    });
    expect(c.endpoint.metricsListen?.text).to.equal('127.0.0.1:9468');
    expect(c.scheduler).to.deep.equal({ name: 'earliest-arrival', reinject: true, reinjectBudget: 0.05 });
    expect(c.reorder).to.deep.equal({ maxHoldMs: 250, memoryBytes: 4 * 1024 * 1024, recoverLosses: true });
    expect(c.re.enabled).to.equal(false);
    if (c.role !== 'edge') expect.fail('edge');
    expect(c.edge.paths[0]).to.deep.include({ weight: 1, backup: false, rateHint: null, source: null });
    expect(c.edge.wholeHost).to.equal(false);
  });

  it('accepts top-level [[peer]] for a gateway and the gateway_public_key shorthand for an edge', () => {
    const g = parseConfig(GATEWAY) as Extract<BraidConfig, { role: 'gateway' }>;
    expect(g.gateway.peers[1].allowedIps.map((c) => c.text)).to.deep.equal(['10.77.0.3/32', '192.168.10.0/24']);
    const e = parseConfig(EDGE.replace(`[edge.peer]\npublic_key`, 'gateway_public_key'));
    expect(e.role === 'edge' && e.edge.gatewayPublicKey).to.equal(KEY_A);
  });

  it('turns metrics off with metrics_listen = ""', () => {
    const c = parseConfig(EDGE.replace('role = "edge"', 'role = "edge"\nmetrics_listen = ""'));
    expect(c.endpoint.metricsListen).to.equal(null);
  });
});

describe('config: errors name the key and the fix on one line', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown key with a suggestion', EDGE.replace('interface = "wwan0"', 'interfce = "wwan0"'), /^edge\.path\[1\]\.interfce: unknown key .*did you mean 'interface'/],
    ['misspelt section', EDGE.replace('[edge]', '[egde]'), /^egde: unknown key at the top level; did you mean 'edge'/],
    ['misspelt required key', EDGE.replace('name = "lap"', 'nmae = "lap"'), /^endpoint\.nmae: unknown key in \[endpoint\]; did you mean 'name'/],
    ['missing required key', EDGE.replace('name = "lap"', ''), /^endpoint\.name: is required, e\.g\. name = "laptop"/],
    ['bad scheduler name', EDGE + '\n[scheduler]\nname = "wrrr"\n', /^scheduler\.name: unknown value "wrrr"; did you mean "wrr"/],
    ['CIDR without prefix', EDGE.replace('10.77.0.2/24', '10.77.0.2'), /^endpoint\.address\[0\]: .*needs a prefix length/],
    ['bad address', EDGE.replace('10.77.0.2/24', '10.77.0.300/24'), /^endpoint\.address\[0\]: .*not a CIDR/],
    ['bad port', EDGE.replace('192.0.2.1:51820', '192.0.2.1:70000'), /^edge\.gateway: port must be an integer 1\.\.65535/],
    ['IPv6 without brackets', EDGE.replace('192.0.2.1:51820', '2001:db8::1:51820'), /^edge\.gateway: put IPv6 addresses in brackets/],
    ['short key', EDGE.replace(KEY_A, 'abc='), /^edge\.peer\.public_key: .*expected 44 base64 characters/],
    ['duplicate path name', EDGE.replace('name = "lte"', 'name = "wifi"'), /^edge\.path\[1\]\.name: path name 'wifi' is already used by edge\.path\[0\]/],
    ['duplicate interface', EDGE.replace('"wwan0"', '"wlan0"'), /^edge\.path\[1\]\.interface: interface 'wlan0' is already used/],
    ['path without interface', EDGE.replace('interface = "wwan0"', ''), /^edge\.path\[1\]: path 'lte' needs interface/],
    ['bad rate', EDGE.replace('"wwan0"', '"wwan0"\nrate = "20mbps"'), /^edge\.path\[1\]\.rate: .*rates are written in bits/],
    ['bad duration', EDGE + '\n[reorder]\nmax_hold = "150"\n', /^reorder\.max_hold: .*needs a time unit/],
    ['bad size', EDGE + '\n[re]\ncache_size = "64 furlongs"\n', /^re\.cache_size: /],
    ['RE cache not a power of two', EDGE + '\n[re]\ncache_size = "100MB"\n', /^re\.cache_size: must be a power of two from "4MiB" to "512MiB"/],
    ['unknown RE literal codec', EDGE + '\n[re]\nliteral_codec = "zstd"\n', /^re\.literal_codec: unknown value "zstd"; .*choose one of "none", "deflate"/],
    ['loss recovery not a boolean', EDGE + '\n[reorder]\nrecover_losses = "yes"\n', /^reorder\.recover_losses: expected true or false/],
    ['reinject budget out of range', EDGE + '\n[scheduler]\nreinject_budget = 0.9\n', /^scheduler\.reinject_budget: expected a fraction 0\.\.0\.5/],
    ['wrong type', EDGE.replace('name = "wifi"', 'name = "wifi"\nbackup = "yes"'), /^edge\.path\[0\]\.backup: expected true or false/],
    ['gateway section on an edge', EDGE + '\n[gateway]\nlisten = "0.0.0.0:1"\n', /^gateway: section \[gateway\] is for role = "gateway"/],
    ['no paths', EDGE.split('[[edge.path]]')[0], /^edge\.path: an edge needs at least one path/],
    ['both list spellings', EDGE + '\n[[path]]\nname = "x"\ninterface = "eth9"\n', /^path: write the list either as \[\[path\]\] or as \[\[edge\.path\]\]/],
    ['overlapping allowed_ips', GATEWAY.replace('"10.77.0.3/32"', '"10.77.0.2/31"'), /^peer\[1\]\.allowed_ips\[0\]: 10\.77\.0\.2\/31 overlaps 10\.77\.0\.2\/32 of 'a'/],
    ['same key twice', GATEWAY.replace(KEY_B, KEY_A), /^peer\[1\]\.public_key: public key .* is also used at peer\[0\]/],
    ['nat without out_interface', GATEWAY + '\n[gateway.forwarding]\nmode = "nat"\n', /^gateway\.forwarding\.out_interface: is required with mode = "nat"/],
    ['listen on a name', GATEWAY.replace('0.0.0.0:51820', 'gw.example:51820'), /^gateway\.listen: .*must be literal/],
    ['IPv6 address with a small mtu', EDGE.replace('["10.77.0.2/24"]', '["fd77::2/64"]\nmtu = 1200'), /^endpoint\.mtu: 1200 is below 1280/],
  ];
  for (const [what, text, pattern] of cases) {
    it(what, () => expect(errorOf(text)).to.match(pattern));
  }

  it('reports invalid TOML with file and line', () => {
    expect(errorOf('[endpoint]\nname = "x"\nrole = \n')).to.match(/^test\.toml:3:\d+: invalid TOML: /);
  });

  it('reports a missing file with BRAID_ERR_NOT_FOUND', () => {
    expect(() => loadConfig('/nonexistent/braid.toml')).to.throw(BraidError, /does not exist/);
  });
});

describe('config: quantities', () => {
  it('parses durations, rates and sizes into base units', () => {
    expect(parseDuration('k', '150ms')).to.equal(150);
    expect(parseDuration('k', '2s')).to.equal(2000);
    expect(parseDuration('k', '500us')).to.equal(0.5);
    expect(parseDuration('k', '1m')).to.equal(60000);
    expect(parseRate('k', '20mbit')).to.equal(2.5e6);
    expect(parseRate('k', '1.5GBit')).to.equal(1.5e9 / 8);
    expect(parseSize('k', '64MiB')).to.equal(64 * 1024 * 1024);
    expect(parseSize('k', '1GB')).to.equal(1e9);
    expect(parseSize('k', 4096)).to.equal(4096);
  });
});

describe('config: system checks', () => {
  it('accepts a path on an existing interface and names a missing one', () => {
    const ok = parseConfig(EDGE.replace('"wlan0"', '"lo"').replace('interface = "wwan0"', 'source = "127.0.0.1"'));
    checkInterfaces(ok);
    const bad = parseConfig(EDGE.replace('"wlan0"', '"lo"').replace('"wwan0"', '"bt-nonexist9"'));
    expect(() => checkInterfaces(bad)).to.throw(BraidError, /^edge\.path\[1\]\.interface: no interface 'bt-nonexist9' on this host \(have: /);
  });
});

describe('braid check', () => {
  function braid(...args: string[]) {
    return spawnSync(process.execPath, [path.join(ROOT, 'bin/braid'), 'check', ...args], {
      encoding: 'utf8',
      env: { ...process.env, BRAID_DIST: DIST },
    });
  }

  it('prints a summary and exits 0 for a valid file', () => {
    const r = braid(path.join(EXAMPLES, 'laptop.toml'), '--no-system');
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/laptop\.toml: ok/);
    expect(r.stdout).to.match(/path wifi: interface wlan0/);
    expect(r.stdout).to.match(/path lte: interface wwan0/);
  });

  it('prints one line naming file and key and exits 1 for a bad file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-check-'));
    try {
      const f = path.join(dir, 'bad.toml');
      fs.writeFileSync(f, EDGE.replace('"wwan0"', '"wlan0"'));
      const r = braid(f, '--no-system');
      expect(r.status).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(/^braid check: .*bad\.toml: edge\.path\[1\]\.interface: interface 'wlan0' is already used/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks the key file: refuses one others can read, accepts it after chmod 600', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-check-'));
    try {
      const key = path.join(dir, 'lap.key');
      fs.writeFileSync(key, KEY_A + '\n');
      fs.chmodSync(key, 0o644);
      const conf = path.join(dir, 'lap.toml');
      fs.writeFileSync(conf, EDGE.replace('"wlan0"', '"lo"').replace('interface = "wwan0"', 'source = "127.0.0.1"'));
      const loose = braid(conf);
      expect(loose.status).to.equal(1);
      expect(loose.stderr).to.match(/private key file .*lap\.key can be read or written by group or others .*chmod 600/);
      fs.chmodSync(key, 0o600);
      const ok = braid(conf);
      expect(ok.status, ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/path wifi: interface lo/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks interfaces unless told not to', () => {
    const r = braid(path.join(EXAMPLES, 'laptop.toml'));
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/edge\.path\[0\]\.interface: no interface 'wlan0'/);
  });
});
