import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  burnRateOf,
  calendarPeriodAt,
  computeBudget,
  excludedMs,
  localDayStartMs,
  periodAt,
  projectExhaustionMs,
  timesliceCounts,
} from './budget.js';

const DAY_MS = 86_400_000;
const close = (actual: number | null, expected: number, tol = 1e-9): void => {
  assert.ok(actual !== null, `expected ${expected}, got null`);
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
};
const iso = (ms: number): string => new Date(ms).toISOString();

describe('computeBudget', () => {
  test('events: 5 bad of 10,000 at 99.9% spend half the budget', () => {
    // allowed = 10,000 × 0.001 = 10 events; consumed 5/10 = 0.5; burn = 0.0005/0.001 = 0.5.
    const r = computeBudget({ mode: 'events', bad: 5, total: 10_000 }, 0.999, 30 * DAY_MS);
    close(r.sli, 0.9995);
    close(r.errorRatio, 0.0005);
    close(r.periodBurnRate, 0.5);
    close(r.budget.allowedFraction, 0.001);
    close(r.budget.allowedEvents, 10);
    close(r.budget.consumedEvents, 5);
    close(r.budget.remainingEvents, 5);
    close(r.budget.consumedFraction, 0.5);
    close(r.budget.remainingFraction, 0.5);
    assert.equal(r.budget.allowedMinutes, null);
    assert.equal(r.budget.consumedMinutes, null);
  });

  test('events: overspending makes the remainder negative', () => {
    // allowed = 1000 × 0.01 = 10; 25 bad → consumed 2.5, remaining −1.5 (−15 events).
    const r = computeBudget({ mode: 'events', bad: 25, total: 1000 }, 0.99, 7 * DAY_MS);
    close(r.budget.consumedFraction, 2.5);
    close(r.budget.remainingFraction, -1.5);
    close(r.budget.remainingEvents, -15);
    close(r.periodBurnRate, 2.5);
  });

  test('time: 99.9% over 30 days allows 43.2 minutes; 21.6 bad minutes spend half', () => {
    const r = computeBudget(
      { mode: 'time', bad: 21.6 * 60, total: 30 * 86_400 },
      0.999,
      30 * DAY_MS,
    );
    close(r.budget.allowedMinutes, 43.2);
    close(r.budget.consumedMinutes, 21.6);
    close(r.budget.remainingMinutes, 21.6);
    close(r.budget.consumedFraction, 0.5);
    // SLI = 1 − 1296 s / 2,592,000 s = 0.9995
    close(r.sli, 0.9995);
    close(r.periodBurnRate, 0.5);
  });

  test('time: with 1 day of history the allowed minutes stay those of the whole period', () => {
    // 1 day observed, 30 bad minutes: consumed 30/43.2; burn over the observed day = (1800/86400)/0.001.
    const r = computeBudget({ mode: 'time', bad: 1800, total: 86_400 }, 0.999, 30 * DAY_MS);
    close(r.budget.consumedFraction, 30 / 43.2);
    close(r.periodBurnRate, 1800 / 86_400 / 0.001, 1e-6);
  });

  test('no data gives nulls, never a perfect SLI', () => {
    for (const mode of ['events', 'time'] as const) {
      const r = computeBudget({ mode, bad: 0, total: 0 }, 0.999, 30 * DAY_MS);
      assert.equal(r.sli, null);
      assert.equal(r.periodBurnRate, null);
      assert.equal(r.budget.consumedFraction, null);
      assert.equal(r.budget.remainingFraction, null);
    }
  });

  test('burnRateOf', () => {
    close(burnRateOf(0.0144, 0.999), 14.4, 1e-9);
    assert.equal(burnRateOf(null, 0.999), null);
  });
});

describe('projectExhaustionMs', () => {
  test('events: 5 events left, 1 event/s at 1.1% errors against 0.1% earned: 500 s', () => {
    // net spend per second = 1 × (0.011 − 0.001) = 0.01 events → 5 / 0.01 = 500 s.
    const at = projectExhaustionMs({
      nowMs: 1_000_000,
      mode: 'events',
      remaining: 5,
      errorRatio1h: 0.011,
      eventsPerSecond1h: 1,
      target: 0.999,
    });
    assert.equal(at, 1_000_000 + 500_000);
  });

  test('time: 21.6 minutes left at 50% bad time: 43.2 minutes', () => {
    const at = projectExhaustionMs({
      nowMs: 0,
      mode: 'time',
      remaining: 21.6,
      errorRatio1h: 0.5,
      eventsPerSecond1h: 0,
      target: 0.999,
    });
    assert.equal(at, 43.2 * 60_000);
  });

  test('no projection at a burn of at most 1, now when already spent, null without data', () => {
    const base = {
      nowMs: 5,
      mode: 'events' as const,
      eventsPerSecond1h: 1,
      target: 0.999,
    };
    assert.equal(projectExhaustionMs({ ...base, remaining: 5, errorRatio1h: 0.001 }), null);
    assert.equal(projectExhaustionMs({ ...base, remaining: -1, errorRatio1h: 0 }), 5);
    assert.equal(projectExhaustionMs({ ...base, remaining: null, errorRatio1h: 0.5 }), null);
  });
});

