// init() and shutdown() with the real parts: a real OTLP/HTTP receiver for
// spans, a registry read through its exposition, a logger whose lines are
// captured, and a real HTTP server instrumented with no options of its own.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isVigilError } from '@vigil/model';
import { setDiagnosticSink } from '../diag.js';
import { instrumentHttp } from '../http/index.js';
import { Registry } from '../metrics/index.js';
import { withSpan } from '../tracing/index.js';
import { OtlpReceiver } from '@vigil/testing';
import { currentRuntime, init, isInitialized, shutdown } from './index.js';
import type { InitOptions } from './index.js';

type Line = Record<string, unknown>;

function capture(): { lines: Line[]; destination: { write(line: string): void } } {
  const lines: Line[] = [];
  return { lines, destination: { write: (line) => void lines.push(JSON.parse(line) as Line) } };
}

/** init() with a fresh registry and captured log; shut down when the test ends. */
function start(t: TestContext, options: InitOptions = {}) {
  const { lines, destination } = capture();
  const registry = new Registry();
  const vigil = init({
    registry,
    tracing: false,
    env: {},
    ...options,
    logger: { destination, ...(options.logger as object) },
  });
  t.after(() => shutdown());
  return { vigil, lines, registry };
}

test('without init() the SDK is inert: silent logger, no spans, default registry', () => {
  assert.equal(isInitialized(), false);
  const runtime = currentRuntime();
  assert.equal(runtime.initialized, false);
  assert.equal(runtime.logger.isLevelEnabled('fatal'), false);
  const result = withSpan('work', (span) => span.isRecording());
  assert.equal(result, false, 'no tracer provider: spans do not record');
});

test('init() names the service from options, then OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES', async (t) => {
  const { vigil, lines } = start(t, {
    env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,service.version=3.1.4' },
  });
  assert.equal(vigil.serviceName, 'from-attrs');
  assert.equal(vigil.version, '3.1.4');
  vigil.logger.info('hello');
  assert.equal(lines.at(-1)?.service, 'from-attrs');
  assert.equal(lines.at(-1)?.version, '3.1.4');
  await shutdown();

  const second = start(t, { env: { OTEL_SERVICE_NAME: 'from-env', npm_package_version: '9.9.9' } });
  assert.equal(second.vigil.serviceName, 'from-env');
  assert.equal(second.vigil.version, '9.9.9');
  await shutdown();

  const third = start(t, {
    serviceName: 'explicit',
    version: '1.0.0',
    env: { OTEL_SERVICE_NAME: 'env' },
  });
  assert.equal(third.vigil.serviceName, 'explicit');
  assert.equal(third.vigil.version, '1.0.0');
});

test('init() reads LOG_LEVEL; explicit level wins', async (t) => {
  const { vigil } = start(t, { env: { LOG_LEVEL: 'warn' } });
  assert.equal(vigil.logger.level, 'warn');
  await shutdown();
  const other = start(t, { env: { LOG_LEVEL: 'warn' }, logger: { level: 'debug' } });
  assert.equal(other.vigil.logger.level, 'debug');
});

test('init() registers process metrics in its registry unless turned off', async (t) => {
  const { registry } = start(t);
  assert.match(await registry.metrics(), /^process_cpu_seconds_total /m);
  await shutdown();
  const off = start(t, { processMetrics: false });
  assert.doesNotMatch(await off.registry.metrics(), /process_cpu_seconds_total/);
});

test('a second init() returns the running setup and warns; shutdown() makes a fresh start possible', async (t) => {
  const warnings: string[] = [];
  setDiagnosticSink({ warn: (_f, m) => warnings.push(m), error: (_f, m) => warnings.push(m) });
  t.after(() => setDiagnosticSink(undefined));
  const { vigil } = start(t, { serviceName: 'first', logger: { diagnostics: false } });
  const again = init({ serviceName: 'second', tracing: false, env: {} });
  assert.equal(again, vigil);
  assert.equal(again.serviceName, 'first');
  assert.ok(warnings.some((w) => /init\(\) was called again/.test(w)));
  await shutdown();
  await shutdown(); // idempotent
  assert.equal(isInitialized(), false);
  const fresh = start(t, { serviceName: 'second' });
  assert.equal(fresh.vigil.serviceName, 'second');
  assert.equal(currentRuntime().serviceName, 'second');
});

test('invalid options fail with CONFIG_INVALID before anything is set up', () => {
  for (const options of [{ serviceName: '' }, { version: 42 as unknown as string }]) {
    assert.throws(
      () => init({ ...options, env: {} }),
      (err: unknown) => isVigilError(err) && err.code === 'CONFIG_INVALID',
    );
    assert.equal(isInitialized(), false);
  }
  assert.throws(
    () => init({ env: { OTEL_TRACES_SAMPLER: 'sometimes' }, tracing: true }),
    (err: unknown) => isVigilError(err) && err.code === 'CONFIG_INVALID',
  );
  assert.equal(isInitialized(), false);
});

test('tracing is off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none', async (t) => {
  for (const env of [{ OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }]) {
    const { vigil } = start(t, { tracing: true, env });
    assert.equal(vigil.tracing, undefined);
    await shutdown();
  }
});

test('an instrumented server uses what init() set up, and shutdown() flushes its spans and log', async (t) => {
  const receiver = await OtlpReceiver.start();
  t.after(() => receiver.close());
  const { vigil, lines, registry } = start(t, {
    serviceName: 'users-api',
    version: '2.0.0',
    instanceId: 'users-api-1',
    tracing: { scheduledDelayMillis: 60_000 }, // nothing leaves before shutdown flushes
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace(/\/v1\/traces$/, '') },
  });
  assert.ok(vigil.tracing);
  const server = createServer(
    instrumentHttp(
      (_req, res) => {
        vigil.logger.info('handling');
        res.end('ok');
      },
      { routes: ['/hello'] },
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hello`);
  assert.equal(await res.text(), 'ok');

  await shutdown();
  const [span] = await receiver.waitForSpans(1);
  assert.equal(span!.name, 'GET /hello');
  assert.equal(span!.resource['service.name'], 'users-api');
  assert.equal(span!.resource['service.version'], '2.0.0');
  assert.equal(span!.resource['service.instance.id'], 'users-api-1');
  const handling = lines.find((l) => l.msg === 'handling');
  assert.equal(handling?.trace_id, span!.traceId);
  const access = lines.find((l) => l.msg === 'request completed');
  assert.equal(access?.route, '/hello');
  assert.match(
    await registry.metrics(),
    /^http_requests_total\{method="GET",route="\/hello",status="200"\} 1$/m,
  );
  assert.equal(isInitialized(), false);
});

test('a server instrumented before init() writes its access log through the logger init() sets up', async (t) => {
  const handler = instrumentHttp((_req, res) => res.end('ok'), {
    routes: ['/early'],
    registry: new Registry(),
  });
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { lines } = start(t);
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/early`);
  assert.equal(await res.text(), 'ok');
  await new Promise((r) => setTimeout(r, 20)); // the line is written when the response closes
  assert.equal(lines.find((l) => l.msg === 'request completed')?.route, '/early');
});
