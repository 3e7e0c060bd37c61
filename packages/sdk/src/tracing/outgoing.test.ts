// Outgoing HTTP instrumentation against real HTTP on 127.0.0.1: a node:http
// server records the headers it receives; spans go to an in-memory exporter
// (or, for the exporter's own requests, to the in-test OTLP receiver). Every
// case uninstalls the instrumentation and restores the OpenTelemetry globals.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http, { request as namedRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  defaultTextMapGetter,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resetDiagnosticsOnce, setDiagnosticSink } from '../diag.js';
import { Registry } from '../metrics/index.js';
import { OtlpReceiver, selfSignedCertificate } from '@vigil/testing';
import { OUTGOING_HTTP_INSTRUMENTATION_FAILED, instrumentOutgoingHttp } from './outgoing.js';
import type { OutgoingHttpHandle, OutgoingHttpOptions } from './outgoing.js';
import { VigilTraceContextPropagator, parseTraceparent } from './trace-context.js';
import { startTracing, withSpan } from './index.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[0-3]$/;

function resetGlobals(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}

// --- a recording server -------------------------------------------------------

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
}

interface TestServer {
  readonly origin: string;
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

const BIG = Buffer.alloc(4 * 1024 * 1024, 'a');

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  const status = /^\/status\/(\d{3})/.exec(path);
  if (status !== null) {
    res.writeHead(Number(status[1])).end('status');
  } else if (path === '/hang') {
    // Never answers; the client gives up.
  } else if (path === '/big') {
    res.end(BIG);
  } else if (path === '/reset-mid-body') {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 20);
  } else if (path === '/redirect') {
    res.writeHead(302, { location: '/target' }).end();
  } else {
    res.end('ok');
  }
}

function listen(t: TestContext, server: http.Server | https.Server): Promise<TestServer> {
  const received: Received[] = [];
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    });
    req.resume();
    route(req, res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const scheme = server instanceof https.Server ? 'https' : 'http';
      const s: TestServer = {
        origin: `${scheme}://127.0.0.1:${port}`,
        port,
        received,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      };
      t.after(() => s.close());
      resolve(s);
    });
  });
}

