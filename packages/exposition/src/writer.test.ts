import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isVigilError } from '@vigil/model';
import { formatBoundValue } from './format.js';
import type { ExpositionFormat } from './format.js';
import type { Exemplar, ExpositionFamily, ExpositionSample } from './model.js';
import { parseExposition } from './parser.js';
import { writeExposition } from './writer.js';
import { fixture, prng } from './helpers.test.util.js';

/** Label values that need escaping or are otherwise awkward. */
const HOSTILE = [
  '',
  '"',
  '\\',
  '\n',
  '\\n',
  '\\"',
  'a"b\\c\nd',
  '"quoted" \\ back\\slash \n newline',
  '\r\t',
  'Ünïcødé ✓ 日本語 🚀',
  '\u0000',
  '}',
  '{a="b"}',
  ' # {trace_id="x"} 1',
  '=,',
  '# EOF',
];

/** A model valid in both formats (counter named after its samples, no OpenMetrics-only parts). */
const COMMON: ExpositionFamily[] = [
  {
    name: 'http_requests_total',
    type: 'counter',
    help: 'Requests, with "quotes", a \\ backslash and a\nnewline.',
    samples: HOSTILE.map((value, i) => ({
      name: 'http_requests_total',
      labels: ['route', value, 'n', String(i)],
      value: i,
    })),
  },
  {
    name: 'latency_seconds',
    type: 'histogram',
    help: 'Latency.',
    samples: [
      { name: 'latency_seconds_bucket', labels: ['path', '/ü', 'le', '1e-09'], value: 1 },
      { name: 'latency_seconds_bucket', labels: ['path', '/ü', 'le', '0.005'], value: 2 },
      { name: 'latency_seconds_bucket', labels: ['path', '/ü', 'le', '+Inf'], value: 3 },
      { name: 'latency_seconds_sum', labels: ['path', '/ü'], value: 0.25 },
      { name: 'latency_seconds_count', labels: ['path', '/ü'], value: 3 },
    ],
  },
  {
    name: 'temperature',
    type: 'gauge',
    samples: [
      { name: 'temperature', labels: [], value: -Infinity, timestampMs: 1520879607789 },
      { name: 'temperature', labels: ['x', ''], value: Infinity, timestampMs: 0 },
      { name: 'temperature', labels: ['x', 'y'], value: NaN },
      { name: 'temperature', labels: ['x', 'z'], value: 1.7976931348623157e308 },
      { name: 'temperature', labels: ['x', 'w'], value: 5e-324 },
    ],
  },
  {
    name: 'rpc_seconds',
    type: 'summary',
    samples: [
      { name: 'rpc_seconds', labels: ['quantile', '0.99'], value: 1 },
      { name: 'rpc_seconds_sum', labels: [], value: 2 },
      { name: 'rpc_seconds_count', labels: [], value: 3 },
    ],
  },
  { name: 'empty', type: 'gauge', help: '', samples: [] },
];

/** The same model as OpenMetrics would name it, plus OpenMetrics-only parts. */
const OPENMETRICS: ExpositionFamily[] = [
  {
    name: 'http_requests',
    type: 'counter',
    help: COMMON[0]!.help!,
    samples: COMMON[0]!.samples.flatMap((s, i) => [
      {
        ...s,
        name: 'http_requests_total',
        exemplar: { labels: ['trace_id', HOSTILE[i]!], value: i / 2, timestampMs: 1520879607700 },
      },
      { name: 'http_requests_created', labels: s.labels, value: 1520430000.123 },
    ]),
  },
  {
    ...COMMON[1]!,
    unit: 'seconds',
    samples: COMMON[1]!.samples.map((s) =>
      s.labels[3] === '0.005' ? { ...s, exemplar: { labels: [], value: 0.001 } } : s,
    ),
  },
  ...COMMON.slice(2),
  {
    name: 'queue',
    type: 'gaugehistogram',
    samples: [
      { name: 'queue_bucket', labels: ['le', '1.0'], value: 1 },
      { name: 'queue_bucket', labels: ['le', '+Inf'], value: 2 },
      { name: 'queue_gcount', labels: [], value: 2 },
      { name: 'queue_gsum', labels: [], value: 0.5 },
    ],
  },
  { name: 'build', type: 'info', samples: [{ name: 'build_info', labels: ['v', '1'], value: 1 }] },
  {
    name: 'state',
    type: 'stateset',
    samples: [
      { name: 'state', labels: ['state', 'a'], value: 1 },
      { name: 'state', labels: ['state', 'b'], value: 0 },
    ],
  },
  {
    name: 'legacy',
    type: 'unknown',
    samples: [{ name: 'legacy', labels: [], value: 1, timestampMs: -1500 }],
  },
];

