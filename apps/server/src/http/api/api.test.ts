/**
 * The query API over real HTTP with a scripted engine: JSON shapes byte
 * for byte, parameters, every bad input, error types and statuses,
 * timeouts and cancellation. (Tests with the real engine and parser are in
 * api-engine.test.ts and promtool.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { ErrorCodes, STALE_NAN, VigilError } from '@vigil/model';
import type { QueryApi, QueryOptions, QueryResult, QueryValue } from '@vigil/promql';
import { MemoryStorage } from '@vigil/storage';
import { Registry } from '@vigil/sdk';
import { createServerApp } from '../app.js';
import type { PrometheusApiOptions } from './routes.js';

interface Call {
  kind: 'instant' | 'range';
  query: string;
  timeMs?: number;
  startMs?: number;
  endMs?: number;
  stepMs?: number;
  options?: QueryOptions;
}

/** An engine whose answer each test scripts. */
class ScriptedEngine implements QueryApi {
  calls: Call[] = [];
  answer: (call: Call) => Promise<QueryResult> = () =>
    Promise.resolve({ value: { type: 'vector', samples: [] }, warnings: [], infos: [] });

  instantQuery(query: string, timeMs: number, options?: QueryOptions): Promise<QueryResult> {
    const call: Call = { kind: 'instant', query, timeMs, ...(options ? { options } : {}) };
    this.calls.push(call);
    return this.answer(call);
  }

  rangeQuery(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    options?: QueryOptions,
  ): Promise<QueryResult> {
    const call: Call = {
      kind: 'range',
      query,
      startMs,
      endMs,
      stepMs,
      ...(options ? { options } : {}),
    };
    this.calls.push(call);
    return this.answer(call);
  }
}

const NOW_MS = 1_700_000_000_123;

async function start(
  t: { after: (fn: () => Promise<unknown>) => void },
  api: Partial<PrometheusApiOptions> = {},
) {
  const engine = new ScriptedEngine();
  const storage = new MemoryStorage();
  const app = createServerApp({
    appendable: storage,
    registry: new Registry(),
    api: { engine, queryable: storage, now: () => NOW_MS, ...api },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return { engine, storage, url, app };
}

function value(
  v: QueryValue,
  warnings: string[] = [],
  infos: string[] = [],
): () => Promise<QueryResult> {
  return () => Promise.resolve({ value: v, warnings, infos });
}

async function get(url: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

async function postForm(url: string, form: Record<string, string | string[]>) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  }
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: res.status, text: await res.text() };
}

