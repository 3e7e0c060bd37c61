/**
 * The machinery shared by every database wrapper: options, the two metrics,
 * one client span per query, the slow-query log, and the rule that nothing
 * here ever throws into the host (failures go to the SDK diagnostics).
 */
import { ProxyTracerProvider, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { ErrorCodes, VigilError } from '@vigil/model';
import { diagWarn, diagWarnOnce } from '../diag.js';
import { DEFAULT_CENSOR } from '../log/index.js';
import { Counter, Histogram, Registry } from '../metrics/index.js';
import { currentRuntime } from '../runtime/state.js';
import type { CounterChild, HistogramChild } from '../metrics/index.js';
import { TRACER_NAME } from '../tracing/with-span.js';
import { OTHER_OPERATION } from './sql-summary.js';
import type { SqlSummary } from './sql-summary.js';

/** Name of the counter of queries by `system`, `operation` and `status` (`ok` | `error`). */
export const DB_QUERIES_METRIC = 'db_queries_total';

/** Name of the histogram of query durations in seconds, by `system` and `operation`. */
export const DB_QUERY_DURATION_METRIC = 'db_query_duration_seconds';

/**
 * Buckets of {@link DB_QUERY_DURATION_METRIC}, in seconds: 0.5 ms to 10 s,
 * dense where indexed lookups (sub-millisecond) and typical OLTP queries
 * (a few ms) fall.
 */
export const DB_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** Default threshold of the slow-query warning, in milliseconds. */
export const DEFAULT_SLOW_QUERY_THRESHOLD_MS = 500;

/** Default longest SQL text put on a span or a log line, in characters. */
export const DEFAULT_MAX_QUERY_TEXT_CHARS = 2048;

/** Most distinct operations per system before new ones are counted as `OTHER`. */
const MAX_OPERATIONS_PER_SYSTEM = 100;
/** Most parameter values scrubbed from an error message; with more, the message is withheld. */
const MAX_SCRUBBED_PARAMETERS = 4096;
/** Numbers this short are not scrubbed: they would mangle messages ("varchar(10)"). */
const MIN_SCRUBBED_NUMBER_CHARS = 4;
const SYSTEM_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const CODE_RE = /^[A-Za-z0-9_.-]{1,64}$/;
// Five characters with at least one digit: '42P01', 'XX000'; not 'EPIPE'.
const SQLSTATE_RE = /^(?=[A-Z]*[0-9])[0-9A-Z]{5}$/;

/**
 * Where slow-query warnings go: anything with pino's `warn(fields,
 * message)`, such as the Vigil `Logger` from `createLogger`. Called
 * synchronously when a slow query finishes; a logger that throws is
 * reported once through the SDK diagnostics.
 */
export interface DbQueryLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Options shared by {@link instrumentPg}, {@link instrumentSqlite} and {@link instrumentQuery}. */
export interface DbInstrumentationOptions {
  /**
   * `db.system.name` of the spans and the `system` label (letters, digits,
   * `_`, `.`, `-`; at most 64). Defaults: `postgresql` for pg, `sqlite` for
   * better-sqlite3, `other_sql` for {@link instrumentQuery}.
   */
  system?: string;
  /** Registry of the two metrics (default: the one `init()` set up, else the default registry; `false` for no metrics). */
  registry?: Registry | false;
  /**
   * Where slow-query warnings go (a pino or Vigil logger). Default: the
   * logger `init()` set up. Without either, slow queries are not logged:
   * they still show in the duration histogram.
   */
  logger?: DbQueryLogger;
  /**
   * Queries that take longer than this, in milliseconds, are logged as a
   * warning (default {@link DEFAULT_SLOW_QUERY_THRESHOLD_MS}); `Infinity` turns it off.
   */
  slowQueryThresholdMs?: number;
  /**
   * Whether the SQL text goes on spans (`db.query.text`) and slow-query log
   * lines (default true). Parameter values are never recorded either way;
   * turn this off when the application puts literal values into its SQL.
   */
  recordQueryText?: boolean;
  /** Longest SQL text recorded, in characters (default 2048); longer text is cut and ends in `…`. */
  maxQueryTextChars?: number;
}

/** @internal Options after validation and defaults. */
export interface ResolvedDbOptions {
  readonly system: string;
  readonly registry: Registry | undefined;
  readonly logger: DbQueryLogger | undefined;
  readonly slowQueryThresholdMs: number;
  readonly recordQueryText: boolean;
  readonly maxQueryTextChars: number;
}

/**
 * @internal Validates options; throws a `VigilError` (`CONFIG_INVALID`)
 * naming `caller` and the bad option.
 */
export function resolveDbOptions(
  options: unknown,
  defaultSystem: string,
  caller: string,
): ResolvedDbOptions {
  const fail = (message: string): never => {
    throw new VigilError(ErrorCodes.CONFIG_INVALID, `${caller}: ${message}`);
  };
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) fail('options must be an object.');
  const o = options as DbInstrumentationOptions;
  const system = o.system ?? defaultSystem;
  if (typeof system !== 'string' || !SYSTEM_RE.test(system)) {
    fail(
      `system must be a name such as "postgresql" (letters, digits, "_", ".", "-"; at most 64), ` +
        `got ${describe(system)}.`,
    );
  }
  const runtime = currentRuntime();
  let registry: Registry | undefined = runtime.registry;
  if (o.registry === false) registry = undefined;
  else if (o.registry !== undefined) {
    if (!(o.registry instanceof Registry)) fail('registry must be a Registry or false.');
    registry = o.registry;
  }
  const logger = o.logger ?? (runtime.initialized ? runtime.logger : undefined);
  if (
    logger !== undefined &&
    (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function')
  ) {
    fail('logger must have a warn(fields, message) method (pino and Vigil loggers do).');
  }
  const slow = o.slowQueryThresholdMs ?? DEFAULT_SLOW_QUERY_THRESHOLD_MS;
  if (typeof slow !== 'number' || !(slow >= 0)) {
    fail(`slowQueryThresholdMs must be a number of milliseconds >= 0, got ${describe(slow)}.`);
  }
  const recordQueryText = o.recordQueryText ?? true;
  if (typeof recordQueryText !== 'boolean') fail('recordQueryText must be true or false.');
  const maxChars = o.maxQueryTextChars ?? DEFAULT_MAX_QUERY_TEXT_CHARS;
  if (!Number.isInteger(maxChars) || maxChars < 1) {
    fail(`maxQueryTextChars must be a positive integer, got ${describe(maxChars)}.`);
  }
  return {
    system,
    registry,
    logger,
    slowQueryThresholdMs: slow,
    recordQueryText,
    maxQueryTextChars: maxChars,
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 80));
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  return typeof value;
}

