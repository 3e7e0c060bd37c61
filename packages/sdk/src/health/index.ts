export { HealthRegistry, MAX_ERROR_LENGTH } from './registry.js';
export type {
  HealthCheckFunction,
  HealthCheckOptions,
  HealthStatus,
  DependencyReport,
  HealthReport,
  ReadinessReport,
  LivenessReport,
  HealthLogger,
  HealthRegistryOptions,
} from './registry.js';
export { HealthMetricNames } from './metrics.js';
export { healthHandlers, HealthPaths } from './http.js';
export type { HealthHandlers, HealthRequestHandler } from './http.js';
export { installGracefulShutdown } from './shutdown.js';
export type {
  GracefulShutdown,
  GracefulShutdownOptions,
  ShutdownHook,
  ShutdownSummary,
} from './shutdown.js';
