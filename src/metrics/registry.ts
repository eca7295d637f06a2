/**
 * The Prometheus registry of one endpoint: every braid_* metric read from one
 * snapshot per scrape, plus prom-client's Node.js process metrics.
 */
import { performance } from 'perf_hooks';
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import type { EndpointStatus, UserStatus } from '../daemon/status-types';
import { endpointInfo, PATH_METRICS, RE_METRICS, SESSION_METRICS, TUNNEL_METRICS } from './braid-metrics';
import { SnapshotMetric, type MetricDef } from './snapshot-metric';
import { UserBound } from './user-bound';

/** Implemented by the daemon: builds a snapshot from the data plane's counters. */
export interface MetricsSource {
  snapshot(): EndpointStatus;
}

export interface MetricsOptions {
  /** Users with their own `user` label; the rest are summed into user="other". Default 20. */
  maxUsers?: number;
  /** Also export prom-client's process_* and nodejs_* metrics. Default true. */
  defaultMetrics?: boolean;
}

// A scrape reads every metric from the same snapshot; one taken this recently is reused.
const SNAPSHOT_REUSE_MS = 250;

function userMetric(name: string, help: string, value: (u: UserStatus) => number, bound: () => UserStatus[]): MetricDef {
  return {
    name,
    help,
    type: 'counter',
    read(_s, out) {
      for (const u of bound()) out.push({ labels: { user: u.name, class: u.class }, value: value(u) });
    },
  };
}

export class BraidMetrics {
  readonly registry = new Registry();
  private current: EndpointStatus | null = null;
  private takenAt = 0;
  private users: UserStatus[] = [];
  private readonly userBound: UserBound;

  constructor(private readonly source: MetricsSource, options: MetricsOptions = {}) {
    this.userBound = new UserBound(options.maxUsers ?? 20);
    const users = (): UserStatus[] => {
      this.snapshot();
      return this.users;
    };
    const defs: MetricDef[] = [
      endpointInfo(process.version),
      ...PATH_METRICS,
      ...TUNNEL_METRICS,
      ...SESSION_METRICS,
      ...RE_METRICS,
      userMetric('braid_user_transmit_bytes_total', 'Inner bytes sent into the tunnel for the user (bounded set, rest in user="other").', (u) => u.txBytes, users),
      userMetric('braid_user_receive_bytes_total', 'Inner bytes delivered from the tunnel to the user (bounded set, rest in user="other").', (u) => u.rxBytes, users),
      userMetric('braid_user_dropped_packets_total', 'Packets of the user dropped by its queue (bounded set, rest in user="other").', (u) => u.droppedPackets, users),
    ];
    for (const d of defs) this.registry.registerMetric(new SnapshotMetric(d, () => this.snapshot()) as unknown as Metric<string>);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Names of the braid_* metrics this registry exports (histograms without suffixes). */
  braidMetricNames(): string[] {
    return this.registry.getMetricsAsArray().map((m) => m.name).filter((n) => n.startsWith('braid_'));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text for one scrape, from a fresh snapshot. */
  async render(): Promise<string> {
    this.current = null;
    return this.registry.metrics();
  }

  private snapshot(): EndpointStatus {
    const now = performance.now();
    if (this.current === null || now - this.takenAt > SNAPSHOT_REUSE_MS) {
      this.current = this.source.snapshot();
      this.takenAt = now;
      this.users = this.userBound.bound(this.current.users);
    }
    return this.current;
  }
}
