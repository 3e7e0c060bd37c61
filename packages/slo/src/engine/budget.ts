/**
 * Pure error-budget math: no I/O, no clocks. Every function here can be
 * checked by hand, and the unit tests do exactly that. Safe to call from any
 * number of callers at once.
 *
 * ## Definitions
 *
 * Two kinds of budget exist:
 *
 * - **Events** (budgeting method `occurrences` with an event-based SLI that
 *   yields counts): `bad` and `total` are event counts seen in the period so
 *   far. SLI = `1 - bad/total`. The allowed bad events are `total × (1 - target)`
 *   — the budget grows with the traffic actually seen, so a rolling window
 *   with less history than the period (or a calendar period that has just
 *   started) is judged on the events it has: `consumed = bad / allowed`. This
 *   equals the period burn rate, as Sloth's `slo:period_error_budget_remaining:ratio`.
 * - **Time** (time-based SLIs such as availability of `up`, raw error-ratio
 *   SLIs, and both timeslice methods): `bad` is bad seconds, `total` is
 *   observed seconds (seconds with data) in the period so far. SLI =
 *   `1 - bad/total`. The allowed bad time is `(1 - target) ×` the whole
 *   period's length minus its excluded time, in minutes (99.9% over 30 days:
 *   43.2 min), fixed at the start of the period. `consumed = badMinutes /
 *   allowedMinutes`. So time without data (before the history starts, during
 *   a scrape outage) spends nothing, and a calendar month that has just
 *   started has almost all its minutes left. The period burn rate is still
 *   `(bad/total) / (1 - target)`, the burn over the time observed.
 *
 * **Time slices** (`timeslices`, `ratioTimeslices`): the period is cut into
 * slices of `timeSliceWindowMs`, aligned to the epoch. A slice without data
 * counts as neither good nor bad. Under `timeslices` a slice is good when its
 * good share is `>= timeSliceTarget` and bad otherwise, and a bad slice counts
 * as a whole slice of bad time. Under `ratioTimeslices` a slice with good share
 * `g` counts `(1 - g) ×` slice length of bad time, so the SLI is the average
 * of the slice ratios. Either way the result is a time budget as above.
 *
 * **Exclusion windows** count as neither good nor bad: the engine drops
 * their events and time before they reach these functions, and the allowed
 * time of a time budget is computed over the period minus the excluded time.
 *
 * **Calendar windows** reset at their boundaries ({@link calendarPeriodAt}),
 * computed in the SLO's IANA time zone with `Intl`, so that days of 23 or 25
 * hours (DST) are handled: a day starts at local midnight (or the first local
 * instant of the day when midnight does not exist), a week on Monday, a month
 * on the 1st, a quarter on 1 January, April, July or October, a year on 1 January.
 *
 * @module
 */
import type { CalendarWindow, SloWindow } from '../model.js';
import type { BudgetFigures } from '../status.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The kind of budget, see the module notes. */
export type BudgetMode = 'events' | 'time';

/** What the period so far holds, after exclusions. */
export interface PeriodCounts {
  /** `events`: counts; `time`: seconds. */
  readonly mode: BudgetMode;
  /** Bad events, or bad seconds. */
  readonly bad: number;
  /** All events, or observed seconds. */
  readonly total: number;
}

/** The figures {@link computeBudget} derives. */
export interface BudgetResult {
  /** SLI in [0, 1]; null when `total` is 0. */
  readonly sli: number | null;
  /** `bad / total`; null when `total` is 0. */
  readonly errorRatio: number | null;
  /** `errorRatio / (1 - target)`; null when `total` is 0. */
  readonly periodBurnRate: number | null;
  /** The budget figures, with nulls as {@link BudgetFigures} describes. */
  readonly budget: BudgetFigures;
}

/**
 * The budget figures of a period.
 *
 * @param counts what the period so far holds.
 * @param target the objective as a fraction (0.999).
 * @param budgetPeriodMs for `time` budgets: the whole period's length minus
 *   its excluded time, ms (ignored for `events`).
 */
