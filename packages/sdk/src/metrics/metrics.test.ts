import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '@vigil/model';
import { Counter } from './counter.js';
import { Gauge } from './gauge.js';
import { Histogram } from './histogram.js';
import { Registry } from './registry.js';
import { exponentialBuckets, linearBuckets } from './buckets.js';
import { setUsageErrorMode } from './usage-error.js';
import { setExemplarProvider } from './exemplar.js';
import { timed } from './timed.js';
import { setDiagnosticSink } from '../diag.js';
import { parseLabelValues } from './series.js';

const LABELS = ['method', 'route', 'status'] as const;

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

function sampleLines(text: string): string[] {
  return lines(text).filter((l) => !l.startsWith('#'));
}

beforeEach(() => setUsageErrorMode('throw'));

describe('definitions are validated when the metric is created', () => {
  const bad: Array<[string, () => unknown, string]> = [
    [
      'metric name',
      () => new Counter({ name: '1abc', help: 'x', registry: false }),
      'METRIC_NAME_INVALID',
    ],
    [
      'name with dash',
      () => new Gauge({ name: 'a-b', help: 'x', registry: false }),
      'METRIC_NAME_INVALID',
    ],
    [
      'label name',
      () => new Gauge({ name: 'g', help: 'x', labelNames: ['a-b'], registry: false }),
      'LABEL_NAME_INVALID',
    ],
    [
      'le reserved',
      () => new Histogram({ name: 'h', help: 'x', labelNames: ['le'], registry: false }),
      'LABEL_NAME_RESERVED',
    ],
    [
      'quantile reserved',
      () => new Gauge({ name: 'g', help: 'x', labelNames: ['quantile'], registry: false }),
      'LABEL_NAME_RESERVED',
    ],
    [
      '__ reserved',
      () => new Gauge({ name: 'g', help: 'x', labelNames: ['__x'], registry: false }),
      'LABEL_NAME_RESERVED',
    ],
    [
      'duplicate label',
      () => new Gauge({ name: 'g', help: 'x', labelNames: ['a', 'a'], registry: false }),
      'LABEL_NAME_DUPLICATE',
    ],
    [
      'help missing',
      () => new Gauge({ name: 'g', registry: false } as never),
      'METRIC_HELP_INVALID',
    ],
    [
      'help empty',
      () => new Gauge({ name: 'g', help: ' ', registry: false }),
      'METRIC_HELP_INVALID',
    ],
    ['options missing', () => new Gauge(undefined as never), 'METRIC_OPTIONS_INVALID'],
    [
      'maxSeries',
      () => new Gauge({ name: 'g', help: 'x', maxSeries: 0, registry: false }),
      'METRIC_OPTIONS_INVALID',
    ],
    [
      'unit not in name',
      () => new Gauge({ name: 'g', help: 'x', unit: 'bytes', registry: false }),
      'METRIC_OPTIONS_INVALID',
    ],
    [
      'buckets unsorted',
      () => new Histogram({ name: 'h', help: 'x', buckets: [1, 0.5], registry: false }),
      'HISTOGRAM_BUCKETS_INVALID',
    ],
    [
      'buckets NaN',
      () => new Histogram({ name: 'h', help: 'x', buckets: [NaN], registry: false }),
      'HISTOGRAM_BUCKETS_INVALID',
    ],
    [
      'buckets duplicate',
      () => new Histogram({ name: 'h', help: 'x', buckets: [1, 1], registry: false }),
      'HISTOGRAM_BUCKETS_INVALID',
    ],
    ['linear width', () => linearBuckets(0, 0, 3), 'HISTOGRAM_BUCKETS_INVALID'],
    ['exponential factor', () => exponentialBuckets(1, 1, 3), 'HISTOGRAM_BUCKETS_INVALID'],
  ];
  for (const [what, make, code] of bad) {
    test(what, () => {
      assert.throws(make, (e) => isVigilError(e) && e.code === code && e.message.length > 20);
    });
  }

  test('duplicate registration names the clash and the fix', () => {
    const registry = new Registry();
    new Counter({ name: 'jobs_total', help: 'x', registry });
    assert.throws(
      () => new Gauge({ name: 'jobs_total', help: 'x', registry }),
      (e) => isVigilError(e, 'METRIC_ALREADY_REGISTERED') && e.message.includes('getSingleMetric'),
    );
    // A gauge "jobs" would clash with counter "jobs_total" in OpenMetrics (family "jobs").
    assert.throws(
      () => new Gauge({ name: 'jobs', help: 'x', registry }),
      (e) => isVigilError(e, 'METRIC_ALREADY_REGISTERED'),
    );
  });

  test('bucket helpers', () => {
    assert.deepEqual(linearBuckets(1, 2, 3), [1, 3, 5]);
    assert.deepEqual(exponentialBuckets(1, 2, 4), [1, 2, 4, 8]);
  });
});

