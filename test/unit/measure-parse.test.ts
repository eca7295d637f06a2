/**
 * Parsers of the measurement tools, on output captured from the real tools
 * (iperf3 3.12 and irtt 0.9.0 on this machine; the blackhole sample is a
 * 600 ms irtt stream between two namespaces whose receiver dropped the probes
 * with nftables for 200 ms).
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { parseIperf3Json } from '../bench/measure/iperf3';
import { parseIrttJson } from '../bench/measure/irtt';
import { parseFpingCounts } from '../bench/measure/ping';
import { parseProcStat } from '../bench/measure/cpu';
import { MeasureError } from '../bench/measure/measure-error';

// Fixtures stay in the source tree; from dist-*/test/unit that is three levels up.
const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'bench', 'measure', 'fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describe('measure: iperf3 JSON', () => {
  it('reads receiver goodput, bytes and sender retransmits of a loopback run', () => {
    const r = parseIperf3Json(fixture('iperf3-loopback.json'));
    expect(r.bytes).to.equal(2422079488);
    expect(r.mbps).to.be.closeTo(19364.146, 0.01);
    expect(r.retransmits).to.equal(12);
    expect(r.seconds).to.be.closeTo(1.0006, 0.0001);
  });

  it('reads a reverse (-R) run, where the server was the sender', () => {
    const r = parseIperf3Json(fixture('iperf3-loopback-reverse.json'));
    expect(r.bytes).to.equal(2371420107);
    expect(r.retransmits).to.equal(44);
    expect(r.mbps).to.be.closeTo(18970.77, 0.01);
  });

  it("turns iperf3's own error report into a MeasureError carrying its text", () => {
    expect(() => parseIperf3Json(fixture('iperf3-error.json')))
      .to.throw(MeasureError, /unable to connect to server: Connection refused/);
  });

  it('rejects output that is not JSON, quoting it', () => {
    expect(() => parseIperf3Json('iperf3: error - bad option\n')).to.throw(MeasureError, /unreadable JSON.*bad option/);
  });

  it('rejects JSON without a TCP summary', () => {
    expect(() => parseIperf3Json('{"start":{},"end":{}}')).to.throw(MeasureError, /sum_received/);
  });
});

describe('measure: irtt JSON', () => {
  it('a clean loopback stream: every probe answered, no gap beyond jitter', () => {
    const r = parseIrttJson(fixture('irtt-loopback.json'));
    expect(r.sent).to.equal(29);
    expect(r.lost).to.equal(0);
    expect(r.intervalMs).to.equal(10);
    expect(r.gaps).to.deep.equal([]);
    expect(r.longestGapMs).to.be.lessThan(30);
    expect(r.rttQuantiles.n).to.equal(29);
    // irtt's own RTT of probe 1 is 180052 ns, which is the median of this run.
    expect(r.rttQuantiles.p50).to.be.closeTo(0.180052, 1e-9);
  });

  it('a 200 ms blackhole: 21 probes lost, one gap of ~220 ms holding all of them', () => {
    const r = parseIrttJson(fixture('irtt-blackhole.json'));
    expect(r.sent).to.equal(60);
    expect(r.lost).to.equal(21);
    expect(r.gaps).to.have.length(1);
    expect(r.gaps[0].lost).to.equal(21);
    expect(r.longestGapMs).to.equal(r.gaps[0].durationMs);
    expect(r.longestGapMs).to.be.within(215, 225);
    // The gap starts at the last reply before the cut: probe 24's reply.
    const p24 = r.records.find((p) => p.seq === 24)!;
    expect(r.gaps[0].startMs).to.equal(p24.receivedAtMs);
    // Wall-clock ms since the epoch, comparable with Date.now().
    expect(r.gaps[0].startMs).to.be.within(Date.UTC(2020, 0), Date.UTC(2100, 0));
  });

  it('rejects output without round trips', () => {
    expect(() => parseIrttJson('{"stats":{}}')).to.throw(MeasureError, /round_trips/);
    expect(() => parseIrttJson('Error: no route')).to.throw(MeasureError, /unreadable/);
  });
});

describe('measure: fping -C output', () => {
  it('reads per-probe RTTs, with - as no reply', () => {
    expect(parseFpingCounts('127.0.0.1 : 0.396 0.027 - 0.024 0.020\n')).to.deep.equal([0.396, 0.027, null, 0.024, 0.02]);
    expect(parseFpingCounts('10.254.254.1 : - - -\n')).to.deep.equal([null, null, null]);
  });

  it('rejects output without a result line', () => {
    expect(() => parseFpingCounts('fping: can not resolve\n')).to.throw(MeasureError, /no result line/);
  });
});

describe('measure: /proc/PID/stat', () => {
  it('reads utime, stime and children times in seconds, even with spaces and parens in the name', () => {
    // Fields from utime on: utime=250 stime=130 cutime=7 cstime=3 (ticks).
    const line = '4242 (we (ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 130 7 3 20 0 3 0 12345 1000000 200 18446744073709551615';
    expect(parseProcStat(line, 100)).to.deep.equal({ user: 2.5, system: 1.3, children: 0.1 });
  });

  it('reads this process', () => {
    const t = parseProcStat(fs.readFileSync('/proc/self/stat', 'utf8'));
    expect(t.user + t.system).to.be.greaterThan(0);
  });
});
