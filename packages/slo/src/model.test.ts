import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, parseExpr } from '@vigil/promql';
import { MemoryStorage, labelsFromRecord } from '@vigil/storage';
import {
  SLI_KINDS,
  errorRatioExpr,
  isEventBasedSli,
  renderWindow,
  sliQueries,
  type Sli,
} from './model.js';

const STEP_MS = 15_000;
const MINUTE = 60_000;

/** One SLI of every kind over the synthetic series loaded by {@link load}. */
const SLIS: Record<Sli['kind'], Sli> = {
  ratio: {
    kind: 'ratio',
    numerator: 'bad',
    numeratorQuery: 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
    totalQuery: 'sum(rate(http_requests_total[{{.window}}]))',
  },
  latency: {
    kind: 'latency',
    metric: 'http_request_duration_seconds',
    thresholdSeconds: 0.2,
    selector: 'job="api"',
  },
  availability: { kind: 'availability', expr: 'up{job="api"}' },
  throughput: { kind: 'throughput', rateExpr: 'sum(rate(jobs_total[1m]))', floorPerSecond: 0.5 },
  freshness: {
    kind: 'freshness',
    timestampExpr: 'max(export_last_success_timestamp_seconds)',
    maxAgeSeconds: 1800,
  },
  completeness: {
    kind: 'completeness',
    goodQuery: 'sum(increase(records_processed_total[{{.window}}]))',
    totalQuery: 'sum(increase(records_received_total[{{.window}}]))',
  },
  accuracy: {
    kind: 'accuracy',
    goodQuery: 'sum(increase(records_correct_total[{{.window}}]))',
    totalQuery: 'sum(increase(records_checked_total[{{.window}}]))',
  },
  raw: {
    kind: 'raw',
    errorRatioQuery:
      'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))\n/\nsum(rate(http_requests_total[{{.window}}]))',
  },
};

/**
 * One hour of series every 15 s from t=0: 1% of requests fail; 95% are
 * faster than 200 ms; `up` is 0 during minute 25 only; the job counter grows
 * 1/s until 20 min, then stops; the export last succeeded at t=0; 98% of
 * records are processed; 90% of checked records are correct.
 */
async function load(): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  const app = storage.appender();
  const series: [Record<string, string>, (i: number, tMs: number) => number][] = [
    [{ __name__: 'http_requests_total', code: '200', job: 'api' }, (i) => 99 * i],
    [{ __name__: 'http_requests_total', code: '500', job: 'api' }, (i) => i],
    [{ __name__: 'http_request_duration_seconds_bucket', job: 'api', le: '0.1' }, (i) => 50 * i],
    [{ __name__: 'http_request_duration_seconds_bucket', job: 'api', le: '0.2' }, (i) => 95 * i],
    [{ __name__: 'http_request_duration_seconds_bucket', job: 'api', le: '+Inf' }, (i) => 100 * i],
    [{ __name__: 'http_request_duration_seconds_count', job: 'api' }, (i) => 100 * i],
    [{ __name__: 'http_request_duration_seconds_bucket', job: 'other', le: '0.2' }, () => 0],
    [{ __name__: 'http_request_duration_seconds_count', job: 'other' }, (i) => 1000 * i],
    [{ __name__: 'up', job: 'api' }, (_i, t) => (t >= 25 * MINUTE && t < 26 * MINUTE ? 0 : 1)],
    [{ __name__: 'jobs_total' }, (_i, t) => Math.min(t, 20 * MINUTE) / 1000],
    [{ __name__: 'export_last_success_timestamp_seconds' }, () => 0],
    [{ __name__: 'records_received_total' }, (i) => 100 * i],
    [{ __name__: 'records_processed_total' }, (i) => 98 * i],
    [{ __name__: 'records_checked_total' }, (i) => 10 * i],
    [{ __name__: 'records_correct_total' }, (i) => 9 * i],
  ];
  for (const [labels, value] of series) {
    const l = labelsFromRecord(labels);
    let ref = 0;
    for (let i = 0; i * STEP_MS <= 60 * MINUTE; i++)
      ref = app.append(ref, l, i * STEP_MS, value(i, i * STEP_MS));
  }
  await app.commit();
  return storage;
}

