/**
 * Serialisation of errors for log lines: `type`, `message`, `stack`, `code`
 * and the whole `cause` chain as nested objects (pino's standard serializer
 * flattens causes into the message and stack), cycle-safe and depth-bounded.
 */

/** An error as it appears in a log line, under `err`. */
export interface SerializedError {
  /** Constructor name (`TypeError`, `VigilError`), else `name`, else `"Error"` (`"Object"` for a plain object cause). */
  type: string;
  /** The error's own message (without its causes'). */
  message: string;
  /** The V8 stack, when the error has one. */
  stack?: string;
  /** `err.code` when it is a string or a number (`ECONNREFUSED`, `CONFIG_INVALID`). */
  code?: string | number;
  /** The serialised cause: an error object, or a primitive cause as is. */
  cause?: SerializedError | string | number | boolean;
  /** The errors of an `AggregateError` (at most {@link MAX_AGGREGATE_ERRORS}). */
  errors?: (SerializedError | string | number | boolean)[];
  /** Present when this error already appeared higher in the chain; its causes are not repeated. */
  circular?: true;
  /** Present when the chain was cut at {@link MAX_CAUSE_DEPTH}. */
  truncated?: true;
  /** Other own enumerable properties with primitive values (`errno`, `statusCode`, ...). */
  [key: string]: unknown;
}

/** Causes followed below the logged error before the chain is cut. */
export const MAX_CAUSE_DEPTH = 8;
/** Errors of an `AggregateError` kept per level. */
export const MAX_AGGREGATE_ERRORS = 10;
/** Extra own properties copied per error. */
const MAX_EXTRA_PROPS = 20;

const SKIPPED = new Set(['type', 'message', 'stack', 'code', 'cause', 'errors', 'name']);

/** True for `Error` instances and for objects shaped like one (string `message` and `stack`). */
export function isErrorLike(value: unknown): value is Error {
  if (value instanceof Error) return true;
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { message?: unknown; stack?: unknown };
  return typeof v.message === 'string' && typeof v.stack === 'string';
}

function typeOf(value: object): string {
  const ctor = (value as { constructor?: unknown }).constructor;
  if (typeof ctor === 'function' && ctor !== Object && typeof ctor.name === 'string' && ctor.name) {
    return ctor.name;
  }
  const name = (value as { name?: unknown }).name;
  if (typeof name === 'string' && name) return name;
  return value instanceof Error ? 'Error' : 'Object';
}

function primitive(value: unknown): string | number | boolean | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    default:
      return undefined;
  }
}

function serialiseAny(
  value: unknown,
  depth: number,
  seen: Set<object>,
): SerializedError | string | number | boolean | undefined {
  if (typeof value !== 'object' || value === null) return primitive(value);
  return serialiseObject(value, depth, seen);
}

function serialiseObject(err: object, depth: number, seen: Set<object>): SerializedError {
  const e = err as Record<string, unknown>;
  const message = typeof e.message === 'string' ? e.message : '';
  const out: SerializedError = { type: typeOf(err), message };
  if (seen.has(err)) {
    out.circular = true;
    return out;
  }
  if (depth > MAX_CAUSE_DEPTH) {
    out.truncated = true;
    return out;
  }
  seen.add(err);
  if (typeof e.stack === 'string') out.stack = e.stack;
  const code = e.code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  let extra = 0;
  for (const key of Object.keys(err)) {
    if (SKIPPED.has(key)) continue;
    const value = primitive(e[key]);
    if (value === undefined) continue;
    out[key] = value;
    if (++extra >= MAX_EXTRA_PROPS) break;
  }
  if (Array.isArray(e.errors)) {
    const errors: (SerializedError | string | number | boolean)[] = [];
    for (const inner of e.errors.slice(0, MAX_AGGREGATE_ERRORS)) {
      const s = serialiseAny(inner, depth + 1, seen);
      if (s !== undefined) errors.push(s);
    }
    out.errors = errors;
  }
  if (e.cause !== undefined) {
    const cause = serialiseAny(e.cause, depth + 1, seen);
    if (cause !== undefined) out.cause = cause;
  }
  return out;
}

/**
 * Serialises an error (or any object thrown as one) for a log line. Other
 * values are returned unchanged. Never throws: an error whose properties throw
 * when read becomes `{ type: 'Error', message: 'unserialisable error' }`.
 *
 * Only primitive own properties are copied (objects such as an HTTP client's
 * request config may hold credentials and are left out). Pure; safe to call
 * concurrently.
 */
export function serializeError(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !isErrorLike(value)) return value;
  try {
    return serialiseObject(value, 0, new Set());
  } catch {
    return { type: 'Error', message: 'unserialisable error' } satisfies SerializedError;
  }
}