export function computeBudget(
  counts: PeriodCounts,
  target: number,
  budgetPeriodMs: number,
): BudgetResult {
  const allowedFraction = 1 - target;
  const hasData = counts.total > 0;
  const errorRatio = hasData ? clamp01(counts.bad / counts.total) : null;
  const sli = errorRatio === null ? null : 1 - errorRatio;
  const periodBurnRate = errorRatio === null ? null : errorRatio / allowedFraction;
  if (counts.mode === 'events') {
    const allowedEvents = counts.total * allowedFraction;
    const consumedFraction = hasData ? counts.bad / allowedEvents : null;
    return {
      sli,
      errorRatio,
      periodBurnRate,
      budget: {
        allowedFraction,
        allowedEvents,
        allowedMinutes: null,
        consumedFraction,
        remainingFraction: consumedFraction === null ? null : 1 - consumedFraction,
        consumedEvents: counts.bad,
        consumedMinutes: null,
        remainingEvents: allowedEvents - counts.bad,
        remainingMinutes: null,
      },
    };
  }
  const allowedMinutes = (allowedFraction * budgetPeriodMs) / MINUTE_MS;
  const consumedMinutes = counts.bad / 60;
  const consumedFraction = hasData ? consumedMinutes / allowedMinutes : null;
  return {
    sli,
    errorRatio,
    periodBurnRate,
    budget: {
      allowedFraction,
      allowedEvents: null,
      allowedMinutes,
      consumedFraction,
      remainingFraction: consumedFraction === null ? null : 1 - consumedFraction,
      consumedEvents: null,
      consumedMinutes: hasData ? consumedMinutes : null,
      remainingEvents: null,
      remainingMinutes: hasData ? allowedMinutes - consumedMinutes : null,
    },
  };
}

/** The burn rate of an error ratio: `errorRatio / (1 - target)`; null stays null. */
export function burnRateOf(errorRatio: number | null, target: number): number | null {
  return errorRatio === null ? null : errorRatio / (1 - target);
}

/** Inputs of {@link projectExhaustionMs}. */
export interface ExhaustionInput {
  /** Evaluation time, ms. */
  readonly nowMs: number;
  /** The budget kind. */
  readonly mode: BudgetMode;
  /** Remaining events (`events`) or minutes (`time`); null without data. */
  readonly remaining: number | null;
  /** The error ratio over the last hour; null without data. */
  readonly errorRatio1h: number | null;
  /** Events per second over the last hour (`events` only). */
  readonly eventsPerSecond1h: number;
  /** Objective as a fraction. */
  readonly target: number;
}

/**
 * When the budget runs out if the last hour's burn continues, ms since the
 * epoch; `nowMs` when it is already spent; null without data or when the
 * 1-hour burn rate is at most 1 (the budget then lasts the period).
 *
 * - `events`: each new event earns `(1 - target)` of an event of budget and
 *   spends `errorRatio1h`, so the remaining events shrink by
 *   `rate × (errorRatio1h − (1 − target))` per second.
 * - `time`: bad time accrues at `errorRatio1h` minutes per minute; the allowed
 *   minutes are fixed for the period.
 *
 * What leaves a rolling window meanwhile is not projected.
 */
export function projectExhaustionMs(input: ExhaustionInput): number | null {
  const { remaining, errorRatio1h } = input;
  if (remaining === null || errorRatio1h === null) return null;
  if (remaining <= 0) return input.nowMs;
  const allowed = 1 - input.target;
  if (errorRatio1h <= allowed) return null;
  if (input.mode === 'events') {
    const perSecond = input.eventsPerSecond1h * (errorRatio1h - allowed);
    if (!(perSecond > 0)) return null;
    return Math.round(input.nowMs + (remaining / perSecond) * 1000);
  }
  return Math.round(input.nowMs + (remaining / errorRatio1h) * MINUTE_MS);
}

/** One time slice's content: bad and total events, or bad and observed seconds. */
export interface SliceCounts {
  readonly bad: number;
  readonly total: number;
}

/**
 * Turns slices into a time budget's counts (see the module notes): each slice
 * with data contributes `sliceSeconds` of observed time and, under
 * `timeslices`, `sliceSeconds` of bad time when its good share is below
 * `sliceTarget`; under `ratioTimeslices`, `(1 - goodShare) × sliceSeconds`.
 */
export function timesliceCounts(
  slices: Iterable<SliceCounts>,
  method: 'timeslices' | 'ratioTimeslices',
  sliceTarget: number,
  sliceSeconds: number,
): PeriodCounts & { readonly goodSlices: number; readonly badSlices: number } {
  let bad = 0;
  let total = 0;
  let goodSlices = 0;
  let badSlices = 0;
  for (const s of slices) {
    if (!(s.total > 0)) continue;
    const good = clamp01(1 - s.bad / s.total);
    total += sliceSeconds;
    if (method === 'timeslices') {
      if (good >= sliceTarget) goodSlices++;
      else {
        badSlices++;
        bad += sliceSeconds;
      }
    } else {
      bad += (1 - good) * sliceSeconds;
      if (good >= sliceTarget) goodSlices++;
      else badSlices++;
    }
  }
  return { mode: 'time', bad, total, goodSlices, badSlices };
}