describe('timesliceCounts', () => {
  const slices = [
    { bad: 0, total: 100 }, // good share 1
    { bad: 10, total: 100 }, // 0.9
    { bad: 3, total: 100 }, // 0.97
    { bad: 0, total: 0 }, // no data: neither
  ];
  test('timeslices: a slice is good when its good share reaches the slice target', () => {
    // target 0.95: slices 1 and 3 good, slice 2 bad → 1 bad slice of 60 s, 3 × 60 s observed.
    const c = timesliceCounts(slices, 'timeslices', 0.95, 60);
    assert.equal(c.goodSlices, 2);
    assert.equal(c.badSlices, 1);
    assert.equal(c.bad, 60);
    assert.equal(c.total, 180);
    const r = computeBudget(c, 0.9, DAY_MS);
    close(r.sli, 2 / 3);
    // allowed = 0.1 × 1440 = 144 min; consumed 1 min.
    close(r.budget.consumedFraction, 1 / 144);
  });
  test('ratioTimeslices: the SLI is the average of the slice ratios', () => {
    const c = timesliceCounts(slices, 'ratioTimeslices', 0.95, 60);
    const r = computeBudget(c, 0.9, DAY_MS);
    close(r.sli, (1 + 0.9 + 0.97) / 3);
    close(c.bad, (0 + 0.1 + 0.03) * 60);
  });
});

describe('calendar periods', () => {
  test('UTC month, quarter, year, day, week (Monday)', () => {
    const at = Date.parse('2026-11-28T15:00:00Z'); // a Saturday
    const m = calendarPeriodAt({ kind: 'calendar', unit: 'month', timeZone: 'UTC' }, at);
    assert.equal(iso(m.startMs), '2026-11-01T00:00:00.000Z');
    assert.equal(iso(m.endMs), '2026-12-01T00:00:00.000Z');
    const q = calendarPeriodAt({ kind: 'calendar', unit: 'quarter', timeZone: 'UTC' }, at);
    assert.equal(iso(q.startMs), '2026-10-01T00:00:00.000Z');
    assert.equal(iso(q.endMs), '2027-01-01T00:00:00.000Z');
    const y = calendarPeriodAt({ kind: 'calendar', unit: 'year', timeZone: 'UTC' }, at);
    assert.equal(iso(y.startMs), '2026-01-01T00:00:00.000Z');
    assert.equal(iso(y.endMs), '2027-01-01T00:00:00.000Z');
    const d = calendarPeriodAt({ kind: 'calendar', unit: 'day', timeZone: 'UTC' }, at);
    assert.equal(iso(d.startMs), '2026-11-28T00:00:00.000Z');
    assert.equal(iso(d.endMs), '2026-11-29T00:00:00.000Z');
    const w = calendarPeriodAt({ kind: 'calendar', unit: 'week', timeZone: 'UTC' }, at);
    assert.equal(iso(w.startMs), '2026-11-23T00:00:00.000Z');
    assert.equal(iso(w.endMs), '2026-11-30T00:00:00.000Z');
    // A Monday belongs to its own week; a Sunday to the week before.
    const mon = calendarPeriodAt(
      { kind: 'calendar', unit: 'week', timeZone: 'UTC' },
      Date.parse('2026-11-30T00:00:00Z'),
    );
    assert.equal(iso(mon.startMs), '2026-11-30T00:00:00.000Z');
    const sun = calendarPeriodAt(
      { kind: 'calendar', unit: 'week', timeZone: 'UTC' },
      Date.parse('2026-11-29T23:59:59Z'),
    );
    assert.equal(iso(sun.startMs), '2026-11-23T00:00:00.000Z');
  });

  test('Europe/Paris: March has a 23-hour day; the month boundaries move with the offset', () => {
    // CET (+01) until 29 March 2026 02:00, then CEST (+02).
    const p = calendarPeriodAt(
      { kind: 'calendar', unit: 'month', timeZone: 'Europe/Paris' },
      Date.parse('2026-03-15T12:00:00Z'),
    );
    assert.equal(iso(p.startMs), '2026-02-28T23:00:00.000Z');
    assert.equal(iso(p.endMs), '2026-03-31T22:00:00.000Z');
    assert.equal(p.endMs - p.startMs, 31 * DAY_MS - 3_600_000);
    const day = calendarPeriodAt(
      { kind: 'calendar', unit: 'day', timeZone: 'Europe/Paris' },
      Date.parse('2026-03-29T12:00:00Z'),
    );
    assert.equal(day.endMs - day.startMs, 23 * 3_600_000);
    // Just before local midnight of 1 April (22:00Z) is still March.
    const edge = calendarPeriodAt(
      { kind: 'calendar', unit: 'month', timeZone: 'Europe/Paris' },
      Date.parse('2026-03-31T21:59:59Z'),
    );
    assert.equal(iso(edge.startMs), '2026-02-28T23:00:00.000Z');
  });

  test('America/Santiago: a day whose midnight does not exist starts at 01:00 local', () => {
    // Chile moves from −04 to −03 at local midnight on 6 September 2026: 00:00 −04 = 04:00Z is 01:00 −03.
    assert.equal(
      iso(localDayStartMs({ year: 2026, month: 9, day: 6 }, 'America/Santiago')),
      '2026-09-06T04:00:00.000Z',
    );
  });

  test('rolling windows end at the evaluation time', () => {
    const p = periodAt({ kind: 'rolling', durationMs: 7 * DAY_MS }, 10 * DAY_MS);
    assert.deepEqual(p, { startMs: 3 * DAY_MS, endMs: 10 * DAY_MS });
  });
});

describe('excludedMs', () => {
  test('clips to the range and counts overlaps once', () => {
    const ex = [
      { startMs: 0, endMs: 100 },
      { startMs: 50, endMs: 150 },
      { startMs: 300, endMs: 400 },
    ];
    assert.equal(excludedMs(ex, 20, 350), 130 + 50);
    assert.equal(excludedMs([], 0, 10), 0);
  });
});