async function scalarOf(engine: Engine, query: string, timeMs: number): Promise<number> {
  const result = await engine.instantQuery(query, timeMs);
  assert.equal(result.value.type, 'vector', query);
  if (result.value.type !== 'vector') return Number.NaN;
  assert.equal(result.value.samples.length, 1, `one sample for ${query}`);
  return result.value.samples[0]!.value;
}

describe('SLI error-ratio PromQL', () => {
  it('covers every SLI kind', () => {
    assert.deepEqual(Object.keys(SLIS).sort(), [...SLI_KINDS].sort());
  });

  for (const kind of SLI_KINDS) {
    it(`renders ${kind} as PromQL that parses, for every window`, () => {
      for (const w of ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d']) {
        const expr = errorRatioExpr(SLIS[kind], w);
        assert.doesNotThrow(() => parseExpr(expr), expr);
        assert.ok(!expr.includes('{{'), `no placeholder left in ${expr}`);
        assert.ok(expr.includes(`[${w}`), `the window ${w} appears in ${expr}`);
      }
    });
  }

  it('renders the exact text of the ratio, latency and availability kinds', () => {
    assert.equal(
      errorRatioExpr(SLIS.ratio, '5m'),
      '((sum(rate(http_requests_total{code=~"5.."}[5m])))\n/\n(sum(rate(http_requests_total[5m]))))',
    );
    assert.equal(
      errorRatioExpr(
        { ...(SLIS.ratio as Extract<Sli, { kind: 'ratio' }>), numerator: 'good' },
        '5m',
      ),
      '1 - ((sum(rate(http_requests_total{code=~"5.."}[5m])))\n/\n(sum(rate(http_requests_total[5m]))))',
    );
    assert.equal(
      errorRatioExpr(SLIS.latency, '1h'),
      '1 - (sum(rate(http_request_duration_seconds_bucket{job="api",le="0.2"}[1h]))\n/\nsum(rate(http_request_duration_seconds_count{job="api"}[1h])))',
    );
    assert.equal(
      errorRatioExpr({ kind: 'latency', metric: 'd', thresholdSeconds: 1, selector: '' }, '1h'),
      '1 - (sum(rate(d_bucket{le=~"1(\\\\.0+)?"}[1h]))\n/\nsum(rate(d_count{}[1h])))',
    );
    assert.equal(
      errorRatioExpr(SLIS.availability, '30d'),
      '1 - avg(avg_over_time((up{job="api"})[30d:]))',
    );
  });

  it('evaluates to the known error ratios on the real engine over MemoryStorage', async () => {
    const engine = new Engine({ queryable: await load() });
    const at = 30 * MINUTE;
    const expected: [Sli['kind'], string, number, number][] = [
      ['ratio', '5m', at, 0.01],
      ['raw', '10m', at, 0.01],
      ['latency', '5m', at, 0.05],
      ['completeness', '5m', at, 0.02],
      ['accuracy', '30m', at, 0.1],
      // Subquery points at 21..30 min; the one at 25 min sees up=0.
      ['availability', '10m', at, 0.1],
      // Points at 16..25 min; the rate is 1/s up to 20 min, 0 after.
      ['throughput', '10m', 25 * MINUTE, 0.5],
      // Points at 26..35 min; the age is within 30 min up to 30 min.
      ['freshness', '10m', 35 * MINUTE, 0.5],
    ];
    for (const [kind, w, t, want] of expected) {
      const got = await scalarOf(engine, errorRatioExpr(SLIS[kind], w), t);
      assert.ok(Math.abs(got - want) < 1e-9, `${kind} over ${w}: got ${got}, want ${want}`);
    }
    // The latency selector keeps job="other" (all slow) out.
    const all = errorRatioExpr(
      { ...(SLIS.latency as Extract<Sli, { kind: 'latency' }>), selector: '' },
      '5m',
    );
    assert.ok((await scalarOf(engine, all, at)) > 0.5);
  });

  it('renderWindow replaces every placeholder, spaces allowed; sliQueries and isEventBasedSli', () => {
    assert.equal(renderWindow('a[{{.window}}] / b[{{ .window }}]', '1h'), 'a[1h] / b[1h]');
    assert.deepEqual(
      sliQueries(SLIS.ratio).map((q) => q.field),
      ['bad', 'total'],
    );
    assert.deepEqual(
      SLI_KINDS.filter((k) => !isEventBasedSli(SLIS[k])),
      ['availability', 'throughput', 'freshness'],
    );
  });
});
