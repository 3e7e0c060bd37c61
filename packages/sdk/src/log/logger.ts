/**
 * The Vigil logger: pino 10 configured for JSON lines with an ISO-8601 `time`,
 * a string `level`, `service` and `version`, secret redaction, errors with
 * their cause chain, and the correlation fields of the active context.
 */
import { hostname } from 'node:os';
import { IncomingMessage, ServerResponse } from 'node:http';
import { pino, stdSerializers, symbols } from 'pino';
import type { DestinationStream, Logger as PinoLogger, LoggerOptions as PinoOptions } from 'pino';
import { ErrorCodes, VigilError } from '@vigil/model';
import { setDiagnosticSink } from '../diag.js';
import { resolveLogLevel } from './levels.js';
import type { LogLevel } from './levels.js';
import {
  DEFAULT_CENSOR,
  DEFAULT_REDACT_PATHS,
  compileRedactPaths,
  lookupRedactNode,
  redactObject,
} from './redact.js';
import type { RedactNode, RedactOptions } from './redact.js';
import { serializeError } from './serialize-error.js';
import { getCorrelationState } from '../context/correlation.js';
import { currentTraceIds } from '../context/trace.js';
import {
  correlationFragment,
  kBindingKeys,
  registerBindingKeys,
  setPendingFragment,
  timeAndCorrelation,
} from './line-context.js';
import { kSerializedLines, type SerializedLineSupport } from './serialized-line.js';
import { createLogDestination } from './destination.js';
import type { LineOwner } from './line-context.js';

/**
 * A Vigil logger: a pino 10 logger (`info`, `error`, `child`, `bindings`,
 * `level`, ...) set up by {@link createLogger}. Safe to use from any async
 * context; each call writes one line synchronously up to the destination.
 */
export type Logger = PinoLogger;

/** Where log lines go: anything with `write(line: string)`, such as a Node writable stream or `pino.destination()`. */
export type LogDestination = DestinationStream;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Name of the service; the `service` field of every line. Required, non-empty. */
  service: string;
  /** Version of the service; the `version` field of every line when given. */
  version?: string;
  /**
   * Minimum level written. Default: the `LOG_LEVEL` environment variable,
   * else `info`. Case-insensitive.
   */
  level?: LogLevel | (string & {});
  /** Environment read for `LOG_LEVEL`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Extra fields written on every line (`{ region: 'eu-west-1' }`); redacted like logged fields. */
  fields?: Readonly<Record<string, unknown>>;
  /** Redaction of secret fields; see {@link RedactOptions}. Default: {@link DEFAULT_REDACT_PATHS}. */
  redact?: RedactOptions;
  /**
   * Where lines go. Default: standard output through
   * {@link createLogDestination}: the lines of one turn of the event loop
   * are written together at its end, and on process exit.
   */
  destination?: LogDestination;
  /** When true, SDK diagnostics are written through this logger ({@link installDiagnosticLogger}). */
  diagnostics?: boolean;
}

type FieldSerializer = (value: unknown) => unknown;

// Raw Node request/response objects: keep what matters and drop the socket,
// `rawHeaders` (which no path can redact) and the rest.
const serializeRequest: FieldSerializer = (value) =>
  value instanceof IncomingMessage ? stdSerializers.req(value) : value;
const serializeResponse: FieldSerializer = (value) =>
  value instanceof ServerResponse ? stdSerializers.res(value as ServerResponse) : value;

/** The serializer for a top-level key, if any (a switch: cheaper than a map lookup per key). */
function serializerFor(key: string): FieldSerializer | undefined {
  switch (key) {
    case 'err':
    case 'error':
      return serializeError;
    case 'req':
      return serializeRequest;
    case 'res':
      return serializeResponse;
    default:
      return undefined;
  }
}

const passThrough = (value: unknown): unknown => value;

/**
 * Redacts a serialised error and, with the same paths, each error of its
 * `cause` chain and `errors` list: `*.token` censors `err.token` and
 * `err.cause.token` alike. Bounded by the serializer's depth limit.
 */
function redactErrorChain(value: object, node: RedactNode, censor: string): object {
  const redacted = redactObject(value, node, censor) as Record<string, unknown>;
  let out = redacted;
  const cause = redacted.cause;
  if (typeof cause === 'object' && cause !== null) {
    const c = redactErrorChain(cause, node, censor);
    if (c !== cause) {
      if (out === value) out = Object.assign({}, out);
      out.cause = c;
    }
  }
  const errors = redacted.errors;
  if (Array.isArray(errors)) {
    const list = errors.map((e: unknown) =>
      typeof e === 'object' && e !== null ? redactErrorChain(e, node, censor) : e,
    );
    if (list.some((e, i) => e !== errors[i])) {
      if (out === value) out = Object.assign({}, out);
      out.errors = list;
    }
  }
  return out;
}

/**
 * Set by a {@link FieldTransform} call: whether the object had a defined own
 * value under one of the `correlationKeys` (or a trace key) it was given.
 */
let namedCorrelationKey = false;

