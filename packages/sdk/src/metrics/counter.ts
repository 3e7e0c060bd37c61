import {
  ErrorCodes,
  VigilError,
  type LabelValue,
  type LabelValues,
  type Labels,
} from '@vigil/model';
import {
  formatSampleValue,
  formatTimestampSeconds,
  type ExpositionFormat,
} from '@vigil/exposition';
import { Metric, type MetricOptions } from './metric.js';
import { SeriesBase, seriesTimeToEpochMs, withPrefix } from './series.js';
import { usageError } from './usage-error.js';
import type { ExemplarRecord } from './exemplar.js';
import type { ChunkWriter } from './chunk-writer.js';

/** Options of a {@link Counter}. */
export interface CounterOptions<L extends string> extends MetricOptions<L> {
  /** Called at scrape time before serialisation (sync or async), with `this` the counter. */
  collect?: (this: Counter<L>) => void | Promise<void>;
}

/**
 * One label set of a counter. Returned by `counter.labels(...)` as a bound
 * child: `inc()` on it skips the label lookup.
 */
export class CounterChild extends SeriesBase {
  /** Current value. */
  value = 0;
  /** Latest exemplar, if any. */
  exemplar: ExemplarRecord | undefined = undefined;
  private readonly metric: Counter<string>;

  /** @internal */
  constructor(metric: Counter<string>, labelsText: string, now: number) {
    super(labelsText, now);
    this.metric = metric;
  }

  /**
   * Adds `value` (default 1; must be finite and >= 0). `exemplar` labels, for
   * example `{ trace_id }`, are exposed in OpenMetrics.
   */
  inc(value?: number, exemplar?: Labels): void {
    if (value === undefined) value = 1;
    else if (typeof value !== 'number' || !(value >= 0) || value === Infinity) {
      return this.metric.rejectIncrement(value);
    }
    if (exemplar !== undefined || this.metric.autoExemplars) {
      // Checked before the update, so that a rejected exemplar in throw mode changes nothing.
      const record = this.metric.exemplarFor(exemplar, value);
      if (record !== undefined) this.exemplar = record;
    }
    this.value += value;
    this.touched = true;
    if (!this.attached) this.metric.reattach(this);
  }

  /** @internal */
  protected clearValues(): void {
    this.value = 0;
    this.exemplar = undefined;
  }
}

/**
 * A monotonically increasing count (requests served, errors, bytes sent).
 * The exposed name always ends in `_total`, in both formats, as OpenMetrics
 * requires; `name: "jobs"` is exposed as `jobs_total`.
 *
 * ```ts
 * const requests = new Counter({ name: 'http_requests_total', help: 'Requests served.',
 *   labelNames: ['method', 'status'] as const });
 * requests.inc({ method: 'GET', status: 200 });
 * const ok = requests.labels('GET', '200'); ok.inc(); // hot path
 * ```
 */
export class Counter<L extends string = never> extends Metric<L, CounterChild> {
  /** Always `counter`. */
  readonly type = 'counter' as const;

  constructor(options: CounterOptions<L>) {
    super(options, options?.name?.endsWith('_total') ? options.name : `${options?.name}_total`);
    this.complete(options);
  }

  /** Adds `value` (default 1) to the unlabelled counter. */
  inc(value?: number, exemplar?: Labels): void;
  /** Adds `value` (default 1) to the series of `labels`. */
  inc(labels: LabelValues<L>, value?: number, exemplar?: Labels): void;
  inc(a?: LabelValues<L> | number, b?: number | Labels, c?: Labels): void {
    if (typeof a === 'object' && a !== null) {
      const series = this.resolve(a);
      if (series !== undefined) series.inc(b as number | undefined, c);
    } else {
      const series = this.resolve(undefined);
      if (series !== undefined) series.inc(a, b as Labels | undefined);
    }
  }

  /** The bound child of a label set: an object, or the values in declared order. */
  labels(labels: LabelValues<L>): CounterChild;
  labels(...values: LabelValue[]): CounterChild;
  labels(...args: unknown[]): CounterChild {
    return this.child(args) ?? this.voidChild;
  }

  /** The current value of a label set (0 when it has none); for tests and health logic. */
  get(labels?: LabelValues<L>): number {
    return this.find(labels)?.value ?? 0;
  }

  /** @internal */
  rejectIncrement(value: unknown): void {
    usageError(
      this.name,
      new VigilError(
        ErrorCodes.COUNTER_INCREMENT_INVALID,
        `Counter "${this.name}": increment must be a finite number >= 0, got ${String(value)}. ` +
          `Counters only go up; use a Gauge for values that go down.`,
        { details: { metric: this.name } },
      ),
    );
  }

  /** @internal */
  protected newSeries(labelsText: string, now: number): CounterChild {
    return new CounterChild(this, labelsText, now);
  }

  /** @internal */
  writeSeries(
    series: CounterChild,
    format: ExpositionFormat,
    out: ChunkWriter,
    prefix: string,
  ): void {
    const lt = withPrefix(prefix, series.labelsText);
    const braces = lt === '' ? '' : '{' + lt + '}';
    let line = this.name + braces + ' ' + formatSampleValue(series.value);
    if (format === 'openmetrics') {
      const ex = series.exemplar;
      if (ex !== undefined) {
        line +=
          ' # {' +
          ex.labelsText +
          '} ' +
          formatSampleValue(ex.value) +
          ' ' +
          formatTimestampSeconds(ex.timestampMs);
      }
      line +=
        '\n' +
        this.name.slice(0, -6) +
        '_created' +
        braces +
        ' ' +
        formatTimestampSeconds(seriesTimeToEpochMs(series.createdAt));
    }
    out.write(line + '\n');
  }
}
