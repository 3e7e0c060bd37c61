import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '@vigil/model';
import { FUNCTIONS, extendedRate } from './index.js';
import type { RangeFunction } from './types.js';
import { close, context, load, windowAt } from './test-helpers.test.js';
import type { Loaded } from './test-helpers.test.js';

const S = 1000;
const M = 60 * S;

function fn(name: string): RangeFunction {
  const f = FUNCTIONS.get(name);
  assert.ok(f !== undefined && f.kind === 'range', `${name} is a range function`);
  return f;
}

/** `name(series[rangeMs] offset offsetMs)` at evalMs, with the given scalar args. */
function run(
  name: string,
  s: Loaded,
  evalMs: number,
  rangeMs: number,
  args: number[] = [],
  offsetMs = 0,
): number | undefined {
  return fn(name).compute(windowAt(s, evalMs, rangeMs, offsetMs), args, context(evalMs));
}

function assertClose(actual: number | undefined, expected: number, relTol = 1e-12): void {
  assert.ok(close(actual, expected, relTol), `got ${actual}, want ${expected}`);
}

test('resets and changes count drops and changes inside the left-open window', () => {
  const foo = load(5 * M, '1 2 3 0 1 0 0 1 2 0');
  const bar = load(5 * M, '1 2 3 4 5 1 2 3 4 5');
  const biz = load(5 * M, '0 0 0 0 0 1 1 1 1 1');
  assert.equal(run('resets', foo, 50 * M, 5 * M), undefined);
  assert.equal(run('resets', foo, 50 * M, 10 * M), 0);
  assert.equal(run('resets', foo, 50 * M, 20 * M), 1);
  assert.equal(run('resets', foo, 50 * M, 32 * M), 2);
  assert.equal(run('resets', bar, 50 * M, 32 * M), 1);
  assert.equal(run('resets', foo, 50 * M, 50 * M), 3);
  assert.equal(run('changes', foo, 50 * M, 5 * M), undefined);
  assert.equal(run('changes', foo, 50 * M, 6 * M), 0);
  assert.equal(run('changes', foo, 50 * M, 20 * M), 2);
  assert.equal(run('changes', bar, 50 * M, 30 * M), 4);
  assert.equal(run('changes', foo, 50 * M, 50 * M), 7);
  assert.equal(run('changes', bar, 50 * M, 50 * M), 8);
  assert.equal(run('changes', biz, 50 * M, 50 * M), 1);
});

test('changes: NaN to NaN is no change, a number to NaN is', () => {
  assert.equal(run('changes', load(5 * M, 'NaN NaN NaN'), 15 * M, 20 * M), 0);
  assert.equal(run('changes', load(5 * M, '0 NaN 0'), 15 * M, 20 * M), 2);
});

test('increase extrapolates to the window edges, but not below zero for counters', () => {
  const foo = load(5 * M, '0+10x10');
  const bar = load(5 * M, '0+18x5 0+18x5');
  const dings = load(5 * M, '10+10x10');
  const bumms = load(5 * M, '1+10x10');
  assertClose(run('increase', foo, 50 * M, 50 * M), 100);
  assertClose(run('increase', bar, 50 * M, 50 * M), 160);
  assertClose(run('increase', dings, 50 * M, 50 * M), 100);
  assertClose(run('increase', bumms, 50 * M, 50 * M), 100);
  assertClose(run('increase', foo, 50 * M, 100 * M), 100);
  assertClose(run('increase', bar, 50 * M, 100 * M), 162);
  // Half an interval (2m30s) of extrapolation does not reach zero ...
  assertClose(run('increase', dings, 50 * M, 100 * M), 105);
  // ... but here zero is reached after 30s, so extrapolation stops there.
  assertClose(run('increase', bumms, 50 * M, 100 * M), 101);
  // A drop is a reset: 3 2 counts as 3 0 1 2.
  assertClose(run('increase', load(5 * M, '0 1 2 3 2 3 4'), 30 * M, 30 * M), 7);
});

