/**
 * One bulk TCP transfer through a system under test, with the CPU its
 * processes spent on it: the "Mbit/s and CPU seconds per GB" benchmark case,
 * shared by the peer VPN baselines and braid.
 */
import { cpuSecondsOf, cpuSecondsPerGb } from './cpu';
import { iperf3Tcp, type Iperf3TcpOptions } from './iperf3';

export interface ThroughputCaseOptions {
  clientNs?: string;
  serverNs?: string;
  /** Server address reached through the system under test (e.g. the far tunnel address). */
  serverAddr: string;
  seconds: number;
  /** Server sends, client receives. */
  reverse?: boolean;
  congestion?: string;
  /**
   * Processes whose CPU the transfer costs: the tunnel daemons on both ends.
   * Empty (bare link): cpuSeconds is 0 and cpuSecondsPerGb NaN.
   */
  pids?: readonly number[];
  /** Also count CPU of their waited-for children. */
  includeChildren?: boolean;
}

export interface ThroughputCaseResult {
  mbps: number;
  retransmits: number;
  /** Bytes the receiver got. */
  bytes: number;
  /** CPU seconds the pids used during the transfer (including iperf3's connect and teardown, ~0.1 s). */
  cpuSeconds: number;
  cpuSecondsPerGb: number;
}

export async function runThroughputCase(opts: ThroughputCaseOptions): Promise<ThroughputCaseResult> {
  const pids = opts.pids ?? [];
  const iperf: Iperf3TcpOptions = {
    clientNs: opts.clientNs,
    serverNs: opts.serverNs,
    serverAddr: opts.serverAddr,
    seconds: opts.seconds,
    reverse: opts.reverse,
    congestion: opts.congestion,
  };
  const before = cpuSecondsOf(pids, opts.includeChildren);
  const r = await iperf3Tcp(iperf);
  const cpu = pids.length > 0 ? cpuSecondsOf(pids, opts.includeChildren) - before : 0;
  return {
    mbps: r.mbps,
    retransmits: r.retransmits,
    bytes: r.bytes,
    cpuSeconds: cpu,
    cpuSecondsPerGb: pids.length > 0 ? cpuSecondsPerGb(cpu, r.bytes) : NaN,
  };
}