// ---------------------------------------------------------------------------
// Metrics

type QueryLabel = 'system' | 'operation' | 'status';
type DurationLabel = 'system' | 'operation';

/** The bound series of one (system, operation). */
interface OperationSeries {
  readonly ok: CounterChild;
  readonly error: CounterChild;
  readonly duration: HistogramChild;
}

interface DbMetrics {
  readonly queries: Counter<QueryLabel>;
  readonly duration: Histogram<DurationLabel>;
  /** False when the names were taken and the metrics count unexposed. */
  readonly exposed: boolean;
  readonly bySystem: Map<string, Map<string, OperationSeries>>;
}

const metricsByRegistry = new WeakMap<Registry, DbMetrics>();

function sameLabels(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && actual.every((l, i) => l === expected[i]);
}

/**
 * The metric `name` from `registry` when it is of the right kind, else a
 * new one registered there; when the name is taken by something else, an
 * unregistered one (counting but not exposed) and a warning.
 */
function lookupOrCreate<M extends Counter<string> | Histogram<string>>(
  registry: Registry,
  name: string,
  kind: typeof Counter | typeof Histogram,
  labelNames: readonly string[],
  create: (target: Registry | false) => M,
): { metric: M; exposed: boolean } {
  const existing = registry.getSingleMetric(name);
  if (
    existing instanceof kind &&
    sameLabels(existing.labelNames as readonly string[], labelNames)
  ) {
    return { metric: existing as M, exposed: true };
  }
  let problem: unknown;
  if (existing === undefined) {
    try {
      return { metric: create(registry), exposed: true };
    } catch (err) {
      problem = err; // an OpenMetrics family clash, e.g. a gauge named db_queries
    }
  } else {
    problem = `it is already registered as a ${existing.type} with labels [${existing.labelNames.join(', ')}]`;
  }
  diagWarn(
    { code: ErrorCodes.METRIC_ALREADY_REGISTERED, metric: name, err: problem },
    `${name} could not be registered (${String(problem)}); database queries are counted but ` +
      `not exposed. Free the name in the registry passed to the database instrumentation.`,
  );
  return { metric: create(false), exposed: false };
}

