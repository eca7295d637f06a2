import { expect } from 'chai';
import { TunnelPair } from '../sim/tunnel-pair';
import { ipv4Packet } from '../sim/inner-packets';
import { LTE_LAB, WIFI_10_LAB } from '../sim/profiles';
import type { PathProfile } from '../sim/network';

const SERVER = '10.254.0.10';
const EDGE = '10.77.0.2';
const SIZE = 1200;
const START = 600;
const MEASURE_FROM = 2600;
const END = 6600;

/**
 * One download through the real endpoints (gateway to edge, as in the lab's
 * iperf3 -R): the demand starts at 1 Mbit/s and doubles every 100 ms up to
 * 40 Mbit/s, as a TCP sender in slow start would, more than the paths carry.
 * Returns the goodput (Mbit/s) between 2.6 and 6.6 s and each gateway path's
 * rate estimate (Mbit/s) at the end.
 */
function download(paths: PathProfile[], seed: number): { mbit: number; estimates: number[] } {
  const pair = new TunnelPair({ paths, seed });
  pair.start();
  pair.run(500);
  let index = 0;
  const tick = (t: number): void => {
    pair.gwSend(ipv4Packet({ src: SERVER, dst: EDGE, sport: 80, dport: 40000, index: index++, size: SIZE }));
    const mbit = Math.min(40, 2 ** ((t - START) / 100));
    if (t < END) pair.net.clock.at(t + (SIZE * 8) / (mbit * 1000), tick);
  };
  pair.net.clock.at(START, tick);
  pair.run(MEASURE_FROM);
  const before = pair.deliveredAtEdge.length;
  pair.run(END);
  const mbit = ((pair.deliveredAtEdge.length - before) * SIZE * 8) / ((END - MEASURE_FROM) * 1000);
  const estimates = pair.gw.link(0)!.paths.paths.map((p) => (p.rateBytesPerMs * 8) / 1000);
  return { mbit, estimates };
}

describe('one download over Wi-Fi 10 Mbit/s + jittery lossy LTE 20 Mbit/s (lab presets, simulated)', () => {
  // Issue 4: in the lab this case got 14-15 Mbit/s, below LTE alone. The LTE path's delay
  // guard read 8 ms of jitter as a standing queue several times a second (measured against
  // the jitter's lowest sample), each verdict ended start-up or cut the estimate, and cuts
  // while draining compounded until the estimate fell to a fraction of a Mbit/s.
  for (const seed of [1, 3]) {
    it(`beats the best single path (LTE's full 20 Mbit/s), seed ${seed}`, () => {
      const both = download([WIFI_10_LAB, LTE_LAB], seed);
      expect(both.mbit).to.be.at.least(24);
      expect(both.estimates[1]).to.be.within(15, 25);
    });

    it(`keeps the LTE path alone near its rate instead of talking its estimate down, seed ${seed}`, () => {
      const lte = download([LTE_LAB], seed);
      expect(lte.mbit).to.be.at.least(8);
      expect(lte.estimates[0]).to.be.within(15, 25);
    });
  }
});
