/**
 * Accuracy of the SLO engine against hand computations, over synthetic
 * traffic with known error rates, the real PromQL engine and a MemoryStorage.
 *
 * Tolerance ("within 0.1% of the budget"): every figure's error, expressed as
 * a share of the period's error budget, is at most 0.001. So: budget
 * fractions (consumed, remaining) and burn rates within 0.001 absolute; the
 * SLI and error ratios within 0.001 × (1 − target); bad events within
 * 0.001 × allowed events; minutes within 0.001 × allowed minutes; event
 * totals within 0.001 × allowed events / (1 − target) (i.e. 0.1% of the
 * events that the budget is a share of).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SloStatus } from '../status.js';
import { SloEngine } from './engine.js';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  makeSlo,
  near,
  newStore,
  writeTraffic,
  writeUp,
} from './engine.test-util.js';
import { labelsFromRecord, labelsToRecord } from '@vigil/storage';
import type { MemoryStorage } from '@vigil/storage';
import { STALE_NAN, newLabelMatcher } from '@vigil/model';

const T = Date.UTC(2026, 10, 20); // evaluation end, a Friday, midnight UTC
const TOL = 0.001;

/** Evaluates every `stepMs` over `[fromMs, toMs]`, calling `each` with every cycle's statuses. */
async function run(
  engine: SloEngine,
  fromMs: number,
  toMs: number,
  each?: (t: number, s: SloStatus[]) => void,
  stepMs = MINUTE_MS,
): Promise<SloStatus[]> {
  let last: SloStatus[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) {
    last = await engine.evaluate(t);
    each?.(t, last);
  }
  return last;
}

function byId(list: SloStatus[], id: string): SloStatus {
  const s = list.find((x) => x.id === id);
  assert.ok(s, `status of ${id}`);
  return s;
}

/** Checks an events-budget status against hand figures (see the tolerance in the file notes). */
function checkEvents(s: SloStatus, expected: { bad: number; total: number }, target: number): void {
  const allowedEvents = expected.total * (1 - target);
  const ratio = expected.bad / expected.total;
  near(s.sli, 1 - ratio, TOL * (1 - target), `${s.id} sli`);
  near(s.budget.consumedFraction, ratio / (1 - target), TOL, `${s.id} consumed`);
  near(s.budget.remainingFraction, 1 - ratio / (1 - target), TOL, `${s.id} remaining`);
  near(s.periodBurnRate, ratio / (1 - target), TOL, `${s.id} period burn rate`);
  near(s.events?.bad, expected.bad, TOL * allowedEvents, `${s.id} bad events`);
  near(s.events?.total, expected.total, TOL * expected.total, `${s.id} total events`);
  near(s.budget.allowedEvents, allowedEvents, TOL * allowedEvents, `${s.id} allowed events`);
  near(
    s.budget.remainingEvents,
    allowedEvents - expected.bad,
    TOL * allowedEvents,
    `${s.id} remaining events`,
  );
}

function burn(s: SloStatus, window: string): number | null {
  const f = s.burnRates.find((b) => b.window === window);
  assert.ok(f, `${s.id} has a ${window} burn rate`);
  return f.burnRate;
}

/** The newest value of the series `name` with labels including `match`, or undefined. */
function readSeries(
  storage: MemoryStorage,
  name: string,
  match: Record<string, string>,
  atMs: number,
): { value: number; labels: Record<string, string> } | undefined {
  const q = storage.querier(atMs, atMs);
  try {
    const set = q.select([
      newLabelMatcher('=', '__name__', name),
      ...Object.entries(match).map(([k, v]) => newLabelMatcher('=', k, v)),
    ]);
    if (!set.next()) return undefined;
    const series = set.at();
    const it = series.iterator();
    if (!it.next()) return undefined;
    return { value: it.value(), labels: labelsToRecord(series.labels) };
  } finally {
    q.close();
  }
}

