/**
 * Correlation context: request-scoped fields (`request_id`, a tenant, a job
 * id, ...) carried across asynchronous work with `AsyncLocalStorage`, so that
 * every log line written while handling a request carries them without the
 * caller passing them.
 *
 * The active state keeps the fields pre-serialised as a JSON fragment: the
 * logger splices that fragment into each line instead of building and
 * stringifying an object per line (measured in `bench/src/log.bench.ts`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { diagWarnOnce } from '../diag.js';
import { jsonString } from './json-string.js';
import { ErrorCodes } from '@vigil/model';

/** A value a correlation field may take. Strings are the norm. */
export type CorrelationValue = string | number | boolean;

/** Correlation fields, for example `{ request_id: 'r-1f3a' }`. */
export type CorrelationFields = Readonly<Record<string, CorrelationValue>>;

/**
 * The active correlation state. Immutable once built (but for the logger's
 * scratch fields); one per {@link runWithCorrelation} call.
 *
 * @internal Used by the logger; not part of the package surface.
 */
export interface CorrelationState {
  /** The merged fields (frozen). */
  readonly fields: CorrelationFields;
  /** Field names, in output order. */
  readonly keys: readonly string[];
  /** `,"key":value` for each key, in the order of {@link keys}. */
  readonly parts: readonly string[];
  /** All parts joined: what a log line carries when nothing overrides it. */
  readonly json: string;
  /** Like {@link json} without `trace_id` and `span_id` (an active span supplies those). */
  readonly jsonNoTrace: string;
  /**
   * Scratch for the logger: the version of the set of bound field names this
   * state was last checked against, and whether any of its keys is bound.
   */
  bindingCheck: number;
  bindingOverlap: boolean;
}

/** Keys the logger writes itself; a correlation field may not shadow them. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['level', 'time', 'msg']);

/**
 * What the one async-local store of the SDK holds: the correlation state and,
 * once tracing registers Vigil's context manager, OpenTelemetry's active
 * context. One store rather than one per concern, because on Node 20 every
 * async-local store adds work to every asynchronous operation of the process
 * (measured about 1 µs per HTTP request for a second store).
 *
 * @internal
 */
export interface ContextFrame {
  /** The OpenTelemetry context (a `Context`), when Vigil's context manager set one. */
  readonly otel: unknown;
  readonly correlation: CorrelationState | undefined;
}

const storage = new AsyncLocalStorage<ContextFrame>();

/** The active frame, if any. @internal */
export function activeFrame(): ContextFrame | undefined {
  return storage.getStore();
}

/** Runs `fn(...args)` with `frame` active. @internal */
export function runInFrame<A extends unknown[], R>(
  frame: ContextFrame | undefined,
  fn: (...args: A) => R,
  ...args: A
): R {
  return storage.run(frame as ContextFrame, fn, ...args);
}

/** Makes `frame` active for the rest of the current async execution (`enterWith`). @internal */
export function enterFrame(frame: ContextFrame | undefined): void {
  storage.enterWith(frame as ContextFrame);
}

function withCorrelation(correlation: CorrelationState | undefined): ContextFrame {
  return { otel: storage.getStore()?.otel, correlation };
}

function isTraceKey(key: string): boolean {
  return key === 'trace_id' || key === 'span_id';
}

function serialiseValue(key: string, value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // JSON has no NaN or Infinity; pino writes null for them too.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'undefined':
      return undefined;
    default:
      diagWarnOnce(
        `correlation-field-type:${key}`,
        { code: ErrorCodes.CONFIG_INVALID, field: key, type: typeof value },
        `Correlation field "${key}" is a ${typeof value}; only strings, numbers and booleans ` +
          'are carried. The field is left out of log lines: pass a primitive value.',
      );
      return undefined;
  }
}

function buildState(
  outer: CorrelationState | undefined,
  fields: CorrelationFields,
): CorrelationState {
  const merged: Record<string, CorrelationValue> = outer === undefined ? {} : { ...outer.fields };
  const serialised = new Map<string, string>();
  if (outer !== undefined) {
    for (let i = 0; i < outer.keys.length; i++) serialised.set(outer.keys[i]!, outer.parts[i]!);
  }
  if (typeof fields === 'object' && fields !== null) {
    for (const key of Object.keys(fields)) {
      const value: unknown = fields[key];
      if (RESERVED_KEYS.has(key)) {
        diagWarnOnce(
          `correlation-field-reserved:${key}`,
          { code: ErrorCodes.CONFIG_INVALID, field: key },
          `Correlation field "${key}" is written by the logger itself and is ignored: rename it.`,
        );
        continue;
      }
      const json = serialiseValue(key, value);
      if (json === undefined) continue;
      merged[key] = value as CorrelationValue;
      // Deleting first moves an overridden key to the end, like an object spread.
      serialised.delete(key);
      serialised.set(key, ',' + JSON.stringify(key) + ':' + json);
    }
  }
  const keys: string[] = [];
  const parts: string[] = [];
  let json = '';
  let jsonNoTrace = '';
  for (const [key, part] of serialised) {
    keys.push(key);
    parts.push(part);
    json += part;
    if (!isTraceKey(key)) jsonNoTrace += part;
  }
  return {
    fields: Object.freeze(merged),
    keys,
    parts,
    json,
    jsonNoTrace,
    bindingCheck: -1,
    bindingOverlap: false,
  };
}

