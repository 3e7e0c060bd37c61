/**
 * Stable error codes. A code never changes meaning once released; callers,
 * the HTTP layer and tests match on it instead of on message text.
 *
 * Grouped by the subsystem that raises them.
 */
export const ErrorCodes = {
  // Names and labels (model, sdk)
  METRIC_NAME_INVALID: 'METRIC_NAME_INVALID',
  LABEL_NAME_INVALID: 'LABEL_NAME_INVALID',
  LABEL_NAME_RESERVED: 'LABEL_NAME_RESERVED',
  LABEL_NAME_DUPLICATE: 'LABEL_NAME_DUPLICATE',
  LABEL_SET_MISMATCH: 'LABEL_SET_MISMATCH',
  LABEL_VALUE_INVALID: 'LABEL_VALUE_INVALID',
  // Metrics registry and instruments (sdk)
  METRIC_ALREADY_REGISTERED: 'METRIC_ALREADY_REGISTERED',
  METRIC_HELP_INVALID: 'METRIC_HELP_INVALID',
  METRIC_OPTIONS_INVALID: 'METRIC_OPTIONS_INVALID',
  COUNTER_INCREMENT_INVALID: 'COUNTER_INCREMENT_INVALID',
  VALUE_NOT_FINITE: 'VALUE_NOT_FINITE',
  HISTOGRAM_BUCKETS_INVALID: 'HISTOGRAM_BUCKETS_INVALID',
  EXEMPLAR_INVALID: 'EXEMPLAR_INVALID',
  COLLECT_FAILED: 'COLLECT_FAILED',
  COLLECT_TIMEOUT: 'COLLECT_TIMEOUT',
  METRIC_CARDINALITY_LIMIT: 'METRIC_CARDINALITY_LIMIT',
  // Exposition (exposition)
  EXPOSITION_PARSE: 'EXPOSITION_PARSE',
  EXPOSITION_LIMIT: 'EXPOSITION_LIMIT',
  // Health (sdk)
  HEALTH_CHECK_INVALID: 'HEALTH_CHECK_INVALID',
  HEALTH_CHECK_TIMEOUT: 'HEALTH_CHECK_TIMEOUT',
  SHUTDOWN_OPTIONS_INVALID: 'SHUTDOWN_OPTIONS_INVALID',
  // Logging (sdk)
  LOG_WRITE_FAILED: 'LOG_WRITE_FAILED',
  // Tracing (sdk)
  TRACE_EXPORT_FAILED: 'TRACE_EXPORT_FAILED',
  TRACE_INSTRUMENTATION_FAILED: 'TRACE_INSTRUMENTATION_FAILED',
  // Fault injection (sdk)
  FAULT_SPEC_INVALID: 'FAULT_SPEC_INVALID',
  FAULT_ID_CONFLICT: 'FAULT_ID_CONFLICT',
  FAULT_LIMIT_REACHED: 'FAULT_LIMIT_REACHED',
  FAULT_NOT_FOUND: 'FAULT_NOT_FOUND',
  FAULT_INJECTION_DISABLED: 'FAULT_INJECTION_DISABLED',
  FAULT_ADMIN_UNAUTHORIZED: 'FAULT_ADMIN_UNAUTHORIZED',
  FAULT_ADMIN_BAD_REQUEST: 'FAULT_ADMIN_BAD_REQUEST',
  FAULT_ADMIN_BODY_LIMIT: 'FAULT_ADMIN_BODY_LIMIT',
  FAULT_ADMIN_BAD_METHOD: 'FAULT_ADMIN_BAD_METHOD',
  // Database instrumentation (sdk)
  DB_INSTRUMENTATION_FAILED: 'DB_INSTRUMENTATION_FAILED',
  // Matchers (model)
  MATCHER_INVALID: 'MATCHER_INVALID',
  // Storage and the embedded TSDB (storage, tsdb)
  SERIES_LABELS_INVALID: 'SERIES_LABELS_INVALID',
  SAMPLE_OUT_OF_ORDER: 'SAMPLE_OUT_OF_ORDER',
  SAMPLE_DUPLICATE: 'SAMPLE_DUPLICATE',
  SAMPLE_OUT_OF_BOUNDS: 'SAMPLE_OUT_OF_BOUNDS',
  APPENDER_CLOSED: 'APPENDER_CLOSED',
  STORAGE_CLOSED: 'STORAGE_CLOSED',
  TSDB_CORRUPT: 'TSDB_CORRUPT',
  TSDB_LOCKED: 'TSDB_LOCKED',
  // Scraping (scrape)
  SCRAPE_FAILED: 'SCRAPE_FAILED',
  SCRAPE_BODY_LIMIT: 'SCRAPE_BODY_LIMIT',
  SCRAPE_SAMPLE_LIMIT: 'SCRAPE_SAMPLE_LIMIT',
  SCRAPE_TIMEOUT: 'SCRAPE_TIMEOUT',
  RELABEL_CONFIG_INVALID: 'RELABEL_CONFIG_INVALID',
  // Remote write (server)
  REMOTE_WRITE_INVALID: 'REMOTE_WRITE_INVALID',
  REMOTE_WRITE_BODY_LIMIT: 'REMOTE_WRITE_BODY_LIMIT',
  REMOTE_WRITE_UNSUPPORTED: 'REMOTE_WRITE_UNSUPPORTED',
  // PromQL (promql) and the query API (server)
  PROMQL_PARSE: 'PROMQL_PARSE',
  PROMQL_EXECUTION: 'PROMQL_EXECUTION',
  PROMQL_TIMEOUT: 'PROMQL_TIMEOUT',
  PROMQL_CANCELED: 'PROMQL_CANCELED',
  PROMQL_TOO_MANY_SAMPLES: 'PROMQL_TOO_MANY_SAMPLES',
  PROMQL_TOO_MANY_POINTS: 'PROMQL_TOO_MANY_POINTS',
  QUERY_BAD_REQUEST: 'QUERY_BAD_REQUEST',
  QUERY_REMOTE_FAILED: 'QUERY_REMOTE_FAILED',
  // Durations and times (model)
  DURATION_INVALID: 'DURATION_INVALID',
  // SLO specs (slo)
  SLO_SPEC_INVALID: 'SLO_SPEC_INVALID',
  // Configuration (all)
  CONFIG_INVALID: 'CONFIG_INVALID',
  // Rule files (rules)
  RULES_INVALID: 'RULES_INVALID',
  // Game days (server)
  GAMEDAY_SCENARIO_INVALID: 'GAMEDAY_SCENARIO_INVALID',
  GAMEDAY_TARGET_FAILED: 'GAMEDAY_TARGET_FAILED',
} as const;

/** One of the stable error codes in {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * The error type every Vigil package throws. `code` is stable and machine
 * readable; `message` says what was wrong and what to do about it.
 */
export class VigilError extends Error {
  /** Stable, machine-readable code. */
  readonly code: ErrorCode;
  /** Optional structured details (the offending name, the limit, ...). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VigilError';
    this.code = code;
    this.details = options?.details;
  }
}

/** True when `err` is a {@link VigilError}, optionally with the given code. */
export function isVigilError(err: unknown, code?: ErrorCode): err is VigilError {
  return err instanceof VigilError && (code === undefined || err.code === code);
}
