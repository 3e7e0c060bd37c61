/**
 * W3C Trace Context (Recommendation, Level 1, plus the Level 2 `random`
 * trace flag): parsing and formatting of the `traceparent` and `tracestate`
 * headers, and a propagator that plugs into OpenTelemetry.
 *
 * Everything here is pure and synchronous, safe to call from any number of
 * concurrent requests, and never throws, whatever the input: a header that
 * cannot be read is reported as absent (`undefined`, or an empty
 * {@link TraceState}), so a bad caller starts a new trace instead of
 * breaking the request.
 *
 * Choices where the specification leaves room (each one tested):
 *
 * - Whitespace: spaces and horizontal tabs around a `traceparent` value are
 *   removed before parsing. They are HTTP optional whitespace (RFC 7230
 *   §3.2), not part of the field value, and the W3C test suite sends them and
 *   expects the header to be accepted. Any other character, whitespace or
 *   not, inside or around the value makes it invalid.
 * - Several `traceparent` values (a header sent twice) are invalid: there is
 *   no way to tell which one is the parent, and the W3C test suite expects a
 *   new trace.
 * - `tracestate`: an invalid list-member is dropped and the valid ones are
 *   kept. The specification allows discarding the whole header on a parse
 *   error; we keep what can be kept because losing one vendor's entry is less
 *   harmful than losing every vendor's entry, and no member we emit was
 *   invalid on input. A repeated key keeps its first (left-most, most recent)
 *   value. More than 32 members: the extra ones at the end are dropped, as
 *   the truncation rule says (entries are removed from the end).
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type {
  Context,
  SpanContext,
  TextMapGetter,
  TextMapPropagator,
  TextMapSetter,
  TraceState as OtelTraceState,
} from '@opentelemetry/api';

/** Header name of the trace parent, lowercase as the specification recommends. */
export const TRACEPARENT_HEADER = 'traceparent';
/** Header name of the vendor trace state, lowercase as the specification recommends. */
export const TRACESTATE_HEADER = 'tracestate';

/** Trace flag: the caller may have recorded trace data (bit 0). */
export const TRACE_FLAG_SAMPLED = 0x01;
/**
 * Trace flag from Trace Context Level 2: at least the right-most 7 bytes of
 * the trace-id were chosen at random (bit 1).
 */
export const TRACE_FLAG_RANDOM = 0x02;
/** The flags Vigil understands and emits; every other bit is sent as zero. */
export const KNOWN_TRACE_FLAGS = TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM;

/** Most list-members a {@link TraceState} holds (the specification's limit). */
export const MAX_TRACESTATE_MEMBERS = 32;
/** Longest tracestate value, in characters. */
export const MAX_TRACESTATE_VALUE_LENGTH = 256;

/** Length of a version-00 traceparent, and the shortest any version may be. */
const TRACEPARENT_LENGTH = 55;

/** A parsed `traceparent` header. Immutable (frozen) when it comes from {@link parseTraceparent}. */
export interface TraceParent {
  /**
   * Version the sender used, 0–254 (`ff` is invalid). Only informative:
   * {@link formatTraceparent} always writes version `00`, the highest this
   * code knows, as the specification requires.
   */
  readonly version: number;
  /** 32 lowercase hex characters, not all zero. */
  readonly traceId: string;
  /** The caller's span id: 16 lowercase hex characters, not all zero. */
  readonly parentId: string;
  /**
   * The 8-bit trace-flags field as received, unknown bits included. Test bits
   * with {@link TRACE_FLAG_SAMPLED} and {@link TRACE_FLAG_RANDOM}.
   */
  readonly traceFlags: number;
}

// ---------------------------------------------------------------------------
// traceparent

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Whether `s[start, end)` is lowercase hex only. */
function isLowerHex(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Whether `s` (already known to be hex) is all zeros. */
function isAllZero(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 0x30) return false;
  return true;
}

/** Whether `id` is a valid trace-id: 32 lowercase hex characters, not all zero. */
export function isValidTraceId(id: unknown): id is string {
  return typeof id === 'string' && id.length === 32 && isLowerHex(id, 0, 32) && !isAllZero(id);
}

/** Whether `id` is a valid parent-id (span id): 16 lowercase hex characters, not all zero. */
export function isValidParentId(id: unknown): id is string {
  return typeof id === 'string' && id.length === 16 && isLowerHex(id, 0, 16) && !isAllZero(id);
}

