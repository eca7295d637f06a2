/**
 * Whole-host mode: the laptop's own programs (not only `braid exec` ones)
 * reach the intranet through the tunnel, braid's path sockets still leave on
 * their interfaces, and stopping braid removes the policy routing.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { labTunnelUp, type LabTunnel } from '../../src/demo/lab-tunnel';

/** A UDP server on the intranet host that answers each datagram with the source address it saw. */
const ECHO_SOURCE = "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(r.address,r.port,r.address));s.bind(5500,()=>console.log('ready'))";

function askSource(ns: string, addr: string): string {
  const script = `const s=require('dgram').createSocket('udp4');s.on('message',m=>{console.log(String(m));process.exit(0)});` +
    `s.send('who',5500,'${addr}');setTimeout(()=>{console.log('timeout');process.exit(1)},3000)`;
  return spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { encoding: 'utf8' }).stdout.trim();
}

describe('whole-host mode on the edge', function () {
  this.timeout(120_000);
  let t: LabTunnel;
  let echo: ReturnType<typeof spawn>;

  before(async () => {
    t = await labTunnelUp({ name: `bt-${randomBytes(2).toString('hex')}`, paths: ['wifi', 'lte'], wholeHost: true });
    echo = spawn('ip', ['netns', 'exec', t.lab.appGwNs, process.execPath, '-e', ECHO_SOURCE], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => echo.stdout!.once('data', () => resolve()));
  });

  after(async () => {
    echo?.kill('SIGKILL');
    await t?.down();
  });

  it("sends the host's own traffic through the tunnel (the intranet sees the tunnel address)", async () => {
    const before = (await t.edgeStatus()).tunnel.txPackets;
    expect(askSource(t.lab.edgeNs, t.lab.appGwAddr)).to.equal(t.edgeTunAddr);
    expect((await t.edgeStatus()).tunnel.txPackets).to.be.greaterThan(before);
  });

  it('removes its routing rules when braid stops, so the host talks directly again', async () => {
    const rules = (): string => spawnSync('ip', ['-n', t.lab.edgeNs, 'rule', 'show'], { encoding: 'utf8' }).stdout;
    expect(rules()).to.match(/32100/);
    await t.stopEdge();
    expect(rules()).to.not.match(/32100|32090/);
    // the lab routes the edge host straight to the intranet over its first path: its own address shows
    expect(askSource(t.lab.edgeNs, t.lab.appGwAddr)).to.equal(t.lab.paths[0].edgeAddr);
  });
});

describe('gateway NAT into the intranet', function () {
  this.timeout(120_000);
  let t: LabTunnel;
  let echo: ReturnType<typeof spawn>;

  before(async () => {
    t = await labTunnelUp({ name: `bt-${randomBytes(2).toString('hex')}`, paths: ['wifi'], forwarding: 'nat' });
    echo = spawn('ip', ['netns', 'exec', t.lab.appGwNs, process.execPath, '-e', ECHO_SOURCE], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => echo.stdout!.once('data', () => resolve()));
  });

  after(async () => {
    echo?.kill('SIGKILL');
    await t?.down();
  });

  it("hides the clients behind the gateway's intranet address", () => {
    expect(askSource(t.edgeNs, t.lab.appGwAddr)).to.equal(t.lab.gwLanAddr);
  });
});
