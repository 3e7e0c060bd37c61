/**
 * Instrumentation of better-sqlite3 databases, in place. The SDK does not
 * depend on better-sqlite3: it sees the driver through the small
 * structural types below.
 */
import { ErrorCodes, VigilError } from '@vigil/model';
import {
  QueryRecorder,
  activeTracer,
  reportInstrumentationFailure,
  resolveDbOptions,
} from './recorder.js';
import type { DbInstrumentationOptions, QueryRun } from './recorder.js';
import { summarizeSql } from './sql-summary.js';
import type { SqlSummary } from './sql-summary.js';

/** `db.system.name` of SQLite. */
export const SQLITE_DB_SYSTEM = 'sqlite';

/** A better-sqlite3 Database, as far as the instrumentation needs one. */
export interface SqliteDatabaseLike {
  /** The file name (`:memory:` for an in-memory database); becomes `db.namespace`. */
  readonly name?: unknown;
  prepare: (...args: never[]) => unknown;
  exec: (...args: never[]) => unknown;
  pragma?: (...args: never[]) => unknown;
}

type AnyFunction = (...args: unknown[]) => unknown;

const INSTRUMENTED = Symbol('vigil.db.instrumented');
const STATEMENT_METHODS = ['run', 'get', 'all'] as const;
const PRAGMA: SqlSummary = Object.freeze({ operation: 'PRAGMA', collection: undefined });

