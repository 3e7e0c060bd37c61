import {
  ErrorCodes,
  VigilError,
  type LabelValue,
  type LabelValues,
  type Labels,
} from '@vigil/model';
import {
  formatBoundValue,
  formatSampleValue,
  formatTimestampSeconds,
  type ExpositionFormat,
} from '@vigil/exposition';
import { Metric, type MetricOptions } from './metric.js';
import { SeriesBase, seriesTimeToEpochMs, withPrefix } from './series.js';
import { usageError } from './usage-error.js';
import { DEFAULT_BUCKETS, normalizeBuckets } from './buckets.js';
import type { ExemplarRecord } from './exemplar.js';
import type { ChunkWriter } from './chunk-writer.js';

/** Options of a {@link Histogram}. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds, strictly increasing; `+Inf` is implicit. Default {@link DEFAULT_BUCKETS}. */
  buckets?: readonly number[];
  /** Called at scrape time before serialisation (sync or async), with `this` the histogram. */
  collect?: (this: Histogram<L>) => void | Promise<void>;
}

/** Bucket count above which observe() finds the bucket by binary search. */
const LINEAR_SCAN_MAX = 16;

/** One label set of a histogram; returned by `histogram.labels(...)` as a bound child. */
export class HistogramChild extends SeriesBase {
  /** Observations per bucket (not cumulative); the last slot is `+Inf`. */
  readonly counts: number[];
  /** Sum of all observations. */
  sum = 0;
  /** Latest exemplar per bucket, allocated on first use. */
  exemplars: Array<ExemplarRecord | undefined> | undefined = undefined;
  private readonly metric: Histogram<string>;

  /** @internal */
  constructor(metric: Histogram<string>, labelsText: string, now: number) {
    super(labelsText, now);
    this.metric = metric;
    this.counts = new Array<number>(metric.bounds.length + 1).fill(0);
  }

  /** Records one observation (any number but NaN), with an optional exemplar. */
  observe(value: number, exemplar?: Labels): void {
    if (typeof value !== 'number' || value !== value) return this.metric.rejectObservation(value);
    const bounds = this.metric.bounds;
    const n = bounds.length;
    let i = 0;
    if (n <= LINEAR_SCAN_MAX) {
      while (i < n && value > bounds[i]!) i++;
    } else {
      let hi = n;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if (value > bounds[mid]!) i = mid + 1;
        else hi = mid;
      }
    }
    if (exemplar !== undefined || this.metric.autoExemplars) {
      // Checked before the update, so that a rejected exemplar in throw mode changes nothing.
      const record = this.metric.exemplarFor(exemplar, value);
      if (record !== undefined) {
        (this.exemplars ??= new Array<ExemplarRecord | undefined>(n + 1).fill(undefined))[i] =
          record;
      }
    }
    this.counts[i]!++;
    this.sum += value;
    this.touched = true;
    if (!this.attached) this.metric.reattach(this);
  }

  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(): () => number {
    const start = performance.now();
    return () => {
      const seconds = (performance.now() - start) / 1000;
      this.observe(seconds);
      return seconds;
    };
  }

  /** @internal */
  protected clearValues(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.exemplars = undefined;
  }
}

/**
 * Counts observations (request durations, payload sizes) in buckets with
 * upper bounds, plus their sum and count: what `histogram_quantile()` and
 * latency SLOs are computed from.
 *
 * ```ts
 * const latency = new Histogram({ name: 'job_duration_seconds', help: 'Job run time.',
 *   labelNames: ['job'] as const, buckets: exponentialBuckets(0.01, 2, 10) });
 * const end = latency.startTimer({ job: 'email' }); ...; end();
 * ```
 */
export class Histogram<L extends string = never> extends Metric<L, HistogramChild> {
  /** Always `histogram`. */
  readonly type = 'histogram' as const;
  /** Finite upper bounds, increasing; `+Inf` is implicit. */
  readonly bounds: readonly number[];
  /** Per format: `le="0.005"} ` ... `le="+Inf"} `. */
  private readonly leParts: Record<ExpositionFormat, string[]>;