test('rate: resets in the middle, at the end, offset, and the zero cut-off', () => {
  const middle = load(5 * M, '0+27x4 0+27x5');
  assertClose(run('rate', middle, 50 * M, 50 * M), 0.08);
  const end = load(5 * M, '0+10x9 0 10');
  assert.equal(run('rate', end, 50 * M, 5 * M), undefined);
  assert.equal(run('rate', end, 50 * M, 6 * M), 0);
  assertClose(run('rate', load(5 * M, '0+80x10'), 50 * M, 50 * M), 0.26666666666666666);
  assertClose(run('rate', load(5 * M, '0+10x10'), 50 * M, 10 * M, [], 5 * M), 0.03333333333333333);
  assertClose(run('rate', load(5 * M, '0+20x10'), 50 * M, 10 * M, [], 5 * M), 0.06666666666666667);
  const starts: [string, number, number][] = [
    ['0+240x10', 0.5, 0.6],
    ['60+240x10', 0.55, 0.6],
    ['120+240x10', 0.6, 0.6],
    ['180+240x10', 0.6, 0.6],
    ['300+240x10', 0.6, 0.6],
  ];
  for (const [series, at10m, at50m] of starts) {
    const s = load(4 * M, series);
    assertClose(run('rate', s, 10 * M, 20 * M), at10m);
    assertClose(run('rate', s, 50 * M, 20 * M), at50m);
  }
});

test('rate/increase: the not-a-counter info names the metric, at the range argument', () => {
  // The evaluator calls afterSeries once per series that produced a value.
  const ctx = context(50 * M, [{ start: 5, end: 20 }]);
  fn('rate').afterSeries?.(['__name__', 'requests'], ctx);
  fn('increase').afterSeries?.(['__name__', 'requests_total'], ctx);
  fn('rate').afterSeries?.(['__name__', 'x_count', 'le', '1'], ctx);
  fn('rate').afterSeries?.(['job', 'no-name'], ctx);
  // Without the type-and-unit-labels feature, __type__ is not consulted.
  fn('rate').afterSeries?.(['__name__', 'x_total', '__type__', 'gauge'], ctx);
  fn('increase').afterSeries?.(['__name__', 'requests'], ctx);
  assert.equal('afterSeries' in fn('delta'), false);
  assert.equal('afterSeries' in fn('irate'), false);
  assert.deepEqual(ctx.annotations.list(), [
    {
      kind: 'info',
      message:
        'metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "requests"',
      pos: { start: 5, end: 20 },
    },
  ]);
});

test('delta, irate and idelta', () => {
  assertClose(run('delta', load(5 * M, '0 50 100 150 200'), 20 * M, 20 * M), 200);
  assertClose(run('delta', load(5 * M, '200 150 100 50 0'), 20 * M, 20 * M), -200);
  const foo = load(5 * M, '0+10x10');
  const bar = load(5 * M, '0+10x5 0+10x5');
  assertClose(run('irate', foo, 50 * M, 50 * M), 0.03333333333333333);
  assertClose(run('irate', bar, 50 * M, 50 * M), 0.03333333333333333);
  assertClose(run('irate', foo, 30 * M, 50 * M), 0.03333333333333333);
  assert.equal(run('irate', bar, 30 * M, 50 * M), 0);
  const nan = load(5 * M, '1 NaN NaN 5 11');
  const range = 15 * M + 1 * S;
  assert.equal(run('irate', nan, 0, range), undefined);
  assert.ok(Number.isNaN(run('irate', nan, 5 * M, range)!));
  assert.ok(Number.isNaN(run('irate', nan, 15 * M, range)!));
  assertClose(run('irate', nan, 20 * M, range), 0.02);
  assert.equal(run('idelta', load(5 * M, '0 50 100 150'), 20 * M, 20 * M), 50);
  assert.equal(run('idelta', load(5 * M, '0 50 100 50'), 20 * M, 20 * M), -50);
  assert.ok(Number.isNaN(run('idelta', nan, 10 * M, range)!));
  assert.equal(run('idelta', nan, 20 * M, range), 6);
});

