/**
 * RemoteQueryApi against the real Prometheus from Debian, against Vigil's
 * own API (a round trip that must keep every value bit for bit), and
 * against scripted HTTP servers for auth headers, timeouts and failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { ErrorCodes, VigilError, isVigilError } from '@vigil/model';
import type { QueryApi, QueryOptions, QueryResult, QueryValue } from '@vigil/promql';
import { MemoryStorage } from '@vigil/storage';
import { Registry } from '@vigil/sdk';
import { close, freePort, listen, requireTool, startPrometheus, waitFor } from '@vigil/testing';
import { createServerApp } from '../http/app.js';
import { RemoteQueryApi, parseSampleValue } from './remote-query-api.js';

function bits(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0);
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<VigilError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isVigilError(err), `expected a VigilError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message !== undefined) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test('parseSampleValue reads the API notations', () => {
  assert.ok(Number.isNaN(parseSampleValue('NaN')));
  assert.equal(parseSampleValue('+Inf'), Infinity);
  assert.equal(parseSampleValue('-Inf'), -Infinity);
  assert.ok(Object.is(parseSampleValue('-0'), -0));
  assert.equal(parseSampleValue('1000000000000000000000'), 1e21);
  assert.equal(parseSampleValue('-0.0000001'), -1e-7);
});

test('against the real Prometheus: values, labels, errors', async (t) => {
  const binary = requireTool('prometheus', 'prometheus', (m) => t.skip(m));
  if (binary === undefined) return;
  // Prometheus scrapes a small exporter every second, so `up` exists quickly.
  const exporter = createServer((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      .end('demo_value{b="2",a="1"} 42\n'),
  );
  const port = await listen(exporter);
  t.after(() => close(exporter));
  const peer = await startPrometheus(
    binary,
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs: [{targets: ["127.0.0.1:${port}"]}]\n`,
  );
  t.after(() => peer.stop());
  const api = new RemoteQueryApi({ url: peer.url + '/' });
  const nowMs = Date.now();

  let r = await api.instantQuery('1.5', 1_500);
  assert.deepEqual(r, {
    value: { type: 'scalar', timestampMs: 1500, value: 1.5 },
    warnings: [],
    infos: [],
  });
  // A timeout with a fraction of a second is sent in a form Prometheus accepts.
  r = await new RemoteQueryApi({ url: peer.url, timeoutMs: 1500 }).instantQuery('2', 0, {
    lookbackDeltaMs: 90_500,
  });
  assert.deepEqual(r.value, { type: 'scalar', timestampMs: 0, value: 2 });
  r = await api.instantQuery('"a b"', 2_000);
  assert.deepEqual(r.value, { type: 'string', timestampMs: 2000, value: 'a b' });
  r = await api.instantQuery(
    'label_replace(label_replace(vector(0/0), "z", "1", "", ""), "a", "2", "", "")',
    1_234,
  );
  assert.equal(r.value.type, 'vector');
  if (r.value.type === 'vector') {
    assert.equal(r.value.samples.length, 1);
    assert.deepEqual(r.value.samples[0]!.labels, ['a', '2', 'z', '1']);
    assert.equal(r.value.samples[0]!.timestampMs, 1234);
    assert.ok(Number.isNaN(r.value.samples[0]!.value));
  }
  r = await api.rangeQuery('time() * 2', 0, 30_000, 15_000);
  assert.equal(r.value.type, 'matrix');
  if (r.value.type === 'matrix') {
    assert.equal(r.value.series.length, 1);
    const s = r.value.series[0]!;
    assert.deepEqual(s.labels, []);
    assert.deepEqual([...s.timestampsMs], [0, 15_000, 30_000]);
    assert.deepEqual([...s.values], [0, 30, 60]);
    assert.ok(s.values instanceof Float64Array);
  }
  r = await api.rangeQuery('vector(1) / 0', 0, 1000, 1000);
  if (r.value.type === 'matrix')
    assert.deepEqual([...r.value.series[0]!.values], [Infinity, Infinity]);

  // Scraped data: labels come back sorted and flat.
  const up = await waitFor('Prometheus to scrape itself', async () => {
    const res = await api.instantQuery('up', Date.now());
    return res.value.type === 'vector' && res.value.samples.length > 0
      ? res.value.samples
      : undefined;
  });
  assert.deepEqual(up[0]!.labels, [
    '__name__',
    'up',
    'instance',
    `127.0.0.1:${port}`,
    'job',
    'self',
  ]);
  assert.equal(up[0]!.value, 1);
  r = await api.instantQuery('demo_value', Date.now());
  assert.ok(r.value.type === 'vector');
  assert.deepEqual(r.value.samples[0]?.labels, [
    '__name__',
    'demo_value',
    'a',
    '1',
    'b',
    '2',
    'instance',
    `127.0.0.1:${port}`,
    'job',
    'self',
  ]);
  assert.equal(r.value.samples[0]?.value, 42);

  // Errors become VigilErrors with the remote's text.
  let err = await rejectsWith(api.instantQuery('up{', nowMs), ErrorCodes.PROMQL_PARSE);
  assert.match(
    err.message,
    /^invalid parameter "query": 1:4: parse error: unexpected end of input inside braces$/,
  );
  assert.equal(err.details?.status, 400);
  await rejectsWith(
    api.instantQuery('rate(up)', nowMs),
    ErrorCodes.PROMQL_PARSE,
    /expected type range vector/,
  );
  await rejectsWith(
    api.rangeQuery('up', 10_000, 0, 1000),
    ErrorCodes.QUERY_BAD_REQUEST,
    /end timestamp must not be before start time/,
  );
  await rejectsWith(
    api.rangeQuery('up', 0, 20_000_000, 1000),
    ErrorCodes.QUERY_BAD_REQUEST,
    /exceeded maximum resolution of 11,000 points/,
  );
  err = await rejectsWith(
    api.instantQuery(
      'vector(1) * on() (label_replace(vector(1), "a", "x", "", "") or label_replace(vector(1), "a", "y", "", ""))',
      nowMs,
    ),
    ErrorCodes.PROMQL_EXECUTION,
    /^found duplicate series for the match group \{\} on the right hand-side of the operation/,
  );
  assert.equal(err.details?.status, 422);
});

/** A scripted backend that records requests. */
async function scripted(
  t: { after: (fn: () => Promise<unknown>) => void },
  answer: (req: IncomingMessage, body: string) => { status?: number; body: string } | undefined,
) {
  const seen: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const a = answer(req, body);
      if (a === undefined) return; // never answer
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  const port = await listen(server);
  t.after(() => close(server));
  return { url: `http://127.0.0.1:${port}`, seen };
}