function startServer(t: TestContext): Promise<TestServer> {
  return listen(t, http.createServer());
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// --- tracing in memory --------------------------------------------------------

interface Memory {
  readonly exporter: InMemorySpanExporter;
  readonly handle: OutgoingHttpHandle;
  /** Finished spans of kind CLIENT. */
  clientSpans(): ReadableSpan[];
  /** Waits until `n` CLIENT spans have ended. */
  waitForClientSpans(n: number): Promise<ReadableSpan[]>;
}

/** Registers an in-memory tracer provider, ALS context and Vigil's propagator, then instruments. */
function setup(t: TestContext, options?: OutgoingHttpOptions): Memory {
  resetGlobals();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new VigilTraceContextPropagator());
  const handle = instrumentOutgoingHttp(options);
  t.after(async () => {
    handle.uninstall();
    resetGlobals();
    contextManager.disable();
    await provider.shutdown();
  });
  const clientSpans = (): ReadableSpan[] =>
    exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
  return {
    exporter,
    handle,
    clientSpans,
    async waitForClientSpans(n: number): Promise<ReadableSpan[]> {
      const deadline = Date.now() + 3000;
      while (clientSpans().length < n) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${n} client spans, got ${clientSpans().length}`);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      return clientSpans();
    },
  };
}

function parentIdOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** `http.get` that resolves with the response once its body has been read. */
function get(
  url: string | URL | http.RequestOptions,
  options: http.RequestOptions = {},
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      res.resume();
      res.on('end', () => resolve(res));
    };
    const req =
      typeof url === 'string' || url instanceof URL
        ? http.get(url, options, onResponse)
        : http.get(url, onResponse);
    req.on('error', reject);
  });
}

/** Runs `fn` inside a span; returns its result and the span's ids. */
async function inSpan<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; traceId: string; spanId: string }> {
  return withSpan('caller', async (span) => {
    const value = await fn();
    const { traceId, spanId } = span.spanContext();
    return { value, traceId, spanId };
  });
}

/** The one traceparent the server received (asserting it came exactly once). */
function traceparentOf(r: Received): string {
  const values = r.rawHeaders.filter(
    (name, i) => i % 2 === 0 && name.toLowerCase() === 'traceparent',
  );
  assert.equal(values.length, 1, `one traceparent header, got ${JSON.stringify(r.rawHeaders)}`);
  return r.headers.traceparent as string;
}

function assertLinked(
  r: Received,
  client: ReadableSpan,
  caller: { traceId: string; spanId: string },
): void {
  const tp = parseTraceparent(traceparentOf(r));
  assert.ok(tp !== undefined);
  assert.equal(tp.traceId, caller.traceId, 'trace id of the active span');
  assert.equal(tp.parentId, client.spanContext().spanId, 'parent id is the client span');
  assert.equal(client.spanContext().traceId, caller.traceId);
  assert.equal(parentIdOf(client), caller.spanId, 'client span is a child of the active span');
}

// --- fetch --------------------------------------------------------------------

test('fetch inside a span: a CLIENT child span, its traceparent sent, semconv attributes', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const caller = await inSpan(async () => {
    const res = await fetch(`${server.origin}/items?q=1&sig=secret`);
    return res.text();
  });
  assert.equal(caller.value, 'ok');
  const [client] = await mem.waitForClientSpans(1);
  assertLinked(server.received[0]!, client!, caller);
  assert.equal(client!.name, 'GET');
  assert.equal(client!.kind, SpanKind.CLIENT);
  assert.deepEqual(client!.attributes, {
    'http.request.method': 'GET',
    'server.address': '127.0.0.1',
    'server.port': server.port,
    'url.full': `${server.origin}/items?q=1&sig=REDACTED`,
    'http.response.status_code': 200,
  });
  assert.equal(client!.status.code, SpanStatusCode.UNSET);
  assert.equal(server.received[0]!.headers.tracestate, undefined);
});

test('fetch: tracestate of the active span goes along; sampled flag follows the parent', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const remote = propagation.extract(
    ROOT_CONTEXT,
    {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=abc,other=1',
    },
    defaultTextMapGetter,
  );
  await context.with(remote, () => fetch(`${server.origin}/`).then((r) => r.text()));
  const [client] = await mem.waitForClientSpans(1);
  const r = server.received[0]!;
  assert.equal(
    traceparentOf(r),
    `00-0af7651916cd43dd8448eb211c80319c-${client!.spanContext().spanId}-01`,
  );
  assert.equal(r.headers.tracestate, 'vendor=abc,other=1');
  assert.equal(parentIdOf(client!), 'b7ad6b7169203331');
});

test('fetch: 4xx and 5xx make the client span an error with error.type the status', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  await inSpan(async () => {
    assert.equal((await fetch(`${server.origin}/status/404`)).status, 404);
    const res = await fetch(`${server.origin}/status/503`, { method: 'POST', body: 'x' });
    await res.text();
  });
  const spans = await mem.waitForClientSpans(2);
  const byStatus = new Map(spans.map((s) => [s.attributes['http.response.status_code'], s]));
  for (const [status, method] of [
    [404, 'GET'],
    [503, 'POST'],
  ] as const) {
    const s = byStatus.get(status)!;
    assert.equal(s.name, method);
    assert.equal(s.status.code, SpanStatusCode.ERROR);
    assert.equal(s.status.message, undefined);
    assert.equal(s.attributes['error.type'], String(status));
    assert.deepEqual(s.events, []);
  }
});

test('fetch: connection refused records the exception and ends the span', async (t) => {
  const mem = setup(t);
  const port = await closedPort();
  const caller = await inSpan(async () => {
    await assert.rejects(fetch(`http://127.0.0.1:${port}/x`), TypeError);
  });
  const [client] = await mem.waitForClientSpans(1);
  assert.equal(parentIdOf(client!), caller.spanId);
  assert.equal(client!.status.code, SpanStatusCode.ERROR);
  assert.match(client!.status.message ?? '', /ECONNREFUSED/);
  assert.equal(client!.attributes['error.type'], 'ECONNREFUSED');
  assert.equal(client!.attributes['http.response.status_code'], undefined);
  assert.equal(client!.events.length, 1);
  assert.equal(client!.events[0]!.name, 'exception');
  assert.equal(client!.ended, true);
});