test('deriv and predict_linear: least squares, anchored at the evaluation time', () => {
  const middle = load(5 * M, '0+10x4 0+10x5');
  assertClose(run('deriv', load(5 * M, '0+80x10'), 50 * M, 50 * M), 0.26666666666666666);
  assertClose(run('deriv', middle, 50 * M, 100 * M), 0.010606060606060607);
  const inf = load(5 * M, '-Inf 0+80x10 Inf');
  assert.ok(Number.isNaN(run('deriv', inf, 100 * M, 100 * M)!));
  assert.ok(Number.isNaN(run('predict_linear', inf, 100 * M, 100 * M, [6000])!));
  assertClose(run('predict_linear', middle, 50 * M, 50 * M, [3600]), 70);
  // `x[55m] @ 3000`: the window ends at 3000s, the regression is anchored at the eval time.
  const at3000 = windowAt(middle, 3000 * S, 55 * M);
  const p = fn('predict_linear');
  assertClose(p.compute(at3000, [3600], context(50 * M)), 76.81818181818181);
  assertClose(p.compute(at3000, [3600], context(10 * M)), 51.36363636363637);
  assertClose(p.compute(at3000, [3600], context(70 * M)), 89.54545454545455);
  // A constant series has slope 0; fewer than two samples give nothing.
  assert.equal(run('deriv', load(5 * M, '3x5'), 20 * M, 20 * M), 0);
  assert.equal(run('predict_linear', load(5 * M, '3x5'), 20 * M, 20 * M, [100]), 3);
  assert.equal(run('deriv', load(5 * M, '3'), 0, 20 * M), undefined);
});

test('avg_over_time and sum_over_time: Kahan sums, overflow handling, Inf and NaN', () => {
  const at = 55 * S;
  const avg = (series: string, evalMs = at, rangeMs = M): number | undefined =>
    run('avg_over_time', load(10 * S, series), evalMs, rangeMs);
  assert.equal(avg('1 2 3 4 5', at, 10 * S), undefined);
  assert.equal(avg('1 2 3 4 5', at, 20 * S), 5);
  assert.equal(avg('1 2 3 4 5'), 3);
  assert.equal(avg('1 2 3 4 Inf'), Infinity);
  assert.equal(avg('1 2 3 4 -Inf'), -Infinity);
  assert.ok(Number.isNaN(avg('1 2 3 Inf -Inf')!));
  assert.equal(avg('Inf 0 Inf'), Infinity);
  assert.ok(Number.isNaN(avg('Inf Inf Inf -Inf')!));
  assert.equal(avg('9.988465674311579e+307 9.988465674311579e+307'), 9.988465674311579e307);
  assert.equal(
    avg('-9.988465674311579e+307 -9.988465674311579e+307 -9.988465674311579e+307'),
    -9.988465674311579e307,
  );
  assert.equal(avg('-9.988465674311579e+307 9.988465674311579e+307'), 0);
  assert.equal(avg('1 2 3 NaN NaN', 20 * S), 2);
  assert.ok(Number.isNaN(avg('1 2 3 NaN NaN')!));
  const sum = (series: string): number | undefined =>
    run('sum_over_time', load(10 * S, series), at, M);
  assert.equal(sum('9.988465674311579e+307 9.988465674311579e+307'), Infinity);
  assert.equal(sum('1 2 3 4 5'), 15);

  const avg5 = (series: string): number | undefined =>
    run('avg_over_time', load(5 * S, series), at, M);
  assertClose(avg5('1e10 1e-6 1e-6 1e-6 1e-6 1e-6'), 1.6666666666666675e9);
  assertClose(
    avg5(
      '5.30921651659898 0.961118537914768 1.62091361305318 0.865089463758091 0.323055185914577 0.951811357687154',
    ),
    1.67186744582113,
  );
  assertClose(avg5('1.78264e50 0.76342771 1.9592258 7.69805412 458.90154'), 3.56528e49);
  assertClose(avg5('0.76342771 1.9592258 7.69805412 1.78264e50 458.90154'), 3.56528e49);
  assertClose(
    avg5('1.78264E+50 0.76342771 1.9592258 2.258E+220 7.69805412 458.90154'),
    3.76333333333333e219,
  );
  assertClose(
    avg5('-1.78264E+215 0.76342771 1.9592258 2.258E+220 7.69805412 -458.90154'),
    3.76330362266667e219,
  );
  assertClose(
    avg5(
      '-1.78264E+219 0.76342771 1.9592258 2.3757689E+217 -2.3757689E+217 2.258E+220 7.69805412 1.78264E+219 -458.90154',
    ),
    2.5088888888888888e219,
  );
  assert.equal(
    avg5(
      '-2.258E+220 -1.78264E+219 0.76342771 1.9592258 2.3757689E+217 -2.3757689E+217 2.258E+220 7.69805412 1.78264E+219 -458.90154',
    ),
    0,
  );
  // Direct mean with Kahan: exactly 52 for constant input of any length.
  const foo = load(10 * S, '52+0x100');
  for (const r of [100, 110, 120, 130]) {
    assert.equal(run('avg_over_time', foo, 10 * M, r * S), 52);
  }
  const dense = load(1, '1+0x4000');
  for (const r of [1000, 1001, 2002, 3003]) assert.equal(run('sum_over_time', dense, 4 * S, r), r);
});

