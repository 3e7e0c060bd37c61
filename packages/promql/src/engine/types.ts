import type { SeriesLabels } from '@vigil/storage';

/**
 * Values while a query is evaluated. Every expression is evaluated over the
 * whole step grid at once (one step for an instant query), the way
 * Prometheus's range evaluation works, but with dense per-step arrays: labels
 * are computed once per series and values sit in typed arrays.
 */

/** The evaluation times of one (sub)query: `startMs + i × stepMs`, i < count. */
export interface StepGrid {
  readonly startMs: number;
  readonly endMs: number;
  /** Step between evaluations, ms; 0 for a single evaluation. */
  readonly stepMs: number;
  readonly count: number;
}

/** The `i`-th evaluation time of a grid. */
export function stepTime(grid: StepGrid, i: number): number {
  return grid.startMs + i * grid.stepMs;
}

/** One series of an instant vector over every step of the grid. */
export interface StepSeries {
  labels: SeriesLabels;
  /** The value at each step; meaningful only where `present[i]` is 1. */
  readonly values: Float64Array;
  readonly present: Uint8Array;
  /** Delayed name removal: drop `__name__` when the query returns. */
  dropName: boolean;
  /** Sample timestamps per step, kept by selectors for `timestamp()`. */
  timestampsMs?: Float64Array;
}

/** Raw samples of one series (a range vector): matrix selectors and subqueries. */
export interface RawSeries {
  labels: SeriesLabels;
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
  readonly dropName: boolean;
}

/** An evaluated expression. */
export type EvalValue =
  | { readonly kind: 'scalar'; readonly values: Float64Array }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'vector'; readonly series: StepSeries[] }
  | { readonly kind: 'matrix'; readonly series: RawSeries[] };

/** Creates an empty step series over `count` steps. */
export function newStepSeries(labels: SeriesLabels, count: number, dropName: boolean): StepSeries {
  return {
    labels,
    values: new Float64Array(count),
    present: new Uint8Array(count),
    dropName,
  };
}

/** How many points a step series holds. */
export function pointCount(series: StepSeries): number {
  let n = 0;
  const p = series.present;
  for (let i = 0; i < p.length; i++) n += p[i]!;
  return n;
}

/**
 * A growable pair of typed arrays for samples. Typed arrays keep the
 * staleness marker's NaN payload, which plain arrays would lose.
 */
export class SampleBuffer {
  timestampsMs = new Float64Array(16);
  values = new Float64Array(16);
  length = 0;

  push(timestampMs: number, value: number): void {
    if (this.length === this.timestampsMs.length) {
      const ts = new Float64Array(this.length * 2);
      ts.set(this.timestampsMs);
      this.timestampsMs = ts;
      const vs = new Float64Array(this.length * 2);
      vs.set(this.values);
      this.values = vs;
    }
    this.timestampsMs[this.length] = timestampMs;
    this.values[this.length] = value;
    this.length++;
  }

  /** Copies the samples out into right-sized arrays. */
  take(): { timestampsMs: Float64Array; values: Float64Array } {
    return {
      timestampsMs: this.timestampsMs.slice(0, this.length),
      values: this.values.slice(0, this.length),
    };
  }

  clear(): void {
    this.length = 0;
  }
}