test('fetch: a timeout before the response ends the span as an error', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  await inSpan(async () => {
    await assert.rejects(fetch(`${server.origin}/hang`, { signal: AbortSignal.timeout(100) }), {
      name: 'TimeoutError',
    });
  });
  const [client] = await mem.waitForClientSpans(1);
  assert.equal(client!.status.code, SpanStatusCode.ERROR);
  // undici reports the signal's reason, or its own AbortError when the abort
  // lands while it is still connecting (seen under load).
  assert.match(String(client!.attributes['error.type']), /^(TimeoutError|AbortError)$/);
  assert.equal(client!.events[0]!.name, 'exception');
});

test('fetch: the span covers the body; a body the application cancels ends it without error', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  // 4 MiB is more than undici buffers: the body end waits for the reader.
  const res = await inSpan(() => fetch(`${server.origin}/big`));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(mem.clientSpans().length, 0, 'still open while the body is unread');
  await res.value.body!.cancel();
  const [client] = await mem.waitForClientSpans(1);
  assert.equal(client!.status.code, SpanStatusCode.UNSET);
  assert.equal(client!.attributes['http.response.status_code'], 200);
  assert.equal(client!.attributes['error.type'], undefined);

  const read = await inSpan(async () => (await fetch(`${server.origin}/big`)).arrayBuffer());
  assert.equal(read.value.byteLength, BIG.length);
  const spans = await mem.waitForClientSpans(2);
  assert.equal(spans[1]!.status.code, SpanStatusCode.UNSET);
});

test('fetch: an unread Response that is garbage-collected ends its span at the headers', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const mem = setup(t);
  const server = await startServer(t);
  let headersAt = 0;
  await inSpan(async () => {
    // Dropped unread: 4 MiB is more than undici buffers, so only the GC ends it.
    const res = await fetch(`${server.origin}/big`);
    headersAt = Date.now();
    assert.equal(res.status, 200);
  });
  // Collected only after a while (unless V8 does it sooner on its own).
  await new Promise((r) => setTimeout(r, 300));
  const deadline = Date.now() + 5000;
  while (mem.clientSpans().length === 0 && Date.now() < deadline) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  const [client] = await mem.waitForClientSpans(1);
  assert.equal(client!.status.code, SpanStatusCode.UNSET);
  assert.equal(client!.attributes['http.response.status_code'], 200);
  const endMs = client!.endTime[0] * 1000 + client!.endTime[1] / 1e6;
  // At the headers, not when the GC let undici cancel the body (300 ms on).
  assert.ok(Math.abs(endMs - headersAt) < 150, `ends at the headers (${endMs - headersAt} ms)`);
});

test('fetch: each redirect hop is its own client span, each injected', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const caller = await inSpan(async () => (await fetch(`${server.origin}/redirect`)).text());
  const spans = await mem.waitForClientSpans(2);
  assert.deepEqual(
    server.received.map((r) => r.url),
    ['/redirect', '/target'],
  );
  for (const [i, r] of server.received.entries()) {
    const span = spans.find(
      (s) => s.spanContext().spanId === parseTraceparent(traceparentOf(r))?.parentId,
    );
    assert.ok(span !== undefined, `hop ${i} carries its own span id`);
    assertLinked(r, span, caller);
  }
  assert.deepEqual(spans.map((s) => s.attributes['http.response.status_code']).sort(), [200, 302]);
});

