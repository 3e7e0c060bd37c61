/**
 * How correlation fields reach a log line without costing an object per line.
 *
 * pino builds a line as `{"level":…` + the timestamp fragment + the child
 * bindings + the logged fields + the message. Vigil's timestamp function
 * returns `,"time":"<ISO>"` followed by the active correlation fragment, which
 * the correlation context keeps pre-serialised. A `mixin` returning an object
 * per line measured about 1.6x the cost of a bare pino line; this splice
 * costs a string concatenation.
 *
 * Fields the caller passes explicitly (in the logged object, or as child
 * bindings) must win without writing the key twice. pino calls the timestamp
 * function before it looks at the logged object, so the logger wraps pino's
 * internal write (`pino.symbols.writeSym`, called with the logged object):
 * the wrapper transforms the object (see `logger.ts`), notes whether it names
 * a correlation key, and leaves the fragment for this line in `pending`; the
 * timestamp function, the first thing pino's write calls, takes it. Nothing
 * runs in between, so nested logging cannot mix the two up.
 *
 * Child bindings rarely name a correlation key, and looking a logger's own
 * data up costs (pino loggers are dictionary-mode objects), so the names of
 * all bindings of all Vigil loggers are kept in one set: only when a
 * correlation state shares a name with it is the logger's own set consulted.
 *
 * @internal
 */
import { getCorrelationState } from '../context/correlation.js';
import type { CorrelationState } from '../context/correlation.js';
import { currentTraceIds } from '../context/trace.js';
import type { TraceIds } from '../context/trace.js';

/** Symbol under which a Vigil logger (and each child) keeps the names of its bindings. */
export const kBindingKeys: unique symbol = Symbol('vigil.log.bindingKeys');

/** The write path's view of a logger. */
export interface LineOwner {
  [kBindingKeys]?: ReadonlySet<string>;
}

/** Names bound by any Vigil logger (base fields and child bindings), and a version. */
const boundNames = new Set<string>();
let boundVersion = 0;
let traceBound = false;

/** Records binding names of a new logger or child; returns them as a set. */
export function registerBindingKeys(
  parent: ReadonlySet<string> | undefined,
  keys: readonly string[],
): ReadonlySet<string> {
  const set = new Set(parent);
  for (const key of keys) {
    set.add(key);
    if (!boundNames.has(key)) {
      boundNames.add(key);
      boundVersion++;
      if (isTraceKey(key)) traceBound = true;
    }
  }
  return set;
}

let pending: string | undefined;

let lastTraceId = '';
let lastSpanId = '';
let lastTraceJson = '';

function traceFragment(ids: TraceIds): string {
  if (ids.trace_id !== lastTraceId || ids.span_id !== lastSpanId) {
    lastTraceId = ids.trace_id;
    lastSpanId = ids.span_id;
    lastTraceJson =
      ',"trace_id":' + JSON.stringify(ids.trace_id) + ',"span_id":' + JSON.stringify(ids.span_id);
  }
  return lastTraceJson;
}

function isTraceKey(key: string): boolean {
  return key === 'trace_id' || key === 'span_id';
}

/** Whether some logger may bind a key this line would carry. Cached on the state. */
function mayBeBound(state: CorrelationState | undefined, ids: TraceIds | undefined): boolean {
  if (ids !== undefined && traceBound) return true;
  if (state === undefined) return false;
  if (state.bindingCheck !== boundVersion) {
    let overlap = false;
    for (const key of state.keys) {
      if (boundNames.has(key)) {
        overlap = true;
        break;
      }
    }
    state.bindingOverlap = overlap;
    state.bindingCheck = boundVersion;
  }
  return state.bindingOverlap;
}

/** Whether the line's own fields name `key` (see {@link correlationFragment}). */
export type ExplicitKeys = (key: string) => boolean;

function explicitlyGiven(
  key: string,
  explicit: ExplicitKeys | undefined,
  bindingKeys: ReadonlySet<string> | undefined,
): boolean {
  return (
    (explicit !== undefined && explicit(key)) || (bindingKeys !== undefined && bindingKeys.has(key))
  );
}

/**
 * The JSON fragment (`,"request_id":"…",…`) for a line written now.
 *
 * @param state the active correlation state
 * @param ids the active span's ids (they replace the context's trace ids)
 * @param explicit when the line's own fields name a correlation or trace key,
 *   tells which keys they name (those are left out), else `undefined`
 * @param owner the logger, whose bindings are left out too
 */
export function correlationFragment(
  state: CorrelationState | undefined,
  ids: TraceIds | undefined,
  explicit: ExplicitKeys | undefined,
  owner: LineOwner | undefined,
): string {
  if (state === undefined && ids === undefined) return '';
  const bindingKeys =
    owner !== undefined && mayBeBound(state, ids) ? owner[kBindingKeys] : undefined;
  if (explicit === undefined && bindingKeys === undefined) {
    if (ids === undefined) return state!.json;
    return state === undefined ? traceFragment(ids) : state.jsonNoTrace + traceFragment(ids);
  }
  // Rare: something may override; build the fragment key by key.
  let out = '';
  if (state !== undefined) {
    for (let i = 0; i < state.keys.length; i++) {
      const key = state.keys[i]!;
      if (ids !== undefined && isTraceKey(key)) continue;
      if (!explicitlyGiven(key, explicit, bindingKeys)) out += state.parts[i]!;
    }
  }
  if (ids !== undefined) {
    if (!explicitlyGiven('trace_id', explicit, bindingKeys)) {
      out += ',"trace_id":' + JSON.stringify(ids.trace_id);
    }
    if (!explicitlyGiven('span_id', explicit, bindingKeys)) {
      out += ',"span_id":' + JSON.stringify(ids.span_id);
    }
  }
  return out;
}

/** Leaves the fragment for the line pino is about to write (see the module note). */
export function setPendingFragment(fragment: string): void {
  pending = fragment;
}

/**
 * Returns `s` after making V8 flatten it (reading a character of a
 * concatenation does), so that each line copies one piece instead of walking
 * the concatenation again.
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

let lastMs = Number.NaN;
let lastTimeField = '';
let lastFragment = '';
let lastCombined = '';

/**
 * pino `timestamp` function: `,"time":"<ISO-8601>"` plus the correlation
 * fragment prepared for this line. The ISO string is cached per millisecond
 * (`toISOString` costs more than the rest of a short line), and so is its
 * concatenation with the last fragment (lines of one request in the same
 * millisecond share it).
 */
export function timeAndCorrelation(): string {
  const fragment =
    pending ?? correlationFragment(getCorrelationState(), currentTraceIds(), undefined, undefined);
  pending = undefined;
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTimeField = ',"time":"' + new Date(now).toISOString() + '"';
    lastFragment = fragment;
    lastCombined = flat(lastTimeField + fragment);
  } else if (fragment !== lastFragment) {
    lastFragment = fragment;
    lastCombined = flat(lastTimeField + fragment);
  }
  return lastCombined;
}
