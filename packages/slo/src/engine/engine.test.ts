import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newLabelMatcher } from '@vigil/model';
import { SloEngine } from './engine.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, makeSlo, newStore, writeTraffic } from './engine.test-util.js';
import { recordingQueries } from './queries.js';

const T = Date.UTC(2026, 10, 20);

describe('SloEngine lifecycle', () => {
  test('bucket lengths: at most 10,000 buckets per span, a multiple of the interval; slices for timeslices', () => {
    const { engine: promql } = newStore();
    const engine = new SloEngine({ queryApi: promql });
    // 30 d / 10,000 = 259.2 s → 5 intervals of 60 s.
    assert.equal(
      engine.bucketMsOf(
        makeSlo({ name: 'a', window: { kind: 'rolling', durationMs: 30 * DAY_MS } }),
      ),
      300_000,
    );
    // 7 d / 10,000 = 60.48 s → 2 intervals.
    assert.equal(
      engine.bucketMsOf(
        makeSlo({ name: 'b', window: { kind: 'rolling', durationMs: 7 * DAY_MS } }),
      ),
      120_000,
    );
    // 1 d, but the 3 d alert window sets the span: 25.92 s → 1 interval.
    assert.equal(engine.bucketMsOf(makeSlo({ name: 'c' })), 60_000);
    assert.equal(
      engine.bucketMsOf(
        makeSlo({
          name: 'd',
          budgetingMethod: 'timeslices',
          objective: { target: 0.99, timeSliceTarget: 0.9, timeSliceWindowMs: 2 * MINUTE_MS },
        }),
      ),
      120_000,
    );
  });

  test('load keeps the rings of unchanged SLOs and backfills changed ones', async () => {
    const { storage, engine: promql } = newStore();
    await writeTraffic(storage, {
      fromMs: T - DAY_MS - HOUR_MS,
      toMs: T + HOUR_MS,
      traffic: () => ({ perSecond: 10, errorRatio: 0.005 }),
    });
    const engine = new SloEngine({ queryApi: promql });
    const slo = makeSlo({ name: 'keep' });
    engine.load([slo]);
    await engine.evaluate(T);
    const first = engine.lastCycleStats();
    assert.ok(first && first.backfillMs > 0, 'the first cycle backfills');
    assert.equal(first.queries, 2, 'two range queries (T is a tile end: nothing else to query)');
    engine.load([makeSlo({ name: 'keep' })]);
    await engine.evaluate(T + MINUTE_MS);
    assert.equal(engine.lastCycleStats()?.queries, 2, 'unchanged: one cycle of 2 instant queries');
    assert.equal(engine.lastCycleStats()?.backfillMs, 0);
    engine.load([makeSlo({ name: 'keep', objective: { target: 0.995 } })]);
    await engine.evaluate(T + 2 * MINUTE_MS);
    assert.ok((engine.lastCycleStats()?.backfillMs ?? 0) > 0, 'changed: backfilled again');
    assert.equal(engine.statuses().length, 1);
    assert.equal(engine.status(slo.id)?.target, 0.995);
    engine.load([]);
    assert.deepEqual(engine.statuses(), []);
    assert.equal(engine.status(slo.id), undefined);
  });

  test('start evaluates every interval at the clock; stop waits for the running cycle', async () => {
    const { storage, engine: promql } = newStore();
    await writeTraffic(storage, {
      fromMs: T - DAY_MS - HOUR_MS,
      toMs: T + HOUR_MS,
      traffic: () => ({ perSecond: 10, errorRatio: 0.005 }),
    });
    let clock = T;
    const seen: number[] = [];
    const engine = new SloEngine({
      queryApi: promql,
      intervalMs: 20,
      now: () => {
        clock += MINUTE_MS;
        seen.push(clock);
        return clock;
      },
    });
    engine.load([makeSlo({ name: 'timer' })]);
    engine.start();
    await sleep(300);
    await engine.stop();
    const cycles = seen.length;
    assert.ok(cycles >= 3, `several cycles ran (${cycles})`);
    const last = engine.status('svc-timer');
    assert.equal(
      last?.evaluatedAtMs,
      seen[seen.length - 1],
      'the status is that of the last cycle',
    );
    await sleep(100);
    assert.equal(seen.length, cycles, 'no cycle after stop');
  });

  test('concurrent evaluate calls run one after the other', async () => {
    const { storage, engine: promql } = newStore();
    await writeTraffic(storage, {
      fromMs: T - DAY_MS - HOUR_MS,
      toMs: T + HOUR_MS,
      traffic: () => ({ perSecond: 10, errorRatio: 0.005 }),
    });
    let running = 0;
    let most = 0;
    const queryApi = {
      instantQuery: async (...args: Parameters<typeof promql.instantQuery>) => {
        most = Math.max(most, ++running);
        await sleep(1);
        try {
          return await promql.instantQuery(...args);
        } finally {
          running--;
        }
      },
      rangeQuery: (...args: Parameters<typeof promql.rangeQuery>) => promql.rangeQuery(...args),
    };
    const engine = new SloEngine({ queryApi, concurrency: 1 });
    engine.load([makeSlo({ name: 'serial' })]);
    await engine.evaluate(T);
    const [a, b, c] = await Promise.all([
      engine.evaluate(T + MINUTE_MS),
      engine.evaluate(T + 2 * MINUTE_MS),
      engine.evaluate(T + 3 * MINUTE_MS),
    ]);
    assert.deepEqual(
      [a?.[0]?.evaluatedAtMs, b?.[0]?.evaluatedAtMs, c?.[0]?.evaluatedAtMs],
      [T + MINUTE_MS, T + 2 * MINUTE_MS, T + 3 * MINUTE_MS],
    );
    assert.equal(most, 2, 'only the two queries of one SLO in one cycle at a time');
    assert.equal(engine.status('svc-serial')?.evaluatedAtMs, T + 3 * MINUTE_MS);
  });

  test('a not-evaluable SLO is reported as such and writes only its state', async () => {
    const { storage, engine: promql } = newStore();
    const slo = makeSlo({
      name: 'elsewhere',
      evaluable: false,
      notEvaluableReason: 'Datadog source',
    });
    const engine = new SloEngine({ queryApi: promql, appendable: storage });
    engine.load([slo]);
    const [s] = await engine.evaluate(T);
    assert.equal(s?.dataState, 'not-evaluable');
    assert.equal(s?.reason, 'Datadog source');
    assert.equal(s?.sli, null);
    const q = storage.querier(T, T);
    const names: string[] = [];
    const set = q.select([newLabelMatcher('=', 'sloth_id', slo.id)]);
    while (set.next()) names.push(set.at().labels[1]!);
    q.close();
    assert.deepEqual(names.sort(), ['vigil_slo_data_state', 'vigil_slo_evaluation_failed']);
  });
});

