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
};

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
