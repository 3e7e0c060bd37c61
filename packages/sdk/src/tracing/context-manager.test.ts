import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_CONTEXT, context, createContextKey, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { getCorrelation, runWithCorrelation } from '../context/index.js';
import { instrumentHttp } from '../http/index.js';
import { createLogger } from '../log/index.js';
import { Registry } from '../metrics/index.js';
import { VigilContextManager, frameContextEnabled } from './context-manager.js';
import { installTraceCorrelation, uninstallTraceCorrelation } from './correlation.js';

const KEY = createContextKey('vigil.test.key');

function useManager(t: TestContext): VigilContextManager {
  const manager = new VigilContextManager().enable();
  assert.ok(context.setGlobalContextManager(manager));
  t.after(() => context.disable());
  return manager;
}

test('with() sets the context, keeps the correlation fields, and both survive async hops', async (t) => {
  useManager(t);
  assert.ok(frameContextEnabled());
  await runWithCorrelation({ request_id: 'r-1' }, async () => {
    const ctx = ROOT_CONTEXT.setValue(KEY, 'v');
    await context.with(ctx, async () => {
      await sleep(1);
      assert.equal(context.active().getValue(KEY), 'v');
      assert.deepEqual(getCorrelation(), { request_id: 'r-1' });
      // Correlation set inside keeps the context.
      await runWithCorrelation({ tenant: 'acme' }, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(context.active().getValue(KEY), 'v');
        assert.deepEqual(getCorrelation(), { request_id: 'r-1', tenant: 'acme' });
      });
    });
    assert.equal(context.active().getValue(KEY), undefined, 'with() restores the outer context');
  });
  assert.equal(context.active(), ROOT_CONTEXT);
  context.disable();
  assert.equal(frameContextEnabled(), false, 'disable() (through the API) unregisters it');
});

test('with() passes this and arguments; bind() binds functions and emitters', async (t) => {
  useManager(t);
  const ctx = ROOT_CONTEXT.setValue(KEY, 'bound');
  const self = { n: 2 };
  const sum = context.with(
    ctx,
    function (this: typeof self, a: number, b: number) {
      return this.n + a + b;
    },
    self,
    3,
    4,
  );
  assert.equal(sum, 9);
  const fn = context.bind(ctx, () => context.active().getValue(KEY));
  assert.equal(fn(), 'bound');
  const emitter = context.bind(ctx, new EventEmitter());
  const seen = new Promise((resolve) =>
    emitter.on('x', () => resolve(context.active().getValue(KEY))),
  );
  setImmediate(() => emitter.emit('x'));
  assert.equal(await seen, 'bound');
});

test('attach() sets the context until its token is disposed (once)', (t) => {
  const manager = useManager(t);
  runWithCorrelation({ request_id: 'r-2' }, () => {
    const token = manager.attach(ROOT_CONTEXT.setValue(KEY, 'attached'));
    assert.equal(context.active().getValue(KEY), 'attached');
    assert.deepEqual(getCorrelation(), { request_id: 'r-2' });
    token.dispose();
    token.dispose();
    assert.equal(context.active().getValue(KEY), undefined);
    assert.deepEqual(getCorrelation(), { request_id: 'r-2' });
  });
});

test("the HTTP instrumentation keeps trace and request ids on log lines under another SDK's context manager", async (t) => {
  // A service that set up the OpenTelemetry SDK itself: the stock manager,
  // not Vigil's, so the instrumentation takes its two-store path.
  const manager = new AsyncLocalStorageContextManager().enable();
  assert.ok(context.setGlobalContextManager(manager));
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  assert.ok(trace.setGlobalTracerProvider(provider));
  installTraceCorrelation();
  t.after(async () => {
    uninstallTraceCorrelation();
    trace.disable();
    context.disable();
    propagation.disable();
    await provider.shutdown();
  });
  assert.equal(frameContextEnabled(), false);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'svc',
    env: {},
    destination: {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  const server = createServer(
    instrumentHttp(
      (_req, res) => {
        setImmediate(() => {
          logger.info('inside');
          res.end('ok');
        });
      },
      { registry: new Registry(), logger, routes: ['/'] },
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await res.text();
  const requestId = res.headers.get('x-request-id');
  const inside = lines.find((l) => l.msg === 'inside');
  const [span] = exporter.getFinishedSpans();
  assert.ok(inside !== undefined && span !== undefined);
  assert.equal(inside.request_id, requestId);
  assert.equal(inside.trace_id, span.spanContext().traceId);
  assert.equal(inside.span_id, span.spanContext().spanId);
});