/**
 * Parses a `traceparent` header value.
 *
 * Version `00` must be exactly `00-<32 hex>-<16 hex>-<2 hex>` (55 characters,
 * lowercase hex only). A higher version (anything but `00` and the forbidden
 * `ff`) is read by its first four fields when the value is at least 55
 * characters long and, if longer, character 55 is a dash; what follows is
 * ignored. All-zero trace-id or parent-id is invalid. Surrounding spaces and
 * tabs are ignored (see the module note).
 *
 * @returns the parsed fields, or `undefined` when the value is not a valid
 *   traceparent (the caller should then start a new trace). Never throws.
 */
export function parseTraceparent(header: string): TraceParent | undefined {
  if (typeof header !== 'string') return undefined;
  let start = 0;
  let end = header.length;
  while (start < end && isOws(header.charCodeAt(start))) start++;
  while (end > start && isOws(header.charCodeAt(end - 1))) end--;
  const length = end - start;
  if (length < TRACEPARENT_LENGTH) return undefined;
  const s = start === 0 && end === header.length ? header : header.slice(start, end);

  // version "-" trace-id "-" parent-id "-" trace-flags [ "-" future fields ]
  if (!isLowerHex(s, 0, 2) || s.charCodeAt(2) !== 0x2d) return undefined;
  const versionHex = s.slice(0, 2);
  if (versionHex === 'ff') return undefined;
  if (versionHex === '00') {
    if (length !== TRACEPARENT_LENGTH) return undefined;
  } else if (length > TRACEPARENT_LENGTH && s.charCodeAt(TRACEPARENT_LENGTH) !== 0x2d) {
    return undefined;
  }
  if (s.charCodeAt(35) !== 0x2d || s.charCodeAt(52) !== 0x2d) return undefined;
  if (!isLowerHex(s, 53, 55)) return undefined;
  const traceId = s.slice(3, 35);
  const parentId = s.slice(36, 52);
  if (!isValidTraceId(traceId) || !isValidParentId(parentId)) return undefined;
  return Object.freeze({
    version: parseInt(versionHex, 16),
    traceId,
    parentId,
    traceFlags: parseInt(s.slice(53, 55), 16),
  });
}

/**
 * Formats a `traceparent` header value: always version `00`, with only the
 * flags Vigil knows ({@link KNOWN_TRACE_FLAGS}); other bits are written as
 * zero, as the specification requires. `tp.version` is not written (a
 * higher version received is downgraded to `00`).
 *
 * @returns the 55-character header, or `undefined` when `tp` has an invalid
 *   trace-id or parent-id (nothing invalid is ever emitted). Never throws.
 */
export function formatTraceparent(tp: TraceParent): string | undefined {
  if (tp === null || typeof tp !== 'object') return undefined;
  const { traceId, parentId } = tp;
  if (!isValidTraceId(traceId) || !isValidParentId(parentId)) return undefined;
  const flags = typeof tp.traceFlags === 'number' ? tp.traceFlags & KNOWN_TRACE_FLAGS : 0;
  return `00-${traceId}-${parentId}-0${flags.toString(16)}`;
}

// ---------------------------------------------------------------------------
// tracestate

/**
 * simple-key       = lcalpha 0*255( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
 * multi-tenant-key = tenant-id "@" system-id
 * tenant-id        = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
 * system-id        = lcalpha 0*13( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
 */
const KEY_PATTERN =
  /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;

/** Whether `key` is a valid tracestate key (simple or multi-tenant). */
export function isValidTracestateKey(key: unknown): key is string {
  // The length test keeps the regular expression away from huge inputs.
  return typeof key === 'string' && key.length <= 256 && KEY_PATTERN.test(key);
}

/**
 * Whether `value` is a valid tracestate value: 1–256 printable ASCII
 * characters (0x20–0x7E) other than `,` and `=`, not ending with a space.
 */
export function isValidTracestateValue(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const n = value.length;
  if (n === 0 || n > MAX_TRACESTATE_VALUE_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x2c || c === 0x3d) return false;
  }
  return value.charCodeAt(n - 1) !== 0x20;
}

type Member = readonly [key: string, value: string];

const EMPTY_MEMBERS: readonly Member[] = Object.freeze([]);

/**
 * The `tracestate` list: vendor key/value pairs, left-most first. Immutable:
 * every change returns a new instance, so one value can be shared by any
 * number of spans and requests. At most {@link MAX_TRACESTATE_MEMBERS}
 * members, keys unique, every key and value valid.
 *
 * It also satisfies OpenTelemetry's `TraceState` interface (`unset`,
 * `serialize`), so it can sit in a `SpanContext`.
 */
export class TraceState implements OtelTraceState {
  /** The empty list. */
  static readonly EMPTY: TraceState = new TraceState(EMPTY_MEMBERS);