/**
 * Runs `fn` with `fields` active as correlation fields and returns what `fn`
 * returns (a promise for an async `fn`). Every log line written by `fn` and by
 * the asynchronous work it starts (promises, timers, I/O callbacks) carries
 * the fields. Nested calls merge with the outer fields; the inner value wins.
 *
 * Only string, number and boolean values are carried; other values, and the
 * names `level`, `time` and `msg`, are left out with a diagnostic (this never
 * throws). Correlation fields are not redacted: never put secrets in them.
 *
 * Concurrency: safe from any number of concurrent requests; each async
 * execution chain sees its own fields. Callbacks queued by an `EventEmitter`
 * run in the context of the `emit` call, not of the `on` call (wrap them
 * with `AsyncResource.bind` to keep the registering context).
 */
export function runWithCorrelation<T>(fields: CorrelationFields, fn: () => T): T {
  return storage.run(withCorrelation(buildState(storage.getStore()?.correlation, fields)), fn);
}

/**
 * {@link runWithCorrelation} with one string field, for the per-request hot
 * path: outside any correlation context (the common case for a request) the
 * state is built directly instead of through the general merge.
 *
 * @internal Used by the HTTP instrumentation; not part of the package surface.
 */
export function runWithCorrelationField<T>(key: string, value: string, fn: () => T): T {
  const frame = storage.getStore();
  return storage.run({ otel: frame?.otel, correlation: fieldState(frame, key, value) }, fn);
}

/**
 * {@link runWithCorrelationField} that also makes `otelContext` the active
 * OpenTelemetry context, in one step: what the HTTP instrumentation does per
 * request when Vigil's context manager is registered.
 *
 * @internal
 */
export function runWithContextAndField<T>(
  otelContext: unknown,
  key: string,
  value: string,
  fn: () => T,
): T {
  return storage.run(
    { otel: otelContext, correlation: fieldState(storage.getStore(), key, value) },
    fn,
  );
}

function fieldState(frame: ContextFrame | undefined, key: string, value: string): CorrelationState {
  const outer = frame?.correlation;
  if (outer !== undefined || RESERVED_KEYS.has(key) || isTraceKey(key)) {
    return buildState(outer, { [key]: value });
  }
  return new SingleFieldState(key, value);
}

// `,"key":` of the keys runWithCorrelationField is called with (a handful).
const keyPrefixes = new Map<string, string>();

function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = ',' + JSON.stringify(key) + ':';
    if (keyPrefixes.size < 64) keyPrefixes.set(key, prefix);
  }
  return prefix;
}

/** The state of {@link runWithCorrelationField}: its fields object is made when asked for. */
class SingleFieldState implements CorrelationState {
  readonly keys: readonly string[];
  readonly parts: readonly string[];
  readonly json: string;
  bindingCheck = -1;
  bindingOverlap = false;
  private frozen: CorrelationFields | undefined = undefined;

  constructor(
    private readonly key: string,
    private readonly value: string,
  ) {
    this.keys = [key];
    this.json = keyPrefix(key) + jsonString(value);
    this.parts = [this.json];
  }

  get jsonNoTrace(): string {
    return this.json; // the key is never a trace key (see runWithCorrelationField)
  }

  get fields(): CorrelationFields {
    return (this.frozen ??= Object.freeze({ [this.key]: this.value }));
  }
}

/**
 * Returns the active correlation fields (a frozen object), or `undefined`
 * outside {@link runWithCorrelation}. Constant time, no allocation.
 * Trace ids of an active span are not included: see `currentTraceIds`.
 * Safe from any async context; each sees its own fields.
 */
export function getCorrelation(): CorrelationFields | undefined {
  return storage.getStore()?.correlation?.fields;
}

/**
 * Returns the active correlation state with its pre-serialised fragments.
 *
 * @internal Used by the logger on every line; not part of the package surface.
 */
export function getCorrelationState(): CorrelationState | undefined {
  return storage.getStore()?.correlation;
}

/**
 * Runs `fn` with a state captured earlier by {@link getCorrelationState}
 * active (or none, for `undefined`): how a callback re-enters the context
 * it was registered in without rebuilding the state.
 *
 * @internal Used by the HTTP instrumentation; not part of the package surface.
 */
export function runWithCorrelationState<T>(state: CorrelationState | undefined, fn: () => T): T {
  return storage.run(withCorrelation(state), fn);
}