describe('counter', () => {
  test('counts with labels as an object, positional child, numbers and booleans', async () => {
    const registry = new Registry();
    const c = new Counter({
      name: 'http_requests_total',
      help: 'Requests.',
      labelNames: LABELS,
      registry,
    });
    c.inc({ method: 'GET', route: '/a', status: 200 });
    c.inc({ method: 'GET', route: '/a', status: '200' }, 2.5);
    c.labels('GET', '/a', '200').inc();
    c.labels({ method: 'POST', route: '/a', status: 500 }).inc(4);
    assert.equal(c.get({ method: 'GET', route: '/a', status: '200' }), 4.5);
    assert.deepEqual(sampleLines(await registry.metrics()), [
      'http_requests_total{method="GET",route="/a",status="200"} 4.5',
      'http_requests_total{method="POST",route="/a",status="500"} 4',
    ]);
  });

  test('the exposed name always ends in _total', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'jobs', help: 'Jobs.', registry });
    c.inc();
    assert.equal(c.name, 'jobs_total');
    assert.equal(registry.getSingleMetric('jobs'), c);
    const text = await registry.metrics();
    assert.match(text, /^# TYPE jobs_total counter$/m);
    assert.match(text, /^jobs_total 1$/m);
    const om = await registry.metrics({ format: 'openmetrics' });
    assert.match(om, /^# TYPE jobs counter$/m);
    assert.match(om, /^jobs_total 1$/m);
    assert.match(om, /^jobs_created \d+\.?\d*$/m);
    assert.ok(om.endsWith('# EOF\n'));
  });

  test('rejects negative, non-finite and non-numeric increments and leaves the value alone', () => {
    const c = new Counter({ name: 'c_total', help: 'x', registry: false });
    c.inc(2);
    for (const bad of [-1, NaN, Infinity, -Infinity, '3' as unknown as number]) {
      assert.throws(
        () => c.inc(bad),
        (e) => isVigilError(e, 'COUNTER_INCREMENT_INVALID') && e.message.includes('Gauge'),
        String(bad),
      );
    }
    assert.equal(c.get(), 2);
  });

  test('label sets that do not match the declared names are rejected', () => {
    const c = new Counter({ name: 'c_total', help: 'x', labelNames: ['a', 'b'], registry: false });
    const bad: unknown[] = [
      { a: 'x' },
      { a: 'x', b: 'y', c: 'z' },
      { a: 'x', b: null },
      { a: 'x', b: {} },
      { a: 'x', b: undefined },
    ];
    for (const labels of bad) {
      assert.throws(
        () => c.inc(labels as never),
        (e) => isVigilError(e, 'LABEL_SET_MISMATCH') && e.message.includes('[a, b]'),
        JSON.stringify(labels),
      );
    }
    assert.throws(
      () => c.labels('only-one'),
      (e) => isVigilError(e, 'LABEL_SET_MISMATCH'),
    );
    const unlabelled = new Counter({ name: 'u_total', help: 'x', registry: false });
    assert.throws(
      () => unlabelled.inc({ a: 'x' } as never),
      (e) => isVigilError(e, 'LABEL_SET_MISMATCH'),
    );
    assert.equal(c.seriesCount, 0);
  });

  test('in report mode misuse is dropped and reported once, never thrown', () => {
    setUsageErrorMode('report');
    const reports: Array<Record<string, unknown>> = [];
    setDiagnosticSink({ warn: (f) => reports.push(f), error: (f) => reports.push(f) });
    try {
      const c = new Counter({
        name: 'report_mode_total',
        help: 'x',
        labelNames: ['a'],
        registry: false,
      });
      c.inc({ b: 'x' } as never);
      c.inc({ b: 'y' } as never);
      c.inc({ a: 'x' }, -5);
      c.labels('x').inc(NaN);
      c.labels(undefined as never).inc();
      c.inc({ a: 'x' });
      assert.equal(c.get({ a: 'x' }), 1);
      assert.deepEqual(
        reports.map((r) => r.code),
        ['LABEL_SET_MISMATCH', 'COUNTER_INCREMENT_INVALID'],
      );
    } finally {
      setDiagnosticSink(undefined);
    }
  });

  test('remove and reset; bound children come back on their next update', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c_total', help: 'x', labelNames: ['a', 'b'], registry });
    const child = c.labels('x', 'y');
    child.inc(3);
    c.inc({ a: 'x', b: 'z' });
    c.remove({ a: 'x', b: 'y' });
    assert.deepEqual(sampleLines(await registry.metrics()), ['c_total{a="x",b="z"} 1']);
    child.inc();
    assert.deepEqual(sampleLines(await registry.metrics()), [
      'c_total{a="x",b="z"} 1',
      'c_total{a="x",b="y"} 1',
    ]);
    c.remove('x', 'z');
    c.reset();
    assert.deepEqual(sampleLines(await registry.metrics()), []);
    assert.equal(c.seriesCount, 0);
    child.inc(2);
    assert.deepEqual(sampleLines(await registry.metrics()), ['c_total{a="x",b="y"} 2']);
  });
});

