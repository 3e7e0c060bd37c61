import { ErrorCodes, VigilError, type LabelValue, type LabelValues } from '@vigil/model';
import { formatSampleValue, type ExpositionFormat } from '@vigil/exposition';
import { Metric, type MetricOptions } from './metric.js';
import { SeriesBase, withPrefix } from './series.js';
import { usageError } from './usage-error.js';
import type { ChunkWriter } from './chunk-writer.js';

/** Options of a {@link Gauge}. */
export interface GaugeOptions<L extends string> extends MetricOptions<L> {
  /**
   * Called at scrape time before serialisation (sync or async), with `this`
   * the gauge: the place to compute values such as queue lengths.
   */
  collect?: (this: Gauge<L>) => void | Promise<void>;
}

/** One label set of a gauge; returned by `gauge.labels(...)` as a bound child. */
export class GaugeChild extends SeriesBase {
  /** Current value. */
  value = 0;
  private readonly metric: Gauge<string>;

  /** @internal */
  constructor(metric: Gauge<string>, labelsText: string, now: number) {
    super(labelsText, now);
    this.metric = metric;
  }

  /** Sets the value (any number, NaN and ±Inf included). */
  set(value: number): void {
    if (typeof value !== 'number') return this.metric.rejectValue(value);
    this.value = value;
    this.touched = true;
    if (!this.attached) this.metric.reattach(this);
  }

  /** Adds `value` (default 1). */
  inc(value = 1): void {
    if (typeof value !== 'number') return this.metric.rejectValue(value);
    this.set(this.value + value);
  }

  /** Subtracts `value` (default 1). */
  dec(value = 1): void {
    if (typeof value !== 'number') return this.metric.rejectValue(value);
    this.set(this.value - value);
  }

  /** Sets the value to the current time in seconds since the epoch. */
  setToCurrentTime(): void {
    this.set(Date.now() / 1000);
  }

  /** Starts a timer; calling the returned function sets the elapsed seconds and returns them. */
  startTimer(): () => number {
    const start = performance.now();
    return () => {
      const seconds = (performance.now() - start) / 1000;
      this.set(seconds);
      return seconds;
    };
  }

  /** @internal */
  protected clearValues(): void {
    this.value = 0;
  }
}

/**
 * A value that goes up and down (queue length, temperature, memory in use).
 *
 * ```ts
 * const queue = new Gauge({ name: 'jobs_queued', help: 'Jobs waiting.', labelNames: ['queue'] as const });
 * queue.set({ queue: 'email' }, 12);
 * ```
 */
export class Gauge<L extends string = never> extends Metric<L, GaugeChild> {
  /** Always `gauge`. */
  readonly type = 'gauge' as const;

  constructor(options: GaugeOptions<L>) {
    super(options);
    this.complete(options);
  }

  /** Sets the unlabelled gauge. */
  set(value: number): void;
  /** Sets the series of `labels`. */
  set(labels: LabelValues<L>, value: number): void;
  set(a: LabelValues<L> | number, b?: number): void {
    if (typeof a === 'object' && a !== null) this.resolve(a)?.set(b as number);
    else this.resolve(undefined)?.set(a);
  }

  /** Adds `value` (default 1). */
  inc(value?: number): void;
  inc(labels: LabelValues<L>, value?: number): void;
  inc(a?: LabelValues<L> | number, b?: number): void {
    if (typeof a === 'object' && a !== null) this.resolve(a)?.inc(b);
    else this.resolve(undefined)?.inc(a);
  }

  /** Subtracts `value` (default 1). */
  dec(value?: number): void;
  dec(labels: LabelValues<L>, value?: number): void;
  dec(a?: LabelValues<L> | number, b?: number): void {
    if (typeof a === 'object' && a !== null) this.resolve(a)?.dec(b);
    else this.resolve(undefined)?.dec(a);
  }

  /** Sets the value to the current time in seconds. */
  setToCurrentTime(labels?: LabelValues<L>): void {
    this.resolve(labels)?.setToCurrentTime();
  }

  /** Starts a timer that sets the elapsed seconds when its returned function is called. */
  startTimer(labels?: LabelValues<L>): () => number {
    return (this.resolve(labels) ?? this.voidChild).startTimer();
  }

  /** The bound child of a label set: an object, or the values in declared order. */
  labels(labels: LabelValues<L>): GaugeChild;
  labels(...values: LabelValue[]): GaugeChild;
  labels(...args: unknown[]): GaugeChild {
    return this.child(args) ?? this.voidChild;
  }

  /** The current value of a label set (0 when it has none); for tests and health logic. */
  get(labels?: LabelValues<L>): number {
    return this.find(labels)?.value ?? 0;
  }

  /** @internal */
  rejectValue(value: unknown): void {
    usageError(
      this.name,
      new VigilError(
        ErrorCodes.VALUE_NOT_FINITE,
        `Gauge "${this.name}": value must be a number, got ${typeof value} ${String(value)}.`,
        { details: { metric: this.name } },
      ),
    );
  }

  /** @internal */
  protected newSeries(labelsText: string, now: number): GaugeChild {
    return new GaugeChild(this, labelsText, now);
  }

  /** @internal */
  writeSeries(
    series: GaugeChild,
    _format: ExpositionFormat,
    out: ChunkWriter,
    prefix: string,
  ): void {
    const lt = withPrefix(prefix, series.labelsText);
    out.write(
      this.name + (lt === '' ? ' ' : '{' + lt + '} ') + formatSampleValue(series.value) + '\n',
    );
  }
}
