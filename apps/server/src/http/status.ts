/**
 * The one place where error codes become HTTP statuses.
 *
 * @module
 */
import { ErrorCodes, isVigilError } from '@vigil/model';
import type { ErrorCode } from '@vigil/model';

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCodes.REMOTE_WRITE_INVALID]: 400,
  [ErrorCodes.REMOTE_WRITE_BODY_LIMIT]: 413,
  [ErrorCodes.REMOTE_WRITE_UNSUPPORTED]: 415,
  [ErrorCodes.SERIES_LABELS_INVALID]: 400,
  [ErrorCodes.SAMPLE_OUT_OF_ORDER]: 400,
  [ErrorCodes.SAMPLE_DUPLICATE]: 400,
  [ErrorCodes.SAMPLE_OUT_OF_BOUNDS]: 400,
  [ErrorCodes.MATCHER_INVALID]: 400,
  [ErrorCodes.DURATION_INVALID]: 400,
  [ErrorCodes.EXPOSITION_PARSE]: 400,
  [ErrorCodes.EXPOSITION_LIMIT]: 413,
  [ErrorCodes.CONFIG_INVALID]: 400,
  [ErrorCodes.STORAGE_CLOSED]: 503,
  [ErrorCodes.TSDB_LOCKED]: 503,
  // The query API, with the statuses Prometheus's web/api/v1 uses.
  [ErrorCodes.PROMQL_PARSE]: 400,
  [ErrorCodes.QUERY_BAD_REQUEST]: 400,
  [ErrorCodes.PROMQL_TOO_MANY_POINTS]: 400,
  [ErrorCodes.PROMQL_EXECUTION]: 422,
  [ErrorCodes.PROMQL_TOO_MANY_SAMPLES]: 422,
  [ErrorCodes.PROMQL_TIMEOUT]: 503,
  // nginx's "client closed request": the caller went away (Prometheus 3 answers the same).
  [ErrorCodes.PROMQL_CANCELED]: 499,
  [ErrorCodes.QUERY_REMOTE_FAILED]: 502,
};

/** The `errorType` values of Prometheus's HTTP API. */
export type ApiErrorType =
  'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'unavailable' | 'not_found';

const API_ERROR_TYPE_BY_CODE: Partial<Record<ErrorCode, ApiErrorType>> = {
  [ErrorCodes.PROMQL_PARSE]: 'bad_data',
  [ErrorCodes.QUERY_BAD_REQUEST]: 'bad_data',
  [ErrorCodes.PROMQL_TOO_MANY_POINTS]: 'bad_data',
  [ErrorCodes.MATCHER_INVALID]: 'bad_data',
  [ErrorCodes.DURATION_INVALID]: 'bad_data',
  [ErrorCodes.PROMQL_EXECUTION]: 'execution',
  [ErrorCodes.PROMQL_TOO_MANY_SAMPLES]: 'execution',
  [ErrorCodes.PROMQL_TIMEOUT]: 'timeout',
  [ErrorCodes.PROMQL_CANCELED]: 'canceled',
  [ErrorCodes.STORAGE_CLOSED]: 'unavailable',
  [ErrorCodes.TSDB_LOCKED]: 'unavailable',
  [ErrorCodes.QUERY_REMOTE_FAILED]: 'unavailable',
};

/**
 * The Prometheus API `errorType` of an error (`/api/v1/query` and friends):
 * `bad_data` for what the client must change, `execution` for a query that
 * failed while running, `timeout`/`canceled`, `unavailable` while storage
 * or the remote backend cannot answer, `internal` for anything else,
 * including errors that are not a `VigilError`.
 */
export function apiErrorTypeFor(err: unknown): ApiErrorType {
  if (!isVigilError(err)) return 'internal';
  return API_ERROR_TYPE_BY_CODE[err.code] ?? 'internal';
}

/**
 * The HTTP status for an error: 4xx for what the client must change (the
 * request is not retried by Prometheus's remote-write sender), 503 when the
 * server is shutting down or unavailable (retried), 500 for anything else,
 * including errors that are not a `VigilError`.
 */
export function httpStatusFor(err: unknown): number {
  if (!isVigilError(err)) return 500;
  return STATUS_BY_CODE[err.code] ?? 500;
}

/**
 * A short, stable reason for metrics labels: the error code in lower case,
 * or `internal` for errors that are not a `VigilError`.
 */
export function reasonFor(err: unknown): string {
  return isVigilError(err) ? err.code.toLowerCase() : 'internal';
}