test('instant query: vector, scalar, string and matrix answers are rendered as Prometheus renders them', async (t) => {
  const { engine, url } = await start(t);
  engine.answer = value({
    type: 'vector',
    samples: [
      { labels: ['__name__', 'up', 'job', 'a'], timestampMs: 1500, value: 1 },
      { labels: ['job', 'b', 'x', 'quote"d\\'], timestampMs: -1500, value: NaN },
      { labels: ['job', 'c'], timestampMs: 1001, value: Infinity },
      { labels: ['job', 'd'], timestampMs: 2000, value: -Infinity },
      { labels: ['job', 'e'], timestampMs: 2010, value: -0 },
      { labels: ['job', 'f'], timestampMs: 2100, value: 1e21 },
      { labels: ['job', 'g'], timestampMs: 2100, value: -1e-7 },
      { labels: ['job', 'h'], timestampMs: 2100, value: STALE_NAN },
      { labels: ['job', 'i'], timestampMs: 2100, value: 0.1 + 0.2 },
      { labels: ['10', 'numeric name first', 'a', 'b'], timestampMs: 0, value: 123456789.125 },
    ],
  });
  let r = await get(`${url}/api/v1/query?query=up&time=1.5`);
  assert.equal(r.status, 200);
  assert.match(r.type ?? '', /^application\/json/);
  assert.equal(
    r.text,
    '{"status":"success","data":{"resultType":"vector","result":[' +
      '{"metric":{"__name__":"up","job":"a"},"value":[1.500,"1"]},' +
      '{"metric":{"job":"b","x":"quote\\"d\\\\"},"value":[-1.500,"NaN"]},' +
      '{"metric":{"job":"c"},"value":[1.001,"+Inf"]},' +
      '{"metric":{"job":"d"},"value":[2,"-Inf"]},' +
      '{"metric":{"job":"e"},"value":[2.010,"-0"]},' +
      '{"metric":{"job":"f"},"value":[2.100,"1000000000000000000000"]},' +
      '{"metric":{"job":"g"},"value":[2.100,"-0.0000001"]},' +
      '{"metric":{"job":"h"},"value":[2.100,"NaN"]},' +
      '{"metric":{"job":"i"},"value":[2.100,"0.30000000000000004"]},' +
      '{"metric":{"10":"numeric name first","a":"b"},"value":[0,"123456789.125"]}]}}',
  );
  assert.deepEqual(engine.calls[0], {
    kind: 'instant',
    query: 'up',
    timeMs: 1500,
    options: engine.calls[0]!.options,
  });

  engine.answer = value({ type: 'scalar', timestampMs: 1260, value: 1 });
  r = await get(`${url}/api/v1/query?query=1&time=1.26`);
  assert.equal(r.text, '{"status":"success","data":{"resultType":"scalar","result":[1.26,"1"]}}');

  engine.answer = value({ type: 'string', timestampMs: -1500, value: 'a"b' });
  r = await get(`${url}/api/v1/query?query=x`);
  assert.equal(
    r.text,
    '{"status":"success","data":{"resultType":"string","result":[-1.5,"a\\"b"]}}',
  );
  // No time: now.
  assert.equal(engine.calls.at(-1)!.timeMs, NOW_MS);

  engine.answer = value({
    type: 'matrix',
    series: [
      {
        labels: ['__name__', 'x'],
        timestampsMs: Float64Array.of(1000, 16000, 31500),
        values: Float64Array.of(1, NaN, 2.5),
      },
      { labels: [], timestampsMs: new Float64Array(0), values: new Float64Array(0) },
    ],
  });
  r = await get(`${url}/api/v1/query?query=x[1m]&time=2015-07-01T20:10:51.781Z`);
  assert.equal(
    r.text,
    '{"status":"success","data":{"resultType":"matrix","result":[' +
      '{"metric":{"__name__":"x"},"values":[[1,"1"],[16,"NaN"],[31.500,"2.5"]]},' +
      '{"metric":{},"values":[]}]}}',
  );
  assert.equal(engine.calls.at(-1)!.timeMs, Date.UTC(2015, 6, 1, 20, 10, 51, 781));
});

test('times: unix seconds with fractions, RFC 3339 with offsets and nanoseconds', async (t) => {
  const { engine, url } = await start(t);
  const cases: Array<[string, number]> = [
    ['0', 0],
    ['1e9', 1e12],
    ['1435781451.781', 1435781451781],
    ['-1.5', -1500],
    ['1.0006', 1001],
    ['1.0005', 1000], // 0.000499… in binary: Go rounds it down too
    ['2015-07-01T20:10:51Z', Date.UTC(2015, 6, 1, 20, 10, 51)],
    ['2015-07-01T20:10:51.781123456Z', Date.UTC(2015, 6, 1, 20, 10, 51, 781)],
    ['2015-07-01T22:10:51+02:00', Date.UTC(2015, 6, 1, 20, 10, 51)],
    ['2015-07-01T18:40:51.5-01:30', Date.UTC(2015, 6, 1, 20, 10, 51, 500)],
  ];
  for (const [text, ms] of cases) {
    const r = await get(`${url}/api/v1/query?query=up&time=${encodeURIComponent(text)}`);
    assert.equal(r.status, 200, text);
    assert.equal(engine.calls.at(-1)!.timeMs, ms, text);
  }
});