test('count, min, max, first, last and present over time', () => {
  const s = load(10 * S, 'NaN 3 1 NaN 4 1');
  const all = (name: string): number | undefined => run(name, s, 60 * S, 2 * M);
  assert.equal(all('count_over_time'), 6);
  assert.equal(all('min_over_time'), 1);
  assert.equal(all('max_over_time'), 4);
  assert.ok(Number.isNaN(all('first_over_time')!));
  assert.equal(all('last_over_time'), 1);
  assert.equal(all('present_over_time'), 1);
  assert.ok(Number.isNaN(run('max_over_time', load(10 * S, 'NaN NaN'), 60 * S, 2 * M)!));
  assert.equal(run('count_over_time', s, 60 * S, 5 * S), undefined);
  assert.equal(fn('last_over_time').dropsName, false);
  assert.equal(fn('first_over_time').dropsName, false);
  assert.equal(fn('ts_of_last_over_time').dropsName, true);
  assert.equal(fn('max_over_time').dropsName, true);
});

test('ts_of_* over time: timestamps in seconds, the last of equal extremes', () => {
  const s = load(10 * S + 53, '1 2 3 0 5 6 2 1 4');
  assertClose(run('ts_of_min_over_time', s, 90 * S, 90 * S), 30.159);
  assertClose(run('ts_of_max_over_time', s, 90 * S, 90 * S), 50.265);
  assertClose(run('ts_of_first_over_time', s, 90 * S, 90 * S), 10.053);
  assertClose(run('ts_of_last_over_time', s, 90 * S, 90 * S), 80.424);
  const ties = load(10 * S, '1 5 1 5');
  assert.equal(run('ts_of_min_over_time', ties, 30 * S, M), 20);
  assert.equal(run('ts_of_max_over_time', ties, 30 * S, M), 30);
});

test('stddev, stdvar and mad over time', () => {
  const s = load(10 * S, '0 8 8 2 3');
  assertClose(run('stdvar_over_time', s, M, 2 * M), 10.56);
  assertClose(run('stddev_over_time', s, M, 2 * M), 3.249615, 1e-6);
  const constant = load(10 * S, '1.5990505637277868x2');
  assert.equal(run('stdvar_over_time', constant, 55 * S, M), 0);
  assert.equal(run('stddev_over_time', constant, 55 * S, M), 0);
  assert.equal(run('mad_over_time', load(10 * S, '4 6 2 1 999 1 2'), 70 * S, 70 * S), 1);
  assert.equal(run('mad_over_time', load(10 * S, '1 2 3 4 5'), 40 * S, 50 * S), 1);
  assert.equal(run('mad_over_time', load(10 * S, '7x4'), 40 * S, 50 * S), 0);
  assert.equal(run('mad_over_time', load(10 * S, '5'), 0, 10 * S), 0);
  assert.ok(Number.isNaN(run('mad_over_time', load(10 * S, '1 2 NaN 4'), 30 * S, 40 * S)!));
});

