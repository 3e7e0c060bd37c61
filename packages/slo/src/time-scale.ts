/**
 * Time scale for demos: an SLO whose every window is shortened by a factor,
 * so that a month's budget can be seen burning in minutes. A demo setting
 * only: the figures of a scaled SLO mean nothing for a real service.
 *
 * @module
 */
import { ErrorCodes, VigilError, formatDurationMs } from '@vigil/model';
import { DEFAULT_NO_DATA_FOR_MS, alertWindowsOf, nominalPeriodMs } from './alert-windows.js';
import type { AlertWindow, Objective, Slo } from './model.js';

/** The shortest window a scaled SLO may have, ms. */
export const MIN_SCALED_WINDOW_MS = 1000;

/**
 * Returns a copy of `slo` with every duration divided by `factor`: the SLO
 * window (a calendar window becomes a rolling window of its nominal length,
 * see `nominalPeriodMs`, divided), the alert windows (its own, or
 * `SRE_WORKBOOK_WINDOWS`), the time-slice window and the no-data
 * alert's `for` (10 minutes when unset). Results are rounded to whole
 * milliseconds. Burn-rate factors need no change: they depend only on the
 * ratio of the period to the alert windows, which scaling keeps. Maintenance
 * windows (absolute times), `minEvents` and the budget policy's durations are
 * left as they are. `factor` 1 returns `slo` itself.
 *
 * Pure; safe to call from anywhere.
 *
 * @param factor How many times faster time runs: 60 makes 30 days last 12 hours.
 * @throws VigilError `SLO_SPEC_INVALID` when `factor` is not a finite number
 *   of at least 1, or when a scaled window would be shorter than 1 s (naming
 *   the SLO, the window and the largest factor it allows).
 */
export function scaleSlo(slo: Slo, factor: number): Slo {
  if (!Number.isFinite(factor) || factor < 1) {
    throw new VigilError(
      ErrorCodes.SLO_SPEC_INVALID,
      `Time scale ${String(factor)} is not allowed: expected a number of at least 1 (1 = real time, 60 = 30 days last 12 hours).`,
    );
  }
  if (factor === 1) return slo;
  const scale = (ms: number, what: string): number => {
    const scaled = Math.round(ms / factor);
    if (scaled < MIN_SCALED_WINDOW_MS) {
      throw new VigilError(
        ErrorCodes.SLO_SPEC_INVALID,
        `SLO ${slo.id} (${slo.source.file}): time scale ${factor}x makes its ${what} of ${formatDurationMs(ms)} shorter than 1s; use a time scale of at most ${Math.floor(ms / MIN_SCALED_WINDOW_MS)}.`,
        { details: { slo: slo.id, window: what, windowMs: ms, factor } },
      );
    }
    return scaled;
  };
  const windows: AlertWindow[] = alertWindowsOf(slo).map((w) => ({
    ...w,
    shortWindowMs: scale(w.shortWindowMs, `${w.tier} alert short window`),
    longWindowMs: scale(w.longWindowMs, `${w.tier} alert long window`),
  }));
  const objective: Objective =
    slo.objective.timeSliceWindowMs === undefined
      ? slo.objective
      : {
          ...slo.objective,
          timeSliceWindowMs: scale(slo.objective.timeSliceWindowMs, 'time-slice window'),
        };
  return {
    ...slo,
    objective,
    window: { kind: 'rolling', durationMs: scale(nominalPeriodMs(slo.window), 'SLO window') },
    alerting: {
      ...slo.alerting,
      windows,
      noDataForMs: scale(slo.alerting.noDataForMs ?? DEFAULT_NO_DATA_FOR_MS, 'no-data delay'),
    },
  };
}

/**
 * "time scale 60x: 30d windows last 12h — demo only": what a time scale does
 * to a period of `periodMs`, for status lines. Empty for `factor` 1.
 */
export function describeTimeScale(factor: number, periodMs = 30 * 86_400_000): string {
  if (factor === 1) return '';
  return `time scale ${factor}x: ${formatDurationMs(periodMs)} windows last ${formatDurationMs(Math.round(periodMs / factor))} — demo only`;
}