describe('gauge', () => {
  test('set, inc, dec, setToCurrentTime, timers, NaN and infinities', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'queue_length', help: 'x', labelNames: ['q'], registry });
    g.set({ q: 'a' }, 5);
    g.inc({ q: 'a' });
    g.dec({ q: 'a' }, 3);
    g.labels('b').set(NaN);
    g.labels('c').set(-Infinity);
    g.setToCurrentTime({ q: 'd' });
    const end = g.startTimer({ q: 'e' });
    const seconds = end();
    assert.ok(seconds >= 0 && seconds < 1);
    assert.equal(g.get({ q: 'a' }), 3);
    const text = await registry.metrics();
    assert.match(text, /^queue_length\{q="a"\} 3$/m);
    assert.match(text, /^queue_length\{q="b"\} NaN$/m);
    assert.match(text, /^queue_length\{q="c"\} -Inf$/m);
    const now = Number(/queue_length\{q="d"\} (\S+)/.exec(text)![1]);
    assert.ok(Math.abs(now - Date.now() / 1000) < 5);
    assert.throws(
      () => g.set({ q: 'a' }, '1' as never),
      (e) => isVigilError(e, 'VALUE_NOT_FINITE'),
    );
  });

  test('sync and async collect callbacks run at scrape time; failures keep old values', async () => {
    const registry = new Registry({ collectTimeoutMs: 100 });
    let n = 0;
    new Gauge({
      name: 'sync_gauge',
      help: 'x',
      registry,
      collect() {
        this.set(++n);
      },
    });
    new Gauge({
      name: 'async_gauge',
      help: 'x',
      registry,
      async collect() {
        await new Promise((r) => setTimeout(r, 5));
        this.set(42);
      },
    });
    const failing = new Gauge({
      name: 'failing_gauge',
      help: 'x',
      registry,
      collect() {
        throw new Error('boom');
      },
    });
    failing.set(7);
    new Gauge({
      name: 'hanging_gauge',
      help: 'x',
      registry,
      collect: () => new Promise<void>(() => undefined),
    });
    const reports: string[] = [];
    setDiagnosticSink({
      warn: (f) => reports.push(String(f.code)),
      error: (f) => reports.push(String(f.code)),
    });
    try {
      const started = Date.now();
      const text = await registry.metrics();
      assert.ok(Date.now() - started < 2000, 'a hanging collect must not hang the scrape');
      assert.match(text, /^sync_gauge 1$/m);
      assert.match(text, /^async_gauge 42$/m);
      assert.match(text, /^failing_gauge 7$/m);
      assert.match(text, /^hanging_gauge 0$/m);
      assert.deepEqual(reports.sort(), ['COLLECT_FAILED', 'COLLECT_TIMEOUT']);
    } finally {
      setDiagnosticSink(undefined);
    }
  });
});

