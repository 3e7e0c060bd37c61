export {
  FaultInjector,
  FaultEnv,
  MAX_ACTIVE_FAULTS,
  DEFAULT_INJECTION_LOG_INTERVAL_MS,
} from './injector.js';
export type {
  FaultInjectorOptions,
  FaultDecision,
  ActiveFault,
  ActiveFaultState,
  FaultLogger,
} from './injector.js';
export {
  MAX_FAULT_DELAY_MS,
  MAX_FAULT_DURATION_MS,
  MAX_FAULT_DESCRIPTION_LENGTH,
  MAX_FAULT_MESSAGE_LENGTH,
  FAULT_ID_PATTERN,
} from './spec.js';
export type {
  FaultKind,
  FaultSpec,
  FaultSpecBase,
  FaultScope,
  LatencyDistribution,
  LatencyFaultSpec,
  ErrorFaultSpec,
  DependencyFaultSpec,
} from './spec.js';
export {
  DEFAULT_FAULT_ADMIN_PREFIX,
  MAX_FAULT_ADMIN_BODY_BYTES,
  MIN_FAULT_ADMIN_TOKEN_LENGTH,
  FAULT_ERROR_STATUS,
} from './admin.js';
export { FaultMetricNames } from './metrics.js';
export { MAX_ROUTE_TEMPLATE_LENGTH } from './route-match.js';
