// startTracing end to end: the real OpenTelemetry SDK exporting OTLP/HTTP
// JSON to a receiver listening in the test, with Vigil's propagator, logger
// and metrics registry wired in. Every case restores the OpenTelemetry
// globals (trace, context, propagation) when it ends.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { ProxyTracerProvider } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { setDiagnosticSink } from '../diag.js';
import { createLogger } from '../log/index.js';
import { Counter, Gauge, Histogram, Registry } from '../metrics/index.js';
import { OtlpReceiver } from '@vigil/testing';
import {
  PROCESS_INSTANCE_ID,
  SPANS_DROPPED_METRIC,
  TRACE_EXPORT_FAILED,
  TRACER_NAME,
  activeTraceIds,
  startTracing,
  withSpan,
} from './index.js';
import type { TracingHandle, TracingOptions } from './index.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

function resetGlobals(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}

/** Starts a receiver and tracing against it; both end (and globals reset) with the test. */
async function setup(
  t: TestContext,
  options: TracingOptions = {},
): Promise<{ receiver: OtlpReceiver; handle: TracingHandle; registry: Registry }> {
  const receiver = await OtlpReceiver.start();
  const registry = options.registry ?? new Registry();
  const handle = startTracing({
    endpoint: receiver.url,
    env: {},
    serviceName: 'users-api',
    exportTimeoutMillis: 2000,
    ...options,
    registry,
  });
  t.after(async () => {
    await handle.shutdown();
    resetGlobals();
    await receiver.close();
  });
  return { receiver, handle, registry };
}

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

