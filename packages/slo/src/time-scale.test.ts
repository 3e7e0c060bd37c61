import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { SRE_WORKBOOK_WINDOWS, burnFactor, nominalPeriodMs } from './alert-windows.js';
import { generateRuleGroups } from './generate/rule-groups.js';
import { parseSloDocument } from './load.js';
import type { Slo } from './model.js';
import { describeTimeScale, scaleSlo } from './time-scale.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const SPEC = `
service: shop
slos:
  availability:
    sli:
      ratio:
        bad: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total: sum(rate(http_requests_total[{{.window}}]))
    target: 99.9%
    window: 30d
    alerting: { name: ShopAvailability, minEvents: 20 }
  monthly:
    sli:
      ratio:
        bad: sum(rate(errors_total[{{.window}}]))
        total: sum(rate(requests_total[{{.window}}]))
    target: 99%
    window: { calendar: month, timeZone: Europe/Paris }
    budgeting: timeslices
    timeslice: { window: 5m, target: 95% }
    alerting:
      noDataFor: 20m
      windows:
        - { tier: page, budget: 2%, short: 10m, long: 2h }
        - { tier: ticket, budget: 10%, short: 3h, long: 2d }
`;

function slo(name: string): Slo {
  const found = parseSloDocument(SPEC, 'shop.yml').slos.find((s) => s.name === name);
  assert.ok(found !== undefined);
  return found;
}

test('scaleSlo divides the rolling window, the default alert windows and the no-data delay', () => {
  const original = slo('availability');
  const scaled = scaleSlo(original, 60);
  assert.deepEqual(scaled.window, { kind: 'rolling', durationMs: 12 * HOUR_MS });
  assert.deepEqual(scaled.alerting.windows, [
    { tier: 'page', errorBudgetPercent: 2, shortWindowMs: 5_000, longWindowMs: MINUTE_MS },
    { tier: 'page', errorBudgetPercent: 5, shortWindowMs: 30_000, longWindowMs: 6 * MINUTE_MS },
    {
      tier: 'ticket',
      errorBudgetPercent: 10,
      shortWindowMs: 2 * MINUTE_MS,
      longWindowMs: 24 * MINUTE_MS,
    },
    {
      tier: 'ticket',
      errorBudgetPercent: 10,
      shortWindowMs: 6 * MINUTE_MS,
      longWindowMs: 72 * MINUTE_MS,
    },
  ]);
  // 10 minutes (the default) / 60.
  assert.equal(scaled.alerting.noDataForMs, 10_000);
  // Unchanged: target, SLI, minEvents, name, and the input itself.
  assert.equal(scaled.objective, original.objective);
  assert.equal(scaled.sli, original.sli);
  assert.equal(scaled.alerting.minEvents, 20);
  assert.equal(scaled.alerting.name, 'ShopAvailability');
  assert.deepEqual(original.window, { kind: 'rolling', durationMs: 30 * DAY_MS });
  assert.equal(original.alerting.windows, undefined);
  assert.equal(original.alerting.noDataForMs, undefined);
});

test('scaleSlo keeps every burn factor: 14.4, 6, 3 and 1 for the SRE Workbook windows', () => {
  const scaled = scaleSlo(slo('availability'), 60);
  const periodMs = nominalPeriodMs(scaled.window);
  const factors = (scaled.alerting.windows ?? []).map((w) => burnFactor(w, periodMs));
  const expected = SRE_WORKBOOK_WINDOWS.map((w) => burnFactor(w, 30 * DAY_MS));
  assert.deepEqual(expected, [14.4, 6, 3, 1]);
  assert.equal(factors.length, 4);
  factors.forEach((f, i) => assert.ok(Math.abs(f - expected[i]!) < 1e-9, `${f} vs ${expected[i]}`));
});

test('scaleSlo turns a calendar window into a rolling one of its nominal length, and scales explicit windows and slices', () => {
  const scaled = scaleSlo(slo('monthly'), 10);
  assert.deepEqual(scaled.window, { kind: 'rolling', durationMs: 3 * DAY_MS });
  assert.equal(scaled.objective.timeSliceWindowMs, 30_000);
  assert.equal(scaled.objective.timeSliceTarget, 0.95);
  assert.equal(scaled.budgetingMethod, 'timeslices');
  assert.deepEqual(scaled.alerting.windows, [
    { tier: 'page', errorBudgetPercent: 2, shortWindowMs: MINUTE_MS, longWindowMs: 12 * MINUTE_MS },
    {
      tier: 'ticket',
      errorBudgetPercent: 10,
      shortWindowMs: 18 * MINUTE_MS,
      longWindowMs: 288 * MINUTE_MS,
    },
  ]);
  assert.equal(scaled.alerting.noDataForMs, 2 * MINUTE_MS);
});

test('scaleSlo with factor 1 returns the SLO unchanged', () => {
  const original = slo('monthly');
  assert.equal(scaleSlo(original, 1), original);
});

test('scaleSlo refuses a factor that makes a window shorter than 1 s, naming the SLO, the window and the limit', () => {
  // The shortest window is the 5 m page short window: 300 is the largest factor.
  assert.equal(scaleSlo(slo('availability'), 300).alerting.windows?.[0]?.shortWindowMs, 1000);
  assert.throws(
    () => scaleSlo(slo('availability'), 301),
    (err: unknown) => {
      assert.ok(isVigilError(err));
      assert.equal(err.code, ErrorCodes.SLO_SPEC_INVALID);
      assert.match(err.message, /shop-availability/);
      assert.match(err.message, /page alert short window of 5m shorter than 1s/);
      assert.match(err.message, /at most 300/);
      return true;
    },
  );
});

test('scaleSlo refuses factors below 1 and non-finite factors', () => {
  for (const factor of [0, 0.5, -60, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => scaleSlo(slo('availability'), factor),
      (err: unknown) =>
        isVigilError(err) &&
        err.code === ErrorCodes.SLO_SPEC_INVALID &&
        /expected a number of at least 1/.test(err.message),
      String(factor),
    );
  }
});

test('the rules of a scaled SLO use the scaled windows and the unscaled burn factors', () => {
  const groups = generateRuleGroups([scaleSlo(slo('availability'), 60)], {
    disableRecordings: true,
  });
  const text = JSON.stringify(groups);
  assert.match(text, /slo:sli_error:ratio_rate5s/);
  assert.match(text, /slo:sli_error:ratio_rate1m/);
  assert.match(text, /slo:sli_error:ratio_rate1h12m/);
  assert.doesNotMatch(text, /ratio_rate5m/);
  assert.match(text, /14\.4/);
  // The no-data alert waits 10 s.
  assert.match(text, /"for":"10s"/);
});

test('describeTimeScale says what the scale does, and nothing at 1x', () => {
  assert.equal(describeTimeScale(60), 'time scale 60x: 30d windows last 12h — demo only');
  assert.equal(describeTimeScale(1), '');
});
