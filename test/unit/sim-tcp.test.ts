import { expect } from 'chai';
import { LTE, LTE_ROUGH, WIFI } from '../sim/profiles';
import { makeBond } from '../sim/scenario';
import { TcpModel } from '../sim/tcp-model';

/** One CUBIC flow through the model tunnel: Mbit/s of in-order delivery between 3 s and 3 s + `seconds`. */
function tcpGoodput(lte: typeof LTE, opts: { queueKB: number; recover?: number; seconds?: number }): number {
  const seconds = opts.seconds ?? 8;
  const bond = makeBond({ paths: [WIFI, lte], saturateBytes: 0, recoverLossWithinMs: opts.recover ?? 0 });
  bond.receiver.sackRanges = 64;
  const tcp = new TcpModel(bond, { queueLimitBytes: opts.queueKB * 1024, holdMs: 80 });
  bond.net.clock.runUntil(3000);
  const b0 = tcp.deliveredBytes;
  bond.net.clock.runUntil(3000 + seconds * 1000);
  return ((tcp.deliveredBytes - b0) * 8) / (seconds * 1e6);
}

describe('sim: one TCP flow over wifi 40 Mbit/s 20 ms + LTE 20 Mbit/s 60 ms (earliest-arrival)', () => {
  it('reaches at least 92 % of the sum of the path rates, even when only 64 KB may wait in the tunnel', () => {
    expect(tcpGoodput(LTE, { queueKB: 64 })).to.be.at.least(0.92 * 60);
    expect(tcpGoodput(LTE, { queueKB: 512 })).to.be.at.least(0.92 * 60);
  });

  it('with 0.5 % loss and jitter on LTE, needs tunnel-level loss recovery to stay above the best path', () => {
    const without = tcpGoodput(LTE_ROUGH, { queueKB: 128 });
    const withRecovery = tcpGoodput(LTE_ROUGH, { queueKB: 128, recover: 100 });
    expect(withRecovery).to.be.at.least(0.9 * 60);
    expect(without).to.be.below(withRecovery);
  });
});