test('auth and headers are sent; the form carries the query, times and timeout', async (t) => {
  const backend = await scripted(t, () => ({
    body: '{"status":"success","data":{"resultType":"vector","result":[]},"warnings":["w1"],"infos":["i1"]}',
  }));
  let api = new RemoteQueryApi({
    url: backend.url,
    bearerToken: 'tok',
    headers: { 'X-Scope-OrgID': 'tenant-1' },
    timeoutMs: 30_000,
  });
  const r = await api.instantQuery('up', 1_500, { lookbackDeltaMs: 60_000 });
  assert.deepEqual(r, { value: { type: 'vector', samples: [] }, warnings: ['w1'], infos: ['i1'] });
  let req = backend.seen[0]!;
  assert.equal(req.url, '/api/v1/query');
  assert.equal(req.headers.authorization, 'Bearer tok');
  assert.equal(req.headers['x-scope-orgid'], 'tenant-1');
  assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), {
    query: 'up',
    time: '1.5',
    timeout: '30',
    lookback_delta: '60',
  });
  api = new RemoteQueryApi({ url: backend.url, basicAuth: { username: 'u', password: 'p:w' } });
  await api.rangeQuery('x', 0, 60_000, 15_000).catch(() => undefined);
  req = backend.seen[1]!;
  assert.equal(req.url, '/api/v1/query_range');
  assert.equal(req.headers.authorization, `Basic ${Buffer.from('u:p:w').toString('base64')}`);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), {
    query: 'x',
    start: '0',
    end: '60',
    step: '15',
    timeout: '120',
  });
});

test('native histogram points are left out with a warning; a range query must answer a matrix', async (t) => {
  const backend = await scripted(t, (req) => ({
    body:
      req.url === '/api/v1/query'
        ? '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"2"]},{"metric":{"b":"1"},"histogram":[1,{"count":"1","sum":"1"}]}]}}'
        : '{"status":"success","data":{"resultType":"vector","result":[]}}',
  }));
  const api = new RemoteQueryApi({ url: backend.url });
  const r = await api.instantQuery('x', 1000);
  assert.deepEqual(r.value, {
    type: 'vector',
    samples: [{ labels: ['a', '1'], timestampMs: 1000, value: 2 }],
  });
  assert.match(r.warnings[0]!, /1 native histogram sample\(s\)/);
  await rejectsWith(api.rangeQuery('x', 0, 1, 1), ErrorCodes.QUERY_REMOTE_FAILED, /not a matrix/);
});