describe('histogram', () => {
  test('buckets are cumulative in both formats, with +Inf, sum and count', async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: 'latency_seconds',
      help: 'x',
      buckets: [0.1, 1, 10],
      registry,
    });
    for (const v of [0.05, 0.1, 0.5, 2, 20, -1, Infinity]) h.observe(v);
    const text = await registry.metrics();
    assert.deepEqual(sampleLines(text), [
      'latency_seconds_bucket{le="0.1"} 3',
      'latency_seconds_bucket{le="1"} 4',
      'latency_seconds_bucket{le="10"} 5',
      'latency_seconds_bucket{le="+Inf"} 7',
      'latency_seconds_sum +Inf',
      'latency_seconds_count 7',
    ]);
    const om = sampleLines(await registry.metrics({ format: 'openmetrics' }));
    assert.equal(om[1], 'latency_seconds_bucket{le="1.0"} 4');
    assert.equal(om[2], 'latency_seconds_bucket{le="10.0"} 5');
    assert.match(om[6]!, /^latency_seconds_created \d/);
    assert.throws(
      () => h.observe(NaN),
      (e) => isVigilError(e, 'VALUE_NOT_FINITE'),
    );
  });

  test('values exactly on a bound go into that bucket; many buckets use binary search', () => {
    const bounds = linearBuckets(1, 1, 40);
    const h = new Histogram({ name: 'h', help: 'x', buckets: bounds, registry: false });
    for (const b of bounds) h.observe(b);
    h.observe(0);
    h.observe(40.5);
    const state = h.get()!;
    assert.equal(state.counts[0], 2); // 0 and 1
    for (let i = 1; i < 40; i++) assert.equal(state.counts[i], 1, `bucket ${i}`);
    assert.equal(state.counts[40], 1);
    assert.equal(state.count, 42);
  });

  test('startTimer merges labels known at the end', async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: 'op_seconds',
      help: 'x',
      labelNames: ['op', 'status'],
      registry,
    });
    const end = h.startTimer({ op: 'read' });
    await new Promise((r) => setTimeout(r, 20));
    const seconds = end({ status: 'ok' });
    assert.ok(seconds >= 0.015, `measured ${seconds}`);
    assert.equal(h.get({ op: 'read', status: 'ok' })!.count, 1);
  });
});

