import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FUNCTIONS } from './index.js';

test('FUNCTIONS has every float function, of the right kind', () => {
  const kinds: Record<string, string[]> = {
    range: [
      'rate',
      'increase',
      'delta',
      'irate',
      'idelta',
      'deriv',
      'predict_linear',
      'changes',
      'resets',
      'avg_over_time',
      'sum_over_time',
      'count_over_time',
      'min_over_time',
      'max_over_time',
      'last_over_time',
      'first_over_time',
      'present_over_time',
      'quantile_over_time',
      'stddev_over_time',
      'stdvar_over_time',
      'mad_over_time',
      'ts_of_first_over_time',
      'ts_of_last_over_time',
      'ts_of_min_over_time',
      'ts_of_max_over_time',
      'double_exponential_smoothing',
    ],
    elementwise: [
      'abs',
      'ceil',
      'floor',
      'exp',
      'sqrt',
      'ln',
      'log2',
      'log10',
      'sgn',
      'round',
      'clamp',
      'clamp_min',
      'clamp_max',
      'sin',
      'cos',
      'tan',
      'asin',
      'acos',
      'atan',
      'sinh',
      'cosh',
      'tanh',
      'asinh',
      'acosh',
      'atanh',
      'deg',
      'rad',
      'days_in_month',
      'day_of_month',
      'day_of_week',
      'day_of_year',
      'hour',
      'minute',
      'month',
      'year',
    ],
    labels: ['label_replace', 'label_join'],
    vector: [
      'sort',
      'sort_desc',
      'sort_by_label',
      'sort_by_label_desc',
      'histogram_quantile',
      'histogram_quantiles',
      'histogram_fraction',
    ],
  };
  const expected = new Map<string, string>();
  for (const [kind, names] of Object.entries(kinds)) for (const n of names) expected.set(n, kind);
  assert.deepEqual(new Map([...FUNCTIONS].map(([name, f]) => [name, f.kind])), expected);
  for (const name of ['time', 'vector', 'scalar', 'absent', 'absent_over_time', 'timestamp']) {
    assert.equal(FUNCTIONS.has(name), false, `${name} belongs to the evaluator`);
  }
});
