/**
 * `instrumentQuery`: metrics, a client span and the slow-query log around
 * one call into any database driver Vigil has no wrapper for.
 */
import { context, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { ErrorCodes } from '@vigil/model';
import { diagWarnOnce } from '../diag.js';
import {
  QueryRecorder,
  finishWhenSettled,
  isPromiseLike,
  reportInstrumentationFailure,
  resolveDbOptions,
} from './recorder.js';
import type { DbInstrumentationOptions, QueryRun } from './recorder.js';
import { OTHER_OPERATION, SQL_OPERATIONS, summarizeSql } from './sql-summary.js';
import type { SqlSummary } from './sql-summary.js';

/** `db.system.name` of {@link instrumentQuery} when none is given (the OTel value for "some SQL"). */
export const DEFAULT_DB_SYSTEM = 'other_sql';

/** Options of {@link instrumentQuery}. */
export interface InstrumentQueryOptions extends DbInstrumentationOptions {
  /**
   * The query text, parameterised (`SELECT * FROM users WHERE id = $1`):
   * recorded on the span and slow-query log (see `recordQueryText`), and the
   * source of the operation when `operation` is not given.
   */
  queryText?: string;
  /** `db.collection.name`: the table (default: taken from `queryText` when simple). */
  collection?: string;
  /** `db.namespace`: the database name. */
  namespace?: string;
  /** `server.address` of the database server. */
  serverAddress?: string;
  /** `server.port` of the database server. */
  serverPort?: number;
  /**
   * The query's parameter values, used only to remove them from an error
   * message before it is recorded on the span; never recorded or logged.
   */
  parameters?: readonly unknown[];
}

const KNOWN = new Set(SQL_OPERATIONS);
/** An operation name as drivers use them: `SELECT`, `findOne`, `HGET`, `bulk_write`. */
const OPERATION_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const MAX_NAME_CHARS = 128;

/**
 * The summary for a given operation: an SQL verb is upper-cased, another
 * short name (a MongoDB or Redis command) is kept, anything else is taken
 * for SQL text and reduced to its verb, so the label stays bounded.
 */
function summaryFor(operation: unknown, options: InstrumentQueryOptions): SqlSummary {
  const fromText =
    typeof options.queryText === 'string' ? summarizeSql(options.queryText) : undefined;
  let op: string;
  if (typeof operation === 'string' && operation !== '') {
    if (OPERATION_NAME_RE.test(operation)) {
      const upper = operation.toUpperCase();
      op = KNOWN.has(upper) ? upper : operation;
    } else {
      op = summarizeSql(operation).operation;
    }
  } else {
    op = fromText?.operation ?? OTHER_OPERATION;
  }
  let collection = options.collection;
  if (typeof collection !== 'string' || collection === '' || collection.length > MAX_NAME_CHARS) {
    collection = fromText?.operation === op ? fromText.collection : undefined;
  }
  return { operation: op, collection };
}

function recorderFor(options: InstrumentQueryOptions): QueryRecorder {
  const resolved = resolveDbOptions(options, DEFAULT_DB_SYSTEM, 'instrumentQuery');
  const attributes: Attributes = { 'db.system.name': resolved.system };
  const { namespace, serverAddress, serverPort } = options;
  if (typeof namespace === 'string' && namespace !== '' && namespace.length <= MAX_NAME_CHARS) {
    attributes['db.namespace'] = namespace;
  }
  if (typeof serverAddress === 'string' && serverAddress !== '') {
    attributes['server.address'] = serverAddress.slice(0, MAX_NAME_CHARS);
  }
  if (Number.isInteger(serverPort)) attributes['server.port'] = serverPort;
  return new QueryRecorder(resolved, attributes);
}

/**
 * @internal Runs `fn` as the query of `run`, its span active, and finishes
 * the run when `fn` returns, throws, or its promise settles. Errors pass
 * through unchanged.
 */
export function runQuery<T>(run: QueryRun, fn: () => T): T {
  let result: T;
  try {
    const span = run.span;
    result = span === undefined ? fn() : context.with(trace.setSpan(context.active(), span), fn);
  } catch (err) {
    run.finish(true, err);
    throw err;
  }
  if (isPromiseLike(result)) {
    // A foreign thenable's then() may return nothing: adopt it into a promise first.
    const promise = result instanceof Promise ? result : Promise.resolve(result);
    return finishWhenSettled(run, promise) as T;
  }
  run.finish(false);
  return result;
}

/**
 * Runs `fn`, one query through any driver, and records it like the pg and
 * better-sqlite3 wrappers do: `db_queries_total` and
 * `db_query_duration_seconds` under `system` and `operation`, a client span
 * (active while `fn` runs, so driver spans nest under it), and a warning on
 * `logger` when it took longer than `slowQueryThresholdMs`.
 *
 * `operation` is the metric label, so it must come from a small set: an SQL
 * verb (`select` becomes `SELECT`) or a driver's command name (`findOne`).
 * Anything else is read as SQL text and reduced to its verb; when omitted,
 * the verb of `options.queryText` is used, else `OTHER`.
 *
 * Returns what `fn` returns; for a promise or another thenable, a (native)
 * promise of the same value. What `fn` throws or rejects with passes through unchanged
 * (same object). The instrumentation itself never throws: invalid options
 * are reported once through the SDK diagnostics (`CONFIG_INVALID`) and `fn`
 * then runs uninstrumented. Safe to call concurrently.
 *
 * ```ts
 * const rows = await instrumentQuery('SELECT', () => conn.execute(sql, [id]),
 *   { system: 'mysql', queryText: sql, parameters: [id] });
 * ```
 */
export function instrumentQuery<T>(
  operation: string | undefined,
  fn: () => T,
  options: InstrumentQueryOptions = {},
): T {
  let run: QueryRun | undefined;
  try {
    const recorder = recorderFor(options);
    const summary = summaryFor(operation, options);
    const text = typeof options.queryText === 'string' ? options.queryText : undefined;
    const parameters = Array.isArray(options.parameters) ? options.parameters : undefined;
    run = recorder.start(summary, text, parameters);
  } catch (err) {
    if ((err as { code?: unknown })?.code === ErrorCodes.CONFIG_INVALID) {
      diagWarnOnce(
        `instrumentQuery-options:${(err as Error).message}`,
        { code: ErrorCodes.CONFIG_INVALID },
        `${(err as Error).message} The query runs uninstrumented.`,
      );
    } else {
      reportInstrumentationFailure('instrumentQuery', err);
    }
  }
  if (run === undefined) return fn();
  return runQuery(run, fn);
}