test('text output', () => {
  const text = writeExposition(
    [
      {
        name: 'http_requests',
        type: 'counter',
        help: 'Requests "served" \\ \n.',
        unit: 'requests',
        samples: [
          {
            name: 'http_requests_total',
            labels: ['code', '200', 'path', 'a"b\\c\nd'],
            value: 3,
            timestampMs: 1520879607789,
            exemplar: { labels: ['trace_id', 'x'], value: 1 },
          },
          { name: 'http_requests_created', labels: ['code', '200'], value: 1520430000.123 },
        ],
      },
      {
        name: 'h',
        type: 'histogram',
        samples: [
          { name: 'h_bucket', labels: ['le', '1.0'], value: 0 },
          { name: 'h_bucket', labels: ['le', '+Inf'], value: 1 },
        ],
      },
      { name: 'u', type: 'unknown', samples: [{ name: 'u', labels: [], value: NaN }] },
    ],
    'text',
  );
  assert.equal(
    text,
    '# HELP http_requests_total Requests "served" \\\\ \\n.\n' +
      '# TYPE http_requests_total counter\n' +
      'http_requests_total{code="200",path="a\\"b\\\\c\\nd"} 3 1520879607789\n' +
      '# TYPE h histogram\n' +
      'h_bucket{le="1"} 0\n' +
      'h_bucket{le="+Inf"} 1\n' +
      '# TYPE u untyped\n' +
      'u NaN\n',
  );
});

test('OpenMetrics output', () => {
  const text = writeExposition(
    [
      {
        name: 'http_requests_total',
        type: 'counter',
        help: 'Requests "served" \\ \n.',
        samples: [
          {
            name: 'http_requests_total',
            labels: ['code', '200'],
            value: 3,
            timestampMs: 1520879607789,
            exemplar: { labels: ['trace_id', 'x'], value: 1, timestampMs: 1520879607700 },
          },
          { name: 'http_requests_created', labels: ['code', '200'], value: 1520430000.123 },
        ],
      },
      {
        name: 'h_seconds',
        type: 'histogram',
        unit: 'seconds',
        samples: [
          {
            name: 'h_seconds_bucket',
            labels: ['le', '1'],
            value: 0,
            exemplar: { labels: [], value: 0.5 },
          },
          { name: 'h_seconds_bucket', labels: ['le', '1e+06'], value: 0 },
          { name: 'h_seconds_bucket', labels: ['le', '+Inf'], value: 1 },
        ],
      },
      { name: 'c', type: 'counter', samples: [{ name: 'c', labels: [], value: 1 }] },
      { name: 'u', type: 'untyped', samples: [{ name: 'u', labels: [], value: -Infinity }] },
    ],
    'openmetrics',
  );
  assert.equal(
    text,
    '# TYPE http_requests counter\n' +
      '# HELP http_requests Requests \\"served\\" \\\\ \\n.\n' +
      'http_requests_total{code="200"} 3 1520879607.789 # {trace_id="x"} 1 1520879607.7\n' +
      'http_requests_created{code="200"} 1520430000.123\n' +
      '# TYPE h_seconds histogram\n' +
      '# UNIT h_seconds seconds\n' +
      'h_seconds_bucket{le="1.0"} 0 # {} 0.5\n' +
      'h_seconds_bucket{le="1e+06"} 0\n' +
      'h_seconds_bucket{le="+Inf"} 1\n' +
      '# TYPE c counter\n' +
      'c_total 1\n' +
      '# TYPE u unknown\n' +
      'u -Inf\n' +
      '# EOF\n',
  );
});