/** A period `[startMs, endMs)`: the figures cover `startMs` up to the evaluation time. */
export interface PeriodRange {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * The period the SLO is judged over at `atMs`: for a rolling window
 * `[atMs - durationMs, atMs]`, for a calendar window the calendar period that
 * holds `atMs` (see {@link calendarPeriodAt}).
 */
export function periodAt(window: SloWindow, atMs: number): PeriodRange {
  if (window.kind === 'rolling') return { startMs: atMs - window.durationMs, endMs: atMs };
  return calendarPeriodAt(window, atMs);
}

/**
 * The calendar period holding `atMs`, `[start, end)`, with both boundaries at
 * the first instant of a local day in `window.timeZone`. DST-safe: the
 * boundaries are found by searching for the local date change, never by adding
 * 24-hour days to an instant.
 */
export function calendarPeriodAt(window: CalendarWindow, atMs: number): PeriodRange {
  const tz = window.timeZone;
  const { year, month, day } = localDate(atMs, tz);
  let start: CivilDate;
  let next: CivilDate;
  switch (window.unit) {
    case 'day':
      start = { year, month, day };
      next = addDays(start, 1);
      break;
    case 'week': {
      const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay(); // 0 = Sunday
      const sinceMonday = (weekday + 6) % 7;
      start = addDays({ year, month, day }, -sinceMonday);
      next = addDays(start, 7);
      break;
    }
    case 'month':
      start = { year, month, day: 1 };
      next =
        month === 12 ? { year: year + 1, month: 1, day: 1 } : { year, month: month + 1, day: 1 };
      break;
    case 'quarter': {
      const first = Math.floor((month - 1) / 3) * 3 + 1;
      start = { year, month: first, day: 1 };
      next =
        first === 10 ? { year: year + 1, month: 1, day: 1 } : { year, month: first + 3, day: 1 };
      break;
    }
    case 'year':
      start = { year, month: 1, day: 1 };
      next = { year: year + 1, month: 1, day: 1 };
      break;
  }
  return { startMs: localDayStartMs(start, tz), endMs: localDayStartMs(next, tz) };
}

/** The longest a calendar period of `unit` can last, ms (a DST day is 25 h). */
export function maxCalendarPeriodMs(unit: CalendarWindow['unit']): number {
  switch (unit) {
    case 'day':
      return DAY_MS + 3_600_000;
    case 'week':
      return 7 * DAY_MS + 3_600_000;
    case 'month':
      return 31 * DAY_MS + 3_600_000;
    case 'quarter':
      return 92 * DAY_MS + 3_600_000;
    case 'year':
      return 366 * DAY_MS + 3_600_000;
  }
}

/** A date on the proleptic Gregorian calendar (month 1–12). */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local calendar date of `ms` in `timeZone`. */
export function localDate(ms: number, timeZone: string): CivilDate {
  let year = 0;
  let month = 0;
  let day = 0;
  for (const p of formatterOf(timeZone).formatToParts(ms)) {
    if (p.type === 'year') year = Number(p.value);
    else if (p.type === 'month') month = Number(p.value);
    else if (p.type === 'day') day = Number(p.value);
  }
  return { year, month, day };
}

function dateKey(d: CivilDate): number {
  return d.year * 10_000 + d.month * 100 + d.day;
}

function addDays(d: CivilDate, days: number): CivilDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/**
 * The first instant (to the minute) of local date `d` in `timeZone`, ms since
 * the epoch: a binary search for the earliest minute whose local date is `d`
 * or later. Zone offsets lie within ±14 h, so the answer is within 15 h of
 * the same wall time in UTC.
 */
export function localDayStartMs(d: CivilDate, timeZone: string): number {
  const target = dateKey(d);
  const utcMidnight = Date.UTC(d.year, d.month - 1, d.day);
  let lo = (utcMidnight - 15 * 3_600_000) / MINUTE_MS; // local date before d
  let hi = (utcMidnight + 15 * 3_600_000) / MINUTE_MS; // local date d or later
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (dateKey(localDate(mid * MINUTE_MS, timeZone)) >= target) hi = mid;
    else lo = mid;
  }
  return hi * MINUTE_MS;
}

/** Total length of the overlap of `[startMs, endMs]` with the exclusion ranges, ms (overlaps between exclusions counted once). */
export function excludedMs(
  exclusions: readonly { readonly startMs: number; readonly endMs: number }[],
  startMs: number,
  endMs: number,
): number {
  const parts = exclusions
    .map((e) => [Math.max(e.startMs, startMs), Math.min(e.endMs, endMs)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let sum = 0;
  let curA = -Infinity;
  let curB = -Infinity;
  for (const [a, b] of parts) {
    if (a > curB) {
      if (curB > curA) sum += curB - curA;
      curA = a;
      curB = b;
    } else if (b > curB) curB = b;
  }
  if (curB > curA) sum += curB - curA;
  return sum;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