describe('SLO engine accuracy (rolling 1 d, 10 req/s, 99%)', () => {
  test('constant errors: 0.5% errors spend half the budget; every window burns at 0.5', async () => {
    const { storage, engine: promql } = newStore();
    await writeTraffic(storage, {
      fromMs: T - 2 * DAY_MS,
      toMs: T,
      traffic: () => ({ perSecond: 10, errorRatio: 0.005 }),
    });
    const slo = makeSlo({ name: 'constant' });
    const engine = new SloEngine({ queryApi: promql, appendable: storage });
    engine.load([slo]);
    const final = await run(engine, T - 3 * HOUR_MS, T);
    const s = byId(final, slo.id);
    // Hand computation: 86,400 s × 10/s = 864,000 events, 0.5% bad = 4,320; allowed 8,640.
    checkEvents(s, { bad: 4320, total: 864_000 }, 0.99);
    assert.equal(s.dataState, 'ok');
    for (const w of ['5m', '30m', '1h', '2h', '6h', '1d']) near(burn(s, w), 0.5, TOL, `burn ${w}`);
    assert.equal(s.exhaustionAtMs, null, 'a burn rate under 1 never exhausts the budget');
    assert.equal(s.periodStartMs, T - DAY_MS);
    // The series Sloth's alert rules read, with Sloth's labels.
    const r5 = readSeries(storage, 'slo:sli_error:ratio_rate5m', { sloth_id: slo.id }, T);
    assert.ok(r5, 'slo:sli_error:ratio_rate5m written');
    near(r5.value, 0.005, TOL * 0.01, 'ratio_rate5m');
    assert.deepEqual(r5.labels, {
      __name__: 'slo:sli_error:ratio_rate5m',
      sloth_id: 'svc-constant',
      sloth_service: 'svc',
      sloth_slo: 'constant',
      sloth_window: '5m',
      team: 'core',
    });
    const remaining = readSeries(
      storage,
      'slo:period_error_budget_remaining:ratio',
      { sloth_id: slo.id },
      T,
    );
    near(remaining?.value, 0.5, TOL, 'slo:period_error_budget_remaining:ratio');
    const objective = readSeries(storage, 'slo:objective:ratio', { sloth_id: slo.id }, T);
    assert.deepEqual(objective, {
      value: 0.99,
      labels: {
        __name__: 'slo:objective:ratio',
        sloth_id: 'svc-constant',
        sloth_service: 'svc',
        sloth_slo: 'constant',
        team: 'core',
      },
    });
    const stats = engine.lastCycleStats();
    assert.ok(stats && stats.queries === 2, `one cycle runs 2 queries, ran ${stats?.queries}`);
  });

  test('bursty errors: 20% for one hour on a 0.1% baseline; burn rates during and after', async () => {
    const { storage, engine: promql } = newStore();
    const burstStart = T - 5 * HOUR_MS;
    const burstEnd = T - 4 * HOUR_MS;
    await writeTraffic(storage, {
      fromMs: T - 2 * DAY_MS,
      toMs: T,
      traffic: (t) => ({
        perSecond: 10,
        errorRatio: t > burstStart && t <= burstEnd ? 0.2 : 0.001,
      }),
    });
    const slo = makeSlo({ name: 'bursty' });
    const engine = new SloEngine({ queryApi: promql, appendable: storage });
    engine.load([slo]);
    let atBurstEnd: SloStatus | undefined;
    const final = await run(engine, T - 7 * HOUR_MS, T, (t, list) => {
      if (t === burstEnd) atBurstEnd = byId(list, slo.id);
    });
    // At T: bad = 10 × (82,800 × 0.001 + 3,600 × 0.2) = 828 + 7,200 = 8,028 of 864,000.
    const s = byId(final, slo.id);
    checkEvents(s, { bad: 8028, total: 864_000 }, 0.99);
    // 6 h window at T: (18,000 × 0.001 + 3,600 × 0.2) × 10 = 7,380 bad of 216,000 → 0.0341667 → burn 3.41667.
    near(burn(s, '6h'), 7380 / 216_000 / 0.01, TOL, 'burn 6h at T');
    near(burn(s, '1h'), 0.1, TOL, 'burn 1h at T');
    // 1 d window = the period.
    near(burn(s, '1d'), 8028 / 864_000 / 0.01, TOL, 'burn 1d at T');
    // At the end of the burst: the last hour is all burst → 20% errors, burn 20.
    assert.ok(atBurstEnd);
    near(burn(atBurstEnd, '1h'), 20, TOL, 'burn 1h at burst end');
    near(burn(atBurstEnd, '5m'), 20, TOL, 'burn 5m at burst end');
    // The period then (T−28 h, T−4 h] holds the same 8,028 bad events: 612 of 8,640 left.
    // Net spend at the 1 h burn: 10/s × (0.2 − 0.01) = 1.9 events/s → 612 / 1.9 = 322.1 s.
    checkEvents(atBurstEnd, { bad: 8028, total: 864_000 }, 0.99);
    near(
      atBurstEnd.exhaustionAtMs,
      burstEnd + (612 / 1.9) * 1000,
      ((TOL * 8640) / 1.9) * 1000,
      'exhaustion time at burst end',
    );

    // Restart: a new engine over the same store rebuilds the same figures by backfill.
    const restarted = new SloEngine({ queryApi: promql });
    restarted.load([slo]);
    const again = byId(await restarted.evaluate(T), slo.id);
    checkEvents(again, { bad: 8028, total: 864_000 }, 0.99);
    for (const w of ['5m', '1h', '6h', '1d']) {
      near(burn(again, w), burn(s, w) ?? NaN, TOL, `restarted burn ${w}`);
    }
    const stats = restarted.lastCycleStats();
    assert.ok(stats && stats.backfillMs > 0 && stats.backfillMs <= stats.durationMs);
  });

  test('counter resets every 3 hours lose no events', async () => {
    const { storage, engine: promql } = newStore();
    const resets: number[] = [];
    for (let t = T - 2 * DAY_MS + 3 * HOUR_MS; t < T; t += 3 * HOUR_MS)
      resets.push(t + 7 * MINUTE_MS);
    await writeTraffic(storage, {
      fromMs: T - 2 * DAY_MS,
      toMs: T,
      traffic: () => ({ perSecond: 10, errorRatio: 0.004 }),
      resetsMs: resets,
    });
    const slo = makeSlo({ name: 'resets' });
    const engine = new SloEngine({ queryApi: promql });
    engine.load([slo]);
    const final = await run(engine, T - 4 * HOUR_MS, T, undefined, 2 * MINUTE_MS);
    // 864,000 events, 0.4% bad = 3,456.
    checkEvents(byId(final, slo.id), { bad: 3456, total: 864_000 }, 0.99);
  });

  test('gaps: a 2-hour scrape outage counts as neither good nor bad; its windows have no data', async () => {
    const { storage, engine: promql } = newStore();
    const g0 = T - 10 * HOUR_MS;
    const g1 = T - 8 * HOUR_MS;
    await writeTraffic(storage, {
      fromMs: T - 2 * DAY_MS,
      toMs: T,
      traffic: () => ({ perSecond: 10, errorRatio: 0.02 }),
      gaps: [[g0 + MINUTE_MS, g1]],
    });
    const slo = makeSlo({ name: 'gaps' });
    const engine = new SloEngine({ queryApi: promql, appendable: storage });
    engine.load([slo]);
    let inGap: SloStatus | undefined;
    const final = await run(engine, T - 11 * HOUR_MS, T, (t, list) => {
      if (t === g0 + 30 * MINUTE_MS) inGap = byId(list, slo.id);
    });
    // The samples in (g0, g1) are missing, so the 2 hours (g0, g1] are not observed:
    // total = 10 × (86,400 − 7,200) = 792,000, 2% bad = 15,840.
    checkEvents(byId(final, slo.id), { bad: 15_840, total: 792_000 }, 0.99);
    assert.ok(inGap);
    assert.equal(inGap.dataState, 'ok', 'the period still has data');
    assert.equal(inGap.burnRates.find((b) => b.window === '5m')?.errorRatio, null);
    assert.equal(
      readSeries(storage, 'slo:sli_error:ratio_rate5m', { sloth_id: slo.id }, g0 + 30 * MINUTE_MS),
      undefined,
      'no 5m ratio is written while the source has no samples',
    );
    assert.ok(
      readSeries(storage, 'slo:sli_error:ratio_rate1h', { sloth_id: slo.id }, g0 + 30 * MINUTE_MS),
      'the 1h window still has data',
    );
  });

  test('a target that goes away (staleness markers) stops counting; nothing NaN reaches the figures', async () => {
    const { storage, engine: promql } = newStore();
    const gone = T - 30 * MINUTE_MS;
    await writeTraffic(storage, {
      fromMs: T - 2 * DAY_MS,
      toMs: gone,
      traffic: () => ({ perSecond: 10, errorRatio: 0.005 }),
    });
    const app = storage.appender();
    for (const code of ['200', '500']) {
      app.append(
        0,
        labelsFromRecord({ __name__: 'http_requests_total', job: 'api', code }),
        gone + 15_000,
        STALE_NAN,
      );
    }
    await app.commit();
    const slo = makeSlo({ name: 'stale' });
    const engine = new SloEngine({ queryApi: promql, appendable: storage });
    engine.load([slo]);
    const s = byId(await run(engine, T - HOUR_MS, T, undefined, 5 * MINUTE_MS), slo.id);
    // Observed: the day up to `gone`, 23.5 h → 846,000 events, 0.5% bad = 4,230.
    checkEvents(s, { bad: 4230, total: 846_000 }, 0.99);
    assert.equal(s.burnRates.find((b) => b.window === '5m')?.errorRatio, null);
    near(burn(s, '1h'), 0.5, TOL, 'burn 1h over the half hour with data');
    assert.equal(
      readSeries(storage, 'slo:sli_error:ratio_rate5m', { sloth_id: slo.id }, T),
      undefined,
    );
    const r1h = readSeries(storage, 'slo:sli_error:ratio_rate1h', { sloth_id: slo.id }, T);
    assert.ok(r1h && !Number.isNaN(r1h.value));
  });

  test('exclusion window: a maintenance hour with 50% errors counts as neither good nor bad', async () => {
    const { storage, engine: promql } = newStore();
    const x0 = T - 6 * HOUR_MS;
    const x1 = T - 5 * HOUR_MS;
    await writeTraffic(storage, {
      fromMs: T - 2 * DAY_MS,
      toMs: T,
      traffic: (t) => ({ perSecond: 10, errorRatio: t > x0 && t <= x1 ? 0.5 : 0.005 }),
    });
    const slo = makeSlo({ name: 'maintenance', exclusions: [{ startMs: x0, endMs: x1 }] });
    const engine = new SloEngine({ queryApi: promql });
    engine.load([slo]);
    const final = await run(engine, T - 7 * HOUR_MS, T, undefined, 5 * MINUTE_MS);
    // 23 observed hours: 828,000 events, 0.5% bad = 4,140.
    checkEvents(byId(final, slo.id), { bad: 4140, total: 828_000 }, 0.99);
  });

  test('low traffic and no data', async () => {
    const { storage, engine: promql } = newStore();
    await writeTraffic(storage, {
      fromMs: T - 2 * DAY_MS,
      toMs: T,
      traffic: () => ({ perSecond: 0.01, errorRatio: 0.5 }), // 36 requests an hour
      job: 'quiet',
    });
    await writeTraffic(storage, {
      fromMs: T - 2 * DAY_MS,
      toMs: T,
      traffic: () => ({ perSecond: 0, errorRatio: 0 }),
      job: 'idle',
    });
    const base = makeSlo({ name: 'x' });
    const quiet = makeSlo({
      name: 'quiet',
      sli: { ...requestsSliOf('quiet') },
      alerting: { ...base.alerting, minEvents: 100 },
    });
    const idle = makeSlo({ name: 'idle', sli: requestsSliOf('idle') });
    const absent = makeSlo({ name: 'absent', sli: requestsSliOf('nothing') });
    const engine = new SloEngine({ queryApi: promql, appendable: storage });
    engine.load([quiet, idle, absent]);
    const final = await run(engine, T - 30 * MINUTE_MS, T, undefined, 5 * MINUTE_MS);
    const q = byId(final, quiet.id);
    assert.equal(q.dataState, 'low-traffic');
    near(q.burnRates.find((b) => b.window === '1h')?.events, 36, 0.036, 'events in 1 h');
    // 864 events in the day, half bad.
    checkEvents(q, { bad: 432, total: 864 }, 0.99);
    for (const s of [byId(final, idle.id), byId(final, absent.id)]) {
      assert.equal(s.dataState, 'no-data', s.id);
      assert.equal(s.sli, null);
      assert.equal(s.budget.consumedFraction, null);
      assert.equal(s.budget.remainingFraction, null);
      assert.equal(s.periodBurnRate, null);
      assert.equal(s.exhaustionAtMs, null);
      assert.ok(s.reason);
      assert.equal(
        readSeries(storage, 'slo:sli_error:ratio_rate5m', { sloth_id: s.id }, T),
        undefined,
        `${s.id}: no ratio series without data`,
      );
      assert.equal(readSeries(storage, 'vigil_slo_data_state', { sloth_id: s.id }, T)?.value, 2);
    }
  });

  test('a failing SLO does not stop the others', async () => {
    const { storage, engine: promql } = newStore();
    await writeTraffic(storage, {
      fromMs: T - DAY_MS - HOUR_MS,
      toMs: T,
      traffic: () => ({ perSecond: 10, errorRatio: 0.005 }),
    });
    const broken = makeSlo({
      name: 'broken',
      sli: { kind: 'raw', errorRatioQuery: 'sum(rate(x[{{.window}}]) ' },
    });
    const good = makeSlo({ name: 'good' });
    const warnings: object[] = [];
    const engine = new SloEngine({
      queryApi: promql,
      logger: { info: () => {}, warn: (o) => warnings.push(o), error: () => {} },
    });
    engine.load([broken, good]);
    const list = await engine.evaluate(T);
    assert.ok(byId(list, broken.id).error);
    assert.equal(byId(list, broken.id).dataState, 'no-data');
    assert.equal(byId(list, good.id).error, undefined);
    near(byId(list, good.id).budget.consumedFraction, 0.5, TOL, 'good SLO consumed');
    assert.equal(warnings.length, 1);
    assert.equal(engine.lastCycleStats()?.failures, 1);
  });
});

