import type { SeriesLabels } from '@vigil/storage';

/**
 * Query results, as the engine returns them and the HTTP API serialises
 * them. Times are integer milliseconds since the epoch. Values are kept in
 * `Float64Array`s where a staleness marker or NaN payload must survive.
 */

/** One element of an instant vector. */
export interface InstantSample {
  readonly labels: SeriesLabels;
  readonly timestampMs: number;
  readonly value: number;
}

/** One series of a range vector (matrix): parallel arrays, timestamps ascending. */
export interface RangeSeries {
  readonly labels: SeriesLabels;
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
}

/** The value of a query: its type decides the shape, as in the Prometheus HTTP API. */
export type QueryValue =
  | { readonly type: 'scalar'; readonly timestampMs: number; readonly value: number }
  | { readonly type: 'string'; readonly timestampMs: number; readonly value: string }
  | { readonly type: 'vector'; readonly samples: readonly InstantSample[] }
  | { readonly type: 'matrix'; readonly series: readonly RangeSeries[] };