/**
 * Serialises known keys (`err`, `error`, raw `req`/`res`), then redacts, in
 * one pass over the object's keys; also notes (in {@link namedCorrelationKey})
 * whether a key is one of `correlationKeys`. Returns the object itself when
 * there is nothing to change, so a common line allocates nothing here.
 */
type FieldTransform = (
  obj: Record<string, unknown>,
  correlationKeys?: readonly string[],
  withTraceKeys?: boolean,
) => Record<string, unknown>;

function fieldTransform(root: RedactNode, censor: string): FieldTransform {
  return function transform(obj, correlationKeys, withTraceKeys = false) {
    namedCorrelationKey = false;
    try {
      let copy: Record<string, unknown> | undefined;
      // for...in also yields inherited enumerable keys, which pino does not
      // write. Checking ownership costs more than the rest of this loop, so
      // it is done only before acting on a key (rare), not for every key.
      for (const key in obj) {
        let value = obj[key];
        if (value === undefined) continue;
        if (correlationKeys !== undefined && !namedCorrelationKey) {
          // Property keys are internalised strings: these are pointer compares.
          let hit = withTraceKeys && (key === 'trace_id' || key === 'span_id');
          for (let i = 0; !hit && i < correlationKeys.length; i++) hit = correlationKeys[i] === key;
          if (hit && Object.hasOwn(obj, key)) namedCorrelationKey = true;
        }
        const serializer = serializerFor(key);
        if (serializer !== undefined) {
          const serialised = serializer(value);
          if (serialised !== value) {
            if (!Object.hasOwn(obj, key)) continue;
            copy ??= Object.assign({}, obj);
            copy[key] = value = serialised;
          }
        }
        const node = lookupRedactNode(root, key);
        if (node === undefined) continue;
        if (node.terminal) {
          if (!Object.hasOwn(obj, key)) continue;
          copy ??= Object.assign({}, obj);
          copy[key] = censor;
        } else if (typeof value === 'object' && value !== null) {
          const redacted =
            serializer === serializeError
              ? redactErrorChain(value, node, censor)
              : redactObject(value, node, censor);
          if (redacted !== value && Object.hasOwn(obj, key)) {
            copy ??= Object.assign({}, obj);
            copy[key] = redacted;
          }
        }
      }
      return copy ?? obj;
    } catch {
      // A getter threw: write nothing of the object rather than risk a secret.
      namedCorrelationKey = false;
      return { log_fields_dropped: 'a field threw while being read for redaction' };
    }
  };
}

type PinoWrite = (this: Logger, obj: unknown, msg: unknown, level: number) => void;

/**
 * Wraps pino's internal write, which log methods call with the logged object
 * (or `null`), the formatted message and the level. The wrapper transforms
 * the object (serialise, redact) and prepares the correlation fragment in one
 * pass; pino then writes the result. An `Error` logged on its own is put under
 * `err` first, as pino would (pino then takes its message as `msg`).
 */
function wrapWrite(original: PinoWrite, transform: FieldTransform): PinoWrite {
  return function write(this: Logger, obj: unknown, msg: unknown, level: number): void {
    const state = getCorrelationState();
    const ids = currentTraceIds();
    let fields = obj;
    let explicit: Record<string, unknown> | undefined;
    if (typeof obj === 'object' && obj !== null) {
      const record = obj instanceof Error ? { err: obj } : (obj as Record<string, unknown>);
      const keys = state !== undefined ? state.keys : ids !== undefined ? NO_KEYS : undefined;
      const transformed = transform(record, keys, ids !== undefined);
      if (namedCorrelationKey) explicit = transformed;
      fields = transformed;
    }
    setPendingFragment(
      correlationFragment(
        state,
        ids,
        explicit === undefined ? undefined : (key) => givenIn(explicit, key),
        this as unknown as LineOwner,
      ),
    );
    original.call(this, fields, msg, level);
  };
}

const NO_KEYS: readonly string[] = [];

function givenIn(fields: Record<string, unknown>, key: string): boolean {
  return fields[key] !== undefined && Object.hasOwn(fields, key);
}

/**
 * Creates a logger writing JSON lines:
 * `{"level":"info","time":"2025-01-01T00:00:00.000Z","request_id":"…","trace_id":"…","span_id":"…","pid":1,"hostname":"h","service":"users","version":"1.4.0",…,"msg":"…"}`.
 *
 * - `level` is the label; `time` is ISO-8601 UTC with milliseconds.
 * - Inside {@link runWithCorrelation} (and inside a span once a trace-context
 *   provider is installed) lines carry the correlation fields; fields passed
 *   explicitly, in the call or as child bindings, win.
 * - Errors, as `logger.error(err)` or under `err`/`error`, are serialised
 *   with `type`, `message`, `stack`, `code` and the `cause` chain.
 * - Secret fields are censored (see {@link RedactOptions}); child bindings and
 *   `fields` too. Correlation fields and the message text are not.
 * - `child()` is pino's; children share the destination and the level rules.
 *
 * Concurrency: a logger may be used from any async context; writing a line is
 * synchronous up to the destination's `write`.
 *
 * @throws VigilError `CONFIG_INVALID` for a missing service name, an invalid
 * level (option or `LOG_LEVEL`) or a malformed redact path.
 */