describe('SLO engine accuracy: calendar and time-based budgets', () => {
  test('calendar month (UTC): the budget resets at the month boundary', async () => {
    const { storage, engine: promql } = newStore();
    const feb1 = Date.UTC(2026, 1, 1);
    await writeTraffic(storage, {
      fromMs: feb1 - 2 * DAY_MS,
      toMs: feb1 + 6 * HOUR_MS,
      traffic: (t) => ({ perSecond: 10, errorRatio: t <= feb1 ? 0.05 : 0.005 }),
    });
    const slo = makeSlo({
      name: 'monthly',
      window: { kind: 'calendar', unit: 'month', timeZone: 'UTC' },
    });
    const engine = new SloEngine({ queryApi: promql });
    engine.load([slo]);
    let lastOfJanuary: SloStatus | undefined;
    const final = await run(
      engine,
      feb1 - 2 * HOUR_MS,
      feb1 + 6 * HOUR_MS,
      (t, list) => {
        if (t === feb1 - 5 * MINUTE_MS) lastOfJanuary = byId(list, slo.id);
      },
      5 * MINUTE_MS,
    );
    assert.ok(lastOfJanuary);
    assert.equal(lastOfJanuary.periodStartMs, Date.UTC(2026, 0, 1));
    // January so far: history from 30 Jan 00:00 to 31 Jan 23:55 at 5% errors → 5× the budget.
    near(lastOfJanuary.budget.consumedFraction, 5, TOL, 'January consumed');
    const s = byId(final, slo.id);
    assert.equal(s.periodStartMs, feb1);
    assert.equal(s.periodEndMs, Date.UTC(2026, 2, 1));
    // February so far: 6 h × 3,600 × 10 = 216,000 events, 0.5% bad = 1,080.
    checkEvents(s, { bad: 1080, total: 216_000 }, 0.99);
  });

  test('calendar quarter: short windows stay exact although the period has 15-minute buckets', async () => {
    const { storage, engine: promql } = newStore();
    const burst = T - 30 * MINUTE_MS;
    await writeTraffic(storage, {
      fromMs: T - 4 * DAY_MS,
      toMs: T,
      traffic: (t) => ({ perSecond: 10, errorRatio: t > burst ? 0.2 : 0.001 }),
    });
    const slo = makeSlo({
      name: 'quarterly',
      window: { kind: 'calendar', unit: 'quarter', timeZone: 'UTC' },
    });
    const engine = new SloEngine({ queryApi: promql });
    // 92 d + 1 h / 10,000 = 13.25 min → 14, rounded up to 15 to divide a day.
    assert.equal(engine.bucketMsOf(slo), 15 * MINUTE_MS);
    engine.load([slo]);
    const final = await run(engine, T - 2 * HOUR_MS, T);
    const restarted = new SloEngine({ queryApi: promql });
    restarted.load([slo]);
    const again = await restarted.evaluate(T);
    for (const s of [byId(final, slo.id), byId(again, slo.id)]) {
      assert.equal(s.periodStartMs, Date.UTC(2026, 9, 1));
      // 5m: all burst → 20% / 1% = 20; 1h: (30 × 20% + 30 × 0.1%) / 60 → 10.05;
      // 6h: (30 × 20% + 330 × 0.1%) / 360 → 1.7583.
      near(burn(s, '5m'), 20, TOL, 'burn 5m');
      near(burn(s, '1h'), 10.05, TOL, 'burn 1h');
      near(burn(s, '6h'), (30 * 0.2 + 330 * 0.001) / 360 / 0.01, TOL, 'burn 6h');
      // The quarter so far holds the 4 days of history: 3,456,000 events;
      // bad = (345,600 − 1,800) s × 10/s × 0.1% + 1,800 s × 10/s × 20% = 3,438 + 3,600.
      checkEvents(s, { bad: 7038, total: 3_456_000 }, 0.99);
    }
  });

  test('calendar month in Europe/Paris: the budget resets at local midnight (23:00 UTC)', async () => {
    const { storage, engine: promql } = newStore();
    const boundary = Date.UTC(2026, 1, 28, 23); // 1 March 00:00 in Paris (CET, +01)
    await writeTraffic(storage, {
      fromMs: boundary - DAY_MS,
      toMs: boundary + 6 * HOUR_MS,
      traffic: (t) => ({ perSecond: 10, errorRatio: t <= boundary ? 0.05 : 0.005 }),
    });
    const slo = makeSlo({
      name: 'paris',
      window: { kind: 'calendar', unit: 'month', timeZone: 'Europe/Paris' },
    });
    const engine = new SloEngine({ queryApi: promql });
    engine.load([slo]);
    const final = await run(engine, boundary, boundary + 6 * HOUR_MS, undefined, 10 * MINUTE_MS);
    const s = byId(final, slo.id);
    assert.equal(s.periodStartMs, boundary);
    assert.equal(s.periodEndMs, Date.UTC(2026, 2, 31, 22)); // 1 April 00:00 CEST
    // 6 h of March: 216,000 events, 0.5% bad = 1,080.
    checkEvents(s, { bad: 1080, total: 216_000 }, 0.99);
  });

  test('latency SLI on a classic histogram: 95% of requests under 200 ms against a 90% target', async () => {
    const { storage, engine: promql } = newStore();
    const labels = (le: string): readonly string[] =>
      labelsFromRecord({ __name__: 'http_request_duration_seconds_bucket', job: 'api', le });
    const count = labelsFromRecord({ __name__: 'http_request_duration_seconds_count', job: 'api' });
    const app = storage.appender();
    let n = 0;
    for (let t = T - 2 * DAY_MS; t <= T; t += MINUTE_MS) {
      n += 600; // 10 requests/s
      app.append(0, labels('0.1'), t, 1000 + n * 0.5);
      app.append(0, labels('0.2'), t, 1000 + n * 0.95);
      app.append(0, labels('+Inf'), t, 1000 + n);
      app.append(0, count, t, 1000 + n);
    }
    await app.commit();
    const slo = makeSlo({
      name: 'latency',
      sli: {
        kind: 'latency',
        metric: 'http_request_duration_seconds',
        thresholdSeconds: 0.2,
        selector: 'job="api"',
      },
      objective: { target: 0.9 },
    });
    const engine = new SloEngine({ queryApi: promql });
    engine.load([slo]);
    const final = await run(engine, T - HOUR_MS, T, undefined, 5 * MINUTE_MS);
    // 864,000 requests, 5% slower than 200 ms = 43,200 bad; allowed 10% = 86,400 → half spent.
    checkEvents(byId(final, slo.id), { bad: 43_200, total: 864_000 }, 0.9);
  });

  test('time-based availability (up): 30 bad minutes of 14.4 allowed; exclusions shrink the allowance', async () => {
    const { storage, engine: promql } = newStore();
    const d0 = T - 3 * HOUR_MS;
    // Down for the 30 samples (d0, d0 + 30 min].
    await writeUp(storage, T - 2 * DAY_MS, T, (t) => !(t > d0 && t <= d0 + 30 * MINUTE_MS));
    const sli = { kind: 'availability' as const, expr: 'up{job="api"}' };
    const occ = makeSlo({ name: 'avail', sli });
    const excl = makeSlo({
      name: 'avail-excl',
      sli,
      exclusions: [{ startMs: T - 10 * HOUR_MS, endMs: T - 9 * HOUR_MS }],
    });
    const slices = makeSlo({
      name: 'avail-slices',
      sli,
      budgetingMethod: 'timeslices',
      objective: { target: 0.99, timeSliceTarget: 0.95, timeSliceWindowMs: 5 * MINUTE_MS },
    });
    const ratioSlices = makeSlo({
      name: 'avail-ratio-slices',
      sli,
      budgetingMethod: 'ratioTimeslices',
      objective: { target: 0.99, timeSliceTarget: 0.95, timeSliceWindowMs: 5 * MINUTE_MS },
    });
    const engine = new SloEngine({ queryApi: promql });
    engine.load([occ, excl, slices, ratioSlices]);
    const final = await run(engine, T - 4 * HOUR_MS, T, undefined, 5 * MINUTE_MS);
    // Allowed: 1% of 1,440 min = 14.4 min; 30 bad minutes → 2.0833 of the budget.
    const s = byId(final, occ.id);
    assert.equal(s.events, null);
    near(s.budget.allowedMinutes, 14.4, 1e-9, 'allowed minutes');
    near(s.budget.consumedMinutes, 30, TOL * 14.4, 'consumed minutes');
    near(s.budget.consumedFraction, 30 / 14.4, TOL, 'consumed');
    near(s.sli, 1 - 30 / 1440, TOL * 0.01, 'sli');
    near(burn(s, '6h'), 30 / 360 / 0.01, TOL, 'burn 6h');
    // Exclusion of 1 hour: allowed 1% of 1,380 min = 13.8; SLI over 1,380 observed minutes.
    const e = byId(final, excl.id);
    near(e.budget.allowedMinutes, 13.8, 1e-6, 'allowed minutes with exclusion');
    near(e.budget.consumedFraction, 30 / 13.8, TOL, 'consumed with exclusion');
    near(e.sli, 1 - 30 / 1380, TOL * 0.01, 'sli with exclusion');
    // Timeslices of 5 min: the six slices of the outage are bad (good share 0 < 0.95) → 30 min.
    const ts = byId(final, slices.id);
    near(ts.budget.consumedMinutes, 30, TOL * 14.4, 'timeslices consumed minutes');
    near(ts.sli, 1 - 6 / 288, TOL * 0.01, 'timeslices sli');
    const rs = byId(final, ratioSlices.id);
    near(rs.sli, 1 - 30 / 1440, TOL * 0.01, 'ratio timeslices sli');
  });

  test('less history than the period: events judged on what was seen, time against the whole period', async () => {
    const { storage, engine: promql } = newStore();
    // 6 hours of history in a 1-day window.
    await writeTraffic(storage, {
      fromMs: T - 6 * HOUR_MS,
      toMs: T,
      traffic: () => ({ perSecond: 10, errorRatio: 0.005 }),
    });
    await writeUp(
      storage,
      T - 6 * HOUR_MS,
      T,
      (t) => !(t > T - 2 * HOUR_MS && t <= T - 2 * HOUR_MS + 6 * MINUTE_MS),
    );
    const events = makeSlo({ name: 'young-events' });
    const time = makeSlo({
      name: 'young-time',
      sli: { kind: 'availability', expr: 'up{job="api"}' },
    });
    const engine = new SloEngine({ queryApi: promql, appendable: storage });
    engine.load([events, time]);
    const final = await run(engine, T - HOUR_MS, T, undefined, 5 * MINUTE_MS);
    // Events: all 6 observed hours count (the first tile's window holds the 5 samples after
    // the first one, which PromQL extrapolates to the whole tile): 216,000 events, 0.5% bad =
    // 1,080; the budget is 1% of the events seen → half spent, as with a full day.
    checkEvents(byId(final, events.id), { bad: 1080, total: 216_000 }, 0.99);
    // Time: 6 bad minutes of the whole day's 14.4 allowed, although only ~6 hours were observed.
    const t = byId(final, time.id);
    near(t.budget.allowedMinutes, 14.4, 1e-9, 'allowed minutes');
    near(t.budget.consumedMinutes, 6, TOL * 14.4, 'consumed minutes');
    near(t.budget.consumedFraction, 6 / 14.4, TOL, 'consumed');
    // The recorded remaining budget is the status's, not 1 − burn over the observed hours.
    near(
      readSeries(storage, 'slo:period_error_budget_remaining:ratio', { sloth_id: time.id }, T)
        ?.value,
      1 - 6 / 14.4,
      TOL,
      'slo:period_error_budget_remaining:ratio',
    );
    // The SLI and the period burn rate are over the observed time: 361 samples (T − 6 h … T),
    // each standing for the minute that ends at it.
    near(t.sli, 1 - 6 / 361, TOL * 0.01, 'sli over the observed time');
    near(t.periodBurnRate, 6 / 361 / 0.01, TOL, 'period burn rate over the observed time');
  });

  test('timeslices judge each slice against the slice target', async () => {
    const { storage, engine: promql } = newStore();
    // 3% errors for 1 h, 10% for 1 h, 0.1% otherwise: with a slice target of 95%
    // only the 12 slices of the 10% hour are bad → 60 bad minutes of 14.4 allowed.
    const h1 = T - 5 * HOUR_MS;
    await writeTraffic(storage, {
      fromMs: T - 2 * DAY_MS,
      toMs: T,
      traffic: (t) => ({
        perSecond: 10,
        errorRatio:
          t > h1 && t <= h1 + HOUR_MS
            ? 0.03
            : t > h1 + HOUR_MS && t <= h1 + 2 * HOUR_MS
              ? 0.1
              : 0.001,
      }),
    });
    const slo = makeSlo({
      name: 'sliced',
      budgetingMethod: 'timeslices',
      objective: { target: 0.99, timeSliceTarget: 0.95, timeSliceWindowMs: 5 * MINUTE_MS },
    });
    const ratio = makeSlo({
      name: 'ratio-sliced',
      budgetingMethod: 'ratioTimeslices',
      objective: { target: 0.99, timeSliceTarget: 0.95, timeSliceWindowMs: 5 * MINUTE_MS },
    });
    const engine = new SloEngine({ queryApi: promql });
    engine.load([slo, ratio]);
    const final = await run(engine, T - HOUR_MS, T, undefined, 5 * MINUTE_MS);
    const s = byId(final, slo.id);
    near(s.budget.consumedMinutes, 60, TOL * 14.4, 'bad minutes');
    near(s.sli, 1 - 12 / 288, TOL * 0.01, 'sli');
    assert.notEqual(s.events, null, 'event counts are still reported');
    // ratioTimeslices: bad time = (60 × 0.03 + 60 × 0.1 + 1,320 × 0.001) min = 9.12 min.
    const r = byId(final, ratio.id);
    near(r.budget.consumedMinutes, 9.12, TOL * 14.4, 'ratio timeslices bad minutes');
    near(r.sli, 1 - 9.12 / 1440, TOL * 0.01, 'ratio timeslices sli');
  });
});

function requestsSliOf(job: string): ReturnType<typeof makeSlo>['sli'] {
  return {
    kind: 'ratio',
    numerator: 'bad',
    numeratorQuery: `sum(rate(http_requests_total{job="${job}",code="500"}[{{.window}}]))`,
    totalQuery: `sum(rate(http_requests_total{job="${job}"}[{{.window}}]))`,
  };
}