/** The model with `le` and `quantile` values as the writer canonicalises them. */
function canonical(families: ExpositionFamily[], format: ExpositionFormat): ExpositionFamily[] {
  const fix = (value: string): string =>
    format === 'openmetrics'
      ? ({ '1.0': '1.0' }[value] ?? value)
      : ({ '1.0': '1' }[value] ?? value);
  return families.map((f) => ({
    ...f,
    samples: f.samples.map((s) => ({
      ...s,
      labels: s.labels.map((v, i) =>
        i % 2 === 1 && (s.labels[i - 1] === 'le' || s.labels[i - 1] === 'quantile') ? fix(v) : v,
      ),
    })),
  }));
}

for (const [format, model] of [
  ['text', COMMON],
  ['openmetrics', OPENMETRICS],
] as const) {
  test(`${format}: writer → parser → writer round trip, hostile label values included`, () => {
    const written = writeExposition(model, format);
    const parsed = parseExposition(written, format);
    assert.deepStrictEqual(parsed, canonical(model, format));
    assert.equal(writeExposition(parsed, format), written);
  });
}

test('fixtures round trip through the writer', () => {
  for (const [name, format] of [
    ['node-exporter.prom', 'text'],
    ['openmetrics.txt', 'openmetrics'],
  ] as const) {
    const parsed = parseExposition(fixture(name), format);
    const written = writeExposition(parsed, format);
    const again = parseExposition(written, format);
    assert.equal(writeExposition(again, format), written, name);
    assert.equal(
      again.reduce((n, f) => n + f.samples.length, 0),
      parsed.reduce((n, f) => n + f.samples.length, 0),
      name,
    );
  }
});

test('OpenMetrics families convert to the text format and back', () => {
  // Negative timestamps have no text-format spelling that Prometheus's scraper accepts.
  const model = OPENMETRICS.map((f) =>
    f.name === 'legacy'
      ? { ...f, samples: f.samples.map((s) => ({ ...s, timestampMs: 1500 })) }
      : f,
  );
  const text = writeExposition(model, 'text');
  const parsed = parseExposition(text, 'text');
  assert.deepEqual(
    parsed.map((f) => `${f.name}:${f.type}:${f.samples.length}`),
    [
      'http_requests_total:counter:16', // no _created samples, no exemplars
      'latency_seconds:histogram:5',
      'temperature:gauge:5',
      'rpc_seconds:summary:3',
      'empty:gauge:0',
      'queue:histogram:2', // _gcount and _gsum fall outside a text histogram
      'queue_gcount:untyped:1',
      'queue_gsum:untyped:1',
      'build_info:gauge:1',
      'state:gauge:2',
      'legacy:untyped:1',
    ],
  );
  assert.ok(parsed.every((f) => f.samples.every((s) => s.exemplar === undefined)));
  // And the text model converts to OpenMetrics.
  const back = parseExposition(writeExposition(parsed.slice(0, 5), 'openmetrics'), 'openmetrics');
  assert.equal(back[0]!.name, 'http_requests');
  assert.equal(back[0]!.samples[0]!.name, 'http_requests_total');
});

test('an OpenMetrics counter family named x_total keeps its name', () => {
  const input = '# TYPE x_total counter\nx_total_total 1\n# EOF\n';
  assert.equal(writeExposition(parseExposition(input, 'openmetrics'), 'openmetrics'), input);
});

test('names that cannot be written are refused', () => {
  const sample = { name: 'ok', labels: [], value: 1 };
  const cases: [ExpositionFamily, string][] = [
    [{ name: '1bad', type: 'gauge', samples: [] }, 'METRIC_NAME_INVALID'],
    [
      { name: 'ok', type: 'gauge', samples: [{ ...sample, name: 'bad-name' }] },
      'METRIC_NAME_INVALID',
    ],
    [
      { name: 'ok', type: 'gauge', samples: [{ ...sample, labels: ['a-b', 'x'] }] },
      'LABEL_NAME_INVALID',
    ],
    [{ name: 'ok', type: 'gauge', samples: [{ ...sample, labels: ['a'] }] }, 'LABEL_NAME_INVALID'],
  ];
  for (const [family, code] of cases) {
    for (const format of ['text', 'openmetrics'] as const) {
      assert.throws(
        () => writeExposition([family], format),
        (err: unknown) => isVigilError(err) && err.code === code,
      );
    }
  }
});