test('fetch: a lowercase or unknown method is _OTHER, named HTTP', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  await inSpan(async () => (await fetch(`${server.origin}/`, { method: 'PURGE' })).text());
  const [client] = await mem.waitForClientSpans(1);
  assert.equal(client!.name, 'HTTP');
  assert.equal(client!.attributes['http.request.method'], '_OTHER');
  assert.equal(client!.attributes['http.request.method_original'], 'PURGE');
  assert.equal(server.received[0]!.method, 'PURGE');
});

test('fetch: concurrent requests from different spans each carry their own trace', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const callers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      inSpan(async () => {
        await new Promise((r) => setTimeout(r, i % 3));
        return (await fetch(`${server.origin}/n/${i}`)).text();
      }),
    ),
  );
  const spans = await mem.waitForClientSpans(20);
  for (const caller of callers) {
    const client = spans.find((s) => parentIdOf(s) === caller.spanId)!;
    const r = server.received.find(
      (x) => parseTraceparent(traceparentOf(x))?.parentId === client.spanContext().spanId,
    )!;
    assertLinked(r, client, caller);
  }
});

// --- http / https -------------------------------------------------------------

test('http.request and http.get inside a span: CLIENT child span, traceparent, attributes', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const caller = await inSpan(async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: server.port, path: '/post?x=1', method: 'post' },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end('body');
    });
    await get(`${server.origin}/get`);
    await get(new URL(`${server.origin}/url-object`), { headers: { 'x-any': '1' } });
  });
  const spans = await mem.waitForClientSpans(3);
  const [post, getSpan, urlSpan] = ['/post?x=1', '/get', '/url-object'].map((path) =>
    spans.find((s) => s.attributes['url.full'] === `${server.origin}${path}`)!,
  );
  assertLinked(server.received[0]!, post!, caller);
  assertLinked(server.received[1]!, getSpan!, caller);
  assertLinked(server.received[2]!, urlSpan!, caller);
  assert.equal(server.received[2]!.headers['x-any'], '1');
  assert.equal(post!.name, 'POST');
  assert.deepEqual(post!.attributes, {
    'http.request.method': 'POST',
    'server.address': '127.0.0.1',
    'server.port': server.port,
    'url.full': `${server.origin}/post?x=1`,
    'http.response.status_code': 200,
    'network.protocol.version': '1.1',
  });
  assert.equal(getSpan!.name, 'GET');
  assert.equal(post!.status.code, SpanStatusCode.UNSET);
});

test('http: an ESM named import of request is traced too', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const caller = await inSpan(
    () =>
      new Promise<void>((resolve) => {
        namedRequest(`${server.origin}/named`, (res) => {
          res.resume();
          res.on('end', resolve);
        }).end();
      }),
  );
  const [client] = await mem.waitForClientSpans(1);
  assertLinked(server.received[0]!, client!, caller);
});

test('http: credentials in the URL never reach url.full; the default port is left out', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  await inSpan(() => get(`http://user:pa55@127.0.0.1:${server.port}/private`));
  const [client] = await mem.waitForClientSpans(1);
  assert.equal(client!.attributes['url.full'], `${server.origin}/private`);
  assert.ok(server.received[0]!.headers.authorization?.startsWith('Basic '));
  assert.doesNotMatch(JSON.stringify(client!.attributes), /user|pa55/);
  // Destroyed at once, before anything is sent: the attributes of a default port.
  withSpan('caller', () => {
    const req = http.request('http://127.0.0.1/never', { agent: false });
    req.on('error', () => undefined);
    req.destroy();
  });
  const spans = await mem.waitForClientSpans(2);
  assert.equal(spans[1]!.attributes['url.full'], 'http://127.0.0.1/never');
  assert.equal(spans[1]!.attributes['server.port'], 80);
  // Absolute-form through a proxy (the test server plays it): the server behind it, no credentials.
  await inSpan(() =>
    get({
      host: '127.0.0.1',
      port: server.port,
      path: 'http://bob:s3cret@api.example:8080/v1?x=1',
    }),
  );
  const [, , proxied] = await mem.waitForClientSpans(3);
  assert.equal(server.received[1]!.url, 'http://bob:s3cret@api.example:8080/v1?x=1');
  assert.match(traceparentOf(server.received[1]!), TRACEPARENT);
  assert.equal(proxied!.attributes['url.full'], 'http://api.example:8080/v1?x=1');
  assert.equal(proxied!.attributes['server.address'], 'api.example');
  assert.equal(proxied!.attributes['server.port'], 8080);
});

