import * as fs from 'fs';
import type { Command } from '../main';
import { optNumber, optString, parseArgs } from '../args';
import { UsageError } from '../../errors';
import { simulateTransfer, type LiteralCodec, type ReGating } from '../../core/re';

const USAGE = `usage: braid re-bench [--anchor BYTES] [--shift H] [--flows N] [--loss P] [--cache-mb MB]
                       [--ack-lag BYTES] [--gating flow|acked|off] [--literals none|deflate]
                       [--seed S] [--speed-runs R] OLD NEW
  Sends OLD then NEW through the RE encoder and decoder as the tunnel would (segments of
  1200-1360 bytes, NEW behind H header bytes, N-1 other flows interleaved, loss P with
  reordering, delivery reports ACK-LAG payload bytes late) and prints one JSON line
  (speeds: the fastest of R throughput passes, default 1):
  {new_in, new_wire, total_in, total_wire, ratio_new, ratio_total, encode_mbps, decode_mbps, verified, ...}`;

export const command: Command = {
  summary: 'measure redundancy elimination on two files (old, then new)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    if (args.positional.length !== 2) throw new UsageError(`needs OLD and NEW files\n${USAGE}`);
    const [oldPath, newPath] = args.positional;
    const loss = optNumber(args, 'loss', 0);
    if (loss < 0 || loss >= 1) throw new UsageError('--loss must be a probability in [0, 1)');
    const flows = optNumber(args, 'flows', 1);
    if (!Number.isInteger(flows) || flows < 1 || flows > 1000) throw new UsageError('--flows must be an integer from 1 to 1000');
    const shift = optNumber(args, 'shift', 0);
    if (!Number.isInteger(shift) || shift < 0 || shift > 1 << 20) throw new UsageError('--shift must be a byte count from 0 to 1048576');
    const cacheMb = optNumber(args, 'cache-mb', 128);
    const speedRuns = optNumber(args, 'speed-runs', 1);
    if (!Number.isInteger(speedRuns) || speedRuns < 1 || speedRuns > 100) throw new UsageError('--speed-runs must be an integer from 1 to 100');
    const gating = gatingOption(optString(args, 'gating') ?? 'flow');
    const oldData = readInput(oldPath);
    const newData = readInput(newPath);
    const result = simulateTransfer(oldData, newData, {
      anchor: optNumber(args, 'anchor', 128),
      shift,
      flows,
      loss,
      seed: optNumber(args, 'seed', 1),
      cacheBytes: cacheMb * (1 << 20),
      gating,
      literalCodec: literalOption(optString(args, 'literals') ?? 'none'),
      ackLagBytes: optNumber(args, 'ack-lag', 1 << 20),
      clock: () => process.cpuUsage().user / 1000, // CPU time: speed on one core, whatever else runs
      speedRuns,
    });
    process.stdout.write(JSON.stringify(result) + '\n');
    return result.verified ? 0 : 1;
  },
};

function readInput(path: string): Uint8Array {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read '${path}': ${(err as Error).message}; pass an existing file`);
  }
}

function gatingOption(v: string): ReGating {
  if (v === 'acked' || v === 'flow' || v === 'off') return v;
  throw new UsageError(`--gating must be acked, flow or off, got '${v}'`);
}

function literalOption(v: string): LiteralCodec {
  if (v === 'none' || v === 'deflate') return v;
  throw new UsageError(`--literals must be none or deflate, got '${v}'`);
}
