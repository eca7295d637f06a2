/**
 * The validated, defaulted configuration of one endpoint. Every quantity is in
 * base units: milliseconds, bytes, bytes per second. See docs/config.md.
 */
import type { Cidr, HostPort } from './net-values';

export type Role = 'edge' | 'gateway';
export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

export const SCHEDULER_NAMES = ['earliest-arrival', 'wrr', 'priority', 'lowest-latency', 'redundant'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export interface EndpointConfig {
  name: string;
  role: Role;
  privateKeyFile: string;
  /** Network namespace that holds the TUN device; default `braid-<name>`. */
  namespace: string;
  /** Tunnel addresses on the TUN device (IPv4 and/or IPv6). */
  addresses: Cidr[];
  /** Tunnel MTU; null = derive from the path MTU minus braid's overhead. */
  mtu: number | null;
  /** Where /metrics is served; null when metrics_listen = "" (off). */
  metricsListen: HostPort | null;
  logLevel: LogLevelName;
  /** Unix socket of `braid status` / `braid top`; default /run/braid/<name>.sock. */
  controlSocket: string;
}

export interface PathConfig {
  name: string;
  /** Local interface the path's socket is bound to (SO_BINDTODEVICE), or null. */
  interface: string | null;
  /** Local source address to bind, or null. At least one of interface/source is set. */
  source: string | null;
  /** Remote address for this path; default the edge's gateway. */
  remote: HostPort;
  /** Share for the wrr scheduler (relative, default 1). */
  weight: number;
  /** Carries data only while no non-backup path is up (the priority scheduler's tiers). */
  backup: boolean;
  /** Expected capacity in bytes per second (a starting estimate), or null. */
  rateHint: number | null;
}

export interface UserConfig {
  name: string;
  /** Inner source addresses/subnets that belong to this user. */
  match: Cidr[];
  class: 'normal' | 'priority';
  weight: number;
}

export interface EdgeConfig {
  gateway: HostPort;
  gatewayPublicKey: string;
  /** Send the host's own traffic through the tunnel (default route via braid). */
  wholeHost: boolean;
  /** DNS servers to use while the tunnel is up. */
  dns: string[];
  /** Inner destination subnets routed into the tunnel when wholeHost is false. */
  routes: Cidr[];
  /** LAN source subnets captured into the tunnel (site edge serving many users). */
  capture: Cidr[];
  paths: PathConfig[];
  users: UserConfig[];
}

export interface PeerConfig {
  name: string;
  publicKey: string;
  /** Cryptokey routing: inner addresses this peer may use and receives. */
  allowedIps: Cidr[];
}

export interface ForwardingConfig {
  mode: 'route' | 'nat';
  /** Interface towards the intranet/internet (required for nat). */
  outInterface: string | null;
  /** Intranet subnets reachable behind the gateway (pushed to edges as routes). */
  routes: Cidr[];
}

export interface GatewayConfig {
  listen: HostPort;
  peers: PeerConfig[];
  forwarding: ForwardingConfig;
}

export interface SchedulerConfig {
  name: SchedulerName;
  /** Resend data stuck on a slow or suspect path on another path, ahead of new data. */
  reinject: boolean;
  /** Most of the traffic proactive reinjection may add, 0..0.5 (failover of a dead path is not limited). */
  reinjectBudget: number;
}

export interface ReorderConfig {
  /** Longest time a packet waits for an earlier one (ms). */
  maxHoldMs: number;
  /** Cap on payload bytes held for reordering; beyond it the oldest holes are given up. */
  memoryBytes: number;
  /** Resend packets the peer proves lost, and wait for the peer's resends (set alike on both ends). */
  recoverLosses: boolean;
}

export interface ReConfig {
  enabled: boolean;
  /** Chunk cache size, the same on both ends (bytes, a power of two from 4 MiB to 512 MiB). */
  cacheBytes: number;
  /** Deflate each packet's literal (new) bytes when that is smaller: fewer bytes, ~3x the encode CPU. */
  literalCodec: 'none' | 'deflate';
  /** Which bytes may be referenced: the flow's own sent bytes at once ('flow'), or only acknowledged ones ('acked'). */
  gating: 'flow' | 'acked';
}

interface CommonConfig {
  /** Where the config came from (file path or a label), for messages. */
  source: string;
  endpoint: EndpointConfig;
  scheduler: SchedulerConfig;
  reorder: ReorderConfig;
  re: ReConfig;
}

export interface EdgeBraidConfig extends CommonConfig {
  role: 'edge';
  edge: EdgeConfig;
}

export interface GatewayBraidConfig extends CommonConfig {
  role: 'gateway';
  gateway: GatewayConfig;
}

/** Narrow on `role` to reach `edge` or `gateway`. */
export type BraidConfig = EdgeBraidConfig | GatewayBraidConfig;

export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9468';
