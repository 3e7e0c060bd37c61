/**
 * `startTracing`: the OpenTelemetry SDK set up the Vigil way. A
 * BasicTracerProvider with an AsyncLocalStorage context manager, a
 * BatchSpanProcessor exporting OTLP/HTTP JSON, parent-based sampling, the
 * Vigil W3C Trace Context propagator, and trace ids on log lines and metric
 * exemplars.
 *
 * Exporting happens off the request path. When the collector cannot be
 * reached the exporter gives up after `exportTimeoutMillis`; the spans of
 * that batch are dropped, counted in `vigil_trace_spans_dropped_total` and
 * reported by a warning at most once a minute.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { VigilContextManager } from './context-manager.js';
import { PooledRandomIdGenerator } from './id-generator.js';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, Sampler, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ErrorCodes } from '@vigil/model';
import { diagError, diagWarn } from '../diag.js';
import { Counter, defaultRegistry } from '../metrics/index.js';
import type { Registry } from '../metrics/index.js';
import { installTraceCorrelation, uninstallTraceCorrelation } from './correlation.js';
import { resolveTracingConfig } from './config.js';
import type { ResolvedTracingConfig, SamplerConfig, TracingOptions } from './config.js';
import { VigilTraceContextPropagator } from './trace-context.js';

/** Name of the counter of spans lost because an export failed. */
export const SPANS_DROPPED_METRIC = 'vigil_trace_spans_dropped_total';

/** Diagnostic code of failed span exports. */
export const TRACE_EXPORT_FAILED = ErrorCodes.TRACE_EXPORT_FAILED;

/** Shortest time between two warnings about failed exports (ms). */
export const EXPORT_WARNING_INTERVAL_MS = 60_000;

/** What {@link startTracing} returns. */
export interface TracingHandle {
  /** The SDK tracer provider (also registered as the global one when none was). */
  readonly tracerProvider: BasicTracerProvider;
  /** The configuration in effect. */
  readonly config: ResolvedTracingConfig;
  /**
   * Exports the spans ended so far. Resolves when the export is done or has
   * failed (failures are counted, not thrown); never rejects.
   */
  forceFlush(): Promise<void>;
  /**
   * Unregisters the global tracer provider, context manager and propagator
   * and the log and exemplar correlation (at once, so a new
   * {@link startTracing} may follow), then exports the pending spans and
   * closes the exporter. Idempotent; never rejects; takes at most about
   * `exportTimeoutMillis`.
   */
  shutdown(): Promise<void>;
}

function buildSampler(config: SamplerConfig): Sampler {
  switch (config.name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.ratio) });
  }
}

function droppedCounter(registry: Registry): Counter<string> {
  const existing = registry.getSingleMetric(SPANS_DROPPED_METRIC);
  if (existing instanceof Counter) return existing as Counter<string>;
  const help = 'Spans lost because their export to the OTLP endpoint failed.';
  try {
    return new Counter({ name: SPANS_DROPPED_METRIC, help, registry });
  } catch (err) {
    // Another kind of metric holds the name: count anyway, unexposed, and say so.
    diagWarn(
      { code: ErrorCodes.METRIC_ALREADY_REGISTERED, err },
      `${SPANS_DROPPED_METRIC} could not be registered (${String(err)}); dropped spans are ` +
        'counted but not exposed. Free the name in the registry passed to startTracing.',
    );
    return new Counter({ name: SPANS_DROPPED_METRIC, help, registry: false });
  }
}

/**
 * Wraps the OTLP exporter: a failed export counts its spans as dropped and
 * warns at most once per {@link EXPORT_WARNING_INTERVAL_MS}.
 */
