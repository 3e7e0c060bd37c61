/**
 * The HTTP server instrumentation every framework adapter shares: RED
 * metrics, one server span per request, the request id, the access log.
 *
 * An adapter calls {@link HttpInstrumentation.begin} when a request arrives,
 * runs the rest of the request inside {@link HttpInstrumentation.run}, and
 * tells the core the route template when its router knows it. Everything
 * else happens when the response closes, off the handler's path: the
 * metrics, the end of the span and the log line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  INVALID_SPANID,
  INVALID_TRACEID,
  TraceFlags,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { Labels } from '@vigil/model';
import { runWithContextAndField, runWithCorrelationField } from '../context/correlation.js';
import { frameContextEnabled } from '../tracing/context-manager.js';
import { jsonString } from '../context/json-string.js';
import type { Logger } from '../log/index.js';
import { Counter, Gauge, Histogram, OVERFLOW_LABELS_TEXT, sharedMetric } from '../metrics/index.js';
import type { CounterChild, HistogramChild } from '../metrics/index.js';
import { SerializedKeySet, writeSerializedLine } from '../log/serialized-line.js';
import type { Registry } from '../metrics/index.js';
import { currentRuntime } from '../runtime/state.js';
import type { FaultDecision, FaultInjector } from '../faults/index.js';
import { TRACER_NAME } from '../tracing/with-span.js';
import { bindListenersToContext } from './bind-listeners.js';
import { REQUEST_ID_HEADER, resolveRequestId } from './request-id.js';

/** Names of the metrics the HTTP instrumentation keeps. */
export const HttpMetricNames = {
  /** Counter `{method, route, status}`. */
  requests: 'http_requests_total',
  /** Histogram `{method, route, status}`, seconds. */
  duration: 'http_request_duration_seconds',
  /** Gauge: requests being served now. */
  inFlight: 'http_requests_in_flight',
  /** Histogram `{method, route}`: request body size from `Content-Length`, bytes. */
  requestSize: 'http_request_size_bytes',
  /** Histogram `{method, route}`: response body size from `Content-Length`, bytes. */
  responseSize: 'http_response_size_bytes',
} as const;

/** Paths not instrumented unless `excludePaths` says otherwise: the scrape and probe endpoints. */
export const DEFAULT_EXCLUDED_PATHS: readonly string[] = Object.freeze([
  '/metrics',
  '/health',
  '/livez',
  '/readyz',
]);

/** The `route` label of requests no route matched: one value, however many URLs are scanned. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Buckets of `http_request_duration_seconds`, in seconds: OpenTelemetry's
 * advice for HTTP server durations plus 0.2 and 0.3, thresholds latency SLOs
 * often use (an SLO on "under 200 ms" needs a bucket bound at 0.2).
 */
export const DEFAULT_HTTP_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** Buckets of the size histograms, in bytes: powers of 4 from 64 B to 16 MiB. */
export const DEFAULT_HTTP_SIZE_BUCKETS: readonly number[] = Object.freeze([
  64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216,
]);

/**
 * Status label of a request whose client went away before the response was
 * complete (nginx's "client closed request").
 */
export const CLIENT_CLOSED_STATUS = 499;

/** Longest path written to the access log and the `url.path` span attribute. */
export const MAX_LOGGED_PATH_LENGTH = 512;