/** Finds promtool; in CI it must be there. */
function promtool(t: { skip(message: string): void }): string | undefined {
  const path = '/usr/bin/promtool';
  if (existsSync(path)) return path;
  const message =
    'promtool is not installed (apt-get install prometheus); skipping the check against it';
  if (process.env.CI) assert.fail(`${message}, but CI is set`);
  t.skip(message);
  return undefined;
}

/** A lint-clean exposition: what promtool check metrics accepts with exit code 0. */
const LINT_CLEAN: ExpositionFamily[] = [
  {
    name: 'http_requests_total',
    type: 'counter',
    help: 'HTTP requests, by "route" and code \\ status.',
    samples: HOSTILE.map((value, i) => ({
      name: 'http_requests_total',
      labels: ['route', value, 'code', String(200 + i)],
      value: i * 3,
      timestampMs: 1520879607789 + i,
    })),
  },
  {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'HTTP request latency.',
    samples: ['0.005', '0.1', '1', '+Inf']
      .map((le, i) => ({
        name: 'http_request_duration_seconds_bucket',
        labels: ['route', '/ü', 'le', le],
        value: i + 1,
      }))
      .concat([
        { name: 'http_request_duration_seconds_sum', labels: ['route', '/ü'], value: 1.5 },
        { name: 'http_request_duration_seconds_count', labels: ['route', '/ü'], value: 4 },
      ]),
  },
  {
    name: 'process_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident memory.',
    samples: [{ name: 'process_resident_memory_bytes', labels: [], value: 2.1651456e7 }],
  },
  {
    name: 'rpc_duration_seconds',
    type: 'summary',
    help: 'RPC latency.',
    samples: [
      { name: 'rpc_duration_seconds', labels: ['quantile', '0.5'], value: NaN },
      { name: 'rpc_duration_seconds', labels: ['quantile', '0.99'], value: 0.2 },
      { name: 'rpc_duration_seconds_sum', labels: [], value: 0 },
      { name: 'rpc_duration_seconds_count', labels: [], value: 0 },
    ],
  },
];

test('promtool check metrics accepts the text output', (t) => {
  const path = promtool(t);
  if (path === undefined) return;
  const input = writeExposition(LINT_CLEAN, 'text');
  const result = spawnSync(path, ['check', 'metrics'], { input, encoding: 'utf8' });
  assert.equal(result.status, 0, `promtool said: ${result.stderr}${result.stdout}\n${input}`);
  // The node-exporter fixture, rewritten: it parses (exit 3 means lint findings only, 1 a failure).
  const fixtureText = writeExposition(
    parseExposition(fixture('node-exporter.prom'), 'text'),
    'text',
  );
  const lint = spawnSync(path, ['check', 'metrics'], { input: fixtureText, encoding: 'utf8' });
  assert.ok(lint.status === 0 || lint.status === 3, `promtool said: ${lint.stderr}`);
  assert.doesNotMatch(lint.stderr, /error while linting/);
});