test('spans arrive over OTLP/HTTP JSON with the resource attributes', async (t) => {
  const { receiver, handle } = await setup(t, {
    serviceName: 'users-api',
    serviceVersion: '1.4.0',
    env: { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=core%20platform' },
  });
  withSpan('GET /users', () => 'ok', { 'http.route': '/users' });
  await handle.forceFlush();
  const [span] = await receiver.waitForSpans(1);
  assert.equal(receiver.jsonRequests, 1);
  assert.equal(span!.name, 'GET /users');
  assert.equal(span!.scope, TRACER_NAME);
  assert.equal(span!.attributes['http.route'], '/users');
  assert.match(span!.traceId, /^[0-9a-f]{32}$/);
  assert.equal(span!.resource['service.name'], 'users-api');
  assert.equal(span!.resource['service.version'], '1.4.0');
  assert.equal(span!.resource['service.instance.id'], PROCESS_INSTANCE_ID);
  assert.match(
    PROCESS_INSTANCE_ID,
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.equal(span!.resource['deployment.environment'], 'prod');
  assert.equal(span!.resource['team'], 'core platform');
  assert.equal(span!.resource['telemetry.sdk.language'], 'nodejs');
});

test('shutdown flushes the pending spans to the receiver', async (t) => {
  // A schedule delay of a minute: only shutdown can export these spans.
  const { receiver, handle } = await setup(t, { scheduledDelayMillis: 60_000 });
  for (let i = 0; i < 3; i++) withSpan(`job-${i}`, () => undefined);
  assert.equal(receiver.spans.length, 0);
  await handle.shutdown();
  assert.deepEqual(receiver.spans.map((s) => s.name).sort(), ['job-0', 'job-1', 'job-2']);
});

test('parent-based ratio 0: roots are dropped, a sampled remote parent keeps its children', async (t) => {
  const { receiver, handle } = await setup(t, {
    env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
  });
  assert.deepEqual(handle.config.sampler, { name: 'parentbased_traceidratio', ratio: 0 });
  for (let i = 0; i < 20; i++) withSpan('root', () => undefined);

  const sampled = propagation.extract(
    ROOT_CONTEXT,
    { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    defaultTextMapGetter,
  );
  context.with(sampled, () => withSpan('child-of-sampled', () => undefined));
  const unsampled = propagation.extract(
    ROOT_CONTEXT,
    { traceparent: `00-${TRACE_ID.replace('0a', '1b')}-${PARENT_ID}-00` },
    defaultTextMapGetter,
  );
  context.with(unsampled, () => withSpan('child-of-unsampled', () => undefined));

  await handle.shutdown();
  assert.deepEqual(
    receiver.spans.map((s) => s.name),
    ['child-of-sampled'],
  );
  assert.equal(receiver.span('child-of-sampled').traceId, TRACE_ID);
  assert.equal(receiver.span('child-of-sampled').parentSpanId, PARENT_ID);
});

test('the global propagator is Vigil’s and injects the active span', async (t) => {
  await setup(t);
  const carrier: Record<string, string> = {};
  const ids = withSpan('outgoing', () => {
    propagation.inject(context.active(), carrier, defaultTextMapSetter);
    return activeTraceIds();
  });
  assert.equal(carrier.traceparent, `00-${ids!.trace_id}-${ids!.span_id}-01`);
});

test('withSpan: sync and async success and failure', async (t) => {
  const { receiver, handle } = await setup(t);

  assert.equal(
    withSpan('sync-ok', () => 42),
    42,
  );
  const syncError = new TypeError('bad input');
  assert.throws(
    () =>
      withSpan('sync-fail', () => {
        throw syncError;
      }),
    (err) => err === syncError,
  );
  const promise = withSpan('async-ok', async () => {
    await new Promise((r) => setTimeout(r, 5));
    return { rows: 3 };
  });
  assert.ok(promise instanceof Promise);
  assert.deepEqual(await promise, { rows: 3 });
  const asyncError = new RangeError('db timeout');
  await assert.rejects(
    withSpan('async-fail', async () => {
      await Promise.resolve();
      throw asyncError;
    }),
    (err) => err === asyncError,
  );
  // Nested spans: the inner one is a child of the outer one, across awaits.
  await withSpan('outer', async () => {
    await new Promise((r) => setTimeout(r, 1));
    withSpan('inner', () => undefined);
  });

  await handle.shutdown();
  const ok = receiver.span('sync-ok');
  assert.equal(ok.statusCode, SpanStatusCode.OK);
  assert.deepEqual(ok.events, []);
  assert.equal(receiver.span('async-ok').statusCode, SpanStatusCode.OK);

  for (const [name, err] of [
    ['sync-fail', syncError],
    ['async-fail', asyncError],
  ] as const) {
    const span = receiver.span(name);
    assert.equal(span.statusCode, SpanStatusCode.ERROR, name);
    assert.equal(span.statusMessage, err.message);
    assert.equal(span.events.length, 1);
    assert.equal(span.events[0]!.name, 'exception');
    assert.equal(span.events[0]!.attributes['exception.type'], err.name);
    assert.equal(span.events[0]!.attributes['exception.message'], err.message);
    assert.match(
      String(span.events[0]!.attributes['exception.stacktrace']),
      /db timeout|bad input/,
    );
  }
  const outer = receiver.span('outer');
  const inner = receiver.span('inner');
  assert.equal(inner.traceId, outer.traceId);
  assert.equal(inner.parentSpanId, outer.spanId);
});

test('withSpan without tracing started: the no-op tracer, same values and errors', () => {
  resetGlobals();
  let recording: boolean | undefined;
  assert.equal(
    withSpan('noop', (span) => {
      recording = span.isRecording();
      return 'value';
    }),
    'value',
  );
  assert.equal(recording, false);
  const err = new Error('boom');
  assert.throws(
    () =>
      withSpan('noop', () => {
        throw err;
      }),
    (e) => e === err,
  );
  assert.equal(
    withSpan('noop', () => activeTraceIds()),
    undefined,
  );
});

test('log lines inside a span carry its trace_id and span_id; outside they do not', async (t) => {
  await setup(t);
  const out = capture();
  const logger = createLogger({ service: 'users-api', env: {}, destination: out.stream });
  logger.info('before');
  const ids = await withSpan('handler', async (span) => {
    logger.info('inside');
    await new Promise((r) => setTimeout(r, 2));
    logger.info('after await');
    return { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
  });
  logger.info('after');
  const lines = out.lines();
  assert.deepEqual(
    lines.map((l) => [l.msg, l.trace_id, l.span_id]),
    [
      ['before', undefined, undefined],
      ['inside', ids.trace_id, ids.span_id],
      ['after await', ids.trace_id, ids.span_id],
      ['after', undefined, undefined],
    ],
  );
});

test('histogram exemplars carry the active sampled span; unsampled spans give none', async (t) => {
  const { handle } = await setup(t);
  const registry = new Registry();
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Request duration.',
    buckets: [0.1, 1],
    exemplars: true,
    registry,
  });
  const traceId = withSpan('request', (span) => {
    histogram.observe(0.05);
    return span.spanContext().traceId;
  });
  const text = await registry.metrics({ format: 'openmetrics' });
  const bucket = text.split('\n').find((l) => l.startsWith('http_request_duration_seconds_bucket'));
  assert.match(bucket!, new RegExp(`# \\{trace_id="${traceId}",span_id="[0-9a-f]{16}"\\} 0\\.05`));
  await handle.shutdown();
  // After shutdown the provider is gone: no exemplar.
  const after = new Registry();
  const h2 = new Histogram({ name: 'h2_seconds', help: 'x', exemplars: true, registry: after });
  h2.observe(0.2);
  assert.doesNotMatch(await after.metrics({ format: 'openmetrics' }), /trace_id/);
});

test('an unsampled span gives log ids but no exemplar', async (t) => {
  await setup(t, { sampler: 'always_off' });
  const registry = new Registry();
  const counter = new Counter({ name: 'jobs_total', help: 'x', exemplars: true, registry });
  const out = capture();
  const logger = createLogger({ service: 's', env: {}, destination: out.stream });
  withSpan('unsampled', () => {
    counter.inc();
    logger.info('inside');
  });
  assert.match(String(out.lines()[0]!.trace_id), /^[0-9a-f]{32}$/);
  assert.doesNotMatch(await registry.metrics({ format: 'openmetrics' }), /trace_id/);
});

test('an unreachable endpoint neither blocks nor throws; dropped spans are counted, warned once', async (t) => {
  const closed = await OtlpReceiver.start();
  const url = closed.url;
  await closed.close(); // nothing listens on this port any more
  const warnings: Record<string, unknown>[] = [];
  setDiagnosticSink({
    warn: (fields) => warnings.push(fields),
    error: () => undefined,
  });
  const registry = new Registry();
  const handle = startTracing({
    endpoint: url,
    registry,
    env: {},
    exportTimeoutMillis: 300,
    scheduledDelayMillis: 60_000,
  });
  t.after(async () => {
    setDiagnosticSink(undefined);
    await handle.shutdown();
    resetGlobals();
  });

  const start = performance.now();
  for (let i = 0; i < 5; i++) withSpan('lost', () => i);
  assert.ok(performance.now() - start < 100, 'ending spans does not wait for the exporter');

  await handle.forceFlush(); // resolves although the export failed
  withSpan('lost-again', () => undefined);
  await handle.forceFlush();

  const dropped = registry.getSingleMetric(SPANS_DROPPED_METRIC) as Counter<string>;
  assert.equal(dropped.get(), 6);
  const exportWarnings = warnings.filter((w) => w.code === TRACE_EXPORT_FAILED);
  assert.equal(exportWarnings.length, 1, 'at most one warning a minute');
  assert.equal(exportWarnings[0]!.endpoint, url);
  assert.match(await registry.metrics(), /^vigil_trace_spans_dropped_total 6$/m);
});

test('startTracing is idempotent; shutdown is idempotent; a new start follows a shutdown', async (t) => {
  const { handle } = await setup(t);
  const again = startTracing({ endpoint: 'http://127.0.0.1:1/v1/traces', env: {} });
  assert.equal(again, handle);
  assert.equal(again.config.endpoint, handle.config.endpoint);

  await Promise.all([handle.shutdown(), handle.shutdown()]);
  assert.equal(
    withSpan('after-shutdown', (span) => span.isRecording()),
    false,
  );

  const receiver = await OtlpReceiver.start();
  const next = startTracing({ endpoint: receiver.url, env: {}, registry: new Registry() });
  t.after(async () => {
    await next.shutdown();
    resetGlobals();
    await receiver.close();
  });
  assert.notEqual(next, handle);
  withSpan('second-life', () => undefined);
  await next.shutdown();
  assert.equal(receiver.span('second-life').name, 'second-life');
});

test('a tracer provider registered by someone else is kept, with a warning, and nothing throws', async (t) => {
  resetGlobals();
  const foreign = new BasicTracerProvider();
  trace.setGlobalTracerProvider(foreign);
  const warnings: Record<string, unknown>[] = [];
  setDiagnosticSink({ warn: (fields) => warnings.push(fields), error: () => undefined });
  t.after(() => setDiagnosticSink(undefined));
  const { handle } = await setup(t);
  assert.equal(warnings.filter((w) => w.ownsTrace === false).length, 1);
  // withSpan goes through the global (foreign) provider; correlation still works.
  const ids = withSpan('via-foreign', () => activeTraceIds());
  assert.match(ids!.trace_id, /^[0-9a-f]{32}$/);
  await handle.shutdown();
  assert.equal((trace.getTracerProvider() as ProxyTracerProvider).getDelegate(), foreign);
});

test('a clashing metric name in the registry does not stop tracing', async (t) => {
  const registry = new Registry();
  new Gauge({ name: SPANS_DROPPED_METRIC, help: 'someone else', registry });
  const warnings: Record<string, unknown>[] = [];
  setDiagnosticSink({ warn: (fields) => warnings.push(fields), error: () => undefined });
  t.after(() => setDiagnosticSink(undefined));
  const { receiver, handle } = await setup(t, { registry });
  assert.equal(warnings.filter((w) => w.code === 'METRIC_ALREADY_REGISTERED').length, 1);
  withSpan('still-traced', () => undefined);
  await handle.shutdown();
  assert.equal(receiver.span('still-traced').name, 'still-traced');
});
