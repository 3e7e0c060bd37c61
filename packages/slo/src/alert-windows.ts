/**
 * Alert windows and the numbers derived from them, shared by rule generation
 * and the SLO engine so that both name and compute windows identically.
 */
import { formatDurationMs } from '@vigil/model';
import type { AlertWindow, Slo, SloWindow } from './model.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * The SRE Workbook's multiwindow, multi-burn-rate alerts (Sloth's built-in
 * `google-30d` catalog): page when 2% of the budget burns in 1 h (confirmed
 * over 5 m) or 5% in 6 h (30 m); ticket when 10% burns in 1 d (2 h) or 3 d (6 h).
 */
export const SRE_WORKBOOK_WINDOWS: readonly AlertWindow[] = [
  { tier: 'page', errorBudgetPercent: 2, shortWindowMs: 5 * MINUTE_MS, longWindowMs: HOUR_MS },
  { tier: 'page', errorBudgetPercent: 5, shortWindowMs: 30 * MINUTE_MS, longWindowMs: 6 * HOUR_MS },
  { tier: 'ticket', errorBudgetPercent: 10, shortWindowMs: 2 * HOUR_MS, longWindowMs: DAY_MS },
  { tier: 'ticket', errorBudgetPercent: 10, shortWindowMs: 6 * HOUR_MS, longWindowMs: 3 * DAY_MS },
];

/** The no-data alert's `for` when an SLO sets none (`alerting.noDataForMs`), ms: 10 minutes. */
export const DEFAULT_NO_DATA_FOR_MS = 10 * MINUTE_MS;

/**
 * The nominal length of an SLO window, ms: a rolling window's duration; for
 * calendar windows a fixed stand-in (day 1 d, week 7 d, month 30 d, quarter
 * 90 d, year 365 d), used where one number is needed (burn factors, exported
 * rules). The engine uses the real calendar boundaries for budgets.
 */
export function nominalPeriodMs(window: SloWindow): number {
  if (window.kind === 'rolling') return window.durationMs;
  switch (window.unit) {
    case 'day':
      return DAY_MS;
    case 'week':
      return 7 * DAY_MS;
    case 'month':
      return 30 * DAY_MS;
    case 'quarter':
      return 90 * DAY_MS;
    case 'year':
      return 365 * DAY_MS;
  }
}

/** The alert windows of `slo`: its own, or {@link SRE_WORKBOOK_WINDOWS}. Page windows first, as given. */
export function alertWindowsOf(slo: Slo): readonly AlertWindow[] {
  return slo.alerting.windows ?? SRE_WORKBOOK_WINDOWS;
}

/**
 * The burn-rate factor of an alert window for a period: the burn rate at which
 * `errorBudgetPercent` of the period's budget is spent within the long window.
 * 2% over 1 h of a 30 d period is 14.4. Computed in Sloth's operation order
 * (`percent * periodHours / 100 / longWindowHours`) so that the printed
 * digits match Sloth's output exactly.
 */
export function burnFactor(window: AlertWindow, periodMs: number): number {
  const periodHours = periodMs / HOUR_MS;
  const longWindowHours = window.longWindowMs / HOUR_MS;
  return (window.errorBudgetPercent * periodHours) / 100 / longWindowHours;
}

/**
 * Every window an SLO records an error ratio for, ms, ascending and without
 * duplicates: each alert window's short and long window, and the period.
 */
export function recordingWindowsMs(slo: Slo): number[] {
  const set = new Set<number>([nominalPeriodMs(slo.window)]);
  for (const w of alertWindowsOf(slo)) {
    set.add(w.shortWindowMs);
    set.add(w.longWindowMs);
  }
  return [...set].sort((a, b) => a - b);
}

/** A window as Prometheus (and Sloth's rule names) write it: `5m`, `1h`, `1d`, `30d`, `4w`. */
export function windowText(ms: number): string {
  return formatDurationMs(ms);
}

/** Sloth's identifying labels of an SLO's series: `sloth_id`, `sloth_service`, `sloth_slo`. */
export function slothIdLabels(slo: Slo): Record<string, string> {
  return { sloth_id: slo.id, sloth_service: slo.service, sloth_slo: slo.name };
}
