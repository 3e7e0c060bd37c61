import { ErrorCodes, VigilError } from '@vigil/model';
import { labelValue, type SeriesLabels } from '@vigil/storage';
import type { FunctionContext, RangeFunction, SampleWindow } from './types.js';
import { formatGoF, formatGoG } from '@vigil/model';
import { KahanSum } from './numeric.js';
import { sampleQuantile } from './quantile.js';

/**
 * The functions over range vectors (`rate`, `*_over_time`, `deriv`, ...),
 * with Prometheus 3's float semantics (promql/functions.go). Each `compute`
 * reads only `window.values[from..to)` / `window.timestampsMs[from..to)`.
 * Native histograms never reach these functions. Pure and stateless.
 */

function rangeFn(
  dropsName: boolean,
  compute: (w: SampleWindow, args: readonly number[], ctx: FunctionContext) => number | undefined,
): RangeFunction {
  return { kind: 'range', dropsName, compute };
}

/** The position of call argument `i` (falls back to the whole call). */
function argPos(ctx: FunctionContext, i: number): { start: number; end: number } {
  return ctx.call.args[i]?.pos ?? ctx.call.pos;
}

const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];

/**
 * The info Prometheus's evaluator attaches when `rate`/`increase` produce a
 * value for a series whose metric name does not end in a counter suffix
 * (the evaluator calls it once per series that produced a value). Upstream
 * checks the `__type__` label instead only with the `type-and-unit-labels`
 * feature, which Vigil does not have.
 */
function checkCounter(labels: SeriesLabels, ctx: FunctionContext): void {
  const name = labelValue(labels, '__name__');
  if (name === '') return;
  if (!COUNTER_SUFFIXES.some((s) => name.endsWith(s))) {
    ctx.annotations.info(
      `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`,
      argPos(ctx, 0),
    );
  }
}

/**
 * Prometheus's `extrapolatedRate` for floats: the difference between the
 * last and first sample (plus counter-reset corrections for counters),
 * extrapolated towards the window's edges. An edge is reached when the gap to
 * it is below 1.1× the average sample interval, else the extrapolation stops
 * half an average interval out; a counter is never extrapolated below zero.
 * `isRate` divides by the range in seconds. Needs two samples.
 */