test('http: 5xx is an error; connection refused reaches the caller’s error handler and the span', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const port = await closedPort();
  await inSpan(async () => {
    const res = await get(`${server.origin}/status/500`);
    assert.equal(res.statusCode, 500);
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      http.get(`http://127.0.0.1:${port}/`).on('error', resolve);
    });
    assert.equal(err.code, 'ECONNREFUSED');
  });
  const spans = await mem.waitForClientSpans(2);
  const failed = spans.find((s) => s.attributes['http.response.status_code'] === 500)!;
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
  assert.equal(failed.attributes['error.type'], '500');
  const refused = spans.find((s) => s.attributes['server.port'] === port)!;
  assert.equal(refused.status.code, SpanStatusCode.ERROR);
  assert.equal(refused.attributes['error.type'], 'ECONNREFUSED');
  assert.equal(refused.events[0]!.name, 'exception');
  assert.equal(refused.events[0]!.attributes?.['exception.type'], 'ECONNREFUSED');
});

test('http: a reset in the middle of the body is an error; a body the app destroys is not', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  await inSpan(async () => {
    await new Promise<void>((resolve) => {
      http.get(`${server.origin}/reset-mid-body`, (res) => {
        res.on('error', () => undefined);
        res.on('close', resolve);
        res.resume();
      });
    });
    await new Promise<void>((resolve) => {
      http.get(`${server.origin}/big`, (res) => {
        res.once('data', () => res.destroy());
        res.on('close', resolve);
      });
    });
  });
  const spans = await mem.waitForClientSpans(2);
  const reset = spans.find((s) => String(s.attributes['url.full']).endsWith('/reset-mid-body'))!;
  assert.equal(reset.status.code, SpanStatusCode.ERROR);
  assert.equal(reset.attributes['error.type'], 'ECONNRESET');
  const dropped = spans.find((s) => String(s.attributes['url.full']).endsWith('/big'))!;
  assert.equal(dropped.status.code, SpanStatusCode.UNSET);
  assert.equal(dropped.attributes['http.response.status_code'], 200);
});

test('http: without a response listener Node still dumps the body and the span ends', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  await inSpan(
    () =>
      new Promise<void>((resolve) => {
        http.get(`${server.origin}/big`).on('close', () => resolve());
      }),
  );
  const [client] = await mem.waitForClientSpans(1);
  assert.equal(client!.attributes['http.response.status_code'], 200);
});

test('http: a request destroyed before its response, and a sync argument error', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  await inSpan(async () => {
    const req = http.get(`${server.origin}/hang`);
    const err = await new Promise<Error>((resolve) => {
      req.on('error', resolve);
      setTimeout(() => req.destroy(new Error('gave up')), 20);
    });
    assert.equal(err.message, 'gave up');
    assert.throws(() => http.request(`${server.origin}/`, { method: 'BAD METHOD' }), {
      code: 'ERR_INVALID_HTTP_TOKEN',
    });
  });
  const spans = await mem.waitForClientSpans(2);
  assert.ok(spans.every((s) => s.status.code === SpanStatusCode.ERROR));
  assert.deepEqual(spans.map((s) => s.attributes['error.type']).sort(), [
    'ERR_INVALID_HTTP_TOKEN',
    'Error',
  ]);
});

