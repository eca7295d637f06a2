/**
 * The measurement functions against the real tools: iperf3, irtt and fping on
 * loopback for about a second each, a failover case over a veth pair cut with
 * nftables, and process reaping. Proves the toolkit measures something real
 * and leaves no process or namespace behind.
 */
import { expect } from 'chai';
import { iperf3Tcp } from '../bench/measure/iperf3';
import { irttProbe } from '../bench/measure/irtt';
import { pingQuantiles } from '../bench/measure/ping';
import { cpuSeconds } from '../bench/measure/cpu';
import { runFailoverCase } from '../bench/measure/failover-case';
import { bestPathRttMs, runLatencyCase } from '../bench/measure/latency-case';
import { liveProcessCount, runInNetns, startInNetns } from '../bench/measure/netns-process';
import { vethPairUp, type VethPair } from '../bench/measure/veth-pair';
import { MeasureError } from '../bench/measure/measure-error';
import { linkCounter, netnsExists, nft } from '../../src/io/ip';
import { labDown, labUp } from '../../src/lab/lab';
import { labPathControls } from '../bench/measure/lab-controls';
import { randomBytes } from 'crypto';

describe('measure: real tools', function () {
  this.timeout(30_000);

  afterEach(() => {
    expect(liveProcessCount(), 'processes left running').to.equal(0);
  });

  it('iperf3Tcp moves bytes over loopback and reaps its server', async () => {
    const r = await iperf3Tcp({ serverAddr: '127.0.0.1', seconds: 1 });
    expect(r.bytes).to.be.greaterThan(0);
    expect(r.mbps).to.be.greaterThan(0);
    expect(r.mbps).to.be.closeTo((r.bytes * 8) / r.seconds / 1e6, r.mbps * 0.01);
  });

  it('iperf3Tcp names the cause when the server cannot bind', async () => {
    let err: unknown;
    try {
      await iperf3Tcp({ serverAddr: '192.0.2.77', seconds: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(MeasureError);
    expect((err as Error).message).to.match(/iperf3.*(Cannot assign requested address|unable to start listener)/i);
  });

  it('irttProbe sends a 10 ms stream over loopback and every probe comes back', async () => {
    const r = await irttProbe({ addr: '127.0.0.1', intervalMs: 10, durationMs: 1000 });
    expect(r.sent).to.be.within(90, 101);
    expect(r.lost).to.equal(0);
    expect(r.rttQuantiles.n).to.equal(r.sent);
    expect(r.rttQuantiles.p50).to.be.greaterThan(0);
  });

  it('pingQuantiles reports every loopback echo', async () => {
    const r = await pingQuantiles({ addr: '127.0.0.1', count: 20, intervalMs: 10 });
    expect(r).to.include({ sent: 20, lost: 0 });
    expect(r.rttQuantiles.p99).to.be.greaterThan(0);
  });

  it('runInNetns kills a command whose time ran out', async () => {
    const r = await runInNetns(undefined, ['sleep', '30'], { timeoutMs: 200 });
    expect(r.timedOut).to.equal(true);
    expect(r.signal).to.equal('SIGTERM');
  });

  it('runInNetns reports a missing program instead of hanging', async () => {
    const r = await runInNetns(undefined, ['bt-no-such-program'], { timeoutMs: 5000 });
    expect(r.code).to.not.equal(0);
    expect(r.timedOut).to.equal(false);
    expect(r.stderr).to.match(/ENOENT/);
  });

  it('cpuSeconds counts a process, and its waited-for children when asked', async () => {
    // The child burns a fixed 0.3 s of CPU (not wall time, so load cannot flake it), then the shell waits on stdin.
    const burn = 'import time\ns=time.process_time()\nwhile time.process_time()-s<0.3: pass';
    const p = startInNetns(undefined, ['sh', '-c', `python3 -c '${burn}'; echo burned; exec sleep 30`], { timeoutMs: 20_000 });
    try {
      await p.waitForOutput(/burned/, 15_000);
      expect(cpuSeconds(p.pid, false)).to.be.lessThan(0.1);
      expect(cpuSeconds(p.pid, true)).to.be.at.least(0.29);
    } finally {
      await p.stop();
    }
    expect(cpuSeconds(p.pid)).to.equal(0); // exited: reads as 0
  });

  describe('over a veth pair', () => {
    let pair: VethPair | undefined;
    afterEach(() => {
      pair?.down();
      if (pair) expect(netnsExists(pair.a) || netnsExists(pair.b)).to.equal(false);
      pair = undefined;
    });

    it('a silent blackhole shows as one gap spanning the outage, and the path carries the stream again after the restore', async () => {
      pair = vethPairUp();
      const p = pair;
      const table = 'table inet bt_blackhole';
      const r = await runFailoverCase({
        clientNs: p.a,
        serverNs: p.b,
        addr: p.bAddr,
        // Replies leave b only while b receives probes: b's tx counter is "delivered over the path".
        pathBytes: () => ({ veth: linkCounter(p.bDev, 'tx_bytes', { netns: p.b }) }),
        blackhole: async () => nft(`add ${table}\nadd chain inet bt_blackhole in { type filter hook input priority 0; policy drop; }\n`, { netns: p.b }),
        restore: async () => nft(`delete ${table}\n`, { netns: p.b }),
        warmupMs: 300,
        outageMs: 400,
        afterMs: 700,
      });
      expect(r.path).to.equal('veth');
      expect(r.lostPackets).to.be.greaterThan(0);
      // Nothing can get through between the cut completing and the restore starting.
      expect(r.longestGapMs).to.be.at.least(r.restoreStartMs - r.cutAtMs - 2);
      const outageGaps = r.probe.gaps.filter((g) => g.endMs > r.cutAtMs && g.startMs < r.restoredAtMs);
      expect(outageGaps).to.have.length(1);
      expect(outageGaps[0].lost).to.equal(r.lostPackets);
      expect(r.failbackMs).to.be.a('number').and.not.NaN;
      expect(r.failbackMs).to.be.at.least(0);
    });

    it('added latency: about zero idle over the path itself, and a loaded run carries a flow while probing', async () => {
      pair = vethPairUp();
      const ends = { clientNs: pair.a, serverNs: pair.b, addr: pair.bAddr };
      const baselineMs = await bestPathRttMs([ends], 300);
      expect(baselineMs).to.be.greaterThan(0);
      const idle = await runLatencyCase({ ...ends, baselineMs, load: 'idle', durationMs: 300 });
      expect(idle.rtt.n).to.be.greaterThan(0);
      expect(idle.added.p50).to.be.closeTo(idle.rtt.p50 - baselineMs, 1e-9);
      const loaded = await runLatencyCase({ ...ends, baselineMs, load: 'tcp', durationMs: 300, loadRampMs: 300 });
      expect(loaded.flow?.bytes).to.be.greaterThan(0);
      expect(loaded.rtt.n).to.be.greaterThan(0);
    });
  });

  describe('over a lab', () => {
    let lab: string | undefined;
    afterEach(async () => {
      if (lab) await labDown(lab);
      lab = undefined;
    });

    it('labPathControls: the outage blackholes the busiest path, its delivered bytes stop, and resume after', async () => {
      lab = `bt-m${randomBytes(2).toString('hex')}`;
      const info = await labUp({ name: lab, paths: ['one:clean', 'two:clean'] });
      const controls = labPathControls(info);
      const r = await runFailoverCase({
        clientNs: info.edgeNs,
        serverNs: info.gwNs,
        addr: info.gwPublicAddr,
        ...controls,
        warmupMs: 300,
        outageMs: 400,
        afterMs: 700,
      });
      // Without a tunnel the stream follows the edge's preferred route, the first path, and cannot fail over.
      expect(r.path).to.equal('one');
      expect(r.longestGapMs).to.be.at.least(r.restoreStartMs - r.cutAtMs - 2);
      expect(r.lostPackets).to.be.greaterThan(0);
      expect(r.failbackMs).to.be.a('number').and.not.NaN;
    });
  });
});
