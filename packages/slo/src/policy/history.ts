/**
 * Budget and SLI history as series in a Prometheus-compatible store: the
 * narrow interfaces the policy, the API and the report read, and their
 * implementation over a {@link QueryApi} (Vigil's embedded engine, or a
 * Prometheus running Sloth's rules) reading the series the SLO engine records
 * with Sloth's names.
 *
 * @module
 */
import type { QueryApi } from '@vigil/promql';

/**
 * Points of one series: `timestampsMs[i]` (ms since the epoch, ascending)
 * and `values[i]`. Points without a value (gaps, staleness markers, NaN) are
 * left out.
 */
export interface HistorySeries {
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
}

/** An empty {@link HistorySeries}. */
export const EMPTY_HISTORY: HistorySeries = Object.freeze({
  timestampsMs: new Float64Array(0),
  values: new Float64Array(0),
});

/**
 * Where the written policy rules read the budget remaining of an SLO over
 * time. Implementations may be called concurrently.
 */
export interface BudgetHistory {
  /**
   * The budget remaining (fraction of the period's budget, negative when
   * overspent) of SLO `sloId` at each step of `[startMs, endMs]` (inclusive,
   * ms, step `stepMs`); steps without data are left out.
   */
  budgetRemaining(
    sloId: string,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): Promise<HistorySeries>;
}

/** {@link BudgetHistory} plus the SLI error ratio over a named window (API and report). */
export interface SloHistory extends BudgetHistory {
  /**
   * The error ratio (1 - SLI, in [0, 1]) of SLO `sloId` over the trailing
   * window `window` (a PromQL duration such as `5m` or `30d`, one of the
   * windows the engine records) at each step of `[startMs, endMs]`.
   */
  errorRatio(
    sloId: string,
    window: string,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): Promise<HistorySeries>;
  /**
   * Like {@link errorRatio} for the 5-minute window, but each point is the
   * mean of that series over the `stepMs` before it (`avg_over_time`), so
   * that consecutive points cover the range without gaps or overlaps. Used
   * to integrate the error ratio over a month.
   */
  meanErrorRatio(
    sloId: string,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): Promise<HistorySeries>;
}

/** Sloth's name of the recorded budget remaining. */
export const BUDGET_REMAINING_METRIC = 'slo:period_error_budget_remaining:ratio';

/** Sloth's name of the recorded error ratio over `window` (`slo:sli_error:ratio_rate5m`). */
export function errorRatioMetric(window: string): string {
  return `slo:sli_error:ratio_rate${window}`;
}

/** A PromQL string literal for `text`. */
function promqlString(text: string): string {
  return JSON.stringify(text);
}

async function firstSeries(
  api: QueryApi,
  query: string,
  startMs: number,
  endMs: number,
  stepMs: number,
): Promise<HistorySeries> {
  const result = await api.rangeQuery(query, startMs, endMs, stepMs);
  if (result.value.type !== 'matrix') return EMPTY_HISTORY;
  const series = result.value.series[0];
  if (series === undefined) return EMPTY_HISTORY;
  // Keep real numbers only: NaN (including staleness markers) is not a value.
  let n = 0;
  for (let i = 0; i < series.values.length; i++) if (!Number.isNaN(series.values[i]!)) n++;
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < series.values.length; i++) {
    const v = series.values[i]!;
    if (Number.isNaN(v)) continue;
    timestampsMs[j] = series.timestampsMs[i]!;
    values[j++] = v;
  }
  return { timestampsMs, values };
}

/**
 * An {@link SloHistory} over `api`: range queries of
 * `slo:period_error_budget_remaining:ratio{sloth_id="<id>"}` and
 * `slo:sli_error:ratio_rate<window>{sloth_id="<id>"}`, the series the SLO
 * engine records (and Sloth's rules record in Prometheus). When several
 * series match (e.g. the same SLO recorded by two rule sets), the first in
 * label order is used. Safe to call concurrently if `api` is.
 */
export function budgetHistoryFromQueryApi(api: QueryApi): SloHistory {
  return {
    budgetRemaining: (sloId, startMs, endMs, stepMs) =>
      firstSeries(
        api,
        `${BUDGET_REMAINING_METRIC}{sloth_id=${promqlString(sloId)}}`,
        startMs,
        endMs,
        stepMs,
      ),
    errorRatio: (sloId, window, startMs, endMs, stepMs) =>
      firstSeries(
        api,
        `${errorRatioMetric(window)}{sloth_id=${promqlString(sloId)}}`,
        startMs,
        endMs,
        stepMs,
      ),
    meanErrorRatio: (sloId, startMs, endMs, stepMs) =>
      firstSeries(
        api,
        `avg_over_time(${errorRatioMetric('5m')}{sloth_id=${promqlString(sloId)}}[${Math.max(1, Math.round(stepMs))}ms])`,
        startMs,
        endMs,
        stepMs,
      ),
  };
}
