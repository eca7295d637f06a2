/**
 * One CUBIC TCP flow through the model tunnel over wifi + LTE, per
 * scheduler and tunnel queue size:
 *   node dist/test/sim/tcp-report.js [seconds] [scheduler] [backpressure|drop] [recoverLossWithinMs] [holdMs]
 */
import { schedulerNames } from '../../src/core/sched/registry';
import { LTE, LTE_ROUGH, WIFI, sumRateMbit } from './profiles';
import { makeBond, percentile } from './scenario';
import { TcpModel } from './tcp-model';

const seconds = Number(process.argv[2] ?? 20);
const only = process.argv[3];
const mode = (process.argv[4] ?? 'backpressure') as 'backpressure' | 'drop' | 'codel';
const recover = Number(process.argv[5] ?? 0);
for (const rough of [false, true]) {
  for (const name of only ? [only] : schedulerNames()) {
    for (const q of [64, 128, 256, 512]) {
      const paths = [WIFI, rough ? LTE_ROUGH : LTE];
      const bond = makeBond({ paths, scheduler: name, saturateBytes: 0, recoverLossWithinMs: recover });
      bond.receiver.sackRanges = 64;
      const tcp = new TcpModel(bond, { queueLimitBytes: q * 1024, queueMode: mode, holdMs: Number(process.argv[6] ?? 80) });
      bond.net.clock.runUntil(3000);
      const b0 = tcp.deliveredBytes;
      bond.net.clock.runUntil(3000 + seconds * 1000);
      const mbit = ((tcp.deliveredBytes - b0) * 8) / (seconds * 1000 * 1000);
      const d = tcp.appDelays.slice(Math.floor(tcp.appDelays.length / 5));
      console.log(`${rough ? 'rough ' : ''}${name} ${mode} q=${q}KB: ${mbit.toFixed(1)} Mbit/s = ${((100 * mbit) / sumRateMbit(paths)).toFixed(1)} % of sum; delay p50 ${percentile(d, 50).toFixed(0)} p95 ${percentile(d, 95).toFixed(0)} ms; tunnel drops ${tcp.tunnelDrops}, retransmits ${tcp.retransmits}, RTOs ${tcp.rtos}; resent lost ${bond.sender.recoveredPackets}; share ${[...bond.sender.sentOn].map(([k, v]) => `${k}:${v}`).join(' ')}`);
    }
  }
}