function createMetrics(registry: Registry): DbMetrics {
  const queries = lookupOrCreate(
    registry,
    DB_QUERIES_METRIC,
    Counter,
    ['system', 'operation', 'status'],
    (target) =>
      new Counter<QueryLabel>({
        name: DB_QUERIES_METRIC,
        help: 'Database queries run by this process, by system, operation and outcome.',
        labelNames: ['system', 'operation', 'status'],
        registry: target,
      }),
  );
  const duration = lookupOrCreate(
    registry,
    DB_QUERY_DURATION_METRIC,
    Histogram,
    ['system', 'operation'],
    (target) =>
      new Histogram<DurationLabel>({
        name: DB_QUERY_DURATION_METRIC,
        help: 'Time database queries took, from the call to the result, in seconds.',
        labelNames: ['system', 'operation'],
        buckets: DB_DURATION_BUCKETS,
        unit: 'seconds',
        registry: target,
      }),
  );
  return {
    queries: queries.metric,
    duration: duration.metric,
    exposed: queries.exposed && duration.exposed,
    bySystem: new Map(),
  };
}

/**
 * The metrics of `registry`, created once per registry however many pools
 * and databases are wrapped. Re-created when someone removed them from the
 * registry (`clear()`), so that they are exposed again.
 */
function dbMetrics(registry: Registry): DbMetrics {
  const cached = metricsByRegistry.get(registry);
  if (
    cached !== undefined &&
    (!cached.exposed || registry.getSingleMetric(DB_QUERIES_METRIC) === cached.queries)
  ) {
    return cached;
  }
  const created = createMetrics(registry);
  metricsByRegistry.set(registry, created);
  return created;
}

function operationSeries(metrics: DbMetrics, system: string, operation: string): OperationSeries {
  let bySystem = metrics.bySystem.get(system);
  if (bySystem === undefined) {
    bySystem = new Map();
    metrics.bySystem.set(system, bySystem);
  }
  let series = bySystem.get(operation);
  if (series !== undefined) return series;
  if (bySystem.size >= MAX_OPERATIONS_PER_SYSTEM && operation !== OTHER_OPERATION) {
    diagWarnOnce(
      `db-operations:${system}`,
      { code: ErrorCodes.METRIC_CARDINALITY_LIMIT, system, limit: MAX_OPERATIONS_PER_SYSTEM },
      `More than ${MAX_OPERATIONS_PER_SYSTEM} distinct database operations for system ` +
        `"${system}"; further ones are counted as "${OTHER_OPERATION}". Pass a bounded ` +
        'operation name (a verb such as "SELECT" or "findOne"), never query text or ids.',
    );
    return operationSeries(metrics, system, OTHER_OPERATION);
  }
  series = {
    ok: metrics.queries.labels({ system, operation, status: 'ok' }),
    error: metrics.queries.labels({ system, operation, status: 'error' }),
    duration: metrics.duration.labels({ system, operation }),
  };
  bySystem.set(operation, series);
  return series;
}

// ---------------------------------------------------------------------------
// Spans, logs, errors

/** The no-op provider the API falls back to: its presence means tracing is off. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/** @internal The tracer to use, or undefined when no tracer provider is registered (cheap path). */
export function activeTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider();
  if (provider instanceof ProxyTracerProvider && provider.getDelegate() === NOOP_TRACER_PROVIDER) {
    return undefined;
  }
  return provider.getTracer(TRACER_NAME);
}

/** @internal Cuts `text` to `max` characters, ending in `…`, without splitting a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - 1);
  const c = text.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return text.slice(0, cut) + '…';
}

/** @internal Reports a failure of the instrumentation itself, once per `what`. */
export function reportInstrumentationFailure(what: string, err: unknown): void {
  diagWarnOnce(
    `db-instrumentation:${what}`,
    { code: ErrorCodes.DB_INSTRUMENTATION_FAILED, err },
    `Database instrumentation failed (${what}: ${safeString(err)}); the query was not affected. ` +
      'Reported once.',
  );
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '(unprintable)';
  }
}

/** A low-cardinality error type: the driver's code (SQLSTATE, SQLITE_*, E*) or the error's name. */
function errorType(err: unknown): { type: string; code: string | undefined } {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && CODE_RE.test(code)) return { type: code, code };
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && CODE_RE.test(name)) return { type: name, code: undefined };
  }
  return { type: '_OTHER', code: undefined };
}

/**
 * The texts of parameter values as they may be echoed in an error message
 * (`invalid input syntax for type integer: "abc"`), longest first. Named
 * parameters (objects) and arrays are looked into one level deep. Undefined
 * when there are too many to scrub.
 */
