/**
 * Outgoing HTTP instrumentation: a CLIENT span for every request a service
 * makes with the global `fetch` or `http`/`https` `request`/`get` while a
 * span is active, and the `traceparent`/`tracestate` of that client span sent
 * with the request, so that one service calling another forms one trace.
 *
 * How it hooks in, on Node 20.19+ (each point checked against Node 20.20):
 *
 * - `fetch` (undici bundled in Node): diagnostics channels, no patching.
 *   `undici:request:create` is published synchronously inside the dispatch,
 *   in the caller's async context, while `request.addHeader` can still add
 *   headers; `undici:request:headers`, `:trailers` and `:error` report the
 *   response status, the end of the body and failures. Requests made with
 *   the `undici` package directly publish the same channels and are traced
 *   the same way.
 * - `http`/`https`: Node 20 publishes `http.client.request.start` only once
 *   the header block is stored (`setHeader` throws there), too late to
 *   inject. So `request` and `get` of both modules are wrapped: the wrapper
 *   starts the span and adds the headers before anything is sent. The rest
 *   of the lifecycle comes from the `http.client.response.finish` (response
 *   headers received) and `http.client.request.error` channels and from
 *   `'close'` listeners. No `'response'` or `'error'` listener is added:
 *   either would change Node's behaviour (an unheard response is dumped, an
 *   unheard error is thrown). `import { request } from 'node:http'` bindings
 *   are updated too (`syncBuiltinESMExports`). A `ClientRequest` built with
 *   `new` directly is not traced.
 *
 * When a client span ends (exactly once, whichever comes first). The
 * semantic conventions allow ending at the response headers; the span covers
 * the body instead, so that its duration compares with the server's span and
 * a failure in the middle of the body shows:
 *
 * - the response body has been received in full (`fetch`: undici's
 *   `trailers`; `http`: the response's `'close'` after its `'end'`);
 * - the request fails (connection refused, DNS, reset, abort, timeout): the
 *   exception is recorded, status ERROR (message: the exception's), and
 *   `error.type` set;
 * - the application lets the body go after the headers arrived (`fetch`:
 *   `body.cancel()`, an abort whose reason is an `AbortError` or not an
 *   `Error`, or undici cancelling the body of a `Response` garbage-collected
 *   unread; `http`: the response destroyed before its end without an error):
 *   the span ends without error, at the time the headers arrived;
 * - `http` only: the request closes without response and without a reported
 *   error (an upgrade, for example).
 *
 * A `fetch` body that is neither read nor cancelled while its `Response` is
 * still referenced keeps its span open as long as undici keeps the
 * connection; bodies undici has buffered whole (small ones) end at once. The
 * span lives with undici's request object (a `WeakMap`): no memory is held
 * beyond what the application holds.
 *
 * `error.type`: the status code as a string for 4xx and 5xx; for exceptions,
 * the Node error code when there is one (`ECONNREFUSED`, `ENOTFOUND`,
 * `ECONNRESET`, `ERR_INVALID_HTTP_TOKEN`: the "component-specific
 * low-cardinality identifier" semconv allows, more telling than the class
 * name `Error`), else the error's name (`TimeoutError`, `AbortError`,
 * `TypeError`), else `_OTHER`.
 *
 * Requests made with no active span get no span and no header by default
 * ({@link OutgoingHttpOptions.createRootSpans}): a request outside any
 * traced work (a health probe, a scheduled job) would otherwise start a
 * one-span trace of its own, and the service called would join a trace
 * nobody asked for.
 *
 * All hooks run synchronously on the request path and cost a few
 * microseconds beyond the span itself (see `outgoing.bench.ts`); with no
 * active span, a context lookup.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { performance } from 'node:perf_hooks';
import {
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Span, TextMapSetter } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ERROR_TYPE_VALUE_OTHER,
  HTTP_REQUEST_METHOD_VALUE_OTHER,
} from '@opentelemetry/semantic-conventions';
import { ErrorCodes, VigilError } from '@vigil/model';
import { diagWarnOnce } from '../diag.js';
import { TRACEPARENT_HEADER } from './trace-context.js';
import { TRACER_NAME } from './with-span.js';

/**
 * Diagnostic code of a failure inside the outgoing HTTP instrumentation (the
 * request then goes out untouched).
 */
export const OUTGOING_HTTP_INSTRUMENTATION_FAILED = ErrorCodes.TRACE_INSTRUMENTATION_FAILED;