test('unreachable, not JSON, 5xx, timeout and cancellation', async (t) => {
  const port = await freePort();
  await rejectsWith(
    new RemoteQueryApi({ url: `http://127.0.0.1:${port}` }).instantQuery('up', 0),
    ErrorCodes.QUERY_REMOTE_FAILED,
    new RegExp(
      `The query backend at http://127\\.0\\.0\\.1:${port} could not be reached \\(.*ECONNREFUSED`,
    ),
  );
  const backend = await scripted(t, (req) => {
    if (req.url === '/api/v1/query_range') return undefined; // hangs
    return { status: 502, body: '<html>bad gateway</html>' };
  });
  const api = new RemoteQueryApi({ url: backend.url, timeoutMs: 300 });
  await rejectsWith(
    api.instantQuery('up', 0),
    ErrorCodes.QUERY_REMOTE_FAILED,
    /HTTP 502 with a body that is not JSON/,
  );
  const started = Date.now();
  await rejectsWith(
    api.rangeQuery('up', 0, 1000, 1000),
    ErrorCodes.PROMQL_TIMEOUT,
    /timed out after 300 ms/,
  );
  assert.ok(Date.now() - started < 5000);
  const slow = new RemoteQueryApi({ url: backend.url, timeoutMs: 60_000 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await rejectsWith(
    slow.rangeQuery('up', 0, 1000, 1000, { signal: controller.signal }),
    ErrorCodes.PROMQL_CANCELED,
  );
  const internal = await scripted(t, () => ({
    status: 500,
    body: '{"status":"error","errorType":"internal","error":"disk on fire"}',
  }));
  await rejectsWith(
    new RemoteQueryApi({ url: internal.url }).instantQuery('up', 0),
    ErrorCodes.QUERY_REMOTE_FAILED,
    /answered HTTP 500 \(internal\): disk on fire/,
  );
  assert.throws(() => new RemoteQueryApi({ url: 'ftp://x' }), /only http and https/);
  assert.throws(() => new RemoteQueryApi({ url: 'nope' }), /expected an absolute http\(s\) URL/);
});

/** An engine that answers one fixed value. */
class FixedEngine implements QueryApi {
  constructor(public result: QueryValue | Error) {}
  instantQuery(_q: string, _t: number, _o?: QueryOptions): Promise<QueryResult> {
    return this.answer();
  }
  rangeQuery(
    _q: string,
    _s: number,
    _e: number,
    _st: number,
    _o?: QueryOptions,
  ): Promise<QueryResult> {
    return this.answer();
  }
  private answer(): Promise<QueryResult> {
    return this.result instanceof Error
      ? Promise.reject(this.result)
      : Promise.resolve({ value: this.result, warnings: ['PromQL warning: w (1:1)'], infos: [] });
  }
}

test("against Vigil's own API: a round trip keeps every value bit for bit", async (t) => {
  const storage = new MemoryStorage();
  const engine = new FixedEngine({ type: 'vector', samples: [] });
  const app = createServerApp({
    appendable: storage,
    registry: new Registry(),
    api: { engine, queryable: storage },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const api = new RemoteQueryApi({ url });
  const tricky = [
    0,
    -0,
    1,
    -1.5,
    0.1 + 0.2,
    1e21,
    1.7976931348623157e308,
    5e-324,
    -1e-7,
    123456789.12345679,
    NaN,
    Infinity,
    -Infinity,
    1 / 3,
  ];
  engine.result = {
    type: 'matrix',
    series: [
      {
        labels: ['__name__', 'x', 'a', 'é', 'z', 'q"\\'],
        timestampsMs: Float64Array.from(tricky, (_v, i) => i * 1001 - 5000),
        values: Float64Array.from(tricky),
      },
    ],
  };
  const r = await api.rangeQuery('x', 0, 1, 1);
  assert.deepEqual(r.warnings, ['PromQL warning: w (1:1)']);
  assert.equal(r.value.type, 'matrix');
  if (r.value.type === 'matrix') {
    const s = r.value.series[0]!;
    assert.deepEqual(s.labels, ['__name__', 'x', 'a', 'é', 'z', 'q"\\']);
    assert.deepEqual(
      [...s.timestampsMs],
      tricky.map((_v, i) => i * 1001 - 5000),
    );
    // NaN's payload is not part of the API (it is the string "NaN"); every other value keeps its bits.
    for (let i = 0; i < tricky.length; i++) {
      if (Number.isNaN(tricky[i]!)) assert.ok(Number.isNaN(s.values[i]!));
      else assert.equal(bits(s.values[i]!), bits(tricky[i]!), `value ${tricky[i]}`);
    }
  }
  engine.result = { type: 'scalar', timestampMs: 1234, value: -0 };
  const scalar = await api.instantQuery('x', 0);
  assert.ok(
    scalar.value.type === 'scalar' &&
      Object.is(scalar.value.value, -0) &&
      scalar.value.timestampMs === 1234,
  );
  engine.result = new VigilError(
    ErrorCodes.PROMQL_EXECUTION,
    'found duplicate series for the match group',
  );
  await rejectsWith(
    api.instantQuery('x', 0),
    ErrorCodes.PROMQL_EXECUTION,
    /^found duplicate series for the match group$/,
  );
  engine.result = new VigilError(ErrorCodes.PROMQL_TIMEOUT, 'query timed out in query execution');
  await rejectsWith(api.instantQuery('x', 0), ErrorCodes.PROMQL_TIMEOUT);
  await rejectsWith(
    api.rangeQuery('x', 5000, 0, 1000),
    ErrorCodes.QUERY_BAD_REQUEST,
    /end timestamp must not be before start time/,
  );
});