function parameterTexts(parameters: ArrayLike<unknown> | undefined): string[] | undefined {
  const out: string[] = [];
  if (parameters === undefined) return out;
  const add = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v !== '') out.push(v);
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      const s = String(v);
      if (s.length >= MIN_SCRUBBED_NUMBER_CHARS) out.push(s);
    }
  };
  const n = Math.min(Number(parameters.length) || 0, MAX_SCRUBBED_PARAMETERS + 1);
  for (let i = 0; i < n && out.length <= MAX_SCRUBBED_PARAMETERS; i++) {
    const p = parameters[i];
    if (Array.isArray(p)) p.slice(0, MAX_SCRUBBED_PARAMETERS).forEach(add);
    else if (
      typeof p === 'object' &&
      p !== null &&
      !ArrayBuffer.isView(p) &&
      !(p instanceof Date)
    ) {
      Object.values(p).slice(0, MAX_SCRUBBED_PARAMETERS).forEach(add);
    } else add(p);
  }
  if (out.length > MAX_SCRUBBED_PARAMETERS) return undefined;
  return out.sort((a, b) => b.length - a.length);
}

function scrub(text: string, values: readonly string[]): string {
  for (const v of values) if (text.includes(v)) text = text.split(v).join(DEFAULT_CENSOR);
  return text;
}

/**
 * Records `err` on the span as an exception event and the span's status,
 * with every parameter value removed from its message and stack (drivers
 * echo values in messages such as PostgreSQL's "invalid input syntax").
 */
function recordFailure(span: Span, err: unknown, parameters: ArrayLike<unknown> | undefined): void {
  const values = parameterTexts(parameters);
  const clean = (text: string | undefined): string | undefined =>
    text === undefined ? undefined : values === undefined ? undefined : scrub(text, values);
  let name: string | undefined;
  let message: string | undefined;
  let stack: string | undefined;
  if (err instanceof Error) {
    name = typeof err.name === 'string' ? err.name : undefined;
    message = clean(typeof err.message === 'string' ? err.message : undefined);
    stack = clean(typeof err.stack === 'string' ? err.stack : undefined);
  } else {
    message = clean(safeString(err));
  }
  if (values === undefined) message = '(message withheld: too many parameters to remove from it)';
  const { type, code } = errorType(err);
  span.recordException({
    name: name ?? type,
    ...(message === undefined ? {} : { message }),
    ...(stack === undefined ? {} : { stack }),
    ...(code === undefined ? {} : { code }),
  });
  span.setAttribute('error.type', type);
  if (code !== undefined && (SQLSTATE_RE.test(code) || code.startsWith('SQLITE_'))) {
    span.setAttribute('db.response.status_code', code);
  }
  span.setStatus({
    code: SpanStatusCode.ERROR,
    ...(message === undefined ? {} : { message }),
  });
}

/** @internal The span name by current semantic conventions. */
export function spanName(summary: SqlSummary, system: string): string {
  if (summary.operation === OTHER_OPERATION) return system;
  return summary.collection === undefined
    ? summary.operation
    : summary.operation + ' ' + summary.collection;
}

// ---------------------------------------------------------------------------
// Recorder and runs

/**
 * @internal Records queries for one system and one set of connection
 * attributes (`db.namespace`, `server.address`, `server.port`). Never
 * throws from `start` or a run's `finish`.
 */
export class QueryRecorder {
  constructor(
    readonly options: ResolvedDbOptions,
    /** Attributes of every span: the system and the connection's. */
    readonly attributes: Readonly<Attributes>,
  ) {}

  /**
   * Records a finished query in the metrics and, when slow, the log.
   * Never throws.
   */
  record(
    summary: SqlSummary,
    text: string | undefined,
    ms: number,
    failed: boolean,
    error: unknown,
  ): void {
    const options = this.options;
    if (options.registry !== undefined) {
      try {
        const series = operationSeries(
          dbMetrics(options.registry),
          options.system,
          summary.operation,
        );
        (failed ? series.error : series.ok).inc();
        series.duration.observe(ms / 1000);
      } catch (err) {
        reportInstrumentationFailure('metrics', err);
      }
    }
    if (ms > options.slowQueryThresholdMs && options.logger !== undefined) {
      this.logSlow(summary, text, ms, failed, error);
    }
  }

