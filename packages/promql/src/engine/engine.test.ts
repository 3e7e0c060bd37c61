import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes, STALE_NAN, isVigilError } from '@vigil/model';
import { MemoryStorage, labelsFromRecord, type Appendable } from '@vigil/storage';
import { openTsdb } from '@vigil/tsdb';
import { Engine } from './engine.js';

/** Loads `series` (name → labels → values every `stepMs` from 0) into a fresh MemoryStorage. */
async function load<S extends Appendable = MemoryStorage>(
  stepMs: number,
  series: { labels: Record<string, string>; values: ArrayLike<number> }[],
  storage: S = new MemoryStorage() as unknown as S,
): Promise<S> {
  const app = storage.appender();
  for (const s of series) {
    const labels = labelsFromRecord(s.labels);
    let ref = 0;
    for (let i = 0; i < s.values.length; i++)
      ref = app.append(ref, labels, i * stepMs, s.values[i]!);
  }
  await app.commit();
  return storage;
}

function vectorOf(result: Awaited<ReturnType<Engine['instantQuery']>>): [string, number][] {
  assert.equal(result.value.type, 'vector');
  if (result.value.type !== 'vector') return [];
  return result.value.samples
    .map((s): [string, number] => [JSON.stringify(s.labels), s.value])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

async function rejects(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isVigilError(err), `expected a VigilError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('Engine', () => {
  it('selects the newest sample within the lookback and honours staleness markers', async () => {
    const storage = await load(60_000, [
      // A Float64Array: a plain array would turn the marker into an ordinary NaN.
      { labels: { __name__: 'up', job: 'a' }, values: Float64Array.of(1, 1, STALE_NAN) },
      { labels: { __name__: 'up', job: 'b' }, values: [0, 0, 0] },
    ]);
    const engine = new Engine({ queryable: storage });
    assert.deepEqual(vectorOf(await engine.instantQuery('up', 60_000)), [
      ['["__name__","up","job","a"]', 1],
      ['["__name__","up","job","b"]', 0],
    ]);
    // The marker at 2m hides job="a" at once, not after 5 minutes.
    assert.deepEqual(vectorOf(await engine.instantQuery('up', 150_000)), [
      ['["__name__","up","job","b"]', 0],
    ]);
    // Left-open lookback: the sample at 2m is gone at exactly 7m.
    assert.deepEqual(vectorOf(await engine.instantQuery('up', 420_000)), []);
    assert.equal(vectorOf(await engine.instantQuery('up', 419_999)).length, 1);
  });

  it('evaluates a range query with rate, aggregation and delayed name removal', async () => {
    const storage = await load(15_000, [
      {
        labels: { __name__: 'req_total', code: '200' },
        values: Array.from({ length: 41 }, (_, i) => i * 15),
      },
      {
        labels: { __name__: 'req_total', code: '500' },
        values: Array.from({ length: 41 }, (_, i) => i * 3),
      },
    ]);
    const engine = new Engine({ queryable: storage });
    const result = await engine.rangeQuery(
      'sum by (code) (rate(req_total[1m]))',
      300_000,
      600_000,
      60_000,
    );
    assert.equal(result.value.type, 'matrix');
    if (result.value.type !== 'matrix') return;
    const round = (v: number): number => Math.round(v * 1e9) / 1e9;
    assert.deepEqual(
      result.value.series.map((s) => [s.labels, [...s.timestampsMs], [...s.values].map(round)]),
      [
        [
          ['code', '200'],
          [300_000, 360_000, 420_000, 480_000, 540_000, 600_000],
          [1, 1, 1, 1, 1, 1],
        ],
        [
          ['code', '500'],
          [300_000, 360_000, 420_000, 480_000, 540_000, 600_000],
          [0.2, 0.2, 0.2, 0.2, 0.2, 0.2],
        ],
      ],
    );
    const ratio = await engine.instantQuery(
      'sum(rate(req_total{code="500"}[5m])) / sum(rate(req_total[5m]))',
      600_000,
    );
    const [[, value]] = vectorOf(ratio) as [[string, number]];
    assert.ok(Math.abs(value - 1 / 6) < 1e-12, String(value));
  });

  it('answers the same over the embedded TSDB as over MemoryStorage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-promql-'));
    try {
      const tsdb = openTsdb(dir, { maintenanceIntervalMs: 0, retentionMs: 0 });
      const series = Array.from({ length: 20 }, (_, k) => ({
        labels: { __name__: 'http_requests_total', instance: `i${k % 4}`, route: `/r${k}` },
        values: Array.from(
          { length: 200 },
          (_, i) => i * (k + 1) + (i > 120 && k % 3 === 0 ? -50 : 0),
        ),
      }));
      // `gone` ends in a staleness marker: an instant query right after it finds nothing.
      const goneValues = new Float64Array(200).fill(1);
      goneValues[199] = STALE_NAN;
      const gone = { labels: { __name__: 'gone' }, values: goneValues };
      await load(15_000, [...series, gone], tsdb);
      const memory = await load(15_000, [...series, gone]);
      const query = 'sum by (instance) (increase(http_requests_total[2m])) > 10';
      const a = await new Engine({ queryable: tsdb }).rangeQuery(query, 600_000, 2_900_000, 30_000);
      const b = await new Engine({ queryable: memory }).rangeQuery(
        query,
        600_000,
        2_900_000,
        30_000,
      );
      assert.deepEqual(a, b);
      assert.equal(a.value.type === 'matrix' ? a.value.series.length : -1, 4);
      // Instant queries at and around the newest samples: the store answers
      // selectors there from its in-memory last sample (newestSample()).
      const last = 199 * 15_000;
      for (const t of [last, last + 1, last + 299_999, last + 300_000, last - 7_000, 1_000_000]) {
        for (const q of [
          'http_requests_total',
          'timestamp(http_requests_total)',
          'count(gone)',
          'gone',
        ]) {
          const x = await new Engine({ queryable: tsdb }).instantQuery(q, t);
          const y = await new Engine({ queryable: memory }).instantQuery(q, t);
          assert.deepEqual(x, y, `${q} at ${t}`);
        }
      }
      tsdb.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad ranges, steps and too many points with clear codes', async () => {
    const engine = new Engine({ queryable: new MemoryStorage() });
    await rejects(
      engine.rangeQuery('up', 10_000, 0, 1000),
      ErrorCodes.QUERY_BAD_REQUEST,
      /end timestamp must not be before start time/,
    );
    await rejects(
      engine.rangeQuery('up', 0, 10_000, 0),
      ErrorCodes.QUERY_BAD_REQUEST,
      /zero or negative/,
    );
    await rejects(
      engine.rangeQuery('up', 0, 10_000, -5),
      ErrorCodes.QUERY_BAD_REQUEST,
      /zero or negative/,
    );
    await rejects(
      engine.rangeQuery('up', 0, 11_000_000, 1000),
      ErrorCodes.PROMQL_TOO_MANY_POINTS,
      /11,000 points/,
    );
    await rejects(
      engine.instantQuery('up', Number.NaN),
      ErrorCodes.QUERY_BAD_REQUEST,
      /cannot parse/,
    );
    await rejects(
      engine.rangeQuery('up[5m]', 0, 10_000, 1000),
      ErrorCodes.PROMQL_PARSE,
      /range vector/,
    );
    await rejects(engine.instantQuery('sum(', 0), ErrorCodes.PROMQL_PARSE);
  });

  it('refuses experimental syntax it does not evaluate instead of answering wrongly', async () => {
    const storage = await load(1000, [{ labels: { __name__: 'x_total' }, values: [1, 2, 3] }]);
    const engine = new Engine({ queryable: storage, experimental: true });
    for (const q of [
      'rate(x_total[1m] anchored)',
      'x_total smoothed',
      'x_total + fill(0) x_total',
      'limit_ratio(0.5, x_total)',
    ]) {
      await rejects(engine.instantQuery(q, 2000), ErrorCodes.PROMQL_EXECUTION, /not supported/);
    }
    // Without the flag they do not even parse, as in Prometheus without its feature flags.
    await rejects(
      new Engine({ queryable: storage }).instantQuery('x_total smoothed', 2000),
      ErrorCodes.PROMQL_PARSE,
    );
  });

  it('fails a query that would hold more than maxSamples, and keeps working afterwards', async () => {
    const storage = await load(
      1000,
      Array.from({ length: 50 }, (_, k) => ({
        labels: { __name__: 'x', k: String(k) },
        values: Array.from({ length: 100 }, () => k),
      })),
    );
    const engine = new Engine({ queryable: storage, maxSamples: 1000 });
    await rejects(
      engine.rangeQuery('x', 0, 99_000, 1000),
      ErrorCodes.PROMQL_TOO_MANY_SAMPLES,
      /too many samples/,
    );
    await rejects(engine.instantQuery('x[100s]', 99_000), ErrorCodes.PROMQL_TOO_MANY_SAMPLES);
    // Range functions hold one series' window at a time, as Prometheus does.
    assert.equal(
      vectorOf(await engine.instantQuery('sum(sum_over_time(x[100s]))', 99_000))[0]![1],
      122_500,
    );
    assert.equal(vectorOf(await engine.instantQuery('count(x)', 99_000))[0]![1], 50);
  });

  it('refuses a subquery whose grid would exhaust memory, at once', async () => {
    const storage = await load(1000, [{ labels: { __name__: 'x' }, values: [1, 2, 3] }]);
    const engine = new Engine({ queryable: storage });
    const started = performance.now();
    await rejects(
      engine.instantQuery('count_over_time(x[100y:1s])', 3000),
      ErrorCodes.PROMQL_TOO_MANY_SAMPLES,
      /too many samples/,
    );
    await rejects(
      engine.rangeQuery('max_over_time(x[10y:1s])', 0, 10_000_000, 1_000_000),
      ErrorCodes.PROMQL_TOO_MANY_SAMPLES,
    );
    assert.ok(performance.now() - started < 5000, 'refused without evaluating');
    // Steps 0, 1 s, 2 s and 3 s, the last one seeing the 2 s sample through the lookback.
    assert.equal(vectorOf(await engine.instantQuery('count_over_time(x[1h:1s])', 3000))[0]![1], 4);
  });

  it('times out a query that runs past its deadline, and a cancelled one', async () => {
    const storage = await load(
      1000,
      Array.from({ length: 200 }, (_, k) => ({
        labels: { __name__: 'x', k: String(k) },
        values: Array.from({ length: 2000 }, (_, i) => i),
      })),
    );
    const slow = new Engine({ queryable: storage, timeoutMs: 1 });
    await rejects(
      slow.rangeQuery('rate(x[1m])', 0, 1_999_000, 1000),
      ErrorCodes.PROMQL_TIMEOUT,
      /timed out/,
    );
    const engine = new Engine({ queryable: storage });
    // A per-query timeout shorter than the engine's applies too (the HTTP API's `timeout`).
    await rejects(
      engine.rangeQuery('rate(x[1m])', 0, 1_999_000, 1000, { timeoutMs: 1 }),
      ErrorCodes.PROMQL_TIMEOUT,
    );
    const controller = new AbortController();
    controller.abort();
    await rejects(
      engine.instantQuery('x', 1000, { signal: controller.signal }),
      ErrorCodes.PROMQL_CANCELED,
    );
  });

  it('queues queries beyond maxConcurrentQueries instead of running them at once', async () => {
    const storage = await load(1000, [{ labels: { __name__: 'x' }, values: [1, 2, 3] }]);
    const engine = new Engine({ queryable: storage, maxConcurrentQueries: 1 });
    const results = await Promise.all(
      [1, 2, 3].map((i) => engine.instantQuery('x', i * 1000 - 1000)),
    );
    assert.deepEqual(
      results.map((r) => vectorOf(r)[0]![1]),
      [1, 2, 3],
    );
  });
});
