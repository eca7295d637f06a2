/**
 * A prom-client metric whose values are read from an EndpointStatus snapshot
 * at scrape time. The data plane counts in typed arrays (a few ns per packet)
 * and never touches prom-client; this is the only place the two meet.
 */
import type { EndpointStatus, HistogramSnapshot } from '../daemon/status-types';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  value: number;
  labels?: Record<string, string | number>;
  /** For histograms: name_bucket / name_sum / name_count. */
  metricName?: string;
}

export interface MetricDef {
  name: string;
  help: string;
  type: MetricType;
  /** Appends this metric's samples for one snapshot; skip a series whose value is unknown. */
  read(s: EndpointStatus, out: Sample[]): void;
}

/** The shape prom-client's Registry expects from a metric. */
export class SnapshotMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly aggregator = 'sum';

  constructor(private readonly def: MetricDef, private readonly snapshot: () => EndpointStatus) {
    this.name = def.name;
    this.help = def.help;
    this.type = def.type;
  }

  async get(): Promise<{ name: string; help: string; type: MetricType; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    this.def.read(this.snapshot(), values);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    // Values come from the snapshot; nothing to reset here.
  }
}

/** Appends Prometheus histogram samples (cumulative buckets, +Inf, sum, count). */
export function histogramSamples(name: string, h: HistogramSnapshot, out: Sample[], labels: Record<string, string> = {}): void {
  let cumulative = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    cumulative += h.counts[i] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: h.bounds[i] }, value: cumulative });
  }
  cumulative += h.counts[h.bounds.length] ?? 0;
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: cumulative });
}