/** Options of {@link instrumentOutgoingHttp}. */
export interface OutgoingHttpOptions {
  /**
   * Requests that get neither span nor header: a list of URL prefixes, or a
   * predicate. Both see `url.full` as the span would record it
   * (`scheme://host[:port]/path?query`, never credentials, the default port
   * left out). A predicate that throws counts as "ignore" and is reported.
   * Requests made while tracing is suppressed (`suppressTracing` of
   * `@opentelemetry/core`, as the OpenTelemetry exporters do around their
   * exports) are always ignored.
   */
  readonly ignoreUrls?: readonly string[] | ((url: string) => boolean);
  /**
   * Whether a request made with no active span starts a trace of its own (a
   * root CLIENT span, injected). Default `false`: no span, no header.
   */
  readonly createRootSpans?: boolean;
  /** Trace the global `fetch` (undici). Default `true`. */
  readonly fetch?: boolean;
  /** Trace `http.request`/`http.get`/`https.request`/`https.get`. Default `true`. */
  readonly http?: boolean;
}

/** What {@link instrumentOutgoingHttp} returns. */
export interface OutgoingHttpHandle {
  /** Whether this installation is still active (false after {@link OutgoingHttpHandle.uninstall}). */
  readonly installed: boolean;
  /**
   * Stops tracing new requests: unsubscribes, and restores the `http`/`https`
   * functions (when another library wrapped them on top since, the wrapper
   * stays in place and passes requests through untouched). Requests already
   * in flight still end their spans (the response and error channels stay
   * subscribed until the last of them ends). Idempotent; never throws.
   */
  uninstall(): void;
}

const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

/** Query keys whose values semconv says to redact in `url.full`. */
const SENSITIVE_QUERY = /([?&](?:AWSAccessKeyId|Signature|sig|X-Goog-Signature)=)[^&#]*/g;
const ABSOLUTE_FORM = /^https?:\/\//i;
const HAS_SENSITIVE_QUERY = /[?&](?:AWSAccessKeyId|Signature|sig|X-Goog-Signature)=/;

// ---------------------------------------------------------------------------
// Shared pieces: URL and attributes, the client call state machine.

interface Target {
  readonly method: string;
  readonly protocol: string;
  /** Host name or IP address, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /** Path and query, starting with `/` (or `*` for `OPTIONS *`). */
  readonly path: string;
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/** `url.full` of a target: no credentials (they never reach `path`), sensitive query values redacted. */
function fullUrl(t: Target): string {
  return originOf(t.protocol, t.host, t.port) + urlPath(t.path);
}

/** `scheme://host[:port]`: IPv6 in brackets, the default port left out. */
function originOf(protocol: string, host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === defaultPort(protocol) ? `${protocol}//${h}` : `${protocol}//${h}:${port}`;
}

/** The path and query of `url.full`, sensitive query values redacted (semconv). */
function urlPath(path: string): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  return HAS_SENSITIVE_QUERY.test(p) ? p.replace(SENSITIVE_QUERY, '$1REDACTED') : p;
}

interface ParsedOrigin {
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  /** Normalized `scheme://host[:port]`. */
  readonly origin: string;
}

/** undici origins seen lately, parsed once (a service talks to a handful of hosts). */
const origins = new Map<string, ParsedOrigin>();
const MAX_ORIGINS = 256;

function parseOrigin(raw: string): ParsedOrigin {
  let parsed = origins.get(raw);
  if (parsed !== undefined) return parsed;
  const url = new URL(raw);
  let host = url.hostname;
  if (host.startsWith('[')) host = host.slice(1, -1);
  const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
  parsed = { protocol: url.protocol, host, port, origin: originOf(url.protocol, host, port) };
  if (origins.size >= MAX_ORIGINS) origins.clear();
  origins.set(raw, parsed);
  return parsed;
}

function spanAttributes(t: Target, url: string): { name: string; attributes: Attributes } {
  const known = KNOWN_METHODS.has(t.method);
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: known ? t.method : HTTP_REQUEST_METHOD_VALUE_OTHER,
    [ATTR_SERVER_ADDRESS]: t.host,
    [ATTR_SERVER_PORT]: t.port,
    [ATTR_URL_FULL]: url,
  };
  if (!known) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = t.method;
  return { name: known ? t.method : 'HTTP', attributes };
}

