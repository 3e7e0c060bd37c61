import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertLabelNames,
  assertMetricName,
  isValidLabelName,
  isValidMetricName,
} from './names.js';
import { isVigilError } from './errors.js';
import { formatDurationMs, parseDurationMs } from './duration.js';

test('metric names follow the Prometheus rules', () => {
  for (const ok of ['a', 'http_requests_total', ':recording:rule', '_x1', 'A_b:c']) {
    assert.ok(isValidMetricName(ok), ok);
  }
  for (const bad of ['', '1abc', 'a-b', 'a b', 'é', 'a.b', 'a{']) {
    assert.ok(!isValidMetricName(bad), bad);
    assert.throws(
      () => assertMetricName(bad),
      (e) => isVigilError(e, 'METRIC_NAME_INVALID'),
    );
  }
});

test('label names: valid, reserved, duplicate', () => {
  assert.ok(isValidLabelName('route'));
  assert.ok(!isValidLabelName('a:b'));
  assert.doesNotThrow(() => assertLabelNames('m', ['method', 'route', '_x']));
  const cases: Array<[unknown[], string]> = [
    [['a:b'], 'LABEL_NAME_INVALID'],
    [[''], 'LABEL_NAME_INVALID'],
    [[42], 'LABEL_NAME_INVALID'],
    [['le'], 'LABEL_NAME_RESERVED'],
    [['quantile'], 'LABEL_NAME_RESERVED'],
    [['__name__'], 'LABEL_NAME_RESERVED'],
    [['a', 'a'], 'LABEL_NAME_DUPLICATE'],
  ];
  for (const [names, code] of cases) {
    assert.throws(
      () => assertLabelNames('m', names),
      (e) => isVigilError(e) && e.code === code && e.message.includes('"m"'),
      JSON.stringify(names),
    );
  }
});

test('durations parse and format as Prometheus writes them', () => {
  assert.equal(parseDurationMs('5m'), 300_000);
  assert.equal(parseDurationMs('1h30m'), 5_400_000);
  assert.equal(parseDurationMs('250ms'), 250);
  assert.equal(parseDurationMs('1d'), 86_400_000);
  assert.equal(parseDurationMs('0s'), 0);
  for (const bad of ['', '5', 'm', '5x', '30m1h', '-5m', '1.5h', ' 5m']) {
    assert.throws(
      () => parseDurationMs(bad),
      (e) => isVigilError(e, 'DURATION_INVALID'),
      bad,
    );
  }
  assert.equal(formatDurationMs(90_000), '1m30s');
  assert.equal(formatDurationMs(0), '0s');
  assert.equal(formatDurationMs(86_400_000 + 1), '1d1ms');
  // Years and weeks only when exact, as Prometheus's model.Duration.String().
  assert.equal(formatDurationMs(30 * 86_400_000), '30d');
  assert.equal(formatDurationMs(28 * 86_400_000), '4w');
  assert.equal(formatDurationMs(90 * 86_400_000), '90d');
  assert.equal(formatDurationMs(72 * 3_600_000), '3d');
  assert.equal(formatDurationMs(365 * 86_400_000), '1y');
  for (const ms of [1, 999, 60_000, 3_723_004, 604_800_000 * 3]) {
    assert.equal(parseDurationMs(formatDurationMs(ms)), ms);
  }
});