test('http: headers as an array and an Expect header still get the traceparent', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const caller = await inSpan(async () => {
    const send = (options: http.RequestOptions): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = http.request(`${server.origin}/`, options, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    // Node writes an array of headers as given: no Host unless the caller adds it.
    const given = ['host', `127.0.0.1:${server.port}`, 'x-array', 'yes'];
    const options = { method: 'GET', headers: [...given] as unknown as http.OutgoingHttpHeaders };
    await send(options);
    assert.deepEqual(options.headers, given, 'the caller’s options are not changed');
    await send({ headers: { Expect: '100-continue', 'content-length': '0' } });
  });
  const spans = await mem.waitForClientSpans(2);
  assert.equal(server.received.length, 2);
  for (const r of server.received) {
    const client = spans.find(
      (s) => s.spanContext().spanId === parseTraceparent(traceparentOf(r))?.parentId,
    )!;
    assertLinked(r, client, caller);
  }
  assert.equal(server.received[0]!.headers['x-array'], 'yes');
});

test('https.request and https.get: traced and injected (self-signed certificate)', async (t) => {
  let tls;
  try {
    tls = selfSignedCertificate();
  } catch {
    t.skip('openssl is not available to make a test certificate');
    return;
  }
  const { cert, key } = tls;
  const mem = setup(t);
  const server = await listen(t, https.createServer({ cert, key }));
  const caller = await inSpan(async () => {
    await new Promise<void>((resolve, reject) => {
      https
        .get(`${server.origin}/tls-get`, { ca: cert }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      https
        .request(
          { host: '127.0.0.1', port: server.port, path: '/tls-request', ca: cert },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        )
        .on('error', reject)
        .end();
    });
  });
  const spans = await mem.waitForClientSpans(2);
  for (const [i, path] of ['/tls-get', '/tls-request'].entries()) {
    const client = spans.find((s) => s.attributes['url.full'] === `${server.origin}${path}`)!;
    assert.equal(client.attributes['server.port'], server.port);
    assertLinked(server.received[i]!, client, caller);
  }
});

// --- choices common to both -----------------------------------------------------

test('no active span: no header and no span, unless createRootSpans', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  await (await fetch(`${server.origin}/fetch`)).text();
  await get(`${server.origin}/http`);
  assert.equal(server.received[0]!.headers.traceparent, undefined);
  assert.equal(server.received[1]!.headers.traceparent, undefined);
  assert.equal(mem.exporter.getFinishedSpans().length, 0);
  mem.handle.uninstall();

  const roots = instrumentOutgoingHttp({ createRootSpans: true });
  t.after(() => roots.uninstall());
  await (await fetch(`${server.origin}/fetch-root`)).text();
  await get(`${server.origin}/http-root`);
  const spans = await mem.waitForClientSpans(2);
  for (const r of server.received.slice(2)) {
    const tp = parseTraceparent(traceparentOf(r))!;
    const client = spans.find((s) => s.spanContext().spanId === tp.parentId)!;
    assert.equal(client.spanContext().traceId, tp.traceId);
    assert.equal(parentIdOf(client), undefined, 'a root span');
  }
});