  private logSlow(
    summary: SqlSummary,
    text: string | undefined,
    ms: number,
    failed: boolean,
    error: unknown,
  ): void {
    const options = this.options;
    try {
      const fields: Record<string, unknown> = {
        db_system: options.system,
        db_operation: summary.operation,
        duration_ms: Math.round(ms * 1000) / 1000,
        slow_query_threshold_ms: options.slowQueryThresholdMs,
        status: failed ? 'error' : 'ok',
      };
      if (summary.collection !== undefined) fields.db_collection = summary.collection;
      if (failed) fields.error_type = errorType(error).type;
      if (text !== undefined && options.recordQueryText) {
        fields.db_query_text = truncateText(text, options.maxQueryTextChars);
      }
      options.logger!.warn(
        fields,
        `slow ${options.system} query: ${spanName(summary, options.system)} took ` +
          `${Math.round(ms)} ms (threshold ${options.slowQueryThresholdMs} ms)`,
      );
    } catch (err) {
      reportInstrumentationFailure('slow-query logger', err);
    }
  }

  /** A recorder for the same options with more connection attributes. */
  withAttributes(extra: Attributes): QueryRecorder {
    return new QueryRecorder(this.options, { ...this.attributes, ...extra });
  }

  /**
   * Starts timing a query and, when tracing is on, its span. `parameters`
   * are only kept to remove them from an error message. `startedAt`
   * (`performance.now()`) backdates the start.
   */
  start(
    summary: SqlSummary,
    text: string | undefined,
    parameters: ArrayLike<unknown> | undefined,
    startedAt?: number,
  ): QueryRun {
    let span: Span | undefined;
    try {
      const tracer = activeTracer();
      if (tracer !== undefined) {
        // Object.assign, not a spread: spreading this object then adding keys
        // measured ~5 µs per query on Node 20, Object.assign ~0.1 µs.
        const attributes: Attributes = Object.assign({}, this.attributes);
        if (summary.operation !== OTHER_OPERATION) {
          attributes['db.operation.name'] = summary.operation;
        }
        if (summary.collection !== undefined) {
          attributes['db.collection.name'] = summary.collection;
        }
        if (text !== undefined && this.options.recordQueryText) {
          attributes['db.query.text'] = truncateText(text, this.options.maxQueryTextChars);
        }
        const spanOptions: SpanOptions = { kind: SpanKind.CLIENT, attributes };
        if (startedAt !== undefined) {
          spanOptions.startTime = Date.now() - (performance.now() - startedAt);
        }
        span = tracer.startSpan(spanName(summary, this.options.system), spanOptions);
      }
    } catch (err) {
      reportInstrumentationFailure('span start', err);
    }
    return new QueryRun(this, summary, text, parameters, span, startedAt ?? performance.now());
  }
}

/**
 * @internal One query being timed. `finish` records it once (metrics, span,
 * slow-query log); later calls do nothing. `pause`/`resume` exclude time
 * spent outside the driver (between the steps of an iteration).
 */
export class QueryRun {
  private busyMs = 0;
  private done = false;

  constructor(
    private readonly recorder: QueryRecorder,
    private readonly summary: SqlSummary,
    private readonly text: string | undefined,
    private parameters: ArrayLike<unknown> | undefined,
    /** The span, or undefined when tracing is off. */
    readonly span: Span | undefined,
    private since: number,
  ) {}

  /** Stops the clock (the caller's code runs now). */
  pause(): void {
    if (this.since >= 0) {
      this.busyMs += performance.now() - this.since;
      this.since = -1;
    }
  }

  /** Restarts the clock (the driver works again). */
  resume(): void {
    if (this.since < 0) this.since = performance.now();
  }

  /** Records the query as succeeded (`failed` false) or failed with `error`. */
  finish(failed: boolean, error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.pause();
    const span = this.span;
    if (span !== undefined) {
      try {
        if (failed) recordFailure(span, error, this.parameters);
        span.end();
      } catch (err) {
        reportInstrumentationFailure('span end', err);
      }
    }
    this.parameters = undefined;
    this.recorder.record(this.summary, this.text, this.busyMs, failed, error);
  }
}

/** @internal Whether `value` is a thenable (a promise of any library). */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * @internal Finishes `run` when `thenable` settles and returns what its
 * `then` returns: the value, or the same error rethrown.
 */
export function finishWhenSettled<T>(run: QueryRun, thenable: PromiseLike<T>): PromiseLike<T> {
  return thenable.then(
    (value) => {
      run.finish(false);
      return value;
    },
    (err: unknown) => {
      run.finish(true, err);
      throw err;
    },
  );
}
