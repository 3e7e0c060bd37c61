/**
 * How the engine turns an SLI into PromQL it can record from: event SLIs
 * split into a numerator (good or bad events) and a total, everything else
 * into one error-ratio query. Pure functions, safe to call concurrently.
 */
import { errorRatioExpr, renderWindow, type Sli } from '../model.js';

/**
 * The queries of an event SLI over one window. Each returns a per-second
 * rate, or — when the template uses `increase(` — a count over the window
 * (see `perWindow`), summed over all returned series.
 */
export interface EventQueries {
  /** Whether `numeratorQuery` counts good or bad events. */
  readonly numerator: 'good' | 'bad';
  /** Good or bad events over the window. */
  readonly numeratorQuery: string;
  /** All events over the window. */
  readonly totalQuery: string;
  /** True for a numerator written with `increase(` (a count over the window, not a rate). */
  readonly numeratorPerWindow: boolean;
  /** True for a total written with `increase(` (a count over the window, not a rate). */
  readonly totalPerWindow: boolean;
}

/**
 * The queries of a time-based SLI over one window: the good indicator (1 good,
 * 0 bad, averaged over series) sampled every `stepSeconds` by a subquery;
 * `goodQuery` sums the samples, `countQuery` counts them, so that time
 * without samples is neither good nor bad.
 */
export interface SampleQueries {
  /** Sum of the good indicator's samples in the window. */
  readonly goodQuery: string;
  /** Number of the indicator's samples in the window. */
  readonly countQuery: string;
  /** The subquery step: the time one sample stands for, seconds. */
  readonly stepSeconds: number;
}

/** The SLI queries the engine runs: event counts, sampled good time, or one error ratio. */
export type RecordingQueries =
  | ({ readonly kind: 'events' } & EventQueries)
  | ({ readonly kind: 'samples' } & SampleQueries)
  | { readonly kind: 'ratio'; readonly errorRatioQuery: string };

/** The subquery step of time-based SLIs, seconds. */
export const SAMPLE_STEP_SECONDS = 60;

const INCREASE = /\bincrease\s*\(/;

function samples(indicator: string, windowText: string): RecordingQueries {
  const sub = `(${indicator})[${windowText}:${SAMPLE_STEP_SECONDS}s]`;
  return {
    kind: 'samples',
    goodQuery: `sum_over_time(${sub})`,
    countQuery: `count_over_time(${sub})`,
    stepSeconds: SAMPLE_STEP_SECONDS,
  };
}

/**
 * Splits `sli` into the queries the engine records from, rendered over
 * `windowText` (a PromQL duration such as `5m`). Ratio, latency,
 * completeness and accuracy SLIs give event queries; availability,
 * throughput and freshness SLIs give sampled good-time queries; raw SLIs give
 * their error-ratio query (a share of bad time, weighted by time: a window
 * with any value counts as observed in full).
 */
export function recordingQueries(sli: Sli, windowText: string): RecordingQueries {
  const w = windowText;
  const events = (numerator: 'good' | 'bad', num: string, total: string): RecordingQueries => ({
    kind: 'events',
    numerator,
    numeratorQuery: renderWindow(num, w),
    totalQuery: renderWindow(total, w),
    numeratorPerWindow: INCREASE.test(num),
    totalPerWindow: INCREASE.test(total),
  });
  switch (sli.kind) {
    case 'ratio':
      return events(sli.numerator, sli.numeratorQuery, sli.totalQuery);
    case 'completeness':
    case 'accuracy':
      return events('good', sli.goodQuery, sli.totalQuery);
    case 'latency': {
      // The selection of errorRatioExpr's latency query, split in two.
      const sel = sli.selector.trim();
      const extra = sel === '' ? '' : `${sel},`;
      const t = String(sli.thresholdSeconds);
      const le = Number.isInteger(sli.thresholdSeconds) ? `le=~"${t}(\\\\.0+)?"` : `le="${t}"`;
      return {
        kind: 'events',
        numerator: 'good',
        numeratorQuery: `sum(rate(${sli.metric}_bucket{${extra}${le}}[${w}]))`,
        totalQuery: `sum(rate(${sli.metric}_count{${sel}}[${w}]))`,
        numeratorPerWindow: false,
        totalPerWindow: false,
      };
    }
    case 'availability':
      return samples(`avg(${sli.expr})`, w);
    case 'throughput':
      return samples(`avg((${sli.rateExpr}) >= bool ${String(sli.floorPerSecond)})`, w);
    case 'freshness':
      return samples(
        `avg((time() - (${sli.timestampExpr})) <= bool ${String(sli.maxAgeSeconds)})`,
        w,
      );
    case 'raw':
      return { kind: 'ratio', errorRatioQuery: errorRatioExpr(sli, w) };
  }
}
