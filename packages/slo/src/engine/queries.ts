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

/** The SLI queries the engine runs: event counts, or one error ratio. */
export type RecordingQueries =
  | ({ readonly kind: 'events' } & EventQueries)
  | { readonly kind: 'ratio'; readonly errorRatioQuery: string };

const INCREASE = /\bincrease\s*\(/;

/**
 * Splits `sli` into the queries the engine records from, rendered over
 * `windowText` (a PromQL duration such as `5m`). Ratio, latency,
 * completeness and accuracy SLIs give event queries; availability,
 * throughput, freshness and raw SLIs give their error-ratio query (a share of
 * bad time, weighted by time).
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
    case 'throughput':
    case 'freshness':
    case 'raw':
      return { kind: 'ratio', errorRatioQuery: errorRatioExpr(sli, w) };
  }
}
