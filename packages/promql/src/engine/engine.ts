import type { Queryable } from '@vigil/storage';
import type { QueryApi, QueryOptions, QueryResult } from '../query-api.js';

/** Engine settings; every field has the Prometheus default. */
export interface EngineOptions {
  /** Where series are read from. */
  readonly queryable: Queryable;
  /** How far back an instant selector looks for a sample, ms. Default 5 minutes. */
  readonly lookbackDeltaMs?: number;
  /** A query running or queued longer fails with `PROMQL_TIMEOUT`, ms. Default 2 minutes. */
  readonly timeoutMs?: number;
  /**
   * Most samples a query may hold in memory at once (loaded and computed);
   * beyond it the query fails with `PROMQL_TOO_MANY_SAMPLES`. Default 50 million.
   */
  readonly maxSamples?: number;
  /** Queries running at once; more wait their turn (within the timeout). Default 20. */
  readonly maxConcurrentQueries?: number;
  /** Step of a subquery written without one (`x[5m:]`), ms. Default 1 minute. */
  readonly defaultSubqueryStepMs?: number;
  /**
   * Allows the experimental syntax and functions Prometheus puts behind
   * feature flags (`limitk`, `info`, `anchored`, `fill()`, ...). Default false.
   */
  readonly experimental?: boolean;
}

/** The Prometheus defaults, exported so callers and docs quote one source. */
export const ENGINE_DEFAULTS = Object.freeze({
  lookbackDeltaMs: 5 * 60_000,
  timeoutMs: 2 * 60_000,
  maxSamples: 50_000_000,
  maxConcurrentQueries: 20,
  defaultSubqueryStepMs: 60_000,
  experimental: false,
});

/**
 * The PromQL engine: evaluates instant and range queries over a
 * `storage.Queryable` with Prometheus 3 semantics. One engine serves any
 * number of concurrent callers.
 */
export class Engine implements QueryApi {
  readonly options: Required<EngineOptions>;

  constructor(options: EngineOptions) {
    this.options = { ...ENGINE_DEFAULTS, ...options };
  }

  /** {@inheritDoc QueryApi.instantQuery} */
  instantQuery(query: string, timeMs: number, options?: QueryOptions): Promise<QueryResult> {
    return this.rangeQuery(query, timeMs, timeMs, 0, options);
  }

  /** {@inheritDoc QueryApi.rangeQuery} */
  rangeQuery(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    options?: QueryOptions,
  ): Promise<QueryResult> {
    void query;
    void startMs;
    void endMs;
    void stepMs;
    void options;
    return Promise.reject(new Error('not implemented yet'));
  }
}