/** A random valid model of `format`, built from a seeded PRNG. */
function randomModel(random: () => number, format: ExpositionFormat): ExpositionFamily[] {
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const om = format === 'openmetrics';
  const word = (): string => pick(['a', 'b', 'code', 'route', 'x_1', 'Z', '_u', 'trace_id']);
  const labelValue = (): string =>
    random() < 0.5
      ? pick(HOSTILE)
      : Array.from({ length: int(6) }, () =>
          pick(['a', '"', '\\', '\n', 'ü', '🚀', ' ', '{', '=']),
        ).join('');
  const labels = (): string[] => {
    const names = [...new Set(Array.from({ length: int(4) }, word))];
    return names.flatMap((name) => [name, labelValue()]);
  };
  const value = (): number =>
    pick([0, 1, -1, 0.5, NaN, Infinity, -Infinity, 1e300, 5e-324, int(1e9), random() * 1e6]);
  const timestamp = (): number | undefined =>
    random() < 0.3 ? (om ? int(4e12) - 2e12 : int(4e12)) : undefined;
  const help = (): string | undefined =>
    random() < 0.6
      ? Array.from({ length: int(8) }, () =>
          pick(['x', ' ', '"', '\\', '\n', '\\n', 'ü', '\t']),
        ).join('')
      : undefined;
  const types: ExpositionFamily['type'][] = om
    ? ['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown']
    : ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
  const families: ExpositionFamily[] = [];
  const count = 1 + int(5);
  for (let f = 0; f < count; f++) {
    const type = pick(types);
    const withUnit = om && type !== 'info' && type !== 'stateset' && random() < 0.3;
    const base = `m${f}_${pick(['x', 'requests', 'latency'])}${withUnit ? '_seconds' : ''}`;
    const samples: ExpositionSample[] = [];
    const series = int(3);
    for (let s = 0; s < series; s++) {
      const ls = labels();
      const ts = timestamp();
      const at = ts === undefined ? {} : { timestampMs: ts };
      const exemplar = (): { exemplar?: Exemplar } =>
        om && random() < 0.5
          ? {
              exemplar: {
                labels: ['trace_id', String(int(1e6))],
                value: value(),
                ...(random() < 0.5 ? { timestampMs: int(1e12) } : {}),
              },
            }
          : {};
      switch (type) {
        case 'counter':
          samples.push({ name: `${base}_total`, labels: ls, value: value(), ...at, ...exemplar() });
          if (om && random() < 0.5)
            samples.push({ name: `${base}_created`, labels: ls, value: value(), ...at });
          break;
        case 'histogram':
        case 'gaugehistogram': {
          let bound = -int(3);
          for (let b = int(4); b > 0; b--) {
            bound += 0.001 + random() * 10;
            samples.push({
              name: `${base}_bucket`,
              labels: [...ls, 'le', formatBoundValue(bound, format)],
              value: int(100),
              ...at,
              ...exemplar(),
            });
          }
          samples.push({
            name: `${base}_bucket`,
            labels: [...ls, 'le', '+Inf'],
            value: int(100),
            ...at,
          });
          const gauge = type === 'gaugehistogram';
          samples.push({
            name: `${base}_${gauge ? 'gcount' : 'count'}`,
            labels: ls,
            value: int(100),
            ...at,
          });
          samples.push({
            name: `${base}_${gauge ? 'gsum' : 'sum'}`,
            labels: ls,
            value: value(),
            ...at,
          });
          break;
        }
        case 'summary':
          for (const q of [0, 0.5, 0.99, 1].filter(() => random() < 0.5)) {
            samples.push({
              name: base,
              labels: [...ls, 'quantile', formatBoundValue(q, format)],
              value: value(),
              ...at,
            });
          }
          samples.push({ name: `${base}_sum`, labels: ls, value: value(), ...at });
          samples.push({ name: `${base}_count`, labels: ls, value: int(100), ...at });
          break;
        case 'info':
          samples.push({ name: `${base}_info`, labels: ls, value: 1, ...at });
          break;
        case 'stateset':
          samples.push({
            name: base,
            labels: [...ls.filter((_, i) => ls[i - (i % 2)] !== base), base, 'on'],
            value: int(2),
            ...at,
          });
          break;
        default:
          samples.push({ name: base, labels: ls, value: value(), ...at });
      }
    }
    const description = help();
    families.push({
      name: type === 'counter' && !om ? `${base}_total` : base,
      type,
      ...(description === undefined ? {} : { help: description }),
      ...(withUnit ? { unit: 'seconds' } : {}),
      samples,
    });
  }
  return families;
}

for (const format of ['text', 'openmetrics'] as const) {
  test(`${format}: random valid models round trip exactly (seeded)`, (t) => {
    const seed = Number(process.env.VIGIL_FUZZ_SEED ?? 7);
    t.diagnostic(`seed ${seed} (VIGIL_FUZZ_SEED)`);
    const random = prng(seed);
    for (let i = 0; i < 500; i++) {
      const model = randomModel(random, format);
      const written = writeExposition(model, format);
      let parsed: ExpositionFamily[];
      try {
        parsed = parseExposition(written, format);
      } catch (err) {
        assert.fail(`model ${i}: ${String(err)}\n${written}`);
      }
      assert.deepStrictEqual(parsed, model, `model ${i}:\n${written}`);
      assert.equal(writeExposition(parsed, format), written);
    }
  });
}