  constructor(options: HistogramOptions<L>) {
    super(options);
    // Not frozen: a frozen array of doubles loses its unboxed element storage, which slows observe().
    this.bounds = normalizeBuckets(this.name, options.buckets ?? DEFAULT_BUCKETS);
    const le = (format: ExpositionFormat): string[] => [
      ...this.bounds.map((b) => `le="${formatBoundValue(b, format)}"} `),
      'le="+Inf"} ',
    ];
    this.leParts = { text: le('text'), openmetrics: le('openmetrics') };
    this.complete(options);
  }

  /** Records an observation in the unlabelled histogram. */
  observe(value: number, exemplar?: Labels): void;
  /** Records an observation in the series of `labels`. */
  observe(labels: LabelValues<L>, value: number, exemplar?: Labels): void;
  observe(a: LabelValues<L> | number, b?: number | Labels, c?: Labels): void {
    if (typeof a === 'object' && a !== null) this.resolve(a)?.observe(b as number, c);
    else this.resolve(undefined)?.observe(a, b as Labels | undefined);
  }

  /**
   * Starts a timer. Calling the returned function observes the elapsed seconds
   * under `labels` merged with `endLabels` (for labels known only at the end,
   * such as a status code) and returns the seconds.
   */
  startTimer(labels?: Partial<LabelValues<L>>): (endLabels?: Partial<LabelValues<L>>) => number {
    const start = performance.now();
    return (endLabels) => {
      const seconds = (performance.now() - start) / 1000;
      const merged = endLabels === undefined ? labels : { ...labels, ...endLabels };
      if (merged === undefined) this.observe(seconds);
      else this.observe(merged as LabelValues<L>, seconds);
      return seconds;
    };
  }

  /** The bound child of a label set: an object, or the values in declared order. */
  labels(labels: LabelValues<L>): HistogramChild;
  labels(...values: LabelValue[]): HistogramChild;
  labels(...args: unknown[]): HistogramChild {
    return this.child(args) ?? this.voidChild;
  }

  /** A copy of a label set's state (undefined when it has none); for tests. */
  get(labels?: LabelValues<L>): { counts: number[]; sum: number; count: number } | undefined {
    const series = this.find(labels);
    if (series === undefined) return undefined;
    const count = series.counts.reduce((a, b) => a + b, 0);
    return { counts: [...series.counts], sum: series.sum, count };
  }

  /** @internal */
  rejectObservation(value: unknown): void {
    usageError(
      this.name,
      new VigilError(
        ErrorCodes.VALUE_NOT_FINITE,
        `Histogram "${this.name}": observation must be a number other than NaN, got ` +
          `${typeof value} ${String(value)}.`,
        { details: { metric: this.name } },
      ),
    );
  }

  /** @internal */
  protected newSeries(labelsText: string, now: number): HistogramChild {
    return new HistogramChild(this, labelsText, now);
  }

  /** @internal */
  writeSeries(
    series: HistogramChild,
    format: ExpositionFormat,
    out: ChunkWriter,
    prefix: string,
  ): void {
    const lt = withPrefix(prefix, series.labelsText);
    const name = this.name;
    const bucketStart = name + (lt === '' ? '_bucket{' : '_bucket{' + lt + ',');
    const braces = lt === '' ? ' ' : '{' + lt + '} ';
    const parts = this.leParts[format];
    const counts = series.counts;
    const exemplars = format === 'openmetrics' ? series.exemplars : undefined;
    let text = '';
    let cumulative = 0;
    for (let i = 0; i < counts.length; i++) {
      cumulative += counts[i]!;
      text += bucketStart + parts[i]! + cumulative;
      const ex = exemplars?.[i];
      if (ex !== undefined) {
        text +=
          ' # {' +
          ex.labelsText +
          '} ' +
          formatSampleValue(ex.value) +
          ' ' +
          formatTimestampSeconds(ex.timestampMs);
      }
      text += '\n';
    }
    text += name + '_sum' + braces + formatSampleValue(series.sum) + '\n';
    text += name + '_count' + braces + cumulative + '\n';
    if (format === 'openmetrics') {
      text +=
        name +
        '_created' +
        braces +
        formatTimestampSeconds(seriesTimeToEpochMs(series.createdAt)) +
        '\n';
    }
    out.write(text);
  }
}
