export {
  collectProcessMetrics,
  DEFAULT_GC_DURATION_BUCKETS,
  DEFAULT_EVENT_LOOP_MONITORING_PRECISION_MS,
  PROCESS_METRIC_NAMES,
} from './process-metrics.js';
export type { ProcessMetricsOptions, ProcessMetricsHandle } from './process-metrics.js';
export {
  watchResources,
  defaultResourceThresholds,
  memoryLimitBytes,
  DEFAULT_HYSTERESIS_RATIO,
  DEFAULT_RESOURCE_WATCH_INTERVAL_MS,
  ResourceMetricNames,
} from './resource-watch.js';
export type {
  ResourceName,
  ResourceUnit,
  ResourceSample,
  ResourceSampler,
  ResourceThresholds,
  ResourceLogger,
  WatchResourcesOptions,
  ResourceStatus,
  ResourceWatch,
} from './resource-watch.js';