/** Options every HTTP adapter accepts. All optional. */
export interface HttpInstrumentationOptions {
  /** Where the HTTP metrics are registered. Default: the registry `init()` set up, else the default registry. */
  registry?: Registry;
  /** Logger of the access log. Default: the logger `init()` set up, looked up per request (silent before `init()`). */
  logger?: Logger;
  /** One log line per request (default true): `info` for 1xx–3xx, `warn` for 4xx, `error` for 5xx. */
  accessLog?: boolean;
  /** Server spans (default true). Spans are recorded only when a tracer provider is registered (`init()` or `startTracing()`). */
  spans?: boolean;
  /**
   * Exact paths (no query string) served without metrics, span or access
   * log. Default {@link DEFAULT_EXCLUDED_PATHS}. Pass `[]` to instrument everything.
   */
  excludePaths?: readonly string[];
  /** The `route` value of unmatched requests. Default {@link UNMATCHED_ROUTE}. */
  unmatchedRoute?: string;
  /** Buckets of the duration histogram, in seconds. Default {@link DEFAULT_HTTP_DURATION_BUCKETS}. */
  durationBuckets?: readonly number[];
  /** Buckets of the size histograms, in bytes. Default {@link DEFAULT_HTTP_SIZE_BUCKETS}. */
  sizeBuckets?: readonly number[];
  /** Header the request id is read from and echoed on. Default `x-request-id`. */
  requestIdHeader?: string;
  /**
   * Fault injection for practising failure: its admin endpoint is served and
   * its latency and error faults applied to matching requests. Injected
   * requests carry `vigil.fault.ids` on their span and `faults` on their
   * access-log line.
   */
  faults?: FaultInjector;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);

/**
 * The method label: the method when it is a known one, `_OTHER` otherwise
 * (the OpenTelemetry convention), so that invented methods cannot add series.
 */
export function normaliseMethod(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : '_OTHER';
}

const kRecord: unique symbol = Symbol('vigil.http.request');

interface Carrier {
  [kRecord]?: RequestRecord;
}

/**
 * One request in flight. Adapters read it; its fields change only through
 * {@link HttpInstrumentation}.
 */
export class RequestRecord {
  /** Route template, once known. */
  route: string | undefined = undefined;
  /** The error that failed the request, when an adapter saw one. */
  error: unknown = undefined;
  /** Ids of injected faults, when any applied. */
  faultIds: readonly string[] | undefined = undefined;

  constructor(
    /** The method label ({@link normaliseMethod}). */
    readonly method: string,
    /** The path, without query string. */
    readonly path: string,
    readonly requestId: string,
    /** `performance.now()` when the request began. */
    readonly startMs: number,
    readonly span: Span | undefined,
    /** The context the request runs in (its span active), when spans are on. */
    readonly context: Context | undefined,
    readonly req: IncomingMessage,
    /** @internal The instrumentation that began the request. */
    readonly owner: HttpInstrumentation,
  ) {}
}

const STATUS_TEXT: string[] = [];
function statusText(code: number): string {
  if (code >= 0 && code < 1000) return (STATUS_TEXT[code] ??= String(code));
  return String(code);
}