test('quantile_over_time: interpolation, out-of-range φ and its warning at φ', () => {
  const two = load(10 * S, '0 1');
  const three = load(10 * S, '0 1 2');
  const uneven = load(10 * S, '0 1 4');
  const q = (phi: number, s: Loaded): number | undefined =>
    run('quantile_over_time', s, M, 2 * M, [phi]);
  assert.deepEqual([q(0, two), q(0, three), q(0, uneven)], [0, 0, 0]);
  assert.deepEqual([q(0.5, two), q(0.5, three), q(0.5, uneven)], [0.5, 1, 1]);
  assert.deepEqual([q(0.75, two), q(0.75, three), q(0.75, uneven)], [0.75, 1.5, 2.5]);
  assertClose(q(0.8, three), 1.6);
  assertClose(q(0.8, uneven), 2.8);
  assert.deepEqual([q(1, two), q(1, three), q(1, uneven)], [1, 2, 4]);
  const ctx = context(M, [{ start: 19, end: 21 }]);
  const f = fn('quantile_over_time');
  assert.equal(f.compute(windowAt(two, M, 2 * M), [-1], ctx), -Infinity);
  assert.equal(f.compute(windowAt(two, M, 2 * M), [2], ctx), Infinity);
  assert.ok(Number.isNaN(f.compute(windowAt(two, M, 2 * M), [NaN], ctx)!));
  assert.deepEqual(
    ctx.annotations.list().map((a) => [a.kind, a.message, a.pos.start]),
    [
      ['warning', 'quantile value should be between 0 and 1, got -1', 19],
      ['warning', 'quantile value should be between 0 and 1, got 2', 19],
      ['warning', 'quantile value should be between 0 and 1, got NaN', 19],
    ],
  );
  // NaN samples sort first.
  assert.equal(q(0.5, load(10 * S, '1 NaN 2')), 1);
  assert.ok(Number.isNaN(q(0.25, load(10 * S, '1 NaN 2'))!));
});

test('double_exponential_smoothing: trends and factor validation', () => {
  const des = (series: string): number | undefined =>
    run('double_exponential_smoothing', load(10 * S, series), 8000 * S, M, [0.01, 0.1]);
  assertClose(des('0+10x1000 100+30x1000'), 8000);
  assertClose(des('0+40x2000'), 32000);
  assertClose(des('8000-10x1000'), 0, 1e-9);
  assertClose(des('0-40x1000 0+40x1000'), -32000);
  const s = load(10 * S, '1 2 3');
  const f = fn('double_exponential_smoothing');
  const w = windowAt(s, 30 * S, M);
  assert.throws(
    () => f.compute(w, [1, 0.5], context(30 * S)),
    (err: unknown) =>
      isVigilError(err) &&
      err.code === 'PROMQL_EXECUTION' &&
      err.message === 'invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000',
  );
  assert.throws(
    () => f.compute(w, [0.5, 0], context(30 * S)),
    (err: unknown) =>
      isVigilError(err) &&
      err.message === 'invalid trend factor. Expected: 0 < tf < 1, got: 0.000000',
  );
  assert.throws(() => f.compute(w, [NaN, 0.5], context(30 * S)), /got: NaN/);
  // One sample: no output (after the factors are checked).
  assert.equal(f.compute(windowAt(s, 0, M), [0.5, 0.5], context(0)), undefined);
});

test('windows never read samples outside [from, to)', () => {
  // Poison outside the window: NaN before and after must not leak in.
  const ts = Float64Array.from([0, 10, 20, 30, 40].map((x) => x * S));
  const vs = Float64Array.from([NaN, 1, 2, 3, NaN]);
  const w = {
    labels: [],
    timestampsMs: ts,
    values: vs,
    from: 1,
    to: 4,
    rangeStartMs: 5 * S,
    rangeEndMs: 35 * S,
  };
  for (const name of ['sum_over_time', 'avg_over_time', 'max_over_time', 'quantile_over_time']) {
    const v = fn(name).compute(w, [0.5], context(35 * S));
    assert.ok(v !== undefined && !Number.isNaN(v), `${name} stays inside the window`);
  }
  assert.equal(fn('changes').compute(w, [], context(35 * S)), 2);
  assert.equal(fn('count_over_time').compute(w, [], context(35 * S)), 3);
});

