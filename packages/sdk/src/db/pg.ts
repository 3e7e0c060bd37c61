/**
 * Instrumentation of node-postgres (`pg`) pools and clients, in place.
 * The SDK does not depend on `pg`: it sees the driver through the small
 * structural types below.
 */
import type { Attributes } from '@opentelemetry/api';
import { ErrorCodes, VigilError } from '@vigil/model';
import {
  QueryRecorder,
  finishWhenSettled,
  isPromiseLike,
  reportInstrumentationFailure,
  resolveDbOptions,
} from './recorder.js';
import type { DbInstrumentationOptions, QueryRun } from './recorder.js';
import { summarizeSql } from './sql-summary.js';

/** `db.system.name` of PostgreSQL. */
export const PG_DB_SYSTEM = 'postgresql';

/**
 * A `pg` Client or PoolClient, as far as the instrumentation needs one:
 * `query` and the connection fields `host`, `port` and `database`.
 */
export interface PgClientLike {
  query: (...args: never[]) => unknown;
  readonly host?: unknown;
  readonly port?: unknown;
  readonly database?: unknown;
  /** Where pg's native client keeps them. */
  readonly connectionParameters?: unknown;
}

/** A `pg` Pool, as far as the instrumentation needs one. */
export interface PgPoolLike {
  query: (...args: never[]) => unknown;
  /** Pools count their clients; plain clients do not (this tells them apart). */
  readonly totalCount: number;
  on(event: 'acquire', listener: (client: PgClientLike) => void): unknown;
}

/** The parts of a query config object the instrumentation reads. */
interface PgQueryConfig {
  text?: unknown;
  values?: unknown;
  callback?: unknown;
  submit?: unknown;
  once?: unknown;
  listenerCount?: unknown;
}

type AnyFunction = (...args: unknown[]) => unknown;

/** Marks an instrumented pool or client, so that instrumenting twice is harmless. */
const INSTRUMENTED = Symbol('vigil.db.instrumented');
const MAX_ADDRESS_CHARS = 255;

function isObject(value: unknown): value is Record<PropertyKey, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `db.namespace`, `server.address` and `server.port` of a client, when it knows them. */
function connectionAttributes(client: PgClientLike): Attributes {
  const attributes: Attributes = {};
  const params = (
    typeof client.connectionParameters === 'object' && client.connectionParameters !== null
      ? client.connectionParameters
      : {}
  ) as { host?: unknown; port?: unknown; database?: unknown };
  const host = client.host ?? params.host;
  const port = client.port ?? params.port;
  const database = client.database ?? params.database;
  if (typeof database === 'string' && database !== '') attributes['db.namespace'] = database;
  if (typeof host === 'string' && host !== '') {
    attributes['server.address'] = host.slice(0, MAX_ADDRESS_CHARS);
  }
  if (typeof port === 'number' && Number.isInteger(port)) attributes['server.port'] = port;
  return attributes;
}

function wrapCallback(callback: AnyFunction, run: QueryRun): AnyFunction {
  return function instrumentedCallback(this: unknown, ...args: unknown[]): unknown {
    const err = args[0];
    run.finish(err !== undefined && err !== null, err);
    return Reflect.apply(callback, this, args);
  };
}

/**
 * A submittable (`pg.Query`, pg-cursor, pg-query-stream) reports through
 * events. Listening to `error` must not swallow an error that would have
 * been thrown without listeners: then it is rethrown, as `emit` would.
 */
function watchSubmittable(query: PgQueryConfig, run: QueryRun): void {
  if (typeof query.once !== 'function') return;
  const once = query.once as (event: string, listener: AnyFunction) => unknown;
  const count = query.listenerCount as ((event: string) => number) | undefined;
  once.call(query, 'end', () => run.finish(false));
  once.call(query, 'close', () => run.finish(false));
  once.call(query, 'error', (err: unknown) => {
    run.finish(true, err);
    if (typeof count === 'function' && count.call(query, 'error') === 0) throw err;
  });
}

/** Calls the original `query` for `run`, finishing the run however the query reports. */
function runQuery(self: unknown, original: AnyFunction, args: unknown[], run: QueryRun): unknown {
  const config = isObject(args[0]) ? (args[0] as PgQueryConfig) : undefined;
  const submittable = config !== undefined && typeof config.submit === 'function';
  // Wrap the callback pg will call. For a plain query: the third argument,
  // else the second, else config.callback. For a submittable: its own
  // callback, else the second argument, else the third.
  let callbackMode = true;
  if (submittable && typeof config.callback === 'function') {
    config.callback = wrapCallback(config.callback as AnyFunction, run); // pg mutates it too
  } else if (typeof args[submittable ? 1 : 2] === 'function') {
    const i = submittable ? 1 : 2;
    args[i] = wrapCallback(args[i] as AnyFunction, run);
  } else if (typeof args[submittable ? 2 : 1] === 'function') {
    const i = submittable ? 2 : 1;
    args[i] = wrapCallback(args[i] as AnyFunction, run);
  } else if (config !== undefined && typeof config.callback === 'function') {
    // A copy (as pg makes one), so that a config object the application
    // reuses keeps its own callback.
    const copy = Object.defineProperties(
      Object.create(Object.getPrototypeOf(config) as object | null) as PgQueryConfig,
      Object.getOwnPropertyDescriptors(config),
    );
    copy.callback = wrapCallback(config.callback as AnyFunction, run);
    args[0] = copy;
  } else callbackMode = false;

  let result: unknown;
  try {
    result = Reflect.apply(original, self, args);
  } catch (err) {
    run.finish(true, err);
    throw err;
  }
  if (submittable) {
    try {
      watchSubmittable(config, run);
    } catch (err) {
      reportInstrumentationFailure('pg submittable', err);
    }
    return result;
  }
  if (callbackMode) return result;
  if (isPromiseLike(result)) return finishWhenSettled(run, result);
  run.finish(false);
  return result;
}

