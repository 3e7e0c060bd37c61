/**
 * The query API with the real parser and engine over a store with a few
 * series: parse and type errors with Prometheus's texts (each checked
 * against Prometheus 2.42's answers), series/labels/label values,
 * format_query/parse_query, the limits, and the calls Grafana's Prometheus
 * data source makes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '@vigil/promql';
import { MemoryStorage } from '@vigil/storage';
import { Registry } from '@vigil/sdk';
import { seededRandom } from '@vigil/testing';
import { createServerApp } from '../app.js';

async function start(t: { after: (fn: () => Promise<unknown>) => void }, maxSamples?: number) {
  const storage = new MemoryStorage();
  const app0 = storage.appender();
  for (let i = 0; i < 10; i++) {
    app0.append(0, ['__name__', 'up', 'instance', 'a:1', 'job', 'node'], i * 15_000, 1);
    app0.append(0, ['__name__', 'up', 'instance', 'b:1', 'job', 'node'], i * 15_000, 0);
    app0.append(
      0,
      ['__name__', 'http_requests_total', 'code', '200', 'job', 'api'],
      i * 15_000,
      i * 10,
    );
  }
  await app0.commit();
  const engine = new Engine({
    queryable: storage,
    ...(maxSamples === undefined ? {} : { maxSamples }),
  });
  const app = createServerApp({
    appendable: storage,
    registry: new Registry(),
    api: {
      engine,
      queryable: storage,
      now: () => 60_000,
      metadata: () => new Map([['up', [{ type: 'gauge', help: 'Target up.', unit: '' }]]]),
      buildInfo: {
        version: '0.1.0',
        revision: '',
        branch: '',
        buildUser: '',
        buildDate: '',
        goVersion: process.version,
      },
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return url;
}

async function get(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: JSON.parse(await res.text()) as Record<string, unknown> };
}

async function post(url: string, form: Record<string, string | string[]>) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: res.status, body: JSON.parse(await res.text()) as Record<string, unknown> };
}

const q = encodeURIComponent;

test('queries evaluate over the store', async (t) => {
  const url = await start(t);
  let r = await get(`${url}/api/v1/query?query=up`);
  assert.deepEqual(r.body, {
    status: 'success',
    data: {
      resultType: 'vector',
      result: [
        { metric: { __name__: 'up', instance: 'a:1', job: 'node' }, value: [60, '1'] },
        { metric: { __name__: 'up', instance: 'b:1', job: 'node' }, value: [60, '0'] },
      ],
    },
  });
  r = await get(`${url}/api/v1/query_range?query=${q('sum by (job) (up)')}&start=0&end=60&step=30`);
  assert.deepEqual(r.body.data, {
    resultType: 'matrix',
    result: [
      {
        metric: { job: 'node' },
        values: [
          [0, '1'],
          [30, '1'],
          [60, '1'],
        ],
      },
    ],
  });
  r = await get(`${url}/api/v1/query?query=${q('rate(http_requests_total[1m])')}&time=135`);
  assert.deepEqual(r.body.data, {
    resultType: 'vector',
    result: [{ metric: { code: '200', job: 'api' }, value: [135, '0.6666666666666666'] }],
  });
  // A range selector in an instant query answers a matrix.
  r = await get(`${url}/api/v1/query?query=${q('http_requests_total[30s]')}&time=135`);
  assert.deepEqual(r.body.data, {
    resultType: 'matrix',
    result: [
      {
        metric: { __name__: 'http_requests_total', code: '200', job: 'api' },
        values: [
          [120, '80'],
          [135, '90'],
        ],
      },
    ],
  });
  // Nothing five minutes after the last sample (lookback), unless lookback_delta says so.
  r = await get(`${url}/api/v1/query?query=up&time=500`);
  assert.deepEqual(r.body.data, { resultType: 'vector', result: [] });
  r = await get(`${url}/api/v1/query?query=up&time=500&lookback_delta=10m`);
  assert.equal((r.body.data as { result: unknown[] }).result.length, 2);
  r = await get(`${url}/api/v1/query?query=up&limit=1`);
  assert.deepEqual(r.body.warnings, ['results truncated due to limit']);
  assert.equal((r.body.data as { result: unknown[] }).result.length, 1);
});

// Texts as Prometheus 2.42 answers them (same queries against the real binary).
const QUERY_ERRORS: Array<[string, number, string, string]> = [
  [
    '/api/v1/query?query=up{',
    400,
    'bad_data',
    'invalid parameter "query": 1:4: parse error: unexpected end of input inside braces',
  ],
  [
    '/api/v1/query?query=foo(1)',
    400,
    'bad_data',
    'invalid parameter "query": 1:1: parse error: unknown function with name "foo"',
  ],
  [
    '/api/v1/query?query=rate(up)',
    400,
    'bad_data',
    'invalid parameter "query": 1:6: parse error: expected type range vector in call to function "rate", got instant vector',
  ],
  [
    '/api/v1/query?query=',
    400,
    'bad_data',
    'invalid parameter "query": 1:1: parse error: no expression found in input',
  ],
  [
    '/api/v1/query',
    400,
    'bad_data',
    'invalid parameter "query": 1:1: parse error: no expression found in input',
  ],
  [
    '/api/v1/query_range?query=up(&start=1&end=2&step=1',
    400,
    'bad_data',
    'invalid parameter "query": 1:4: parse error: unclosed left parenthesis',
  ],
  [
    `/api/v1/query?query=${q('sum(up) + on() group_left up')}`,
    422,
    'execution',
    'found duplicate series for the match group {} on the right hand-side of the operation: [{__name__="up", instance="a:1", job="node"}, {__name__="up", instance="b:1", job="node"}];many-to-many matching not allowed: matching labels must be unique on one side',
  ],
  [
    '/api/v1/series?match[]=up{',
    400,
    'bad_data',
    'invalid parameter "match[]": 1:4: parse error: unexpected end of input inside braces',
  ],
  [
    `/api/v1/series?match[]=${q('{x=""}')}`,
    400,
    'bad_data',
    'invalid parameter "match[]": match[] must contain at least one non-empty matcher',
  ],
  [
    '/api/v1/labels?match[]=up{',
    400,
    'bad_data',
    '1:4: parse error: unexpected end of input inside braces',
  ],
  [
    '/api/v1/label/__name__/values?match[]=up{',
    400,
    'bad_data',
    '1:4: parse error: unexpected end of input inside braces',
  ],
  [
    `/api/v1/format_query?query=${q('sum(')}`,
    400,
    'bad_data',
    'invalid parameter "query": 1:5: parse error: unclosed left parenthesis',
  ],
];

test('parse, type and execution errors carry Prometheus texts, types and statuses', async (t) => {
  const url = await start(t);
  for (const [path, status, errorType, error] of QUERY_ERRORS) {
    const r = await get(url + path);
    assert.equal(r.status, status, path);
    assert.deepEqual(r.body, { status: 'error', errorType, error }, path);
  }
  // Not a selector: refused with a parse error naming what was expected.
  for (const text of ['rate(up[5m])', 'up[5m]', 'up offset 1m', 'up @ 10', '1']) {
    const r = await get(`${url}/api/v1/series?match[]=${q(text)}`);
    assert.equal(r.status, 400, text);
    assert.match(
      String(r.body.error),
      /^invalid parameter "match\[\]": 1:1: parse error: expected a series selector/,
      text,
    );
  }
});

test('too many samples answers 422 execution', async (t) => {
  const url = await start(t, 5);
  const r = await get(`${url}/api/v1/query?query=${q('http_requests_total[5m]')}&time=135`);
  assert.equal(r.status, 422);
  assert.deepEqual(r.body, {
    status: 'error',
    errorType: 'execution',
    error: 'query processing would load too many samples into memory in query execution',
  });
});

test('series, labels and label values; match[] repeats; limits; U__ escaped names', async (t) => {
  const url = await start(t);
  let r = await get(`${url}/api/v1/series?match[]=up&match[]=${q('{job="api"}')}`);
  assert.deepEqual(r.body, {
    status: 'success',
    data: [
      { __name__: 'http_requests_total', code: '200', job: 'api' },
      { __name__: 'up', instance: 'a:1', job: 'node' },
      { __name__: 'up', instance: 'b:1', job: 'node' },
    ],
  });
  r = await get(`${url}/api/v1/series?match[]=up&limit=1`);
  assert.deepEqual(r.body, {
    status: 'success',
    data: [{ __name__: 'up', instance: 'a:1', job: 'node' }],
    warnings: ['results truncated due to limit'],
  });
  // Outside the time range: nothing.
  r = await get(`${url}/api/v1/series?match[]=up&start=1000&end=2000`);
  assert.deepEqual(r.body.data, []);
  r = await get(`${url}/api/v1/labels`);
  assert.deepEqual(r.body.data, ['__name__', 'code', 'instance', 'job']);
  r = await get(`${url}/api/v1/labels?match[]=up`);
  assert.deepEqual(r.body.data, ['__name__', 'instance', 'job']);
  r = await get(`${url}/api/v1/label/job/values`);
  assert.deepEqual(r.body.data, ['api', 'node']);
  r = await get(`${url}/api/v1/label/U__jo_62_/values`);
  assert.deepEqual(r.body.data, ['api', 'node']);
  r = await get(`${url}/api/v1/label/__name__/values?match[]=up`);
  assert.deepEqual(r.body.data, ['up']);
  r = await get(`${url}/api/v1/label/nope/values`);
  assert.deepEqual(r.body, { status: 'success', data: [] });
  r = await get(`${url}/api/v1/label/instance/values?limit=1`);
  assert.deepEqual(r.body, {
    status: 'success',
    data: ['a:1'],
    warnings: ['results truncated due to limit'],
  });
});

test('format_query and parse_query', async (t) => {
  const url = await start(t);
  let r = await get(`${url}/api/v1/format_query?query=${q('sum(rate(x[5m]))by(job)')}`);
  assert.deepEqual(r.body, { status: 'success', data: 'sum by (job) (rate(x[5m]))' });
  r = await post(`${url}/api/v1/parse_query`, { query: 'up + 1' });
  assert.deepEqual(r.body, {
    status: 'success',
    data: {
      type: 'binaryExpr',
      op: '+',
      bool: false,
      matching: null,
      lhs: {
        type: 'vectorSelector',
        name: 'up',
        matchers: [{ type: '=', name: '__name__', value: 'up' }],
        offset: 0,
        timestamp: null,
        startOrEnd: null,
      },
      rhs: { type: 'numberLiteral', val: '1' },
    },
  });
});

test("Grafana's Prometheus data source calls answer the upstream shapes", async (t) => {
  const url = await start(t);
  // buildinfo first (Grafana detects the flavour and version).
  let r = await get(`${url}/api/v1/status/buildinfo`);
  assert.equal(r.status, 200);
  const info = r.body.data as Record<string, unknown>;
  for (const k of ['version', 'revision', 'branch', 'buildUser', 'buildDate', 'goVersion']) {
    assert.equal(typeof info[k], 'string', k);
  }
  // Instant and range queries as POST forms.
  r = await post(`${url}/api/v1/query`, { query: 'up', time: '60' });
  assert.equal(r.body.status, 'success');
  assert.equal((r.body.data as { resultType: string }).resultType, 'vector');
  r = await post(`${url}/api/v1/query_range`, { query: 'up', start: '0', end: '60', step: '15' });
  const matrix = r.body.data as {
    resultType: string;
    result: Array<{ metric: object; values: unknown[][] }>;
  };
  assert.equal(matrix.resultType, 'matrix');
  assert.equal(matrix.result.length, 2);
  assert.deepEqual(matrix.result[0]!.values, [
    [0, '1'],
    [15, '1'],
    [30, '1'],
    [45, '1'],
    [60, '1'],
  ]);
  // Grafana's form bodies name a charset.
  const res = await fetch(`${url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    body: 'query=count(up)&time=60',
  });
  assert.deepEqual(await res.json(), {
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: {}, value: [60, '2'] }] },
  });
  // Label browser and metric names.
  r = await post(`${url}/api/v1/labels`, { start: '0', end: '200' });
  assert.deepEqual(r.body.data, ['__name__', 'code', 'instance', 'job']);
  r = await get(`${url}/api/v1/label/__name__/values?start=0&end=200`);
  assert.deepEqual(r.body.data, ['http_requests_total', 'up']);
  r = await post(`${url}/api/v1/series`, { 'match[]': 'up', start: '0', end: '200' });
  assert.equal((r.body.data as unknown[]).length, 2);
  r = await get(`${url}/api/v1/metadata`);
  assert.deepEqual(r.body, {
    status: 'success',
    data: { up: [{ type: 'gauge', help: 'Target up.', unit: '' }] },
  });
  r = await post(`${url}/api/v1/query_exemplars`, { query: 'up', start: '0', end: '60' });
  assert.deepEqual(r.body, { status: 'success', data: [] });
  r = await get(`${url}/api/v1/rules`);
  assert.deepEqual(r.body, { status: 'success', data: { groups: [] } });
});

test(
  'seeded fuzz: random token soup and random parameters answer JSON 200/400/422, never 500 or a hang',
  { timeout: 60_000 },
  async (t) => {
    const url = await start(t);
    const random = seededRandom(20261128);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const tokens = [
      'up',
      'http_requests_total',
      'rate',
      'sum',
      'by',
      'without',
      '(',
      ')',
      '[',
      ']',
      '{',
      '}',
      '5m',
      '1m:30s',
      ':',
      ',',
      '+',
      '-',
      '*',
      '/',
      '^',
      '%',
      '==',
      '!=',
      '>',
      'bool',
      'and',
      'or',
      'unless',
      'on',
      'ignoring',
      'group_left',
      'offset',
      '@',
      'start()',
      'end()',
      '1',
      '0x1f',
      '1e3',
      'NaN',
      'Inf',
      '"a"',
      "'b'",
      '`c`',
      'job',
      '=',
      '=~',
      '!~',
      '"node"',
      'topk',
      'quantile',
      'histogram_quantile',
      'label_replace',
      'absent',
      'scalar',
      'vector',
      'time()',
      'count_values',
      ' ',
      '#',
      '\\',
      '"\\x"',
      'é',
      '\u0000',
    ];
    const times = ['0', '60', '135.5', '-1', '1e20', 'NaN', 'x', '2026-01-01T00:00:00Z', ''];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const n = 1 + Math.floor(random() * 8);
      let query = '';
      for (let j = 0; j < n; j++) query += pick(tokens);
      const range = random() < 0.4;
      const params = new URLSearchParams({ query });
      if (range) {
        params.set('start', pick(times));
        params.set('end', pick(times));
        params.set('step', pick(['15', '0', '-1', '1m', 'x', '0.001', '']));
      } else if (random() < 0.7) params.set('time', pick(times));
      if (random() < 0.2) params.set('timeout', pick(['1s', '0', 'x']));
      const res = await fetch(
        `${url}/api/v1/${range ? 'query_range' : 'query'}?${params.toString()}`,
      );
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(
        [200, 400, 422, 503].includes(res.status),
        `${res.status} for ${params.toString()}: ${text}`,
      );
      const body = JSON.parse(text) as { status: string; errorType?: string };
      assert.equal(body.status, res.status === 200 ? 'success' : 'error', String(params));
    }
    // The soup must exercise both outcomes, or it tests nothing.
    assert.ok((statuses.get(200) ?? 0) > 10, JSON.stringify([...statuses]));
    assert.ok((statuses.get(400) ?? 0) > 10, JSON.stringify([...statuses]));
  },
);