describe('recordingQueries', () => {
  test('latency SLIs split into good (bucket) and total (count) rates', () => {
    const q = recordingQueries(
      {
        kind: 'latency',
        metric: 'http_duration_seconds',
        thresholdSeconds: 0.2,
        selector: 'job="api"',
      },
      '5m',
    );
    assert.deepEqual(q, {
      kind: 'events',
      numerator: 'good',
      numeratorQuery: 'sum(rate(http_duration_seconds_bucket{job="api",le="0.2"}[5m]))',
      totalQuery: 'sum(rate(http_duration_seconds_count{job="api"}[5m]))',
      numeratorPerWindow: false,
      totalPerWindow: false,
    });
  });
  test('templates written with increase are read as counts over the window', () => {
    const q = recordingQueries(
      {
        kind: 'completeness',
        goodQuery: 'sum(increase(processed_total[{{.window}}]))',
        totalQuery: 'sum(rate(received_total[{{.window}}]))',
      },
      '10m',
    );
    assert.equal(q.kind, 'events');
    assert.ok(q.kind === 'events' && q.numeratorPerWindow && !q.totalPerWindow);
    assert.ok(q.kind === 'events' && q.numeratorQuery === 'sum(increase(processed_total[10m]))');
  });
  test('time-based SLIs sample their good indicator every minute: good sum and sample count', () => {
    const q = recordingQueries({ kind: 'availability', expr: 'up{job="api"}' }, '5m');
    assert.deepEqual(q, {
      kind: 'samples',
      goodQuery: 'sum_over_time((avg(up{job="api"}))[5m:60s])',
      countQuery: 'count_over_time((avg(up{job="api"}))[5m:60s])',
      stepSeconds: 60,
    });
    const f = recordingQueries(
      { kind: 'freshness', timestampExpr: 'last_success_seconds', maxAgeSeconds: 3600 },
      '5m',
    );
    assert.ok(
      f.kind === 'samples' &&
        f.goodQuery.includes('(time() - (last_success_seconds)) <= bool 3600'),
    );
  });
  test('raw SLIs give one error-ratio query', () => {
    const q = recordingQueries({ kind: 'raw', errorRatioQuery: 'my_ratio[{{.window}}]' }, '1h');
    assert.deepEqual(q, { kind: 'ratio', errorRatioQuery: '(my_ratio[1h])' });
  });
});
