import { expect } from 'chai';
import { SeededRandom } from '../../src/core/random';
import { DelayLine } from '../../src/lab/delay-line';
import { formatParams, parseParams } from '../../src/lab/params';
import { PRESETS } from '../../src/lab/presets';
import { Relay, type PacketDevice } from '../../src/lab/relay';
import { resolvePath } from '../../src/lab/lab';
import { buildTopology } from '../../src/lab/topology';
import { tbfArgs } from '../../src/lab/rate-limit';
import { probeStats } from '../../src/lab/probe';

function pkt(id: number, len = 20): Buffer {
  const b = Buffer.alloc(len);
  b.writeUInt16BE(id, 0);
  return b;
}

describe('lab delay line', () => {
  it('releases packets by release time, ties in arrival order, with their bytes intact', () => {
    const line = new DelayLine(8, 64);
    line.push(30, pkt(1));
    line.push(10, pkt(2, 40));
    line.push(20, pkt(3));
    line.push(10, pkt(4));
    expect(line.nextReleaseAt()).to.equal(10);
    const out: Buffer[] = new Array(8);
    expect(line.popDue(9, out)).to.equal(0);
    const n = line.popDue(20, out);
    expect(out.slice(0, n).map((b) => b.readUInt16BE(0))).to.deep.equal([2, 4, 3]);
    expect(out[0].length).to.equal(40);
    expect(line.length).to.equal(1);
    expect(line.popDue(100, out)).to.equal(1);
    expect(line.nextReleaseAt()).to.equal(Infinity);
  });

  it('refuses packets when full or larger than a slot, and reuses freed slots', () => {
    const line = new DelayLine(2, 32);
    expect(line.push(1, pkt(1))).to.equal(true);
    expect(line.push(2, pkt(2))).to.equal(true);
    expect(line.push(3, pkt(3))).to.equal(false);
    expect(line.push(3, Buffer.alloc(33))).to.equal(false);
    const out: Buffer[] = new Array(1);
    expect(line.popDue(10, out)).to.equal(1); // at most out.length per call
    expect(line.push(3, pkt(3))).to.equal(true);
    expect(line.popDue(10, new Array(4)).valueOf()).to.equal(2);
  });

  it('keeps heap order over many random pushes and pops', () => {
    const rnd = new SeededRandom(11);
    const line = new DelayLine(1000, 32);
    const out: Buffer[] = new Array(1000);
    let now = 0;
    let pushed = 0;
    let popped = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 15; i++) {
        const at = now + rnd.int(100);
        line.push(at, pkt(at)); // the payload carries its own release time
        pushed++;
      }
      now += 10;
      const n = line.popDue(now, out);
      const times = out.slice(0, n).map((b) => b.readUInt16BE(0));
      for (let i = 0; i < n; i++) {
        expect(times[i]).to.be.at.most(now);
        if (i > 0) expect(times[i]).to.be.at.least(times[i - 1]);
      }
      popped += n;
      expect(line.nextReleaseAt()).to.be.above(now);
    }
    expect(popped + line.length).to.equal(pushed);
  });
});

class FakeTun implements PacketDevice {
  written: Buffer[] = [];
  onBatch: ((p: Buffer[], n: number) => void) | null = null;
  startReading(cb: (p: Buffer[], n: number) => void): void {
    this.onBatch = cb;
  }
  stopReading(): void {
    this.onBatch = null;
  }
  writeBatch(packets: Uint8Array[], count: number): void {
    for (let i = 0; i < count; i++) this.written.push(Buffer.from(packets[i]));
  }
  close(): void {}
  deliver(packets: Buffer[]): void {
    (this.onBatch as (p: Buffer[], n: number) => void)(packets, packets.length);
  }
}

describe('lab relay (fake TUNs)', () => {
  function relay(params = {}): { r: Relay; up: FakeTun; down: FakeTun } {
    const up = new FakeTun();
    const down = new FakeTun();
    const r = new Relay({ up, down, randomUp: new SeededRandom(1), randomDown: new SeededRandom(2), paramsUp: params, paramsDown: params, now: () => performance.now() });
    r.start();
    return { r, up, down };
  }

  it('writes packets straight back into the same TUN when nothing is configured', () => {
    const { r, up, down } = relay();
    up.deliver([pkt(1), pkt(2)]);
    down.deliver([pkt(3)]);
    expect(up.written.map((b) => b.readUInt16BE(0))).to.deep.equal([1, 2]);
    expect(down.written.map((b) => b.readUInt16BE(0))).to.deep.equal([3]);
    const c = r.counters();
    expect(c.up.forwardedPackets).to.equal(2);
    expect(c.down.rxBytes).to.equal(20);
    r.stop();
  });

  it('holds delayed packets (a copy: the read buffer may be reused) and releases them later', async () => {
    const { r, up } = relay({ delayMs: 5 });
    const b = pkt(7);
    up.deliver([b]);
    b.fill(0);
    expect(up.written).to.have.length(0);
    expect(r.counters().up.held).to.equal(1);
    for (let i = 0; i < 100 && up.written.length === 0; i++) await new Promise((res) => setTimeout(res, 2));
    expect(up.written.map((x) => x.readUInt16BE(0))).to.deep.equal([7]);
    r.stop();
  });

  it('counts drops by reason and applies changes live', () => {
    const { r, up } = relay({ outage: true });
    up.deliver([pkt(1), pkt(2)]);
    r.configure({ outage: false, lossPct: 100 });
    up.deliver([pkt(3)]);
    r.configure({ lossPct: 0 });
    up.deliver([pkt(4)]);
    const c = r.counters().up;
    expect([c.dropOutage, c.dropLoss, c.forwardedPackets]).to.deep.equal([2, 1, 1]);
    expect(r.params('up').lossPct).to.equal(0);
    r.stop();
  });

  it('changes one direction without touching the other', () => {
    const { r, up, down } = relay();
    r.configure({ outage: true }, 'down');
    up.deliver([pkt(1)]);
    down.deliver([pkt(2)]);
    expect([up.written.length, down.written.length]).to.deep.equal([1, 0]);
    expect([r.params('up').outage, r.params('down').outage]).to.deep.equal([false, true]);
    r.stop();
  });
});