function instrumentClient(client: PgClientLike, base: QueryRecorder): void {
  const record = client as unknown as Record<PropertyKey, unknown>;
  if (record[INSTRUMENTED] === true) return;
  const original = client.query as unknown as AnyFunction;
  const recorder = base.withAttributes(connectionAttributes(client));
  const query = function query(this: unknown, ...args: unknown[]): unknown {
    let run: QueryRun | undefined;
    try {
      const config = isObject(args[0]) ? (args[0] as PgQueryConfig) : undefined;
      const text =
        typeof args[0] === 'string'
          ? args[0]
          : typeof config?.text === 'string'
            ? config.text
            : undefined;
      const values = Array.isArray(args[1])
        ? (args[1] as unknown[])
        : Array.isArray(config?.values)
          ? (config.values as unknown[])
          : undefined;
      run = recorder.start(summarizeSql(text), text, values);
    } catch (err) {
      reportInstrumentationFailure('pg query', err);
    }
    if (run === undefined) return Reflect.apply(original, this, args);
    return runQuery(this, original, args, run);
  };
  // Own, non-enumerable properties: the prototype's query stays untouched,
  // so only this client is instrumented, and Object.keys(client) is unchanged.
  Object.defineProperty(client, 'query', {
    value: query,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  Object.defineProperty(client, INSTRUMENTED, { value: true });
}

function isPool(target: PgPoolLike | PgClientLike): target is PgPoolLike {
  return (
    typeof (target as { totalCount?: unknown }).totalCount === 'number' &&
    typeof (target as { on?: unknown }).on === 'function'
  );
}

/**
 * Instruments a `pg` Pool or Client in place and returns it: every query
 * counts in `db_queries_total{system="postgresql",operation,status}` and
 * `db_query_duration_seconds`, gets a client span (when a tracer provider
 * is registered) with `db.system.name`, `db.operation.name`,
 * `db.collection.name` (simple statements), `db.query.text` (the
 * parameterised SQL only), `db.namespace`, `server.address` and
 * `server.port`, and a warning on `options.logger` when slower than
 * `slowQueryThresholdMs`. Parameter values are never recorded or logged.
 *
 * Covers `query(text, values?)` and `query({ text, values, name })`, with a
 * callback or a promise, and submittables (`pg.Query`, cursors, streams)
 * that emit `end`/`error`. For a Pool, each client is instrumented when the
 * pool hands it out (its `acquire` event), so `pool.query` and clients from
 * `pool.connect()` are both covered, each query counted once; the time a
 * `pool.query` waits for a free client is not part of its duration, and a
 * failure to connect is not a query. Queries in a pool's `onConnect` hook
 * run before the client is handed out and are not recorded.
 *
 * Query errors pass through unchanged (same object, same stack). Throws a
 * `VigilError` (`CONFIG_INVALID`) only for invalid options or a target
 * that is neither a Pool nor a Client, before changing anything; a target
 * that cannot be changed (frozen) is reported (`DB_INSTRUMENTATION_FAILED`)
 * and returned as is. Instrumenting the same object twice is harmless (the
 * first options stay). Call once at start-up, for each pool or client; the
 * instrumented pool or client is then used exactly as before, from any
 * number of concurrent async tasks.
 *
 * ```ts
 * const pool = instrumentPg(new pg.Pool({ connectionString }), { logger });
 * ```
 */
export function instrumentPg<T extends PgPoolLike | PgClientLike>(
  target: T,
  options?: DbInstrumentationOptions,
): T {
  const resolved = resolveDbOptions(options, PG_DB_SYSTEM, 'instrumentPg');
  if (!isObject(target) || typeof target.query !== 'function') {
    throw new VigilError(
      ErrorCodes.CONFIG_INVALID,
      'instrumentPg: expected a pg Pool or Client (an object with a query method), got ' +
        `${target === null ? 'null' : typeof target}.`,
    );
  }
  const recorder = new QueryRecorder(resolved, { 'db.system.name': resolved.system });
  try {
    if (!isPool(target)) {
      instrumentClient(target, recorder);
      return target;
    }
    const record = target as unknown as Record<PropertyKey, unknown>;
    if (record[INSTRUMENTED] === true) return target;
    Object.defineProperty(target, INSTRUMENTED, { value: true });
    target.on('acquire', (client: PgClientLike) => {
      // Runs inside the pool's own code: it must never throw.
      try {
        instrumentClient(client, recorder);
      } catch (err) {
        reportInstrumentationFailure('pg pool client', err);
      }
    });
  } catch (err) {
    reportInstrumentationFailure('instrumentPg', err);
  }
  return target;
}