export function extrapolatedRate(
  w: SampleWindow,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  const { timestampsMs: ts, values: vs, from, to } = w;
  const n = to - from;
  if (n < 2) return undefined;
  const firstT = ts[from]!;
  const lastT = ts[to - 1]!;
  const firstV = vs[from]!;
  let result = vs[to - 1]! - firstV;
  if (isCounter) {
    for (let i = from + 1; i < to; i++) {
      const prev = vs[i - 1]!;
      if (vs[i]! < prev) result += prev;
    }
  }
  let durationToStart = (firstT - w.rangeStartMs) / 1000;
  let durationToEnd = (w.rangeEndMs - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageInterval = sampledInterval / (n - 1);
  const threshold = averageInterval * 1.1;
  if (durationToStart >= threshold) durationToStart = averageInterval / 2;
  if (isCounter) {
    let durationToZero = durationToStart;
    if (result > 0 && firstV >= 0) durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = averageInterval / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= (w.rangeEndMs - w.rangeStartMs) / 1000;
  return result * factor;
}

/** The first index in [lo, hi) where `pred` holds, or `hi` (Go's `sort.Search`). */
function search(lo: number, hi: number, pred: (i: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Prometheus's `extendedRate`, for `rate`/`increase`/`delta` over the
 * experimental `anchored` and `smoothed` range selectors. Unlike every other
 * function here it reads samples outside (rangeStart, rangeEnd]: the
 * evaluator must put into `[from, to)` the samples of the extended range, for
 * `anchored` up to rangeEnd and including the last sample at or before
 * rangeStart, for `smoothed` also the first sample at or after rangeEnd.
 * `anchored` takes the value at the last sample before the range as the
 * start; `smoothed` interpolates both edges linearly (a counter drop counts
 * as a reset to 0). No output when no sample is inside the range.
 */
export function extendedRate(
  w: SampleWindow,
  isCounter: boolean,
  isRate: boolean,
  smoothed: boolean,
): number | undefined {
  const { timestampsMs: ts, values: vs, from, to } = w;
  if (to <= from) return undefined;
  const rangeStart = w.rangeStartMs;
  const rangeEnd = w.rangeEndMs;
  let last = to - 1;
  let first = Math.max(from, search(from, last, (i) => ts[i]! > rangeStart) - 1);
  if (smoothed) last = search(from, last, (i) => ts[i]! >= rangeEnd);
  if (ts[last]! <= rangeStart) return undefined;
  const interpolate = (a: number, b: number, t: number): number => {
    let y1 = vs[a]!;
    const y2 = vs[b]!;
    if (isCounter && y2 < y1) y1 = 0;
    return y1 + ((y2 - y1) * (t - ts[a]!)) / (ts[b]! - ts[a]!);
  };
  const left =
    smoothed && ts[first]! < rangeStart && first + 1 < to
      ? interpolate(first, first + 1, rangeStart)
      : vs[first]!;
  const right =
    smoothed && last > from && ts[last]! > rangeEnd
      ? interpolate(last - 1, last, rangeEnd)
      : vs[last]!;
  let result = right - left;
  if (isCounter) {
    // Resets at the edges are already in left/right; correct the ones inside.
    if (ts[first]! <= rangeStart) first++;
    if (ts[last]! >= rangeEnd) last--;
    let prev = left;
    for (let i = first; i <= last; i++) {
      const v = vs[i]!;
      if (v < prev) result += prev;
      prev = v;
    }
    if (right < prev) result += prev;
  }
  if (isRate) result /= (rangeEnd - rangeStart) / 1000;
  return result;
}

/**
 * `irate`/`idelta`: from the last two samples. `irate` takes a drop as a
 * counter reset (the result is then the last value) and divides by their
 * distance in seconds. No output for fewer than two samples or two samples at
 * the same time.
 */
function instantValue(w: SampleWindow, isRate: boolean): number | undefined {
  const { timestampsMs: ts, values: vs, from, to } = w;
  if (to - from < 2) return undefined;
  const t0 = ts[to - 2]!;
  const t1 = ts[to - 1]!;
  const v0 = vs[to - 2]!;
  const v1 = vs[to - 1]!;
  const intervalMs = t1 - t0;
  if (intervalMs === 0) return undefined;
  let result = v1;
  if (!isRate || !(v1 < v0)) result = v1 - v0;
  if (isRate) result /= intervalMs / 1000;
  return result;
}

/**
 * Least-squares regression over the window's samples with x = seconds
 * relative to `interceptTimeMs` (Kahan-summed, as upstream). Returns the
 * slope and the intercept at `interceptTimeMs`; a constant series has slope 0
 * (NaN for a constant ±Inf series).
 */
export function linearRegression(
  w: SampleWindow,
  interceptTimeMs: number,
): { slope: number; intercept: number } {
  const { timestampsMs: ts, values: vs, from, to } = w;
  let n = 0;
  const kX = new KahanSum();
  const kY = new KahanSum();
  const kXY = new KahanSum();
  const kX2 = new KahanSum();
  const initY = vs[from]!;
  let constY = true;
  for (let i = from; i < to; i++) {
    const y = vs[i]!;
    if (constY && i > from && y !== initY) constY = false;
    n += 1;
    const x = (ts[i]! - interceptTimeMs) / 1e3;
    kX.add(x);
    kY.add(y);
    kXY.add(x * y);
    kX2.add(x * x);
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) return { slope: NaN, intercept: NaN };
    return { slope: 0, intercept: initY };
  }
  const sumX = kX.value();
  const sumY = kY.value();
  const sumXY = kXY.value();
  const sumX2 = kX2.value();
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return { slope, intercept };
}

/**
 * `avg_over_time`: Kahan-compensated sum divided by the count, switching to
 * an incremental mean once the running sum would overflow (as upstream).
 */
export function avgOverTime(w: SampleWindow): number | undefined {
  const { values: vs, from, to } = w;
  if (to <= from) return undefined;
  // Direct mean (sum / count) while the sum stays finite, then the
  // incremental mean; both Kahan-compensated.
  const k = new KahanSum();
  k.sum = vs[from]!;
  let count = 1;
  let incremental = false;
  for (let i = from + 1; i < to; i++) {
    const v = vs[i]!;
    count = i - from + 1;
    if (!incremental) {
      const prevSum = k.sum;
      const prevC = k.c;
      k.add(v);
      if (k.sum !== Infinity && k.sum !== -Infinity) continue;
      // The sum overflowed: continue from the mean of the values so far.
      incremental = true;
      k.sum = prevSum / (count - 1);
      k.c = prevC / (count - 1);
    }
    const q = (count - 1) / count;
    k.sum *= q;
    k.c *= q;
    k.add(v / count);
  }
  if (incremental) return k.sum + k.c;
  return k.sum / count + k.c / count;
}

/** `sum_over_time`: Kahan–Neumaier sum. */
export function sumOverTime(w: SampleWindow): number | undefined {
  const { values: vs, from, to } = w;
  if (to <= from) return undefined;
  const k = new KahanSum();
  for (let i = from; i < to; i++) k.add(vs[i]!);
  if (k.sum === Infinity || k.sum === -Infinity) return k.sum;
  return k.value();
}

/** Population variance by Welford's method with Kahan-compensated mean and sum of squares. */
export function varianceOverTime(w: SampleWindow): number | undefined {
  const { values: vs, from, to } = w;
  if (to <= from) return undefined;
  let count = 0;
  const mean = new KahanSum();
  const aux = new KahanSum();
  for (let i = from; i < to; i++) {
    const v = vs[i]!;
    count++;
    const delta = v - mean.value();
    mean.add(delta / count);
    aux.add(delta * (v - mean.value()));
  }
  return aux.value() / count;
}

/**
 * The shared loop of `min/max_over_time` and `ts_of_min/max_over_time`:
 * the first sample is the start, a sample replaces the current pick when
 * `better(cur, pick)` or the pick is NaN (so NaN wins only when all are NaN).
 * Returns the picked index.
 */
function pickIndex(w: SampleWindow, better: (cur: number, pick: number) => boolean): number {
  const { values: vs, from, to } = w;
  let pick = vs[from]!;
  let at = from;
  for (let i = from; i < to; i++) {
    const v = vs[i]!;
    if (better(v, pick) || Number.isNaN(pick)) {
      pick = v;
      at = i;
    }
  }
  return at;
}

/** The window's values as a fresh plain array (sorting scratch space; NaN payloads do not matter here). */
function windowValues(w: SampleWindow): number[] {
  const out = new Array<number>(w.to - w.from);
  for (let i = w.from; i < w.to; i++) out[i - w.from] = w.values[i]!;
  return out;
}

/** `changes`: how often the value changed (NaN to NaN is no change). */
function changes(w: SampleWindow): number | undefined {
  const { values: vs, from, to } = w;
  if (to <= from) return undefined;
  let n = 0;
  for (let i = from + 1; i < to; i++) {
    const prev = vs[i - 1]!;
    const cur = vs[i]!;
    if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) n++;
  }
  return n;
}

/** `resets`: how often the value dropped. */
function resets(w: SampleWindow): number | undefined {
  const { values: vs, from, to } = w;
  if (to <= from) return undefined;
  let n = 0;
  for (let i = from + 1; i < to; i++) if (vs[i]! < vs[i - 1]!) n++;
  return n;
}

/** `double_exponential_smoothing(v, sf, tf)` (Holt's linear method), as upstream. */
function doubleExponentialSmoothing(w: SampleWindow, args: readonly number[]): number | undefined {
  const sf = args[0] ?? NaN;
  const tf = args[1] ?? NaN;
  if (!(sf > 0 && sf < 1)) {
    throw new VigilError(
      ErrorCodes.PROMQL_EXECUTION,
      `invalid smoothing factor. Expected: 0 < sf < 1, got: ${formatGoF(sf)}`,
      { details: { smoothingFactor: sf } },
    );
  }
  if (!(tf > 0 && tf < 1)) {
    throw new VigilError(
      ErrorCodes.PROMQL_EXECUTION,
      `invalid trend factor. Expected: 0 < tf < 1, got: ${formatGoF(tf)}`,
      { details: { trendFactor: tf } },
    );
  }
  const { values: vs, from, to } = w;
  if (to - from < 2) return undefined;
  let s0 = 0;
  let s1 = vs[from]!;
  let b = vs[from + 1]! - vs[from]!;
  for (let i = 1; i < to - from; i++) {
    const x = sf * vs[from + i]!;
    // The trend: the raw first difference at the first step, then smoothed.
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

/** `quantile_over_time(φ, v)`, warning (at φ's position) when φ is outside [0, 1] or NaN. */
function quantileOverTime(
  w: SampleWindow,
  args: readonly number[],
  ctx: FunctionContext,
): number | undefined {
  if (w.to <= w.from) return undefined;
  const q = args[0] ?? NaN;
  if (Number.isNaN(q) || q < 0 || q > 1) {
    ctx.annotations.warn(
      `quantile value should be between 0 and 1, got ${formatGoG(q)}`,
      argPos(ctx, 0),
    );
  }
  return sampleQuantile(q, windowValues(w));
}

/** `mad_over_time`: the median of the absolute deviations from the median; NaN when any sample is NaN. */
function madOverTime(w: SampleWindow): number | undefined {
  if (w.to <= w.from) return undefined;
  const values = windowValues(w);
  // A NaN sample makes the median undefined: NaN, not a silently skewed result.
  if (values.some(Number.isNaN)) return NaN;
  const median = sampleQuantile(0.5, values);
  for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i]! - median);
  return sampleQuantile(0.5, values);
}

function nonEmpty(f: (w: SampleWindow) => number): (w: SampleWindow) => number | undefined {
  return (w) => (w.to <= w.from ? undefined : f(w));
}

/** Every range-vector function, by PromQL name. */
export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeFunction> = new Map<string, RangeFunction>([
  [
    'rate',
    {
      kind: 'range',
      dropsName: true,
      compute: (w) => extrapolatedRate(w, true, true),
      afterSeries: checkCounter,
    },
  ],
  [
    'increase',
    {
      kind: 'range',
      dropsName: true,
      compute: (w) => extrapolatedRate(w, true, false),
      afterSeries: checkCounter,
    },
  ],
  ['delta', rangeFn(true, (w) => extrapolatedRate(w, false, false))],
  ['irate', rangeFn(true, (w) => instantValue(w, true))],
  ['idelta', rangeFn(true, (w) => instantValue(w, false))],
  [
    'deriv',
    rangeFn(true, (w) =>
      w.to - w.from < 2 ? undefined : linearRegression(w, w.timestampsMs[w.from]!).slope,
    ),
  ],
  [
    'predict_linear',
    rangeFn(true, (w, args, ctx) => {
      if (w.to - w.from < 2) return undefined;
      const { slope, intercept } = linearRegression(w, ctx.timeMs);
      return slope * (args[0] ?? NaN) + intercept;
    }),
  ],
  ['changes', rangeFn(true, changes)],
  ['resets', rangeFn(true, resets)],
  ['avg_over_time', rangeFn(true, avgOverTime)],
  ['sum_over_time', rangeFn(true, sumOverTime)],
  [
    'count_over_time',
    rangeFn(
      true,
      nonEmpty((w) => w.to - w.from),
    ),
  ],
  [
    'min_over_time',
    rangeFn(
      true,
      nonEmpty((w) => w.values[pickIndex(w, (cur, pick) => cur < pick)]!),
    ),
  ],
  [
    'max_over_time',
    rangeFn(
      true,
      nonEmpty((w) => w.values[pickIndex(w, (cur, pick) => cur > pick)]!),
    ),
  ],
  [
    'last_over_time',
    rangeFn(
      false,
      nonEmpty((w) => w.values[w.to - 1]!),
    ),
  ],
  [
    'first_over_time',
    rangeFn(
      false,
      nonEmpty((w) => w.values[w.from]!),
    ),
  ],
  [
    'present_over_time',
    rangeFn(
      true,
      nonEmpty(() => 1),
    ),
  ],
  ['quantile_over_time', rangeFn(true, quantileOverTime)],
  [
    'stddev_over_time',
    rangeFn(true, (w) => {
      const v = varianceOverTime(w);
      return v === undefined ? undefined : Math.sqrt(v);
    }),
  ],
  ['stdvar_over_time', rangeFn(true, varianceOverTime)],
  ['mad_over_time', rangeFn(true, madOverTime)],
  [
    'ts_of_first_over_time',
    rangeFn(
      true,
      nonEmpty((w) => w.timestampsMs[w.from]! / 1000),
    ),
  ],
  [
    'ts_of_last_over_time',
    rangeFn(
      true,
      nonEmpty((w) => w.timestampsMs[w.to - 1]! / 1000),
    ),
  ],
  [
    'ts_of_min_over_time',
    rangeFn(
      true,
      nonEmpty((w) => w.timestampsMs[pickIndex(w, (cur, pick) => cur <= pick)]! / 1000),
    ),
  ],
  [
    'ts_of_max_over_time',
    rangeFn(
      true,
      nonEmpty((w) => w.timestampsMs[pickIndex(w, (cur, pick) => cur >= pick)]! / 1000),
    ),
  ],
  ['double_exponential_smoothing', rangeFn(true, doubleExponentialSmoothing)],
]);