  readonly #members: readonly Member[];

  private constructor(members: readonly Member[]) {
    this.#members = members;
  }

  /**
   * Builds a list from key/value pairs in order, with the parsing rules:
   * invalid pairs are dropped, a repeated key keeps its first value, and
   * pairs past the 32nd kept one are dropped. Never throws.
   */
  static fromEntries(entries: Iterable<readonly [string, string]>): TraceState {
    const members: Member[] = [];
    const seen = new Set<string>();
    try {
      for (const entry of entries) {
        if (members.length >= MAX_TRACESTATE_MEMBERS) break;
        if (!Array.isArray(entry)) continue;
        const [key, value] = entry as unknown[];
        if (!isValidTracestateKey(key) || !isValidTracestateValue(value)) continue;
        if (seen.has(key)) continue;
        seen.add(key);
        members.push(Object.freeze([key, value] as const));
      }
    } catch {
      // A throwing iterable ends the list where it broke.
    }
    return members.length === 0 ? TraceState.EMPTY : new TraceState(Object.freeze(members));
  }

  /** Number of members. */
  get size(): number {
    return this.#members.length;
  }

  /** The value of `key`, or `undefined`. */
  get(key: string): string | undefined {
    for (const [k, v] of this.#members) if (k === key) return v;
    return undefined;
  }

  /**
   * A new list with `key` set to `value` and moved to the front (left-most),
   * as the specification requires for an updated or added member. When the
   * list was full, the last member makes room. An invalid key or value
   * leaves the list unchanged (returns `this`).
   */
  set(key: string, value: string): TraceState {
    if (!isValidTracestateKey(key) || !isValidTracestateValue(value)) return this;
    const members: Member[] = [Object.freeze([key, value] as const)];
    for (const m of this.#members) {
      if (members.length >= MAX_TRACESTATE_MEMBERS) break;
      if (m[0] !== key) members.push(m);
    }
    return new TraceState(Object.freeze(members));
  }

  /** A new list without `key` (or `this` when `key` is absent); the others keep their order. */
  delete(key: string): TraceState {
    const members = this.#members.filter((m) => m[0] !== key);
    if (members.length === this.#members.length) return this;
    return members.length === 0 ? TraceState.EMPTY : new TraceState(Object.freeze(members));
  }

  /** Same as {@link delete}; the name OpenTelemetry's `TraceState` uses. */
  unset(key: string): TraceState {
    return this.delete(key);
  }

  /** The members, left-most first, as frozen `[key, value]` pairs. */
  entries(): readonly (readonly [string, string])[] {
    return this.#members;
  }

  /** The header value, as {@link formatTracestate} writes it. */
  serialize(): string {
    return formatTracestate(this);
  }
}

/**
 * Parses `tracestate` header values. Several values (the header sent more
 * than once) are joined with commas in the order given, as HTTP combines
 * repeated list headers. Members are separated by commas with optional
 * spaces or tabs around them; empty members are skipped; invalid members are
 * dropped, duplicates keep the first, and only the first 32 valid members
 * are kept (see the module note). Never throws.
 */
export function parseTracestate(header: string | readonly string[]): TraceState {
  let text: string;
  if (typeof header === 'string') {
    text = header;
  } else if (Array.isArray(header)) {
    text = (header as unknown[]).filter((h): h is string => typeof h === 'string').join(',');
  } else {
    return TraceState.EMPTY;
  }
  const members: Member[] = [];
  const seen = new Set<string>();
  let pos = 0;
  while (pos <= text.length && members.length < MAX_TRACESTATE_MEMBERS) {
    let end = text.indexOf(',', pos);
    if (end === -1) end = text.length;
    let a = pos;
    let b = end;
    pos = end + 1;
    while (a < b && isOws(text.charCodeAt(a))) a++;
    while (b > a && isOws(text.charCodeAt(b - 1))) b--;
    if (a === b) continue; // empty or whitespace-only member
    const eq = text.indexOf('=', a);
    if (eq === -1 || eq >= b) continue; // no "=": invalid member
    const key = text.slice(a, eq);
    const value = text.slice(eq + 1, b);
    if (!isValidTracestateKey(key) || !isValidTracestateValue(value)) continue;
    if (seen.has(key)) continue;
    seen.add(key);
    members.push(Object.freeze([key, value] as const));
  }
  return TraceState.fromEntries(members);
}

/**
 * Formats a tracestate header value: `key=value` members joined by commas,
 * no whitespace. An empty list gives `''` (callers omit the header then).
 */
export function formatTracestate(ts: TraceState): string {
  if (!(ts instanceof TraceState)) return '';
  let out = '';
  for (const [k, v] of ts.entries()) out += out === '' ? `${k}=${v}` : `,${k}=${v}`;
  return out;
}

// ---------------------------------------------------------------------------
// propagator

/**
 * OpenTelemetry SDK's context key that suppresses tracing (its exporters set
 * it around their own requests). `createContextKey` is `Symbol.for`, so the
 * same description gives the same key without depending on
 * `@opentelemetry/core`.
 */
const SUPPRESS_TRACING_KEY = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** Reads one header, accepting any case of its name (a plain-object carrier may not be lowercased). */
function readHeader<C>(
  carrier: C,
  getter: TextMapGetter<C>,
  name: string,
): string | string[] | undefined {
  const direct = getter.get(carrier, name);
  if (direct !== undefined) return direct;
  const keys = getter.keys(carrier);
  if (!Array.isArray(keys)) return undefined;
  for (const key of keys) {
    if (typeof key === 'string' && key !== name && key.toLowerCase() === name) {
      return getter.get(carrier, key);
    }
  }
  return undefined;
}

/** A span context's trace state as a Vigil {@link TraceState}, revalidated when foreign. */
function toTraceState(state: OtelTraceState | undefined): TraceState {
  if (state === undefined || state === null) return TraceState.EMPTY;
  if (state instanceof TraceState) return state;
  const text = state.serialize();
  return typeof text === 'string' ? parseTracestate(text) : TraceState.EMPTY;
}

/**
 * W3C Trace Context propagator: reads and writes `traceparent` and
 * `tracestate`. Drop-in for OpenTelemetry's `W3CTraceContextPropagator`
 * (`propagation.setGlobalPropagator(new VigilTraceContextPropagator())`).
 * Stateless; one instance may serve any number of concurrent requests.
 * Never throws, even when the carrier's getter or setter does (the header
 * is then not read or not written).
 */
export class VigilTraceContextPropagator implements TextMapPropagator {
  /**
   * Writes `traceparent` (version `00`, known flags only) and, when it has
   * members, `tracestate` from the span context active in `context`. Writes
   * nothing when there is no valid span context or tracing is suppressed.
   */
  inject<C>(context: Context, carrier: C, setter: TextMapSetter<C>): void {
    try {
      if (context.getValue(SUPPRESS_TRACING_KEY) === true) return;
      const sc = trace.getSpanContext(context);
      if (sc === undefined || !isSpanContextValid(sc)) return;
      // OpenTelemetry accepts uppercase ids; the wire format is lowercase.
      const traceparent = formatTraceparent({
        version: 0,
        traceId: sc.traceId.toLowerCase(),
        parentId: sc.spanId.toLowerCase(),
        traceFlags: sc.traceFlags,
      });
      if (traceparent === undefined) return;
      setter.set(carrier, TRACEPARENT_HEADER, traceparent);
      const tracestate = formatTracestate(toTraceState(sc.traceState));
      if (tracestate !== '') setter.set(carrier, TRACESTATE_HEADER, tracestate);
    } catch {
      // A carrier or trace state that throws must not break the caller's request.
    }
  }

  /**
   * Returns `context` with a remote span context when the carrier holds a
   * valid `traceparent` (with its `tracestate`, invalid members dropped, when
   * any remain). Otherwise returns `context` unchanged, so a new trace starts.
   * An invalid `tracestate` never rejects a valid `traceparent`.
   */
  extract<C>(context: Context, carrier: C, getter: TextMapGetter<C>): Context {
    try {
      const raw = readHeader(carrier, getter, TRACEPARENT_HEADER);
      let header: unknown = raw;
      if (Array.isArray(raw)) header = raw.length === 1 ? raw[0] : undefined;
      if (typeof header !== 'string') return context;
      const tp = parseTraceparent(header);
      if (tp === undefined) return context;
      const spanContext: SpanContext = {
        traceId: tp.traceId,
        spanId: tp.parentId,
        traceFlags: tp.traceFlags & KNOWN_TRACE_FLAGS,
        isRemote: true,
      };
      try {
        const rawState = readHeader(carrier, getter, TRACESTATE_HEADER);
        if (rawState !== undefined) {
          const ts = parseTracestate(rawState);
          if (ts.size > 0) spanContext.traceState = ts;
        }
      } catch {
        // Failing to read tracestate must not affect traceparent.
      }
      return trace.setSpanContext(context, spanContext);
    } catch {
      return context;
    }
  }

  /** The headers this propagator reads and writes. */
  fields(): string[] {
    return [TRACEPARENT_HEADER, TRACESTATE_HEADER];
  }
}