describe('lab parameters, presets and topology', () => {
  it('parses the set language with units and round-trips through formatParams', () => {
    const p = parseParams(['delay=60ms', 'jitter=0.01s', 'loss=1%', 'burst=3', 'reorder=2', 'rate=20mbit', 'queue=80ms', 'outage=on']);
    expect(p).to.deep.equal({ delayMs: 60, jitterMs: 10, lossPct: 1, burst: 3, reorderPct: 2, rateUp: 20e6, rateDown: 20e6, queueMs: 80, outage: true });
    expect(parseParams(['up=500kbit', 'down=off'])).to.deep.equal({ rateUp: 500e3, rateDown: 0 });
    expect(parseParams(['mtu=1400', 'icmp=off'])).to.deep.equal({ mtu: 1400, pmtuIcmp: false });
    expect(() => parseParams(['mtu=9000'])).to.throw(/mtu must be a whole number from 68 to 1500/);
    const lte = PRESETS.lte;
    expect({ ...lte, ...parseParams(formatParams(lte).split(' ')) }).to.deep.equal(lte);
  });

  it('rejects bad input with a message naming the fix', () => {
    expect(() => parseParams(['delay=fast'])).to.throw(/delay needs a duration like 60ms/);
    expect(() => parseParams(['loss=150%'])).to.throw(/percentage from 0 to 100/);
    expect(() => parseParams(['speed=1'])).to.throw(/unknown parameter 'speed'; keys: delay/);
    expect(() => parseParams(['rate=fast'])).to.throw(/rate like 20mbit/);
    expect(() => resolvePath('wifi2')).to.throw(/use NAME:PRESET/);
  });

  it('resolves path requests from presets, names and overrides', () => {
    expect(resolvePath('lte').params).to.deep.equal(PRESETS.lte);
    expect(resolvePath('lte2:lte')).to.deep.include({ name: 'lte2', preset: 'lte' });
    const custom = resolvePath({ name: 'wifi', delayMs: 1 });
    expect(custom.params).to.deep.equal({ ...PRESETS.wifi, delayMs: 1 });
    expect(resolvePath('fast:direct')).to.deep.include({ name: 'fast', preset: 'direct', relay: false });
    expect(resolvePath({ name: 'x', relay: false, rateUp: 5e6 })).to.deep.include({ relay: false });
    expect(() => resolvePath({ name: 'x', preset: 'direct', delayMs: 5 })).to.throw(/has no relay/);
  });

  it('gives every path its own link addresses and the gateway one public address', () => {
    const info = buildTopology('lab-abcd', [resolvePath('wifi'), resolvePath('lte'), resolvePath('dsl')], '/run/x');
    expect(info.paths.map((p) => [p.edgeDev, p.edgeAddr, p.gwAddr, p.middleNs])).to.deep.equal([
      ['wifi', '10.20.1.2', '10.30.1.1', 'lab-abcd-p1'],
      ['lte', '10.20.2.2', '10.30.2.1', 'lab-abcd-p2'],
      ['dsl', '10.20.3.2', '10.30.3.1', 'lab-abcd-p3'],
    ]);
    expect(info.gwPublicAddr).to.equal('198.51.100.1');
    expect(() => buildTopology('lab-abcd', [resolvePath('wifi'), resolvePath('wifi')], '/x')).to.throw(/appears twice/);
    expect(() => buildTopology('Bad Name', [resolvePath('wifi')], '/x')).to.throw(/lab name/);
  });

  it('sizes the tbf bucket to a couple of ms at the rate, at least two frames', () => {
    expect(tbfArgs(100e6, 50)).to.deep.equal(['tbf', 'rate', '100000000bit', 'burst', '25000', 'latency', '50ms']);
    expect(tbfArgs(1e6, 200)).to.include('3028');
  });

  it('summarises a probe: loss bursts, reordering and delay quantiles', () => {
    const s = probeStats({ sent: 10, seqs: [0, 1, 4, 3, 5, 9], delaysMs: [1, 2, 3, 4, 5, 6] });
    expect(s.received).to.equal(6);
    expect(s.lossPct).to.equal(40);
    expect(s.meanLossBurst).to.equal(2); // runs {2} {6,7,8}... lost 2,6,7,8 in 2 runs
    expect(s.reorderedPct).to.be.closeTo(100 / 6, 1e-9);
    expect(s.p50).to.equal(3);
  });
});