describe('exemplars', () => {
  test('explicit exemplars appear in OpenMetrics only, on the right bucket', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c_total', help: 'x', registry });
    const h = new Histogram({ name: 'h_seconds', help: 'x', buckets: [0.1, 1], registry });
    c.inc(2, { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    h.observe(0.5, { trace_id: 'abc' });
    const om = await registry.metrics({ format: 'openmetrics' });
    assert.match(
      om,
      /^c_total 2 # \{trace_id="4bf92f3577b34da6a3ce929d0e0e4736"\} 2 \d+(\.\d+)?$/m,
    );
    assert.match(om, /^h_seconds_bucket\{le="1.0"\} 1 # \{trace_id="abc"\} 0.5 \d+(\.\d+)?$/m);
    assert.match(om, /^h_seconds_bucket\{le="0.1"\} 0$/m);
    assert.doesNotMatch(await registry.metrics(), /#.*trace_id/);
  });

  test('metrics with exemplars: true take them from the provider', async () => {
    const registry = new Registry();
    const h = new Histogram({ name: 'h_seconds', help: 'x', exemplars: true, registry });
    let current: Record<string, string> | undefined = { trace_id: 't1' };
    setExemplarProvider(() => current);
    try {
      h.observe(0.2);
      current = undefined;
      h.observe(3);
      setExemplarProvider(() => {
        throw new Error('broken provider');
      });
      h.observe(0.002);
    } finally {
      setExemplarProvider(undefined);
    }
    const om = await registry.metrics({ format: 'openmetrics' });
    assert.equal((om.match(/# \{/g) ?? []).length, 1);
    assert.match(om, /le="0.25"\} 2 # \{trace_id="t1"\} 0.2 /);
  });

  test('exemplar label sets longer than 128 characters are rejected', () => {
    const c = new Counter({ name: 'c_total', help: 'x', registry: false });
    assert.throws(
      () => c.inc(1, { trace_id: 'x'.repeat(130) }),
      (e) => isVigilError(e, 'EXEMPLAR_INVALID'),
    );
    assert.throws(
      () => c.inc(1, { 'bad-name': 'x' }),
      (e) => isVigilError(e, 'EXEMPLAR_INVALID'),
    );
    // A rejected exemplar rejects the whole update.
    assert.equal(c.get(), 0);
  });
});

describe('cardinality guard and expiry', () => {
  test('label sets past the limit fold into one overflow series with one warning', async () => {
    const registry = new Registry();
    const warnings: Array<Record<string, unknown>> = [];
    setDiagnosticSink({ warn: (f) => warnings.push(f), error: () => undefined });
    try {
      const c = new Counter({
        name: 'by_user_total',
        help: 'x',
        labelNames: ['user'],
        maxSeries: 100,
        registry,
      });
      for (let i = 0; i < 5000; i++) c.inc({ user: `u${i}` });
      assert.equal(c.seriesCount, 101);
      const samples = sampleLines(await registry.metrics());
      assert.equal(samples.length, 101);
      assert.equal(samples.at(-1), 'by_user_total{otel_metric_overflow="true"} 4900');
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.code, 'METRIC_CARDINALITY_LIMIT');
      // Existing label sets keep counting normally.
      c.inc({ user: 'u1' });
      assert.equal(c.get({ user: 'u1' }), 2);
    } finally {
      setDiagnosticSink(undefined);
    }
  });

  test('memory stays bounded under an unbounded stream of label values', () => {
    const g = new Gauge({
      name: 'g',
      help: 'x',
      labelNames: ['id'],
      maxSeries: 1000,
      registry: false,
    });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 300_000; i++) g.set({ id: String(i) }, i);
    assert.equal(g.seriesCount, 1001);
    const grownBytes = process.memoryUsage().heapUsed - before;
    assert.ok(grownBytes < 50e6, `heap grew by ${grownBytes} bytes`);
  });

  test('series not updated for expireAfterMs disappear at scrape time and free their slot', async () => {
    const registry = new Registry();
    const g = new Gauge({
      name: 'g',
      help: 'x',
      labelNames: ['id'],
      expireAfterMs: 40,
      maxSeries: 2,
      registry,
    });
    g.set({ id: 'a' }, 1);
    g.set({ id: 'b' }, 1);
    await registry.metrics(); // first sweep records activity
    await new Promise((r) => setTimeout(r, 60));
    g.set({ id: 'b' }, 2);
    const text = await registry.metrics();
    assert.deepEqual(sampleLines(text), ['g{id="b"} 2']);
    await new Promise((r) => setTimeout(r, 60));
    // The limit is reached only if expired series are not swept first.
    g.set({ id: 'c' }, 3);
    g.set({ id: 'd' }, 4);
    assert.deepEqual(sampleLines(await registry.metrics()), ['g{id="c"} 3', 'g{id="d"} 4']);
  });
});

describe('registry', () => {
  test('escaping of HELP and label values in both formats', async () => {
    const registry = new Registry();
    const g = new Gauge({
      name: 'g',
      help: 'a "quoted" \\ back\nslash',
      labelNames: ['v'],
      registry,
    });
    g.set({ v: 'quote " backslash \\ newline \n unicode ✓ end' }, 1);
    g.set({ v: '' }, 2);
    const text = await registry.metrics();
    assert.match(text, /^# HELP g a "quoted" \\\\ back\\nslash$/m);
    assert.ok(text.includes('g{v="quote \\" backslash \\\\ newline \\n unicode ✓ end"} 1\n'));
    assert.ok(text.includes('g{v=""} 2\n'));
    const om = await registry.metrics({ format: 'openmetrics' });
    assert.match(om, /^# HELP g a \\"quoted\\" \\\\ back\\nslash$/m);
  });

  test('label values survive the round trip used for removal', () => {
    for (const values of [
      ['a', 'b'],
      ['', 'x"y'],
      ['\\', '\n'],
      ['a\\nb', '\\"'],
      ['✓', '"'],
    ]) {
      const text = values
        .map((v, i) => `l${i}="${v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c))}"`)
        .join(',');
      assert.deepEqual(parseLabelValues(text), values);
    }
  });

  test('default labels, clear, removeSingleMetric, resetMetrics and merge', async () => {
    const a = new Registry({ defaultLabels: { service: 'users' } });
    const b = new Registry();
    const c = new Counter({ name: 'a_total', help: 'x', labelNames: ['service'], registry: a });
    const g = new Gauge({ name: 'b', help: 'x', registry: b });
    c.inc({ service: 'own' });
    g.set(2);
    new Gauge({ name: 'plain', help: 'x', registry: a }).set(1);
    const text = await a.metrics();
    assert.match(text, /^a_total\{service="own"\} 1$/m, 'the metric label wins over the default');
    assert.match(text, /^plain\{service="users"\} 1$/m);
    const merged = Registry.merge([a, b]);
    assert.equal(merged.getMetricsList().length, 3);
    const other = new Registry();
    new Gauge({ name: 'b', help: 'another b', registry: other });
    assert.throws(
      () => Registry.merge([a, b, other]),
      (e) => isVigilError(e, 'METRIC_ALREADY_REGISTERED'),
    );
    a.resetMetrics();
    assert.equal(c.seriesCount, 0);
    assert.equal(a.removeSingleMetric('plain'), true);
    assert.equal(a.removeSingleMetric('plain'), false);
    a.clear();
    assert.equal(await a.metrics(), '');
    assert.equal(await a.metrics({ format: 'openmetrics' }), '# EOF\n');
  });

  test('a large scrape yields to the event loop between slices', async () => {
    const registry = new Registry({ sliceBudgetMs: 2 });
    const h = new Histogram({ name: 'h_seconds', help: 'x', labelNames: ['id'], registry });
    for (let i = 0; i < 5000; i++) h.observe({ id: String(i) }, i / 1000);
    let ticks = 0;
    let running = true;
    const tick = (): void => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const chunks: string[] = [];
    await registry.writeExposition('text', (chunk) => {
      chunks.push(chunk);
    });
    running = false;
    assert.ok(ticks > 3, `the event loop ran ${ticks} times during the scrape`);
    assert.ok(chunks.length > 5, 'text arrives in chunks');
    assert.equal(sampleLines(chunks.join('')).length, 5000 * 14);
  });
});

describe('timed()', () => {
  test('records duration and outcome for sync and async functions and rethrows unchanged', async () => {
    const registry = new Registry();
    const add = timed('add', (a: number, b: number) => a + b, { registry });
    const failSync = timed(
      'fail_sync',
      () => {
        throw new TypeError('sync');
      },
      { registry },
    );
    const load = timed(
      'load',
      async (ok: boolean) => {
        await new Promise((r) => setTimeout(r, 5));
        if (!ok) throw new RangeError('async');
        return 'done';
      },
      { registry },
    );
    const self = {
      factor: 3,
      times: timed(
        'times',
        function (this: { factor: number }, x: number) {
          return this.factor * x;
        },
        { registry },
      ),
    };
    assert.equal(add(1, 2), 3);
    assert.equal(self.times(2), 6);
    const syncError = new TypeError('x');
    assert.throws(
      () => failSync(),
      (e) => e instanceof TypeError && e.message === 'sync',
    );
    void syncError;
    assert.equal(await load(true), 'done');
    await assert.rejects(load(false), (e) => e instanceof RangeError && e.message === 'async');
    const text = await registry.metrics();
    assert.match(text, /^add_total\{status="success"\} 1$/m);
    assert.match(text, /^add_total\{status="error"\} 0$/m);
    assert.match(text, /^fail_sync_total\{status="error"\} 1$/m);
    assert.match(text, /^load_total\{status="success"\} 1$/m);
    assert.match(text, /^load_total\{status="error"\} 1$/m);
    assert.match(text, /^load_duration_seconds_count 2$/m);
    const sum = Number(/^load_duration_seconds_sum (\S+)$/m.exec(text)![1]);
    assert.ok(sum >= 0.008, `sum ${sum}`);
    // Wrapping again reuses the metrics.
    timed('add', () => 0, { registry })();
    assert.match(await registry.metrics(), /^add_total\{status="success"\} 2$/m);
  });
});

test('collect hooks run at every scrape until removed', async () => {
  const registry = new Registry();
  const g = new Gauge({ name: 'hooked', help: 'x', labelNames: ['part'], registry });
  let runs = 0;
  const remove = registry.addCollectHook(async () => {
    await new Promise((r) => setTimeout(r, 1));
    runs++;
    g.set({ part: 'a' }, runs);
    g.set({ part: 'b' }, runs * 2);
  });
  assert.match(await registry.metrics(), /^hooked\{part="b"\} 2$/m);
  assert.match(await Registry.merge([registry]).metrics(), /^hooked\{part="b"\} 4$/m);
  remove();
  await registry.metrics();
  assert.equal(runs, 2);
});