function contentLength(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** `host[:port]` → address and port (IPv6 in brackets kept whole). */
function splitHost(host: string): { address: string; port: number | undefined } {
  const close = host.lastIndexOf(']');
  const colon = host.lastIndexOf(':');
  if (colon > close && colon !== -1) {
    const port = Number(host.slice(colon + 1));
    return {
      address: host.slice(0, colon),
      port: Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined,
    };
  }
  return { address: host, port: undefined };
}

// A server sees one Host value nearly always: the last one is parsed once.
let lastHost = '';
let lastHostParts: { address: string; port: number | undefined } = { address: '', port: undefined };

function hostParts(host: string): { address: string; port: number | undefined } {
  if (host !== lastHost) {
    lastHostParts = splitHost(host);
    lastHostParts.address = truncate(lastHostParts.address, 256);
    lastHost = host;
  }
  return lastHostParts;
}

function onResponseClose(this: ServerResponse & Carrier): void {
  const record = this[kRecord];
  if (record === undefined) return;
  this[kRecord] = undefined;
  record.owner.finish(record, this);
}

/**
 * The shared core of the HTTP adapters; also the extension point for a
 * framework Vigil has no adapter for. One instance serves any number of
 * concurrent requests. Its methods never throw into the host.
 */
export class HttpInstrumentation {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly inFlight: Gauge<string>;
  private readonly requestSize: Histogram<'method' | 'route'>;
  private readonly responseSize: Histogram<'method' | 'route'>;
  private readonly accessLog: boolean;
  /** The access log's logger; undefined: the one `init()` set up, looked up per request. */
  private readonly logger: Logger | undefined;
  private readonly tracer: Tracer | undefined;
  private readonly excluded: ReadonlySet<string>;
  private readonly unmatched: string;
  private readonly requestIdHeader: string;
  /** The fault injector, when one is configured. */
  readonly faults: FaultInjector | undefined;
  /** Resolved children by route, method and status. */
  private readonly series = new Map<string, Map<string, Map<string, HttpSeries>>>();

  constructor(options: HttpInstrumentationOptions = {}) {
    const registry = options.registry ?? currentRuntime().registry;
    const labelNames = ['method', 'route', 'status'] as const;
    const sizeLabels = ['method', 'route'] as const;
    const sizeBuckets = options.sizeBuckets ?? DEFAULT_HTTP_SIZE_BUCKETS;
    this.requests = sharedMetric(
      registry,
      HttpMetricNames.requests,
      Counter,
      labelNames,
      (r) =>
        new Counter({
          name: HttpMetricNames.requests,
          help: 'HTTP requests served, by method, route template and status code.',
          labelNames,
          registry: r,
        }),
    );
    this.duration = sharedMetric(
      registry,
      HttpMetricNames.duration,
      Histogram,
      labelNames,
      (r) =>
        new Histogram({
          name: HttpMetricNames.duration,
          help: 'Time from the request arriving to the response being sent, in seconds.',
          labelNames,
          buckets: options.durationBuckets ?? DEFAULT_HTTP_DURATION_BUCKETS,
          registry: r,
        }),
    );
    this.inFlight = sharedMetric(
      registry,
      HttpMetricNames.inFlight,
      Gauge,
      [],
      (r) =>
        new Gauge({
          name: HttpMetricNames.inFlight,
          help: 'HTTP requests being served now.',
          registry: r,
        }),
    );
    this.requestSize = sharedMetric(
      registry,
      HttpMetricNames.requestSize,
      Histogram,
      sizeLabels,
      (r) =>
        new Histogram({
          name: HttpMetricNames.requestSize,
          help: 'Request body size in bytes, from Content-Length (requests without it are not observed).',
          labelNames: sizeLabels,
          buckets: sizeBuckets,
          registry: r,
        }),
    );
    this.responseSize = sharedMetric(
      registry,
      HttpMetricNames.responseSize,
      Histogram,
      sizeLabels,
      (r) =>
        new Histogram({
          name: HttpMetricNames.responseSize,
          help: 'Response body size in bytes, from Content-Length (responses without it are not observed).',
          labelNames: sizeLabels,
          buckets: sizeBuckets,
          registry: r,
        }),
    );
    this.accessLog = options.accessLog !== false;
    this.logger = options.logger;
    this.tracer = options.spans === false ? undefined : trace.getTracer(TRACER_NAME);
    this.excluded = new Set(options.excludePaths ?? DEFAULT_EXCLUDED_PATHS);
    this.unmatched = options.unmatchedRoute ?? UNMATCHED_ROUTE;
    this.requestIdHeader = (options.requestIdHeader ?? REQUEST_ID_HEADER).toLowerCase();
    this.faults = options.faults;
  }

  /**
   * Serves the fault injector's admin endpoint when the request is for it
   * (returns true: the request is answered); false otherwise. Call before
   * {@link begin}: admin requests are not instrumented as traffic.
   */
  serveAdmin(req: IncomingMessage, res: ServerResponse): boolean {
    return this.faults !== undefined && this.faults.handleAdmin(req, res);
  }

  /**
   * The injected faults for a request, noted on its record; undefined when
   * none applies (always, without a fault injector).
   */
  decideFault(record: RequestRecord, route: string | undefined): FaultDecision | undefined {
    const faults = this.faults;
    if (faults === undefined) return undefined;
    const decision = faults.decide(record.req.method ?? 'GET', record.path, route);
    if (decision === undefined) return undefined;
    record.faultIds = decision.faultIds;
    if (route === undefined && decision.errorStatus !== undefined && record.route === undefined) {
      // The router never sees a request an injected error answers (Express
      // applies faults before routing): label it with the route template of
      // the fault that matched its path, so route-scoped SLIs see the failure.
      for (const id of decision.faultIds) {
        const fault = faults.get(id);
        const template = fault !== undefined && 'route' in fault ? fault.route : undefined;
        if (template !== undefined) {
          record.route = template;
          break;
        }
      }
    }
    return decision;
  }

  /**
   * Continues the request with `next`: at once, or after an injected delay,
   * or not at all when an injected error answers it instead.
   */
  proceed(
    record: RequestRecord,
    res: ServerResponse,
    route: string | undefined,
    next: () => void,
    framework?: { hijack(): unknown },
  ): void {
    const decision = this.decideFault(record, route);
    if (decision === undefined) {
      next();
      return;
    }
    const act = (): void => {
      if (decision.errorStatus === undefined) {
        next();
        return;
      }
      // A framework that owns the response (Fastify) is told it is answered here.
      framework?.hijack();
      writeInjectedError(res, decision);
    };
    if (decision.delayMs > 0) setTimeout(act, decision.delayMs);
    else act();
  }

  /**
   * Starts instrumenting a request: resolves the request id (and sets it on
   * the response), starts the server span with the incoming trace context
   * as parent, counts the request in flight and arranges for the rest when
   * the response closes. Returns undefined, doing nothing, for an excluded
   * path. Call once per request, before the application sees it.
   */
  begin(req: IncomingMessage, res: ServerResponse): RequestRecord | undefined {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (this.excluded.has(path)) return undefined;
    const method = normaliseMethod(req.method);
    const requestId = resolveRequestId(req.headers[this.requestIdHeader]);
    if (!res.headersSent) res.setHeader(this.requestIdHeader, requestId);

    let span: Span | undefined;
    let ctx: Context | undefined;
    if (this.tracer !== undefined) {
      const parent = propagation.extract(ROOT_CONTEXT, req.headers);
      span = this.tracer.startSpan(
        method === '_OTHER' ? 'HTTP' : method,
        { kind: SpanKind.SERVER, attributes: this.requestAttributes(req, method, path) },
        parent,
      );
      ctx = trace.setSpan(parent, span);
    }
    const record = new RequestRecord(
      method,
      path,
      requestId,
      performance.now(),
      span,
      ctx,
      req,
      this,
    );
    (req as IncomingMessage & Carrier)[kRecord] = record;
    (res as ServerResponse & Carrier)[kRecord] = record;
    this.inFlight.inc();
    // `on`, not `once`: the listener clears the record, so a second 'close'
    // does nothing, and `once` costs a wrapper per request.
    res.on('close', onResponseClose);
    return record;
  }

  /**
   * Runs `fn` (the rest of the request) with the request's span active and
   * its request id on every log line, and, for a request with a body, binds
   * the listeners added to it to that context so a body parser does not lose it.
   */
  run<T>(record: RequestRecord, fn: () => T): T {
    const req = record.req;
    // Only a request with a body has body events to keep in context; a
    // bodiless one skips the patch (listeners added to it run in the context
    // of whoever emits, as they would without Vigil).
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const body = hasBody
      ? (): T => {
          bindListenersToContext(req);
          return fn();
        }
      : fn;
    const otel = record.context;
    if (otel === undefined) return runWithCorrelationField('request_id', record.requestId, body);
    // With Vigil's context manager both live in one store: one update.
    if (frameContextEnabled()) {
      return runWithContextAndField(otel, 'request_id', record.requestId, body);
    }
    return context.with(otel, () => runWithCorrelationField('request_id', record.requestId, body));
  }

  /**
   * Records the error that failed a request: an exception event on the span
   * now, the error on the access-log line later. The status comes from the
   * response, as sent.
   */
  recordError(record: RequestRecord, error: unknown): void {
    record.error = error;
    const span = record.span;
    if (span === undefined || !span.isRecording()) return;
    try {
      span.recordException(error instanceof Error ? error : String(error));
    } catch {
      // An exotic error object must not fail the request.
    }
  }

  private requestAttributes(req: IncomingMessage, method: string, path: string): Attributes {
    const attributes: Attributes = {
      'http.request.method': method,
      'url.path': truncate(path, MAX_LOGGED_PATH_LENGTH),
      'url.scheme': (req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http',
      'network.protocol.version': req.httpVersion,
    };
    if (method === '_OTHER' && req.method !== undefined) {
      attributes['http.request.method_original'] = truncate(req.method, 64);
    }
    const host = req.headers.host;
    if (host !== undefined) {
      const { address, port } = hostParts(host);
      attributes['server.address'] = address;
      if (port !== undefined) attributes['server.port'] = port;
    }
    const agent = req.headers['user-agent'];
    if (agent !== undefined) attributes['user_agent.original'] = truncate(agent, 512);
    const client = req.socket?.remoteAddress;
    if (client !== undefined) attributes['client.address'] = client;
    return attributes;
  }

  /** @internal Called once, when the response closes. */
  finish(record: RequestRecord, res: ServerResponse): void {
    try {
      this.finishUnsafe(record, res);
    } catch {
      // Instrumentation must never fail a response; a failure here would be a Vigil bug.
    }
  }

  private finishUnsafe(record: RequestRecord, res: ServerResponse): void {
    const durationSeconds = (performance.now() - record.startMs) / 1000;
    const completed = res.writableFinished;
    const statusCode = completed ? res.statusCode : CLIENT_CLOSED_STATUS;
    const status = statusText(statusCode);
    let route = record.route;
    const matched = route !== undefined;
    route ??= this.unmatched;
    const method = record.method;
    this.inFlight.dec();

    const span = record.span;
    let exemplar: Labels | undefined;
    let traceId: string | undefined;
    let spanId: string | undefined;
    if (span !== undefined) {
      const sc = span.spanContext();
      // The span came from a tracer: its ids are either well-formed or the
      // all-zero ids of a no-op span, so comparing with those suffices.
      if (sc.traceId !== INVALID_TRACEID && sc.spanId !== INVALID_SPANID) {
        traceId = sc.traceId;
        spanId = sc.spanId;
        // Exemplars point at traces that exist: sampled ones only.
        if ((sc.traceFlags & TraceFlags.SAMPLED) !== 0) {
          exemplar = { trace_id: traceId, span_id: spanId };
        }
      }
      if (span.isRecording()) {
        span.setAttribute('http.response.status_code', statusCode);
        if (matched) {
          span.setAttribute('http.route', route);
          span.updateName(`${method === '_OTHER' ? 'HTTP' : method} ${route}`);
        }
        if (record.faultIds !== undefined) {
          span.setAttribute('vigil.fault.ids', record.faultIds.join(','));
        }
        if (statusCode >= 500 && completed) {
          span.setAttribute('error.type', status);
          span.setStatus({ code: SpanStatusCode.ERROR });
        } else if (!completed) {
          span.setAttribute('error.type', 'client_closed');
        }
      }
      span.end();
    }

    const series = this.seriesFor(method, route, status);
    series.requests.inc();
    series.duration.observe(durationSeconds, exemplar);
    const reqBytes = contentLength(record.req.headers['content-length']);
    const resBytes = completed ? contentLength(res.getHeader('content-length')) : undefined;
    if (reqBytes !== undefined) this.requestSize.observe({ method, route }, reqBytes);
    if (resBytes !== undefined) this.responseSize.observe({ method, route }, resBytes);

    if (!this.accessLog) return;
    const logger = this.logger ?? currentRuntime().logger;
    const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const durationMs = Math.round(durationSeconds * 1e6) / 1e3;
    const msg = completed ? COMPLETED_MSG : ABORTED_MSG;
    if (record.faultIds === undefined && record.error === undefined) {
      // The common line, written from members serialised here (see
      // log/serialized-line.ts); the logger refuses when it would differ.
      const members =
        `"method":${jsonString(record.req.method)},"route":${jsonString(route)}` +
        `,"path":${jsonString(truncate(record.path, MAX_LOGGED_PATH_LENGTH))}` +
        `,"status":${statusCode},"duration_ms":${durationMs}` +
        `,"request_id":${jsonString(record.requestId)}` +
        (reqBytes === undefined ? '' : `,"req_bytes":${reqBytes}`) +
        (resBytes === undefined ? '' : `,"res_bytes":${resBytes}`) +
        (traceId === undefined
          ? ''
          : `,"trace_id":${jsonString(traceId)},"span_id":${jsonString(spanId)}`);
      const written = writeSerializedLine(
        logger,
        level,
        ACCESS_LOG_KEYS,
        traceId === undefined ? ACCESS_LOG_NAMED : ACCESS_LOG_NAMED_TRACED,
        members,
        completed ? COMPLETED_MSG_JSON : ABORTED_MSG_JSON,
      );
      if (written) return;
    }
    const fields: Record<string, unknown> = {
      method: record.req.method,
      route,
      path: truncate(record.path, MAX_LOGGED_PATH_LENGTH),
      status: statusCode,
      duration_ms: durationMs,
      request_id: record.requestId,
    };
    if (reqBytes !== undefined) fields.req_bytes = reqBytes;
    if (resBytes !== undefined) fields.res_bytes = resBytes;
    if (traceId !== undefined) {
      fields.trace_id = traceId;
      fields.span_id = spanId;
    }
    if (record.faultIds !== undefined) fields.faults = record.faultIds;
    if (record.error !== undefined) fields.err = record.error;
    logger[level](fields, msg);
  }

  /** The request counter and duration histogram of one label set, resolved once. */
  private seriesFor(method: string, route: string, status: string): HttpSeries {
    // Nested maps rather than one joined key: these strings are the same
    // objects request after request, with their hashes already computed.
    let byMethod = this.series.get(route);
    if (byMethod === undefined)
      this.series.set(route, (byMethod = new Map<string, Map<string, HttpSeries>>()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map<string, HttpSeries>()));
    let series = byStatus.get(status);
    // A child removed by `remove()`/`reset()` or expiry is looked up again:
    // the label set may have been re-created meanwhile under another child.
    if (series === undefined || !series.requests.attached || !series.duration.attached) {
      const labels = { method, route, status };
      series = { requests: this.requests.labels(labels), duration: this.duration.labels(labels) };
      // Bounded like the series themselves (routes are templates). The
      // overflow series of a full metric is not kept: the label set gets its
      // own series once there is room again.
      if (
        series.requests.labelsText !== OVERFLOW_LABELS_TEXT &&
        series.duration.labelsText !== OVERFLOW_LABELS_TEXT
      ) {
        byStatus.set(status, series);
      }
    }
    return series;
  }
}

/** The children of one `{method, route, status}` label set. */
interface HttpSeries {
  readonly requests: CounterChild;
  readonly duration: HistogramChild;
}

/** Every key of the access log's fast path (all primitive values). */
const ACCESS_LOG_KEYS = new SerializedKeySet([
  'method',
  'route',
  'path',
  'status',
  'duration_ms',
  'request_id',
  'req_bytes',
  'res_bytes',
  'trace_id',
  'span_id',
]);
/** The access log's messages, and as JSON for the fast path. */
const COMPLETED_MSG = 'request completed';
const ABORTED_MSG = 'request aborted by the client';
const COMPLETED_MSG_JSON = JSON.stringify(COMPLETED_MSG);
const ABORTED_MSG_JSON = JSON.stringify(ABORTED_MSG);
/** Keys a line names that the correlation context also carries. */
const ACCESS_LOG_NAMED: ReadonlySet<string> = new Set(['request_id']);
const ACCESS_LOG_NAMED_TRACED: ReadonlySet<string> = new Set(['request_id', 'trace_id', 'span_id']);

/**
 * Answers a request with an injected error: the fault's status, a JSON body
 * saying it is a practice fault and an `x-vigil-fault` header naming it, so
 * that nobody mistakes it for a real failure.
 */
export function writeInjectedError(res: ServerResponse, decision: FaultDecision): void {
  if (res.headersSent || res.destroyed) return;
  const ids = decision.faultIds.join(',');
  const body = JSON.stringify({
    error: {
      code: 'FAULT_INJECTED',
      message: `Injected fault ${ids}: a practice failure from Vigil's fault injection.`,
    },
  });
  res.writeHead(decision.errorStatus ?? 500, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-vigil-fault': ids,
  });
  res.end(body);
}

/** The record of a request an adapter began, if any (for adapters and `setRoute`). */
export function requestRecordOf(req: IncomingMessage): RequestRecord | undefined {
  return (req as IncomingMessage & Carrier)[kRecord];
}