function define(target: object, key: PropertyKey, value: unknown): void {
  // Own, non-enumerable: the shared prototype stays untouched and
  // Object.keys() of the object is unchanged.
  Object.defineProperty(target, key, {
    value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/**
 * Wraps a statement iterator: the time counted is the time spent inside the
 * driver (the `iterate` call and each `next`), not in the loop body; the
 * query is recorded when the iteration ends, is stopped (`return`, as
 * `break` does) or fails. An iterator abandoned without either is never
 * recorded.
 */
class InstrumentedIterator implements IterableIterator<unknown> {
  constructor(
    private readonly inner: Iterator<unknown>,
    private readonly run: QueryRun,
  ) {
    run.pause();
  }

  next(): IteratorResult<unknown> {
    this.run.resume();
    let result: IteratorResult<unknown>;
    try {
      result = this.inner.next();
    } catch (err) {
      this.run.finish(true, err);
      throw err;
    }
    if (result.done === true) this.run.finish(false);
    else this.run.pause();
    return result;
  }

  return(value?: unknown): IteratorResult<unknown> {
    this.run.resume();
    let result: IteratorResult<unknown>;
    try {
      result =
        typeof this.inner.return === 'function'
          ? this.inner.return(value)
          : { done: true, value: value };
    } catch (err) {
      this.run.finish(true, err);
      throw err;
    }
    this.run.finish(false);
    return result;
  }

  [Symbol.iterator](): IterableIterator<unknown> {
    return this;
  }
}

/** Calls `original` as one recorded query. `parameters` only serve to scrub an error message. */
function callRecorded(
  recorder: QueryRecorder,
  summary: SqlSummary,
  text: string | undefined,
  parameters: unknown[] | undefined,
  original: AnyFunction,
  self: unknown,
  args: unknown[],
): unknown {
  if (activeTracer() === undefined) {
    // Tracing off: time and count without allocating a run (the common
    // case, and better-sqlite3 calls take a microsecond or two).
    const startedAt = performance.now();
    let result: unknown;
    try {
      result = Reflect.apply(original, self, args);
    } catch (err) {
      recorder.record(summary, text, performance.now() - startedAt, true, err);
      throw err;
    }
    recorder.record(summary, text, performance.now() - startedAt, false, undefined);
    return result;
  }
  const run = recorder.start(summary, text, parameters);
  let result: unknown;
  try {
    result = Reflect.apply(original, self, args);
  } catch (err) {
    run.finish(true, err);
    throw err;
  }
  run.finish(false);
  return result;
}

/** A statement method recorded as one query per call; its arguments are the bound values. */
function recordSync(
  recorder: QueryRecorder,
  summary: SqlSummary,
  text: string | undefined,
  original: AnyFunction,
): AnyFunction {
  return function instrumented(this: unknown, ...args: unknown[]): unknown {
    return callRecorded(recorder, summary, text, args, original, this, args);
  };
}

/**
 * `PRAGMA name` of a pragma call, without its value: `key = '...'`
 * (SQLCipher) holds a secret.
 */
function pragmaText(source: unknown): string | undefined {
  if (typeof source !== 'string') return undefined;
  const name = /^\s*([A-Za-z0-9_.]{1,128})/.exec(source);
  return name === null ? 'PRAGMA' : `PRAGMA ${name[1]}`;
}

function instrumentStatement(statement: unknown, recorder: QueryRecorder): void {
  if (typeof statement !== 'object' || statement === null) return;
  const record = statement as Record<PropertyKey, unknown>;
  if (record[INSTRUMENTED] === true) return;
  const text = typeof record.source === 'string' ? record.source : undefined;
  // Summarised once per statement, not per execution.
  const summary = summarizeSql(text);
  for (const method of STATEMENT_METHODS) {
    const original = record[method];
    if (typeof original === 'function') {
      define(statement, method, recordSync(recorder, summary, text, original as AnyFunction));
    }
  }
  const iterate = record.iterate;
  if (typeof iterate === 'function') {
    define(statement, 'iterate', function instrumentedIterate(this: unknown, ...args: unknown[]) {
      const run = recorder.start(summary, text, args);
      let iterator: unknown;
      try {
        iterator = Reflect.apply(iterate as AnyFunction, this, args);
      } catch (err) {
        run.finish(true, err);
        throw err;
      }
      if (
        typeof iterator !== 'object' ||
        iterator === null ||
        typeof (iterator as { next?: unknown }).next !== 'function'
      ) {
        run.finish(false);
        return iterator;
      }
      return new InstrumentedIterator(iterator as Iterator<unknown>, run);
    });
  }
  define(statement, INSTRUMENTED, true);
}

/**
 * Instruments a better-sqlite3 Database in place and returns it: every
 * `run`, `get`, `all` and `iterate` of the statements it prepares from now
 * on, every `exec` and `pragma`, counts in
 * `db_queries_total{system="sqlite",operation,status}` and
 * `db_query_duration_seconds`, gets a client span (when a tracer provider
 * is registered) with `db.system.name`, `db.operation.name`,
 * `db.collection.name` (simple statements), `db.query.text` (the SQL with
 * its placeholders, never the bound values; for `pragma`, only `PRAGMA
 * name`, since a pragma's value may be a key) and `db.namespace` (the file
 * name), and a warning on `options.logger` when slower than
 * `slowQueryThresholdMs`.
 *
 * A statement that fails to prepare (a syntax error) counts as a failed
 * query. The time of `iterate` is the time spent in SQLite, recorded when
 * the iteration ends or is stopped. Not covered: statements prepared
 * before this call, and the BEGIN/COMMIT that `db.transaction()` runs
 * internally (the statements inside the transaction are covered).
 *
 * Errors pass through unchanged (same object). Throws a `VigilError`
 * (`CONFIG_INVALID`) only for invalid options or a target that is not a
 * database, before changing anything; a database object that cannot be
 * changed is reported (`DB_INSTRUMENTATION_FAILED`) and returned as is.
 * Instrumenting twice is harmless (the first options stay). Call once,
 * right after opening the database; it is then used exactly as before.
 *
 * ```ts
 * const db = instrumentSqlite(new Database('app.db'), { logger });
 * ```
 */
export function instrumentSqlite<T extends SqliteDatabaseLike>(
  db: T,
  options?: DbInstrumentationOptions,
): T {
  const resolved = resolveDbOptions(options, SQLITE_DB_SYSTEM, 'instrumentSqlite');
  if (
    typeof db !== 'object' ||
    db === null ||
    typeof db.prepare !== 'function' ||
    typeof db.exec !== 'function'
  ) {
    throw new VigilError(
      ErrorCodes.CONFIG_INVALID,
      'instrumentSqlite: expected a better-sqlite3 Database (an object with prepare and exec ' +
        `methods), got ${db === null ? 'null' : typeof db}.`,
    );
  }
  const record = db as unknown as Record<PropertyKey, unknown>;
  if (record[INSTRUMENTED] === true) return db;
  const name = db.name;
  const recorder = new QueryRecorder(resolved, {
    'db.system.name': resolved.system,
    ...(typeof name === 'string' && name !== '' ? { 'db.namespace': name } : {}),
  });
  const prepare = db.prepare as unknown as AnyFunction;
  const exec = db.exec as unknown as AnyFunction;
  const pragma = db.pragma as unknown as AnyFunction | undefined;
  try {
    define(db, 'prepare', function instrumentedPrepare(this: unknown, ...args: unknown[]) {
      const startedAt = performance.now();
      let statement: unknown;
      try {
        statement = Reflect.apply(prepare, this, args);
      } catch (err) {
        // A statement that does not compile is a failed query.
        const text = typeof args[0] === 'string' ? args[0] : undefined;
        recorder.start(summarizeSql(text), text, undefined, startedAt).finish(true, err);
        throw err;
      }
      try {
        instrumentStatement(statement, recorder);
      } catch (err) {
        reportInstrumentationFailure('sqlite statement', err);
      }
      return statement;
    });
    define(db, 'exec', function instrumentedExec(this: unknown, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : undefined;
      return callRecorded(recorder, summarizeSql(text), text, undefined, exec, this, args);
    });
    if (typeof pragma === 'function') {
      define(db, 'pragma', function instrumentedPragma(this: unknown, ...args: unknown[]) {
        const text = pragmaText(args[0]);
        return callRecorded(recorder, PRAGMA, text, undefined, pragma, this, args);
      });
    }
    define(db, INSTRUMENTED, true);
  } catch (err) {
    reportInstrumentationFailure('instrumentSqlite', err);
  }
  return db;
}