/**
 * `error.type` of an exception: the Node error code when it has one
 * (`ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET`: low-cardinality and more
 * telling than `Error`), else its name (`AbortError`, `TimeoutError`,
 * `TypeError`), else `_OTHER`.
 */
function errorType(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return ERROR_TYPE_VALUE_OTHER;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** The span of one outgoing request and its end, which happens at most once. */
class ClientCall {
  private ended = false;
  /** `performance.now()` when the response headers arrived, else undefined. */
  headersAt: number | undefined;

  constructor(
    readonly span: Span,
    private readonly onEnd: () => void,
  ) {}

  get responded(): boolean {
    return this.headersAt !== undefined;
  }

  /** Response headers arrived. HTTP 4xx and 5xx make the client span an error (semconv). */
  response(status: number, protocolVersion: string | undefined): void {
    if (this.ended || this.headersAt !== undefined) return;
    this.headersAt = performance.now();
    this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (protocolVersion !== undefined && protocolVersion !== '') {
      this.span.setAttribute(ATTR_NETWORK_PROTOCOL_VERSION, protocolVersion);
    }
    if (status >= 400) {
      this.span.setAttribute(ATTR_ERROR_TYPE, String(status));
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }

  /** The request failed: records the exception, status ERROR, ends the span. */
  fail(err: unknown): void {
    if (this.ended) return;
    try {
      if (err instanceof Error) {
        this.span.recordException(err);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      } else {
        const message = typeof err === 'string' ? err : 'request failed';
        this.span.recordException(message);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message });
      }
      this.span.setAttribute(ATTR_ERROR_TYPE, errorType(err));
    } finally {
      this.end();
    }
  }

  /** The application let the body go: ends without error, when the headers arrived. */
  abandon(): void {
    this.end(this.headersAt);
  }

  end(at?: number): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.span.end(at);
    } finally {
      this.onEnd();
    }
  }
}

// ---------------------------------------------------------------------------
// The installation.

type RequestFn = (...args: unknown[]) => ClientRequest;

interface Patch {
  readonly module: Record<string, unknown>;
  readonly key: 'request' | 'get';
  readonly original: RequestFn;
  readonly wrapper: RequestFn;
}

/** An undici `Request` as its diagnostics channels show it (Node 20: undici 6). */
interface UndiciRequest {
  readonly origin?: unknown;
  readonly path?: unknown;
  readonly method?: unknown;
  /** undici 6: flat `[name, value, ...]`; undici 5: one `name: value\r\n` string. */
  readonly headers?: unknown;
  addHeader?(name: string, value: string): unknown;
}

const FETCH_CREATE = 'undici:request:create';
const FETCH_HEADERS = 'undici:request:headers';
const FETCH_TRAILERS = 'undici:request:trailers';
const FETCH_ERROR = 'undici:request:error';
const HTTP_RESPONSE = 'http.client.response.finish';
const HTTP_ERROR = 'http.client.request.error';

function warnFailure(where: string, err: unknown): void {
  diagWarnOnce(
    `outgoing-http:${where}`,
    { code: OUTGOING_HTTP_INSTRUMENTATION_FAILED, err },
    `Outgoing HTTP instrumentation failed in ${where} (${String(err)}); the request went out ` +
      'untraced. Please report this with the stack of `err`.',
  );
}

