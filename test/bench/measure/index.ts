/**
 * Measurement toolkit for the benchmarks: real tools (iperf3, irtt, fping)
 * run inside network namespaces, their output parsed, and the benchmark cases
 * built from them. Benchmarks import from here.
 */
export { MeasureError } from './measure-error';
export { runInNetns, runChecked, startInNetns, killAllStarted, NetnsProcess, type RunResult } from './netns-process';
export { iperf3Tcp, parseIperf3Json, type Iperf3TcpOptions, type Iperf3TcpResult } from './iperf3';
export { irttProbe, startIrttProbe, parseIrttJson, type IrttProbeOptions, type IrttProbeResult } from './irtt';
export { pingQuantiles, parseFpingCounts, type PingOptions, type PingResult } from './ping';
export { analyzeProbes, type ProbeRecord, type ProbeGap, type ProbeStats } from './probe-gaps';
export { quantiles, quantileSorted, type Quantiles } from './quantiles';
export { cpuSeconds, cpuSecondsOf, cpuSecondsPerGb, parseProcStat } from './cpu';
export { runThroughputCase, type ThroughputCaseOptions, type ThroughputCaseResult } from './throughput-case';
export { runFailoverCase, detectFailback, busiestPath, type FailoverCaseOptions, type FailoverCaseResult } from './failover-case';
export { vethPairUp, type VethPair } from './veth-pair';
export { Cleanup } from './cleanup';
export { runLatencyCase, bestPathRttMs, type LatencyCaseOptions, type LatencyCaseResult, type ProbeEnds } from './latency-case';
export { throughputRows, failoverRows, latencyRows, type BenchParams } from './bench-results';
export { startOpenvpnPair } from './peers/openvpn';
export { startWireguardGoPair } from './peers/wireguard-go';
export type { TunnelEnds, TunnelPair } from './peers/tunnel-pair';
export { labPathControls, rxBytesByDevice, type LabPathControls } from './lab-controls';
export { twoPathRequests, percentOfCapacity, TWO_PATH_CAPACITY_MBPS } from './two-path-lab';