test('a traceparent the caller set is kept, with nothing added, and the span still made', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const own = '00-11111111111111111111111111111111-2222222222222222-01';
  await withSpan('caller', async () => {
    await (await fetch(`${server.origin}/f`, { headers: { TraceParent: own } })).text();
    await get(`${server.origin}/h`, { headers: { Traceparent: own } });
    await new Promise<void>((resolve) => {
      const req = http.request(`${server.origin}/late`, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.setHeader('traceparent', own);
      req.end();
    });
    await new Promise<void>((resolve) => {
      const raw = ['host', `127.0.0.1:${server.port}`, 'traceparent', own];
      const headers = raw as unknown as http.OutgoingHttpHeaders;
      http.get(`${server.origin}/array`, { headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
    });
  });
  await mem.waitForClientSpans(4);
  assert.equal(server.received.length, 4);
  for (const r of server.received) {
    assert.equal(traceparentOf(r), own, r.url);
    assert.equal(r.headers.tracestate, undefined);
  }
});

test('uninstall: requests go out untouched; http functions restored; a new install works', async (t) => {
  const original = { request: http.request, get: http.get, hreq: https.request, hget: https.get };
  const mem = setup(t);
  const server = await startServer(t);
  assert.notEqual(http.request, original.request);
  mem.handle.uninstall();
  mem.handle.uninstall(); // idempotent
  assert.equal(mem.handle.installed, false);
  assert.equal(http.request, original.request);
  assert.equal(http.get, original.get);
  assert.equal(https.request, original.hreq);
  assert.equal(https.get, original.hget);
  assert.equal(namedRequest, original.request);
  await inSpan(async () => {
    await (await fetch(`${server.origin}/f`)).text();
    await get(`${server.origin}/h`);
  });
  assert.equal(server.received[0]!.headers.traceparent, undefined);
  assert.equal(server.received[1]!.headers.traceparent, undefined);
  assert.equal(mem.clientSpans().length, 0);

  const again = instrumentOutgoingHttp();
  t.after(() => again.uninstall());
  assert.notEqual(again, mem.handle);
  await inSpan(() => get(`${server.origin}/again`));
  assert.match(traceparentOf(server.received[2]!), TRACEPARENT);
  await mem.waitForClientSpans(1);
});

test('installing twice returns the same handle: one span, one header per request', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const second = instrumentOutgoingHttp({ createRootSpans: true });
  assert.equal(second, mem.handle);
  await inSpan(async () => {
    await (await fetch(`${server.origin}/f`)).text();
    await get(`${server.origin}/h`);
  });
  await mem.waitForClientSpans(2);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(mem.clientSpans().length, 2);
  for (const r of server.received) traceparentOf(r); // exactly one value each
  // The options of the second call were ignored: still no root spans.
  await get(`${server.origin}/no-parent`);
  assert.equal(server.received[2]!.headers.traceparent, undefined);
});

test('in-flight requests still end their spans after uninstall', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const res = await inSpan(() => fetch(`${server.origin}/big`));
  mem.handle.uninstall();
  await res.value.arrayBuffer();
  const [client] = await mem.waitForClientSpans(1);
  assert.equal(client!.attributes['http.response.status_code'], 200);
});

test('ignoreUrls (prefixes or predicate) and suppressed tracing: no span, no header', async (t) => {
  const mem = setup(t, { ignoreUrls: ['http://127.0.0.1:1/', 'http://127.0.0.1:'] });
  const server = await startServer(t);
  await inSpan(async () => {
    await (await fetch(`${server.origin}/f`)).text();
    await get(`${server.origin}/h`);
  });
  mem.handle.uninstall();
  const seen: string[] = [];
  const byPredicate = instrumentOutgoingHttp({
    ignoreUrls: (url) => {
      seen.push(url);
      return url.endsWith('/skip');
    },
  });
  t.after(() => byPredicate.uninstall());
  await inSpan(async () => {
    await get(`${server.origin}/skip`);
    await get(`${server.origin}/keep`);
    await context.with(suppressTracing(context.active()), async () => {
      await (await fetch(`${server.origin}/suppressed`)).text();
      await get(`${server.origin}/suppressed`);
    });
  });
  assert.deepEqual(seen, [`${server.origin}/skip`, `${server.origin}/keep`]);
  const withHeader = server.received.filter((r) => r.headers.traceparent !== undefined);
  assert.deepEqual(
    withHeader.map((r) => r.url),
    ['/keep'],
  );
  const spans = await mem.waitForClientSpans(1);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(spans.length, 1);
});