export function createLogger(options: LoggerOptions): Logger {
  if (typeof options?.service !== 'string' || options.service.trim() === '') {
    throw new VigilError(
      ErrorCodes.CONFIG_INVALID,
      'createLogger needs options.service, the non-empty name of the service (for example "users-api").',
      { details: { service: options?.service } },
    );
  }
  const level = resolveLogLevel(options.level, options.env ?? process.env);
  const redact = options.redact ?? {};
  const paths = redact.replaceDefaults
    ? [...(redact.paths ?? [])]
    : [...DEFAULT_REDACT_PATHS, ...(redact.paths ?? [])];
  const censor = redact.censor ?? DEFAULT_CENSOR;
  if (typeof censor !== 'string') {
    throw new VigilError(
      ErrorCodes.CONFIG_INVALID,
      'redact.censor must be a string, for example "[Redacted]".',
    );
  }
  const compiledPaths = compileRedactPaths(paths);
  const transform = fieldTransform(compiledPaths, censor);

  const base = transform({
    pid: process.pid,
    hostname: hostname(),
    ...options.fields,
    service: options.service,
    ...(options.version === undefined ? {} : { version: options.version }),
  });

  const pinoOptions: PinoOptions = {
    level,
    base,
    timestamp: timeAndCorrelation,
    messageKey: 'msg',
    errorKey: 'err',
    // Serialisation and redaction happen in the write wrapper below, before
    // pino sees the object; pino merges its default `err` serializer into any
    // map given here, so it is replaced by the identity.
    serializers: { err: passThrough },
    formatters: {
      level: (label) => ({ level: label }),
    },
  };
  const dest = options.destination ?? createLogDestination();
  const logger = pino(pinoOptions, dest);

  const target = logger as unknown as LineOwner & Record<symbol, unknown>;
  const writeSym = symbols.writeSym;
  if (typeof target[writeSym] !== 'function') {
    // A pino without the write symbol would silently lose correlation.
    throw new VigilError(
      ErrorCodes.CONFIG_INVALID,
      'Unsupported pino version: pino.symbols.writeSym is missing. Install pino 10 (the version @vigil/sdk declares).',
    );
  }
  target[writeSym] = wrapWrite(target[writeSym] as PinoWrite, transform);
  target[kBindingKeys] = registerBindingKeys(undefined, Object.keys(base));
  // What a line written from pre-serialised fields must match (see
  // serialized-line.ts); children inherit it and are checked against it.
  const support: SerializedLineSupport = {
    redactRoot: compiledPaths,
    serializers: target[symbols.serializersSym],
    stringifiers: target[symbols.stringifiersSym],
    end: target[symbols.endSym],
  };
  target[kSerializedLines] = support;

  // Taken off the instance to be called with each child as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const pinoChild = logger.child;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const pinoSetBindings = logger.setBindings;
  // Children are created with Object.create(parent), so they inherit these.
  logger.child = function child(this: Logger, bindings, childOptions) {
    const safe = transform(bindings);
    const instance = pinoChild.call(this, safe, childOptions);
    // Own property: the parent's binding names plus the child's.
    (instance as unknown as LineOwner)[kBindingKeys] = registerBindingKeys(
      (this as unknown as LineOwner)[kBindingKeys],
      Object.keys(safe),
    );
    return instance;
  } as Logger['child'];
  logger.setBindings = function setBindings(this: Logger, bindings) {
    const safe = transform(bindings);
    pinoSetBindings.call(this, safe);
    const owner = this as unknown as LineOwner;
    owner[kBindingKeys] = registerBindingKeys(owner[kBindingKeys], Object.keys(safe));
  };

  if (options.diagnostics === true) installDiagnosticLogger(logger);
  return logger;
}

/**
 * Writes out whatever the logger's destination still buffers and resolves
 * when it is done, or after `timeoutMs` (default 5000 ms) if the destination
 * does not answer; never rejects. Call it on shutdown, after the last line.
 * With a plain writable stream as destination, resolves as soon as pino has
 * handed the lines over (the stream's own buffering is the stream's business).
 * May be called concurrently and repeatedly; lines logged after the call
 * starts may or may not be included.
 */
export function flushLogger(logger: Logger, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    // Not unref'ed: an awaited flush always settles, at the latest after timeoutMs.
    const timer = setTimeout(finish, timeoutMs);
    try {
      logger.flush(() => finish());
    } catch {
      finish();
    }
  });
}

/**
 * Routes SDK diagnostics (`diagWarn`, `diagError`) into `logger`, as lines
 * with `component: "vigil"` and a `code`. One sink serves the process; the
 * last call wins (process-wide: call it at startup, not per request). Call
 * `setDiagnosticSink(undefined)` to restore the default.
 */
export function installDiagnosticLogger(logger: Logger): void {
  setDiagnosticSink(logger);
}
