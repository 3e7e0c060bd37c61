import type { ElementwiseFunction } from './types.js';

/**
 * The functions applied to each sample of an instant vector on its own
 * (promql/functions.go `simpleFloatFunc`, `clamp*`, `round`, `dateWrapper`).
 * All drop the metric name. Pure and stateless.
 */

function simple(f: (v: number) => number): ElementwiseFunction {
  return { kind: 'elementwise', dropsName: true, compute: (v) => f(v) };
}

/** Go's `int64(f)` on amd64: truncation, and the minimum int64 for NaN, ±Inf and out-of-range values. */
function goInt64Seconds(v: number): bigint {
  if (!Number.isFinite(v) || v >= 2 ** 63 || v < -(2 ** 63)) return -(2n ** 63n);
  return BigInt(Math.trunc(v));
}

/** The UTC calendar fields of a Unix time in seconds (proleptic Gregorian, as Go's `time`). */
export interface CivilTime {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** 1–31. */
  readonly day: number;
  /** 0 = Sunday. */
  readonly weekday: number;
  /** 1–366. */
  readonly yearDay: number;
  readonly hour: number;
  readonly minute: number;
}

function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Splits a sample value (seconds since the epoch, truncated to an integer
 * as Go's `time.Unix(int64(v), 0)`) into UTC calendar fields.
 */
export function civilTime(valueSeconds: number): CivilTime {
  const secs = goInt64Seconds(valueSeconds);
  let days = secs / 86400n;
  let rem = secs % 86400n;
  if (rem < 0n) {
    rem += 86400n;
    days -= 1n;
  }
  const z = Number(days);
  const secOfDay = Number(rem);
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const weekday = (((z + 4) % 7) + 7) % 7;
  const yearDay = z - daysFromCivil(year, 1, 1) + 1;
  return {
    year,
    month,
    day,
    weekday,
    yearDay,
    hour: Math.floor(secOfDay / 3600),
    minute: Math.floor((secOfDay % 3600) / 60),
  };
}

function isLeapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in the month of a civil time. */
export function daysInMonth(t: CivilTime): number {
  if (t.month === 2 && isLeapYear(t.year)) return 29;
  return DAYS_IN_MONTH[t.month - 1]!;
}

function dateFn(f: (t: CivilTime) => number): ElementwiseFunction {
  return { kind: 'elementwise', dropsName: true, compute: (v) => f(civilTime(v)) };
}

/**
 * The date functions by name, as functions of seconds since the epoch
 * (UTC). Called without an argument, they apply to the evaluation time:
 * the evaluator does that (`vector(time())`).
 */
export const DATE_FUNCTIONS: ReadonlyMap<string, ElementwiseFunction> = new Map([
  ['days_in_month', dateFn(daysInMonth)],
  ['day_of_month', dateFn((t) => t.day)],
  ['day_of_week', dateFn((t) => t.weekday)],
  ['day_of_year', dateFn((t) => t.yearDay)],
  ['hour', dateFn((t) => t.hour)],
  ['minute', dateFn((t) => t.minute)],
  ['month', dateFn((t) => t.month)],
  ['year', dateFn((t) => t.year)],
]);

function clampFn(
  bounds: (args: readonly number[]) => { min: number; max: number },
): ElementwiseFunction {
  return {
    kind: 'elementwise',
    dropsName: true,
    compute: (v, args) => {
      const { min, max } = bounds(args);
      return Math.max(min, Math.min(max, v));
    },
    dropsAll: (args) => {
      const { min, max } = bounds(args);
      return max < min;
    },
  };
}

/** Every element-wise function except the date ones, by PromQL name. */
export const ELEMENTWISE_FUNCTIONS: ReadonlyMap<string, ElementwiseFunction> = new Map([
  ['abs', simple(Math.abs)],
  ['ceil', simple(Math.ceil)],
  ['floor', simple(Math.floor)],
  ['exp', simple(Math.exp)],
  ['sqrt', simple(Math.sqrt)],
  ['ln', simple(Math.log)],
  ['log2', simple(Math.log2)],
  ['log10', simple(Math.log10)],
  ['sin', simple(Math.sin)],
  ['cos', simple(Math.cos)],
  ['tan', simple(Math.tan)],
  ['asin', simple(Math.asin)],
  ['acos', simple(Math.acos)],
  ['atan', simple(Math.atan)],
  ['sinh', simple(Math.sinh)],
  ['cosh', simple(Math.cosh)],
  ['tanh', simple(Math.tanh)],
  ['asinh', simple(Math.asinh)],
  ['acosh', simple(Math.acosh)],
  ['atanh', simple(Math.atanh)],
  ['rad', simple((v) => (v * Math.PI) / 180)],
  ['deg', simple((v) => (v * 180) / Math.PI)],
  ['sgn', simple((v) => (v < 0 ? -1 : v > 0 ? 1 : v))],
  [
    'round',
    {
      kind: 'elementwise',
      dropsName: true,
      compute: (v, args) => {
        // Upstream inverts first ("fewer floating point accuracy issues") and rounds half up.
        const inverse = 1 / (args[0] ?? 1);
        return Math.floor(v * inverse + 0.5) / inverse;
      },
    },
  ],
  ['clamp', clampFn((args) => ({ min: args[0] ?? NaN, max: args[1] ?? NaN }))],
  ['clamp_min', clampFn((args) => ({ min: args[0] ?? NaN, max: Infinity }))],
  ['clamp_max', clampFn((args) => ({ min: -Infinity, max: args[0] ?? NaN }))],
  ...DATE_FUNCTIONS,
]);