function hasUndiciHeader(headers: unknown, name: string): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const key: unknown = headers[i];
      if (typeof key === 'string' && key.length === name.length && key.toLowerCase() === name) {
        return true;
      }
    }
    return false;
  }
  if (typeof headers === 'string') {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?:^|\\r\\n)${escaped}:`, 'i').test(headers);
  }
  return false;
}

function hasObjectHeader(headers: object, name: string): boolean {
  for (const key of Object.keys(headers)) {
    if (key.length === name.length && key.toLowerCase() === name) return true;
  }
  return false;
}

function hasArrayHeader(headers: readonly unknown[], name: string): boolean {
  return hasUndiciHeader(headers, name);
}

const carrierSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

function asOptions(value: unknown): RequestOptions | undefined {
  if (value === null || typeof value !== 'object' || value instanceof URL) return undefined;
  return value;
}

/** Where Node will send a `request(...)`/`get(...)` call, read the way Node reads its arguments. */
function httpTarget(
  args: readonly unknown[],
  moduleProtocol: 'http:' | 'https:',
): { target: Target; options: RequestOptions | undefined; optionsIndex: number } | undefined {
  const input = args[0];
  let url: URL | undefined;
  let options: RequestOptions | undefined;
  let optionsIndex = -1;
  if (typeof input === 'string') url = new URL(input);
  else if (input instanceof URL) url = input;
  if (url !== undefined) {
    options = asOptions(args[1]);
    if (options !== undefined) optionsIndex = 1;
  } else {
    options = asOptions(input);
    if (options === undefined) return undefined;
    optionsIndex = 0;
  }
  // As Node does: options win over the URL; empty values fall through (`||`).
  const agent = options?.agent;
  const agentPort =
    typeof agent === 'object' && agent !== null
      ? (agent as { defaultPort?: unknown }).defaultPort
      : undefined;
  const protocol = options?.protocol || url?.protocol || moduleProtocol;
  let host = options?.hostname || options?.host || url?.hostname || 'localhost';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const rawPort =
    options?.port ||
    url?.port ||
    options?.defaultPort ||
    (typeof agentPort === 'number' ? agentPort : undefined);
  const port = Number(rawPort) || defaultPort(protocol);
  const path = options?.path || (url !== undefined ? `${url.pathname}${url.search}` : '/');
  const method = (options?.method || 'GET').toUpperCase();
  if (ABSOLUTE_FORM.test(path)) {
    // Absolute-form through a proxy: the target is the server behind it (semconv),
    // and its credentials, if any, stay out.
    const behind = new URL(path);
    const p = behind.protocol;
    return {
      target: {
        method,
        protocol: p,
        host: behind.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: behind.port === '' ? defaultPort(p) : Number(behind.port),
        path: `${behind.pathname}${behind.search}`,
      },
      options,
      optionsIndex,
    };
  }
  return { target: { method, protocol, host, port, path }, options, optionsIndex };
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/** The caller's headers plus ours, or undefined when the caller set traceparent. */
function earlyHeaders(
  given: object,
  ours: Record<string, string>,
): Record<string, unknown> | unknown[] | undefined {
  if (Array.isArray(given)) {
    if (hasArrayHeader(given, TRACEPARENT_HEADER)) return undefined;
    const out: unknown[] = [...(given as unknown[])];
    for (const [k, v] of Object.entries(ours)) if (!hasArrayHeader(given, k)) out.push(k, v);
    return out;
  }
  if (hasObjectHeader(given, TRACEPARENT_HEADER)) return undefined;
  const out: Record<string, unknown> = { ...(given as Record<string, unknown>) };
  for (const [k, v] of Object.entries(ours)) if (!hasObjectHeader(given, k)) out[k] = v;
  return out;
}

interface PreparedHttp {
  readonly call: ClientCall;
  /** The arguments to pass on: the caller's, or a copy whose options carry the headers. */
  readonly args: unknown[];
  /** Headers to add with `setHeader` once the request exists. */
  readonly lateHeaders: Record<string, string>;
}

/** `http(s).request` traced by `inst` while it is installed, passed through after. */
function requestWrapper(
  inst: Installation,
  original: RequestFn,
  protocol: 'http:' | 'https:',
): RequestFn {
  return function vigilTracedRequest(this: unknown, ...args: unknown[]): ClientRequest {
    if (!inst.installed) return Reflect.apply(original, this, args);
    let prepared: PreparedHttp | undefined;
    try {
      prepared = inst.prepareHttp(args, protocol);
    } catch (err) {
      warnFailure('http.request', err);
      prepared = undefined;
    }
    if (prepared === undefined) return Reflect.apply(original, this, args);
    let req: ClientRequest;
    try {
      req = Reflect.apply(original, this, prepared.args);
    } catch (err) {
      // Node rejected the arguments (URL, method, header): nothing was sent.
      prepared.call.fail(err);
      throw err;
    }
    inst.attachHttp(req, prepared.call, prepared.lateHeaders);
    return req;
  };
}

/**
 * `http(s).get`: Node's own is its module's unwrapped `request(...)` then
 * `end()`; this one is the same over the traced request, so the headers go
 * in before `end()` sends them.
 */
function getWrapper(inst: Installation, original: RequestFn, request: RequestFn): RequestFn {
  return function vigilTracedGet(this: unknown, ...args: unknown[]): ClientRequest {
    if (!inst.installed) return Reflect.apply(original, this, args);
    const req = Reflect.apply(request, this, args);
    req.end();
    return req;
  };
}

class Installation implements OutgoingHttpHandle {
  installed = true;
  private readonly patches: Patch[] = [];
  private readonly calls = new WeakMap<object, ClientCall>();
  private inFlight = 0;
  private lifecycleSubscribed = false;
  private readonly ignorePrefixes: readonly string[];
  private readonly ignorePredicate: ((url: string) => boolean) | undefined;
  private readonly createRootSpans: boolean;
  private readonly onCallEnd = (): void => {
    this.inFlight--;
    if (!this.installed && this.inFlight === 0) this.unsubscribeLifecycle();
  };

  constructor(
    options: OutgoingHttpOptions,
    private readonly onUninstall: (self: Installation) => void,
  ) {
    const ignore = options.ignoreUrls;
    this.ignorePrefixes = typeof ignore === 'function' || ignore === undefined ? [] : [...ignore];
    this.ignorePredicate = typeof ignore === 'function' ? ignore : undefined;
    this.createRootSpans = options.createRootSpans ?? false;
    try {
      this.subscribeLifecycle(options);
      if (options.fetch !== false) subscribe(FETCH_CREATE, this.onFetchCreate);
      if (options.http !== false) {
        this.patch(http, 'http:');
        this.patch(https, 'https:');
        syncBuiltinESMExports();
      }
    } catch (err) {
      // A frozen module or a broken channel: trace what could be hooked, say what could not.
      warnFailure('install', err);
    }
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    try {
      unsubscribe(FETCH_CREATE, this.onFetchCreate);
      for (const p of this.patches) {
        // Restore only when nobody wrapped on top of us; else our wrapper passes through.
        if (p.module[p.key] === p.wrapper) p.module[p.key] = p.original;
      }
      if (this.patches.length > 0) syncBuiltinESMExports();
      if (this.inFlight === 0) this.unsubscribeLifecycle();
    } catch (err) {
      warnFailure('uninstall', err);
    }
    this.onUninstall(this);
  }

  // --- deciding and starting ----------------------------------------------

  /** The parent context when this request should be traced, else undefined. */
  private parentContext(): Context | undefined {
    const ctx = context.active();
    if (isTracingSuppressed(ctx)) return undefined;
    if (!this.createRootSpans) {
      const sc = trace.getSpanContext(ctx);
      if (sc === undefined || !isSpanContextValid(sc)) return undefined;
    }
    return ctx;
  }

  private ignored(url: string): boolean {
    for (const prefix of this.ignorePrefixes) if (url.startsWith(prefix)) return true;
    if (this.ignorePredicate === undefined) return false;
    try {
      return this.ignorePredicate(url) === true;
    } catch (err) {
      warnFailure('the ignoreUrls predicate', err);
      return true;
    }
  }

  /** Starts the client span; returns it and the headers to send (none when the caller set traceparent). */
  private start(
    parent: Context,
    target: Target,
    url: string,
  ): { call: ClientCall; headers: Record<string, string> } {
    const { name, attributes } = spanAttributes(target, url);
    const span = trace
      .getTracer(TRACER_NAME)
      .startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    this.inFlight++;
    const call = new ClientCall(span, this.onCallEnd);
    const headers: Record<string, string> = {};
    try {
      propagation.inject(trace.setSpan(parent, span), headers, carrierSetter);
    } catch (err) {
      call.end();
      throw err;
    }
    return { call, headers };
  }

  // --- fetch (undici) -----------------------------------------------------

  private readonly onFetchCreate = (message: unknown): void => {
    let call: ClientCall | undefined;
    try {
      if (!this.installed) return;
      const request = (message as { request?: UndiciRequest } | null)?.request;
      if (request === undefined || typeof request.addHeader !== 'function') return;
      const parent = this.parentContext();
      if (parent === undefined) return;
      const origin = parseOrigin(String(request.origin));
      const target: Target = {
        method: String(request.method),
        protocol: origin.protocol,
        host: origin.host,
        port: origin.port,
        path: String(request.path),
      };
      const url = origin.origin + urlPath(target.path);
      if (this.ignored(url)) return;
      const started = this.start(parent, target, url);
      call = started.call;
      this.calls.set(request, call);
      if (!hasUndiciHeader(request.headers, TRACEPARENT_HEADER)) {
        for (const key in started.headers) {
          // traceparent is known absent; look only for the others (tracestate).
          if (key === TRACEPARENT_HEADER || !hasUndiciHeader(request.headers, key)) {
            request.addHeader(key, started.headers[key]!);
          }
        }
      }
    } catch (err) {
      warnFailure('fetch (undici:request:create)', err);
      call?.end();
    }
  };

  private readonly onFetchHeaders = (message: unknown): void => {
    try {
      const m = message as { request: object; response?: { statusCode?: unknown } };
      const call = this.calls.get(m.request);
      if (call === undefined) return;
      const status = m.response?.statusCode;
      // Node's bundled undici speaks HTTP/1.1 only unless a dispatcher enables h2: version left unset.
      if (typeof status === 'number') call.response(status, undefined);
    } catch (err) {
      warnFailure('fetch (undici:request:headers)', err);
    }
  };

  private readonly onFetchTrailers = (message: unknown): void => {
    try {
      this.calls.get((message as { request: object }).request)?.end();
    } catch (err) {
      warnFailure('fetch (undici:request:trailers)', err);
    }
  };

  private readonly onFetchError = (message: unknown): void => {
    try {
      const m = message as { request: object; error?: unknown };
      const call = this.calls.get(m.request);
      if (call === undefined) return;
      // After the headers, an abort or a non-Error reason (undici's own when an
      // unread Response is garbage-collected) means the application let the body go.
      if (call.responded && (isAbort(m.error) || !(m.error instanceof Error))) call.abandon();
      else call.fail(m.error);
    } catch (err) {
      warnFailure('fetch (undici:request:error)', err);
    }
  };

  // --- http / https -------------------------------------------------------

  private patch(module: Record<string, unknown>, protocol: 'http:' | 'https:'): void {
    const originalRequest = module.request as RequestFn;
    const originalGet = module.get as RequestFn;
    const request = requestWrapper(this, originalRequest, protocol);
    const get = getWrapper(this, originalGet, request);
    module.request = request;
    this.patches.push({ module, key: 'request', original: originalRequest, wrapper: request });
    module.get = get;
    this.patches.push({ module, key: 'get', original: originalGet, wrapper: get });
  }

  /**
   * Decides and starts the span of an `http(s).request` call (for
   * {@link requestWrapper}). Headers go in after construction with
   * `setHeader`, except when Node stores the header block inside the
   * constructor (headers given as an array, or an `Expect` header): then a
   * copy of the options carries them.
   */
  prepareHttp(args: unknown[], protocol: 'http:' | 'https:'): PreparedHttp | undefined {
    const parent = this.parentContext();
    if (parent === undefined) return undefined;
    const described = httpTarget(args, protocol);
    if (described === undefined) return undefined;
    const { target, options, optionsIndex } = described;
    const url = fullUrl(target);
    if (this.ignored(url)) return undefined;
    const { call, headers } = this.start(parent, target, url);
    try {
      const given: unknown = options?.headers;
      if (Array.isArray(given) || (isObject(given) && hasObjectHeader(given, 'expect'))) {
        const early = earlyHeaders(given, headers);
        if (early === undefined) return { call, args, lateHeaders: {} };
        const copy = args.slice();
        copy[optionsIndex] = { ...options, headers: early };
        return { call, args: copy, lateHeaders: {} };
      }
      return { call, args, lateHeaders: headers };
    } catch (err) {
      call.end();
      throw err;
    }
  }

  /** Adds the headers (unless the caller set traceparent) and follows the request to its end. */
  attachHttp(req: ClientRequest, call: ClientCall, headers: Record<string, string>): void {
    try {
      if (!req.headersSent && req.getHeader(TRACEPARENT_HEADER) === undefined) {
        for (const key in headers) {
          if (key === TRACEPARENT_HEADER || req.getHeader(key) === undefined) {
            req.setHeader(key, headers[key]!);
          }
        }
      }
      this.calls.set(req, call);
      // Closed without a response and without a reported error (an upgrade, say).
      req.once('close', () => {
        if (!call.responded) call.end();
      });
    } catch (err) {
      warnFailure('http.request', err);
      call.end();
    }
  }

  private readonly onHttpResponse = (message: unknown): void => {
    try {
      const m = message as { request: ClientRequest; response: IncomingMessage };
      const call = this.calls.get(m.request);
      if (call === undefined) return;
      const res = m.response;
      call.response(res.statusCode ?? 0, res.httpVersion);
      res.once('close', () => {
        if (res.complete) call.end();
        else if (res.errored != null) call.fail(res.errored);
        else call.abandon();
      });
    } catch (err) {
      warnFailure('http response', err);
    }
  };

  private readonly onHttpError = (message: unknown): void => {
    try {
      const m = message as { request: ClientRequest; error?: unknown };
      this.calls.get(m.request)?.fail(m.error);
    } catch (err) {
      warnFailure('http error', err);
    }
  };

  // --- channel bookkeeping ------------------------------------------------

  private subscribeLifecycle(options: OutgoingHttpOptions): void {
    if (options.fetch !== false) {
      subscribe(FETCH_HEADERS, this.onFetchHeaders);
      subscribe(FETCH_TRAILERS, this.onFetchTrailers);
      subscribe(FETCH_ERROR, this.onFetchError);
    }
    if (options.http !== false) {
      subscribe(HTTP_RESPONSE, this.onHttpResponse);
      subscribe(HTTP_ERROR, this.onHttpError);
    }
    this.lifecycleSubscribed = true;
  }

  /** Once uninstalled and no call is in flight. Unsubscribing a handler never subscribed is a no-op. */
  private unsubscribeLifecycle(): void {
    if (!this.lifecycleSubscribed) return;
    this.lifecycleSubscribed = false;
    try {
      unsubscribe(FETCH_HEADERS, this.onFetchHeaders);
      unsubscribe(FETCH_TRAILERS, this.onFetchTrailers);
      unsubscribe(FETCH_ERROR, this.onFetchError);
      unsubscribe(HTTP_RESPONSE, this.onHttpResponse);
      unsubscribe(HTTP_ERROR, this.onHttpError);
    } catch (err) {
      warnFailure('uninstall', err);
    }
  }
}

/**
 * The active installation, shared through the global symbol registry so that
 * two copies of this package in one process never trace a request twice.
 */
const INSTALLATION_KEY = Symbol.for('@vigil/sdk:outgoing-http');

function current(): OutgoingHttpHandle | undefined {
  const handle = (globalThis as Record<symbol, unknown>)[INSTALLATION_KEY] as
    OutgoingHttpHandle | undefined;
  return handle?.installed === true ? handle : undefined;
}

function validate(options: OutgoingHttpOptions): void {
  const ignore: unknown = options.ignoreUrls;
  const ok =
    ignore === undefined ||
    typeof ignore === 'function' ||
    (Array.isArray(ignore) && ignore.every((p) => typeof p === 'string'));
  if (!ok) {
    throw new VigilError(
      ErrorCodes.CONFIG_INVALID,
      'instrumentOutgoingHttp: "ignoreUrls" must be a list of URL prefixes (strings) or a ' +
        'function (url: string) => boolean.',
      { details: { option: 'ignoreUrls' } },
    );
  }
}

/**
 * Traces outgoing HTTP: for each request made with the global `fetch` or
 * `http`/`https` `request`/`get` while a span is active (see the module
 * notes for requests without one), starts a CLIENT span (OpenTelemetry HTTP
 * client semantic conventions: name `{method}`; `http.request.method`,
 * `server.address`, `server.port`, `url.full`, `http.response.status_code`,
 * `error.type`, `network.protocol.version` for `http`; status ERROR for 4xx,
 * 5xx and failures, exceptions recorded) as a child of the active span, and
 * sends its `traceparent`/`tracestate` through `propagation.inject` (the
 * registered propagator, Vigil's after {@link startTracing}). A
 * `traceparent` the caller set is never replaced (nor are its other
 * propagation headers added then).
 *
 * Spans come from the global tracer provider, so call it with tracing
 * started or not: until then spans are no-op and nothing is injected.
 *
 * Idempotent: while installed, further calls return the same handle (and
 * ignore their options); after {@link OutgoingHttpHandle.uninstall} a call
 * installs afresh. Throws a `VigilError` (`CONFIG_INVALID`) only for invalid
 * options, before installing anything; afterwards never throws into the
 * request path: a failure inside the instrumentation is reported once
 * ({@link OUTGOING_HTTP_INSTRUMENTATION_FAILED}) and the request goes out
 * untouched. Call once at startup.
 */
export function instrumentOutgoingHttp(options: OutgoingHttpOptions = {}): OutgoingHttpHandle {
  const existing = current();
  if (existing !== undefined) return existing;
  validate(options);
  const slot = globalThis as Record<symbol, unknown>;
  const installation = new Installation(options, (self) => {
    if (slot[INSTALLATION_KEY] === self) delete slot[INSTALLATION_KEY];
  });
  slot[INSTALLATION_KEY] = installation;
  return installation;
}