test('last_over_time and first_over_time return NaN payloads bit for bit', () => {
  // Staleness markers never reach the functions, but a NaN's bits must not
  // be changed on the way through either.
  const values = new Float64Array(3);
  const bits = new Uint32Array(values.buffer);
  values[0] = 1;
  values[1] = 2;
  // The staleness-marker bit pattern 0x7ff0000000000002 (little endian).
  bits[4] = 2;
  bits[5] = 0x7ff00000;
  const w = {
    labels: [],
    timestampsMs: Float64Array.from([0, 1000, 2000]),
    values,
    from: 0,
    to: 3,
    rangeStartMs: -1,
    rangeEndMs: 2000,
  };
  const out = new Float64Array(1);
  const outBits = new Uint32Array(out.buffer);
  out[0] = fn('last_over_time').compute(w, [], context(2000))!;
  assert.deepEqual([outBits[0], outBits[1]], [2, 0x7ff00000]);
});

test('extendedRate: anchored and smoothed increase (upstream extended_vectors)', () => {
  const s = load(15 * S, '1+1x4 9+1x4');
  /** The samples the evaluator loads for `metric[1m] anchored|smoothed` at evalMs. */
  const extended = (evalMs: number, smoothed: boolean): ReturnType<typeof windowAt> => {
    const w = windowAt(s, evalMs, M);
    let from = w.from;
    if (from > 0) from--; // the last sample at or before the range start
    let to = w.to;
    if (smoothed && to < s.timestampsMs.length) to++; // the first sample after the range end
    return { ...w, from, to };
  };
  const anchored: [number, number][] = [
    [5, 0],
    [20, 1],
    [35, 2],
    [50, 3],
    [65, 4],
    [80, 7],
    [125, 7],
  ];
  for (const [at, want] of anchored) {
    assertClose(extendedRate(extended(at * S, false), true, false, false), want);
  }
  const smoothed: [number, number][] = [
    [5, 0.333333333],
    [20, 1.333333333],
    [35, 2.333333333],
    [50, 3.333333333],
    [65, 5],
    [80, 7],
    [95, 7],
  ];
  for (const [at, want] of smoothed) {
    assertClose(extendedRate(extended(at * S, true), true, false, true), want, 1e-9);
  }
});

test('extendedRate: partial data, left-open range, counter resets', () => {
  const extended = (
    s: Loaded,
    evalMs: number,
    rangeMs: number,
    smoothed: boolean,
  ): ReturnType<typeof windowAt> => {
    const w = windowAt(s, evalMs, rangeMs);
    const from = w.from > 0 ? w.from - 1 : 0;
    const to = smoothed && w.to < s.timestampsMs.length ? w.to + 1 : w.to;
    return { ...w, from, to };
  };
  const partial = load(15 * S, '1+1x2 _ _ 9+1x4');
  assertClose(
    extendedRate(extended(partial, 65 * S, M, true), true, false, true),
    6.333333333,
    1e-9,
  );
  assertClose(
    extendedRate(extended(partial, 125 * S, M, true), true, false, true),
    4.666666666,
    1e-9,
  );
  assert.equal(extendedRate(extended(partial, 125 * S, M, false), true, false, false), 9);
  const gap = load(M, '1 2 _ 4 5');
  assert.equal(extendedRate(extended(gap, 2 * M, M, true), true, false, true), 1);
  assert.equal(extendedRate(extended(gap, 2 * M, M, false), true, false, false), undefined);
  const resets: [string, number][] = [
    ['1+1x4 1+1x4', 1],
    ['3 2+2x9', 2],
    ['5+3x2 3+3x6', 3],
  ];
  for (const [series, want] of resets) {
    const s = load(M, series);
    assertClose(extendedRate(extended(s, 90 * S, M, true), true, false, true), want);
    assertClose(extendedRate(extended(s, 90 * S, M, false), true, false, false), want);
  }
});