class CountingSpanExporter implements SpanExporter {
  private lastWarningMs = -Infinity;
  private droppedSinceWarning = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly dropped: Counter<string>,
    private readonly endpoint: string,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let called = false;
    const done = (result: ExportResult): void => {
      if (called) return;
      called = true;
      if (result.code !== ExportResultCode.SUCCESS) this.onFailure(spans.length, result.error);
      resultCallback(result);
    };
    try {
      this.inner.export(spans, done);
    } catch (err) {
      done({
        code: ExportResultCode.FAILED,
        error: err instanceof Error ? err : new Error(String(err)),
      });
    }
  }

  private onFailure(count: number, error: Error | undefined): void {
    try {
      this.dropped.inc(count);
      this.droppedSinceWarning += count;
      const now = Date.now();
      if (now - this.lastWarningMs < EXPORT_WARNING_INTERVAL_MS) return;
      this.lastWarningMs = now;
      const n = this.droppedSinceWarning;
      this.droppedSinceWarning = 0;
      diagWarn(
        {
          code: TRACE_EXPORT_FAILED,
          endpoint: this.endpoint,
          dropped: n,
          err: error,
        },
        `Could not export spans to ${this.endpoint}; dropped ${n} span(s) ` +
          `(counted in ${SPANS_DROPPED_METRIC}). Check that an OTLP/HTTP receiver listens there ` +
          `(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or the "endpoint" option). ` +
          `Next warning in a minute at the earliest.`,
      );
    } catch {
      // Counting must never break the batch processor.
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

let current: TracingHandle | undefined;

function settle(what: string, run: () => Promise<void>): Promise<void> {
  let promise: Promise<void>;
  try {
    promise = run();
  } catch (err) {
    promise = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return promise.catch((err: unknown) => {
    diagError({ code: TRACE_EXPORT_FAILED, err }, `Tracing ${what} failed: ${String(err)}`);
  });
}

/**
 * Starts tracing: builds the tracer provider from `options` and the
 * `OTEL_*` environment ({@link TracingOptions}), registers it, an
 * AsyncLocalStorage context manager and the {@link VigilTraceContextPropagator}
 * as the OpenTelemetry globals, and makes log lines and `exemplars: true`
 * metrics carry the active trace.
 *
 * Idempotent: while tracing runs, further calls return the same handle (and
 * ignore their options); after {@link TracingHandle.shutdown} a call starts
 * afresh. When another OpenTelemetry SDK already registered a global, that
 * one is kept and a warning says so.
 *
 * Throws a `VigilError` (`CONFIG_INVALID`) only for invalid configuration,
 * before anything is registered; never throws otherwise. Call once at startup.
 */
export function startTracing(options: TracingOptions = {}): TracingHandle {
  if (current !== undefined) return current;
  const config = resolveTracingConfig(options);
  for (const warning of config.warnings) {
    diagWarn({ code: ErrorCodes.CONFIG_INVALID }, warning);
  }

  const dropped = droppedCounter(options.registry ?? defaultRegistry);
  const inner =
    options.exporter ??
    new OTLPTraceExporter({
      url: config.endpoint,
      timeoutMillis: config.exportTimeoutMillis,
      ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
    });
  const target = options.exporter === undefined ? config.endpoint : 'the configured exporter';
  const exporter = new CountingSpanExporter(inner, dropped, target);
  const processor = new BatchSpanProcessor(exporter, {
    exportTimeoutMillis: config.exportTimeoutMillis,
    ...(options.scheduledDelayMillis === undefined
      ? {}
      : { scheduledDelayMillis: options.scheduledDelayMillis }),
    ...(options.maxQueueSize === undefined ? {} : { maxQueueSize: options.maxQueueSize }),
    ...(options.maxExportBatchSize === undefined
      ? {}
      : { maxExportBatchSize: options.maxExportBatchSize }),
  });
  const tracerProvider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(config.resourceAttributes)),
    sampler: buildSampler(config.sampler),
    idGenerator: new PooledRandomIdGenerator(),
    spanProcessors: [processor],
  });

  const contextManager = new VigilContextManager();
  let ownsTrace = false;
  let ownsContext = false;
  let ownsPropagator = false;
  try {
    ownsTrace = trace.setGlobalTracerProvider(tracerProvider);
    contextManager.enable();
    ownsContext = context.setGlobalContextManager(contextManager);
    if (!ownsContext) contextManager.disable();
    ownsPropagator = propagation.setGlobalPropagator(new VigilTraceContextPropagator());
  } catch (err) {
    diagError(
      { code: ErrorCodes.CONFIG_INVALID, err },
      `Registering tracing failed: ${String(err)}`,
    );
  }
  if (!ownsTrace || !ownsContext || !ownsPropagator) {
    diagWarn(
      { code: ErrorCodes.CONFIG_INVALID, ownsTrace, ownsContext, ownsPropagator },
      'Another OpenTelemetry SDK already registered a global tracer provider, context manager ' +
        'or propagator; Vigil kept it. Start only one tracing setup, or call startTracing ' +
        'before the other one.',
    );
  }
  installTraceCorrelation();

  let shutdownPromise: Promise<void> | undefined;
  const handle: TracingHandle = {
    tracerProvider,
    config,
    forceFlush: () => settle('flush', () => tracerProvider.forceFlush()),
    shutdown: () => {
      if (shutdownPromise !== undefined) return shutdownPromise;
      if (current === handle) current = undefined;
      try {
        uninstallTraceCorrelation();
        if (ownsTrace) trace.disable();
        if (ownsContext) context.disable();
        if (ownsPropagator) propagation.disable();
      } catch (err) {
        diagError({ code: ErrorCodes.CONFIG_INVALID, err }, 'Unregistering tracing failed.');
      }
      shutdownPromise = settle('shutdown', () => tracerProvider.shutdown());
      return shutdownPromise;
    },
  };
  current = handle;
  return handle;
}
