import type { QueryValue } from './value.js';

/** Per-call options of a {@link QueryApi} query. */
export interface QueryOptions {
  /** Aborts the query; it then fails with `PROMQL_CANCELED`. */
  readonly signal?: AbortSignal;
  /** Overrides the engine's lookback delta for this query, ms. */
  readonly lookbackDeltaMs?: number;
  /** A shorter timeout for this query, ms (the engine's own timeout still caps it). */
  readonly timeoutMs?: number;
}

/** What a query returns: its value and the annotations, rendered as the HTTP API shows them. */
export interface QueryResult {
  readonly value: QueryValue;
  /** `PromQL warning: … (line:col)` texts (or a remote backend's warnings as it sent them). */
  readonly warnings: readonly string[];
  /** `PromQL info: … (line:col)` texts. */
  readonly infos: readonly string[];
}

/**
 * The query interface `rules`, `slo` and `incidents` use: instant and range
 * PromQL queries by string. Implemented by the local {@link Engine} and, in
 * `apps/server`, by a client for a remote Prometheus-compatible HTTP API, so
 * the same SLO file runs on a laptop or against a cluster. Implementations
 * accept concurrent calls.
 *
 * Errors are `VigilError`s: `PROMQL_PARSE` (bad query), `PROMQL_EXECUTION`,
 * `PROMQL_TIMEOUT`, `PROMQL_CANCELED`, `PROMQL_TOO_MANY_SAMPLES`, and
 * `QUERY_REMOTE_FAILED` for a remote backend that cannot be reached.
 */
export interface QueryApi {
  /** Evaluates `query` at `timeMs` (ms since the epoch). */
  instantQuery(query: string, timeMs: number, options?: QueryOptions): Promise<QueryResult>;
  /**
   * Evaluates `query` at `startMs`, `startMs + stepMs`, … up to `endMs`
   * inclusive. The value is always a matrix.
   */
  rangeQuery(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    options?: QueryOptions,
  ): Promise<QueryResult>;
}
