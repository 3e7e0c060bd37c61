import { ErrorCodes, VigilError } from '@vigil/model';
import { compareLabels, type Queryable } from '@vigil/storage';
import { Annotations, formatAnnotation } from '../annotations.js';
import { valueTypeOf, type Expr } from '../parser/ast.js';
import { parseExpr } from '../parser/parser.js';
import type { QueryApi, QueryOptions, QueryResult } from '../query-api.js';
import type { InstantSample, QueryValue, RangeSeries } from '../value.js';
import {
  DUPLICATE_LABELSET,
  Evaluator,
  executionError,
  mergeByLabels,
  type QueryState,
} from './evaluator.js';
import { dropNameLabels, labelSetKey } from './labels.js';
import type { EvalValue, StepGrid } from './types.js';

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
   * feature flags (`limitk`, `anchored`, `fill()`, ...). Default false.
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
 * Floor of the per-query step-slot budget (4 × `maxSamples` otherwise):
 * small `maxSamples` settings in tests must not starve ordinary grids.
 */
const MIN_SLOTS = 10_000_000;

/** Most points a range query may return per series, as Prometheus's API allows. */
export const MAX_POINTS_PER_SERIES = 11_000;

/**
 * The PromQL engine: evaluates instant and range queries over a
 * `storage.Queryable` with Prometheus 3 semantics (lookback, staleness,
 * left-open windows, `offset`, `@`, subqueries, delayed name removal).
 *
 * One engine serves any number of callers. Evaluation itself is
 * synchronous over the storage's synchronous querier; at most
 * `maxConcurrentQueries` queries are admitted at once and the rest wait in
 * order, failing with `PROMQL_TIMEOUT` if the wait exceeds the timeout.
 */
export class Engine implements QueryApi {
  readonly options: Required<EngineOptions>;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: EngineOptions) {
    this.options = { ...ENGINE_DEFAULTS, ...options };
  }

  /** {@inheritDoc QueryApi.instantQuery} */
  async instantQuery(
    query: string | Expr,
    timeMs: number,
    options?: QueryOptions,
  ): Promise<QueryResult> {
    checkTime('time', timeMs);
    return this.#run(query, { startMs: timeMs, endMs: timeMs, stepMs: 0, count: 1 }, true, options);
  }

  /** {@inheritDoc QueryApi.rangeQuery} */
  async rangeQuery(
    query: string | Expr,
    startMs: number,
    endMs: number,
    stepMs: number,
    options?: QueryOptions,
  ): Promise<QueryResult> {
    checkTime('start', startMs);
    checkTime('end', endMs);
    if (endMs < startMs) {
      throw new VigilError(
        ErrorCodes.QUERY_BAD_REQUEST,
        'end timestamp must not be before start time',
      );
    }
    if (!(stepMs > 0) || !Number.isFinite(stepMs)) {
      throw new VigilError(
        ErrorCodes.QUERY_BAD_REQUEST,
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    }
    const count = Math.floor((endMs - startMs) / stepMs) + 1;
    if (count > MAX_POINTS_PER_SERIES) {
      throw new VigilError(
        ErrorCodes.PROMQL_TOO_MANY_POINTS,
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
      );
    }
    return this.#run(query, { startMs, endMs, stepMs, count }, false, options);
  }

  async #run(
    query: string | Expr,
    grid: StepGrid,
    instant: boolean,
    options: QueryOptions | undefined,
  ): Promise<QueryResult> {
    const text = typeof query === 'string' ? query : '';
    const expr =
      typeof query === 'string'
        ? parseExpr(query, { experimental: this.options.experimental })
        : query;
    const type = valueTypeOf(expr);
    if (!instant && (type === 'matrix' || type === 'string')) {
      throw new VigilError(
        ErrorCodes.PROMQL_PARSE,
        `invalid expression type "${type === 'matrix' ? 'range vector' : 'string'}" for range query, must be Scalar or instant Vector`,
      );
    }
    const timeoutMs = Math.min(this.options.timeoutMs, options?.timeoutMs ?? Infinity);
    const deadlineMs = Date.now() + timeoutMs;
    await this.#admit(deadlineMs, options?.signal);
    try {
      const annotations = new Annotations();
      const state: QueryState = {
        queryable: this.options.queryable,
        lookbackDeltaMs: options?.lookbackDeltaMs ?? this.options.lookbackDeltaMs,
        queryStartMs: grid.startMs,
        queryEndMs: grid.endMs,
        queryStepMs: grid.stepMs,
        defaultSubqueryStepMs: this.options.defaultSubqueryStepMs,
        annotations,
        maxSamples: this.options.maxSamples,
        currentSamples: 0,
        peakSamples: 0,
        slotsAllocated: 0,
        maxSlots: Math.max(4 * this.options.maxSamples, MIN_SLOTS),
        deadlineMs,
        timeoutMs,
        signal: options?.signal,
      };
      const evaluator = new Evaluator(state, grid);
      const value = evaluator.eval(expr);
      const result = instant ? toInstantValue(value, grid) : toRangeValue(value, grid);
      const warnings: string[] = [];
      const infos: string[] = [];
      for (const a of annotations.list()) {
        (a.kind === 'warning' ? warnings : infos).push(formatAnnotation(a, text));
      }
      return { value: result, warnings, infos };
    } finally {
      this.#release();
    }
  }

  async #admit(deadlineMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#running < this.options.maxConcurrentQueries) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onTurn = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#running++;
        resolve();
      };
      const leave = (err: VigilError): void => {
        const idx = this.#waiting.indexOf(onTurn);
        if (idx >= 0) this.#waiting.splice(idx, 1);
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = (): void =>
        leave(new VigilError(ErrorCodes.PROMQL_CANCELED, 'query was canceled in the query queue'));
      const timer = setTimeout(
        () =>
          leave(
            new VigilError(
              ErrorCodes.PROMQL_TIMEOUT,
              `query timed out in the query queue: more than ${this.options.maxConcurrentQueries} queries were running`,
            ),
          ),
        Math.max(0, deadlineMs - Date.now()),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(onTurn);
    });
  }

  #release(): void {
    this.#running--;
    const next = this.#waiting.shift();
    if (next) next();
  }
}

