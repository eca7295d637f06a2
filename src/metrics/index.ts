/** Prometheus metrics of an endpoint: registry (read from snapshots) and the /metrics server. */
export { BraidMetrics, type MetricsSource, type MetricsOptions } from './registry';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './server';
