export {
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  TRACE_FLAG_SAMPLED,
  TRACE_FLAG_RANDOM,
  KNOWN_TRACE_FLAGS,
  MAX_TRACESTATE_MEMBERS,
  MAX_TRACESTATE_VALUE_LENGTH,
  isValidTraceId,
  isValidParentId,
  parseTraceparent,
  formatTraceparent,
  isValidTracestateKey,
  isValidTracestateValue,
  TraceState,
  parseTracestate,
  formatTracestate,
  VigilTraceContextPropagator,
} from './trace-context.js';
export type { TraceParent } from './trace-context.js';
export {
  SAMPLER_NAMES,
  DEFAULT_SAMPLER,
  DEFAULT_TRACES_ENDPOINT,
  DEFAULT_EXPORT_TIMEOUT_MS,
  DEFAULT_SERVICE_NAME,
  PROCESS_INSTANCE_ID,
  parseResourceAttributes,
  resolveTracingConfig,
} from './config.js';
export type {
  SamplerName,
  SamplerConfig,
  TracingOptions,
  ResolvedTracingConfig,
  ResourceAttributeValue,
} from './config.js';
export {
  startTracing,
  SPANS_DROPPED_METRIC,
  TRACE_EXPORT_FAILED,
  EXPORT_WARNING_INTERVAL_MS,
} from './provider.js';
export type { TracingHandle } from './provider.js';
export { withSpan, TRACER_NAME } from './with-span.js';
export {
  activeTraceIds,
  activeExemplarLabels,
  installTraceCorrelation,
  uninstallTraceCorrelation,
} from './correlation.js';
export { instrumentOutgoingHttp, OUTGOING_HTTP_INSTRUMENTATION_FAILED } from './outgoing.js';
export type { OutgoingHttpOptions, OutgoingHttpHandle } from './outgoing.js';