function checkTime(name: string, ms: number): void {
  if (!Number.isFinite(ms)) {
    throw new VigilError(
      ErrorCodes.QUERY_BAD_REQUEST,
      `invalid parameter "${name}": cannot parse ${String(ms)} to a valid timestamp`,
    );
  }
}

function finalLabels(labels: readonly string[], dropName: boolean): readonly string[] {
  return dropName ? dropNameLabels(labels) : labels;
}

function toInstantValue(value: EvalValue, grid: StepGrid): QueryValue {
  const t = grid.startMs;
  switch (value.kind) {
    case 'scalar':
      return { type: 'scalar', timestampMs: t, value: value.values[0]! };
    case 'string':
      return { type: 'string', timestampMs: t, value: value.value };
    case 'vector': {
      const samples: InstantSample[] = [];
      // Evaluation keeps label sets unique per step; only dropping names at
      // the end can make two equal, so only then is it checked.
      const check = value.series.some((s) => s.dropName && s.present[0]);
      const keys = new Set<string>();
      for (const s of value.series) {
        if (!s.present[0]) continue;
        const labels = finalLabels(s.labels, s.dropName);
        if (check) {
          const key = labelSetKey(labels);
          if (keys.has(key)) throw executionError(DUPLICATE_LABELSET);
          keys.add(key);
        }
        samples.push({ labels, timestampMs: t, value: s.values[0]! });
      }
      return { type: 'vector', samples };
    }
    case 'matrix': {
      const series: RangeSeries[] = value.series.map((s) => ({
        labels: finalLabels(s.labels, s.dropName),
        timestampsMs: s.timestampsMs,
        values: s.values,
      }));
      return { type: 'matrix', series };
    }
  }
}

function toRangeValue(value: EvalValue, grid: StepGrid): QueryValue {
  const times = (present: Uint8Array): Float64Array => {
    let n = 0;
    for (let i = 0; i < present.length; i++) n += present[i]!;
    const ts = new Float64Array(n);
    let j = 0;
    for (let i = 0; i < present.length; i++)
      if (present[i]) ts[j++] = grid.startMs + i * grid.stepMs;
    return ts;
  };
  if (value.kind === 'scalar') {
    const present = new Uint8Array(grid.count).fill(1);
    return {
      type: 'matrix',
      series: [{ labels: [], timestampsMs: times(present), values: value.values }],
    };
  }
  if (value.kind !== 'vector') {
    throw executionError(
      `invalid expression type "${value.kind}" for range query, must be Scalar or instant Vector`,
    );
  }
  const named = value.series.map((s) => ({
    ...s,
    labels: finalLabels(s.labels, s.dropName),
    dropName: false,
  }));
  const merged = mergeByLabels(named, grid.count);
  const series: RangeSeries[] = [];
  for (const s of merged) {
    const ts = times(s.present);
    if (ts.length === 0) continue;
    const values = new Float64Array(ts.length);
    let j = 0;
    for (let i = 0; i < grid.count; i++) if (s.present[i]) values[j++] = s.values[i]!;
    series.push({ labels: s.labels, timestampsMs: ts, values });
  }
  series.sort((a, b) => compareLabels(a.labels, b.labels));
  return { type: 'matrix', series };
}