test('the OTLP exporter’s own requests create no spans, even with root spans on', async (t) => {
  resetGlobals();
  const handle = instrumentOutgoingHttp({ createRootSpans: true });
  const receiver = await OtlpReceiver.start();
  const tracing = startTracing({
    endpoint: receiver.url,
    env: {},
    registry: new Registry(),
    scheduledDelayMillis: 10,
  });
  t.after(async () => {
    await tracing.shutdown();
    handle.uninstall();
    resetGlobals();
    await receiver.close();
  });
  const server = await startServer(t);
  // What the exporter's requests carry as they leave (they do go through the wrapped http.request).
  const exportHeaders: unknown[] = [];
  const onStart = (message: unknown): void => {
    const req = (message as { request: http.ClientRequest }).request;
    if (req.path === '/v1/traces') exportHeaders.push(req.getHeader('traceparent'));
  };
  subscribe('http.client.request.start', onStart);
  t.after(() => unsubscribe('http.client.request.start', onStart));
  // Exports happen from the batch timer (no active span) and from a flush
  // inside a span (an active span: only the suppression keeps it untraced).
  await withSpan('work', async () => {
    await (await fetch(`${server.origin}/work`)).text();
    await tracing.forceFlush();
  });
  await new Promise((r) => setTimeout(r, 50));
  await withSpan('more', () => tracing.forceFlush());
  await tracing.shutdown();
  assert.ok(receiver.jsonRequests >= 2, 'several exports happened');
  assert.equal(exportHeaders.length, receiver.jsonRequests);
  assert.ok(
    exportHeaders.every((h) => h === undefined),
    'no traceparent on exports',
  );
  const clients = receiver.spans.filter((s) => s.attributes['url.full'] !== undefined);
  assert.deepEqual(
    clients.map((s) => s.attributes['url.full']),
    [`${server.origin}/work`],
  );
  assert.equal(receiver.span('GET').parentSpanId, receiver.span('work').spanId);
});

test('a failure inside the instrumentation is reported once and the request goes out untouched', async (t) => {
  const mem = setup(t);
  const server = await startServer(t);
  const warnings: Record<string, unknown>[] = [];
  resetDiagnosticsOnce();
  setDiagnosticSink({ warn: (fields) => warnings.push(fields), error: () => undefined });
  t.after(() => {
    setDiagnosticSink(undefined);
    resetDiagnosticsOnce();
  });
  const throwing: TextMapPropagator = {
    inject: () => {
      throw new Error('propagator broke');
    },
    extract: (ctx) => ctx,
    fields: () => [],
  };
  propagation.disable();
  propagation.setGlobalPropagator(throwing);
  await inSpan(async () => {
    assert.equal(await (await fetch(`${server.origin}/f`)).text(), 'ok');
    assert.equal((await get(`${server.origin}/h`)).statusCode, 200);
    assert.equal((await get(`${server.origin}/h2`)).statusCode, 200);
  });
  assert.ok(server.received.every((r) => r.headers.traceparent === undefined));
  const codes = warnings.map((w) => w.code);
  assert.deepEqual(codes, [
    OUTGOING_HTTP_INSTRUMENTATION_FAILED,
    OUTGOING_HTTP_INSTRUMENTATION_FAILED,
  ]);
  // The spans started before the failure were ended, not leaked.
  assert.equal(mem.clientSpans().length, 3);

  // A throwing ignoreUrls predicate: reported, request untouched.
  mem.handle.uninstall();
  propagation.disable();
  propagation.setGlobalPropagator(new VigilTraceContextPropagator());
  const predicate = instrumentOutgoingHttp({
    ignoreUrls: () => {
      throw new Error('predicate broke');
    },
  });
  t.after(() => predicate.uninstall());
  await inSpan(async () => (await fetch(`${server.origin}/p`)).text());
  assert.equal(server.received[3]!.headers.traceparent, undefined);
  assert.equal(warnings.length, 3);
});

test('invalid options throw CONFIG_INVALID before anything is installed', () => {
  const before = http.request;
  assert.throws(
    () => instrumentOutgoingHttp({ ignoreUrls: [42] as unknown as string[] }),
    (err: unknown) => (err as { code?: string }).code === 'CONFIG_INVALID',
  );
  assert.equal(http.request, before);
});

test('no tracer provider registered: nothing traced, nothing injected, nothing thrown', async (t) => {
  resetGlobals();
  const handle = instrumentOutgoingHttp();
  t.after(() => handle.uninstall());
  const server = await startServer(t);
  await withSpan('noop', async () => {
    await (await fetch(`${server.origin}/f`)).text();
    await get(`${server.origin}/h`);
  });
  assert.ok(server.received.every((r) => r.headers.traceparent === undefined));
});