test('POST form bodies: the body wins over the URL, match[] repeats; other bodies are ignored', async (t) => {
  const { engine, url } = await start(t);
  let r = await postForm(`${url}/api/v1/query?query=from_url&time=5`, { query: 'from_body' });
  assert.equal(r.status, 200);
  assert.deepEqual(
    engine.calls.map((c) => [c.query, c.timeMs]),
    [['from_body', 5000]],
  );
  r = await postForm(`${url}/api/v1/query_range`, {
    query: 'rate(x[5m])',
    start: '100',
    end: '200',
    step: '15s',
  });
  assert.equal(r.status, 200);
  assert.equal(
    r.text,
    '{"status":"success","data":{"resultType":"vector","result":[]}}',
    'the engine answers what it answers',
  );
  assert.deepEqual(engine.calls.at(-1), {
    kind: 'range',
    query: 'rate(x[5m])',
    startMs: 100_000,
    endMs: 200_000,
    stepMs: 15_000,
    options: engine.calls.at(-1)!.options,
  });
  const res = await fetch(`${url}/api/v1/query?query=json_ignored&time=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"query":"nope"}',
  });
  assert.equal(res.status, 200);
  assert.equal(engine.calls.at(-1)!.query, 'json_ignored');
});

test('query_range: step as float seconds or duration; lookback_delta and limit', async (t) => {
  const { engine, url } = await start(t);
  engine.answer = value(
    {
      type: 'matrix',
      series: [1, 2, 3].map((i) => ({
        labels: ['i', String(i)],
        timestampsMs: Float64Array.of(0),
        values: Float64Array.of(i),
      })),
    },
    ['PromQL warning: something (1:1)'],
    ['PromQL info: else (1:3)'],
  );
  let r = await get(
    `${url}/api/v1/query_range?query=x&start=0&end=60&step=0.5&lookback_delta=1m&limit=2`,
  );
  assert.equal(r.status, 200);
  assert.equal(
    r.text,
    '{"status":"success","data":{"resultType":"matrix","result":[' +
      '{"metric":{"i":"1"},"values":[[0,"1"]]},{"metric":{"i":"2"},"values":[[0,"2"]]}]},' +
      '"warnings":["PromQL warning: something (1:1)","results truncated due to limit"],' +
      '"infos":["PromQL info: else (1:3)"]}',
  );
  const call = engine.calls.at(-1)!;
  assert.equal(call.stepMs, 500);
  assert.equal(call.options?.lookbackDeltaMs, 60_000);
  r = await get(`${url}/api/v1/query_range?query=x&start=0&end=60&step=1m30s&limit=3`);
  assert.equal(engine.calls.at(-1)!.stepMs, 90_000);
  assert.doesNotMatch(r.text, /truncated/);
  // Exactly 11,000 steps is allowed.
  r = await get(`${url}/api/v1/query_range?query=x&start=0&end=11000&step=1`);
  assert.equal(r.status, 200);
});

const BAD_INPUTS: Array<[string, string]> = [
  [
    '/api/v1/query?query=up&time=foo',
    `invalid parameter "time": Invalid time value for 'time': cannot parse "foo" to a valid timestamp`,
  ],
  [
    '/api/v1/query?query=up&time=2015-13-01T00:00:00Z',
    `invalid parameter "time": Invalid time value for 'time': cannot parse "2015-13-01T00:00:00Z" to a valid timestamp`,
  ],
  [
    '/api/v1/query?query=up&timeout=foo',
    'invalid parameter "timeout": cannot parse "foo" to a valid duration',
  ],
  [
    '/api/v1/query?query=up&lookback_delta=x',
    'error parsing lookback delta duration: cannot parse "x" to a valid duration',
  ],
  [
    '/api/v1/query?query=up&limit=x',
    'invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax',
  ],
  ['/api/v1/query?query=up&limit=-1', 'invalid parameter "limit": limit must be non-negative'],
  [
    '/api/v1/query_range?query=up&start=foo&end=2&step=1',
    'invalid parameter "start": cannot parse "foo" to a valid timestamp',
  ],
  [
    '/api/v1/query_range?query=up&end=2&step=1',
    'invalid parameter "start": cannot parse "" to a valid timestamp',
  ],
  [
    '/api/v1/query_range?query=up&start=1&end=bar&step=1',
    'invalid parameter "end": cannot parse "bar" to a valid timestamp',
  ],
  [
    '/api/v1/query_range?query=up&start=10&end=2&step=1',
    'invalid parameter "end": end timestamp must not be before start time',
  ],
  [
    '/api/v1/query_range?query=up&start=1&end=2&step=x',
    'invalid parameter "step": cannot parse "x" to a valid duration',
  ],
  [
    '/api/v1/query_range?query=up&start=1&end=2',
    'invalid parameter "step": cannot parse "" to a valid duration',
  ],
  [
    '/api/v1/query_range?query=up&start=1&end=2&step=0',
    'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
  ],
  [
    '/api/v1/query_range?query=up&start=1&end=2&step=-5',
    'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
  ],
  [
    '/api/v1/query_range?query=up&start=1&end=200000&step=1',
    'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
  ],
  [
    '/api/v1/query_range?query=up&start=0&end=11001&step=1',
    'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
  ],
  [
    '/api/v1/query_range?query=up&start=0&end=1&step=1e300',
    'invalid parameter "step": cannot parse "1e300" to a valid duration. It overflows int64',
  ],
  ['/api/v1/series', 'no match[] parameter provided'],
  [
    '/api/v1/series?match[]=up&start=foo',
    `invalid parameter "start": Invalid time value for 'start': cannot parse "foo" to a valid timestamp`,
  ],
  [
    '/api/v1/labels?end=foo',
    `invalid parameter "end": Invalid time value for 'end': cannot parse "foo" to a valid timestamp`,
  ],
  [
    '/api/v1/labels?limit=1.5',
    'invalid parameter "limit": strconv.Atoi: parsing "1.5": invalid syntax',
  ],
  [
    '/api/v1/label/job/values?start=x',
    `invalid parameter "start": Invalid time value for 'start': cannot parse "x" to a valid timestamp`,
  ],
  ['/api/v1/label/U__/values', 'invalid label name: ""'],
  ['/api/v1/metadata?limit=x', 'limit must be a number'],
  ['/api/v1/metadata?limit_per_metric=x', 'limit_per_metric must be a number'],
  [
    '/api/v1/query_exemplars?query=up&start=10&end=5',
    'end timestamp must not be before start timestamp',
  ],
];

test('every bad parameter answers 400 bad_data with Prometheus text, and the engine is not called', async (t) => {
  const { engine, url } = await start(t);
  for (const [path, message] of BAD_INPUTS) {
    const r = await get(url + path);
    assert.equal(r.status, 400, path);
    assert.match(r.type ?? '', /^application\/json/, path);
    assert.deepEqual(
      JSON.parse(r.text),
      { status: 'error', errorType: 'bad_data', error: message },
      path,
    );
  }
  assert.equal(engine.calls.length, 0);
});

test('engine errors map to Prometheus error types and statuses', async (t) => {
  const { engine, url } = await start(t);
  const cases: Array<[Error, number, string, string]> = [
    [
      new VigilError(
        ErrorCodes.PROMQL_EXECUTION,
        'vector cannot contain metrics with the same labelset',
      ),
      422,
      'execution',
      'vector cannot contain metrics with the same labelset',
    ],
    [
      new VigilError(
        ErrorCodes.PROMQL_TOO_MANY_SAMPLES,
        'query processing would load too many samples into memory in query execution',
      ),
      422,
      'execution',
      'query processing would load too many samples into memory in query execution',
    ],
    [
      new VigilError(ErrorCodes.PROMQL_TIMEOUT, 'query timed out in query execution'),
      503,
      'timeout',
      'query timed out in query execution',
    ],
    [
      new VigilError(ErrorCodes.PROMQL_CANCELED, 'query was canceled in query execution'),
      499,
      'canceled',
      'query was canceled in query execution',
    ],
    [
      new VigilError(ErrorCodes.STORAGE_CLOSED, 'storage is closed'),
      503,
      'unavailable',
      'storage is closed',
    ],
    [new Error('bug'), 500, 'internal', 'bug'],
  ];
  for (const [err, status, errorType, message] of cases) {
    engine.answer = () => Promise.reject(err);
    for (const path of [
      '/api/v1/query?query=x',
      '/api/v1/query_range?query=x&start=0&end=1&step=1',
    ]) {
      const r = await get(url + path);
      assert.equal(r.status, status, message);
      assert.deepEqual(JSON.parse(r.text), { status: 'error', errorType, error: message });
    }
  }
});

test('timeout: a query running past ?timeout= answers 503 timeout, even from an engine that ignores the signal', async (t) => {
  const { engine, url } = await start(t);
  let seen: AbortSignal | undefined;
  engine.answer = (call) => {
    seen = call.options?.signal;
    return new Promise(() => undefined); // never settles
  };
  const started = Date.now();
  let r = await get(`${url}/api/v1/query?query=slow&timeout=0.2`);
  assert.ok(Date.now() - started < 5000);
  assert.equal(r.status, 503);
  assert.deepEqual(JSON.parse(r.text), {
    status: 'error',
    errorType: 'timeout',
    error: 'query timed out in expression evaluation',
  });
  assert.equal(seen?.aborted, true);
  // An engine that reports the abort as a cancellation still answers "timeout".
  engine.answer = (call) =>
    new Promise((_resolve, reject) =>
      call.options!.signal!.addEventListener('abort', () =>
        reject(new VigilError(ErrorCodes.PROMQL_CANCELED, 'query was canceled in query execution')),
      ),
    );
  r = await get(`${url}/api/v1/query_range?query=slow&start=0&end=10&step=1&timeout=100ms`);
  assert.equal(r.status, 503);
  assert.equal(JSON.parse(r.text).errorType, 'timeout');
});

test('a client that disconnects cancels its query', async (t) => {
  const { engine, url } = await start(t);
  const aborted = new Promise<unknown>((resolve) => {
    engine.answer = (call) => {
      call.options!.signal!.addEventListener('abort', () => resolve(call.options!.signal!.reason));
      return new Promise(() => undefined);
    };
  });
  const { port } = new URL(url);
  const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/query?query=slow' });
  req.on('error', () => undefined);
  req.end();
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (engine.calls.length > 0) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
  req.destroy();
  const reason = await aborted;
  assert.ok(reason instanceof VigilError && reason.code === ErrorCodes.PROMQL_CANCELED);
});

test('targets, metadata, status, rules, alerts and exemplars answer the upstream shapes', async (t) => {
  const { url } = await start(t, {
    targets: {
      targets: () => [
        {
          job: 'node',
          scrapeUrl: 'http://127.0.0.1:9100/metrics',
          labels: { instance: '127.0.0.1:9100', job: 'node' },
          discoveredLabels: { __address__: '127.0.0.1:9100', job: 'node' },
          health: 'up',
          lastError: '',
          lastScrapeMs: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
          lastScrapeDurationSeconds: 0.012,
          scrapeIntervalMs: 15_000,
          scrapeTimeoutMs: 10_000,
        },
      ],
      droppedTargets: () => [
        { job: 'node', discoveredLabels: { __address__: 'x:1', job: 'node' } },
      ],
    },
    metadata: () =>
      new Map([
        ['up', [{ type: 'gauge', help: 'Up.', unit: '' }]],
        [
          'a_total',
          [
            { type: 'counter', help: 'A.', unit: '' },
            { type: 'counter', help: 'A, elsewhere.', unit: '' },
          ],
        ],
      ]),
    buildInfo: {
      version: '0.1.0',
      revision: 'abc',
      branch: 'main',
      buildUser: '',
      buildDate: '',
      goVersion: 'v20',
    },
    flags: () => ({ 'storage.path': './data' }),
    configYaml: () => 'global: {}\n',
    runtimeInfo: () => ({
      startTimeMs: Date.UTC(2026, 0, 1),
      reloadConfigSuccess: true,
      lastConfigTimeMs: Date.UTC(2026, 0, 1),
      storageRetention: '15d',
    }),
  });
  const json = async (path: string): Promise<unknown> => {
    const r = await get(url + path);
    assert.equal(r.status, 200, path);
    const body = JSON.parse(r.text) as { status: string; data: unknown };
    assert.equal(body.status, 'success', path);
    return body.data;
  };
  assert.deepEqual(await json('/api/v1/targets'), {
    activeTargets: [
      {
        discoveredLabels: { __address__: '127.0.0.1:9100', job: 'node' },
        labels: { instance: '127.0.0.1:9100', job: 'node' },
        scrapePool: 'node',
        scrapeUrl: 'http://127.0.0.1:9100/metrics',
        globalUrl: 'http://127.0.0.1:9100/metrics',
        lastError: '',
        lastScrape: '2026-01-02T03:04:05.678Z',
        lastScrapeDuration: 0.012,
        health: 'up',
        scrapeInterval: '15s',
        scrapeTimeout: '10s',
      },
    ],
    droppedTargets: [{ discoveredLabels: { __address__: 'x:1', job: 'node' }, scrapePool: 'node' }],
    droppedTargetCounts: { node: 1 },
  });
  assert.deepEqual(await json('/api/v1/targets?state=dropped'), {
    activeTargets: [],
    droppedTargets: [{ discoveredLabels: { __address__: 'x:1', job: 'node' }, scrapePool: 'node' }],
    droppedTargetCounts: { node: 1 },
  });
  assert.deepEqual(await json('/api/v1/metadata'), {
    a_total: [
      { type: 'counter', help: 'A.', unit: '' },
      { type: 'counter', help: 'A, elsewhere.', unit: '' },
    ],
    up: [{ type: 'gauge', help: 'Up.', unit: '' }],
  });
  assert.deepEqual(await json('/api/v1/metadata?limit=1&limit_per_metric=1'), {
    a_total: [{ type: 'counter', help: 'A.', unit: '' }],
  });
  assert.deepEqual(await json('/api/v1/metadata?metric=up'), {
    up: [{ type: 'gauge', help: 'Up.', unit: '' }],
  });
  assert.deepEqual(await json('/api/v1/metadata?metric=nope'), {});
  assert.deepEqual(await json('/api/v1/status/buildinfo'), {
    version: '0.1.0',
    revision: 'abc',
    branch: 'main',
    buildUser: '',
    buildDate: '',
    goVersion: 'v20',
  });
  const runtime = (await json('/api/v1/status/runtimeinfo')) as Record<string, unknown>;
  assert.equal(runtime.startTime, '2026-01-01T00:00:00.000Z');
  assert.equal(runtime.storageRetention, '15d');
  assert.equal(runtime.reloadConfigSuccess, true);
  assert.equal(typeof runtime.CWD, 'string');
  assert.deepEqual(await json('/api/v1/status/flags'), { 'storage.path': './data' });
  assert.deepEqual(await json('/api/v1/status/config'), { yaml: 'global: {}\n' });
  assert.deepEqual(await json('/api/v1/rules'), { groups: [] });
  assert.deepEqual(await json('/api/v1/alerts'), { alerts: [] });
});

test('methods the endpoint does not take answer 405 with Allow', async (t) => {
  const { url } = await start(t);
  let res = await fetch(`${url}/api/v1/query`, { method: 'PUT' });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'GET, POST');
  res = await fetch(`${url}/api/v1/targets`, { method: 'POST' });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'GET');
  res = await fetch(`${url}/api/v1/nope`);
  assert.equal(res.status, 404);
});

test('POST /-/reload: 200 on success, 500 with the reason on failure', async (t) => {
  let fail = false;
  let reloads = 0;
  const storage = new MemoryStorage();
  const app = createServerApp({
    appendable: storage,
    registry: new Registry(),
    reload: () => {
      reloads++;
      return fail
        ? Promise.reject(new Error('vigil.yml: global: unknown key "x".'))
        : Promise.resolve();
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  let res = await fetch(`${url}/-/reload`, { method: 'POST' });
  assert.equal(res.status, 200);
  fail = true;
  res = await fetch(`${url}/-/reload`, { method: 'POST' });
  assert.equal(res.status, 500);
  assert.equal(await res.text(), 'failed to reload config: vigil.yml: global: unknown key "x".\n');
  assert.equal(reloads, 2);
  res = await fetch(`${url}/-/reload`);
  assert.equal(res.status, 404);
});
