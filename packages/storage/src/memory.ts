import { ErrorCodes, VigilError, sameFloatBits } from '@vigil/model';
import type { LabelMatcher } from '@vigil/model';
import type {
  Appendable,
  Appender,
  Queryable,
  Querier,
  SampleIterator,
  SelectHints,
  Series,
  SeriesRef,
  SeriesSet,
} from './interfaces.js';
import {
  compareLabels,
  compareStrings,
  labelValue,
  labelsKey,
  validateSeriesLabels,
} from './labels.js';
import type { SeriesLabels } from './labels.js';

/**
 * A whole storage in memory: every sample of every series in growing typed
 * arrays, no compression, no retention. For tests and as the reference the
 * conformance suite holds other implementations to. Single-threaded like
 * everything in Node; appenders and queriers may interleave freely.
 */
export class MemoryStorage implements Appendable, Queryable {
  private readonly byKey = new Map<string, MemorySeries>();
  private readonly byRef = new Map<SeriesRef, MemorySeries>();
  private nextRef = 1;
  private closed = false;
  /** Samples rejected as out of order or duplicate, at append or commit. */
  outOfOrderSamples = 0;

  /** Number of series stored. */
  get seriesCount(): number {
    return this.byKey.size;
  }

  appender(): Appender {
    this.assertOpen();
    return new MemoryAppender(this);
  }

  querier(mint: number, maxt: number): Querier {
    this.assertOpen();
    return new MemoryQuerier([...this.byKey.values()], mint, maxt);
  }

  /** Makes the storage unusable; later calls throw `STORAGE_CLOSED`. */
  close(): void {
    this.closed = true;
  }

  /** @internal */
  isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  assertOpen(): void {
    if (this.closed) {
      throw new VigilError(ErrorCodes.STORAGE_CLOSED, 'The memory storage is closed.');
    }
  }

  /** @internal */
  seriesByRef(ref: SeriesRef): MemorySeries | undefined {
    return this.byRef.get(ref);
  }

  /** @internal */
  seriesByKey(key: string): MemorySeries | undefined {
    return this.byKey.get(key);
  }

  /** @internal */
  reserveRef(): SeriesRef {
    return this.nextRef++;
  }

  /**
   * The series with `key`, created with `ref` when new. When another
   * appender created it first, `ref` (reserved for this series by the
   * committing appender and already handed to its caller) becomes a second
   * ref of the same series, so every ref a committed append returned stays
   * valid.
   *
   * @internal
   */
  getOrCreate(key: string, labels: SeriesLabels, ref: SeriesRef): MemorySeries {
    let series = this.byKey.get(key);
    if (series === undefined) {
      series = new MemorySeries(ref, labels, key);
      this.byKey.set(key, series);
      this.byRef.set(ref, series);
    } else if (ref !== series.ref && !this.byRef.has(ref)) {
      this.byRef.set(ref, series);
    }
    return series;
  }
}

class MemorySeries {
  timestamps = new Float64Array(8);
  values = new Float64Array(8);
  length = 0;

  constructor(
    readonly ref: SeriesRef,
    readonly labels: SeriesLabels,
    /** `labelsKey(labels)`, computed once. */
    readonly key: string,
  ) {}

  lastTimestamp(): number {
    return this.length === 0 ? -Infinity : this.timestamps[this.length - 1]!;
  }

  lastValue(): number {
    return this.values[this.length - 1]!;
  }

  push(t: number, v: number): void {
    if (this.length === this.timestamps.length) {
      const ts = new Float64Array(this.length * 2);
      ts.set(this.timestamps);
      const vs = new Float64Array(this.length * 2);
      vs.set(this.values);
      this.timestamps = ts;
      this.values = vs;
    }
    this.timestamps[this.length] = t;
    this.values[this.length] = v;
    this.length++;
  }

  /** Index of the first sample with timestamp >= t among the first `length`. */
  lowerBound(t: number, length: number): number {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The batch's newest sample of one series, for ordering checks within the batch. */
interface Newest {
  t: number;
  v: number;
}

class MemoryAppender implements Appender {
  private done = false;
  private readonly keys: string[] = [];
  private readonly labels: SeriesLabels[] = [];
  private readonly refs: SeriesRef[] = [];
  private timestamps = new Float64Array(64);
  private values = new Float64Array(64);
  private count = 0;
  /** Per series key: the newest sample appended in this batch. */
  private readonly newest = new Map<string, Newest>();
  /** Refs reserved in this batch for series that do not exist yet. */
  private readonly pendingRefs = new Map<SeriesRef, { key: string; labels: SeriesLabels }>();
  private readonly pendingKeys = new Map<string, SeriesRef>();

  constructor(private readonly storage: MemoryStorage) {}

  append(ref: SeriesRef, labels: SeriesLabels, timestampMs: number, value: number): SeriesRef {
    this.assertOpen();
    this.storage.assertOpen();
    if (!Number.isInteger(timestampMs)) {
      throw new VigilError(
        ErrorCodes.SAMPLE_OUT_OF_BOUNDS,
        `Sample timestamp ${timestampMs} is not an integer number of milliseconds.`,
      );
    }
    let key: string;
    let seriesLabels: SeriesLabels;
    let series = ref !== 0 ? this.storage.seriesByRef(ref) : undefined;
    if (series !== undefined) {
      // The fast path: a known ref, labels not looked at.
      key = series.key;
      seriesLabels = series.labels;
    } else {
      const pending = ref !== 0 ? this.pendingRefs.get(ref) : undefined;
      if (pending !== undefined) {
        key = pending.key;
        seriesLabels = pending.labels;
      } else {
        key = labelsKey(labels);
        seriesLabels = labels;
      }
      series = this.storage.seriesByKey(key);
      if (series === undefined && !this.pendingKeys.has(key)) validateSeriesLabels(seriesLabels);
    }
    // The series' newest sample: committed (perhaps by another appender
    // since this batch began) or earlier in this batch, whichever is later.
    const inBatch = this.newest.get(key);
    let lastT = -Infinity;
    let lastV = 0;
    if (series !== undefined && series.length > 0) {
      lastT = series.lastTimestamp();
      lastV = series.lastValue();
    }
    if (inBatch !== undefined && inBatch.t > lastT) {
      lastT = inBatch.t;
      lastV = inBatch.v;
    }
    const resultRef = series?.ref ?? this.pendingKeys.get(key) ?? this.reserve(key, seriesLabels);
    if (timestampMs < lastT) {
      this.storage.outOfOrderSamples++;
      throw new VigilError(
        ErrorCodes.SAMPLE_OUT_OF_ORDER,
        `Sample at ${timestampMs} is older than the series' newest sample at ${lastT}; samples of a series must be appended in time order.`,
        { details: { timestampMs, newestTimestampMs: lastT } },
      );
    }
    if (timestampMs === lastT) {
      if (sameFloatBits(value, lastV)) return resultRef;
      this.storage.outOfOrderSamples++;
      throw new VigilError(
        ErrorCodes.SAMPLE_DUPLICATE,
        `Sample at ${timestampMs} has a different value than the series' sample at the same time.`,
        { details: { timestampMs } },
      );
    }
    if (inBatch !== undefined) {
      inBatch.t = timestampMs;
      inBatch.v = value;
    } else {
      this.newest.set(key, { t: timestampMs, v: value });
    }
    this.push(key, seriesLabels, resultRef, timestampMs, value);
    return resultRef;
  }

  commit(): Promise<void> {
    this.assertOpen();
    this.done = true;
    if (this.storage.isClosed()) {
      return Promise.reject(
        new VigilError(ErrorCodes.STORAGE_CLOSED, 'The memory storage is closed.'),
      );
    }
    for (let i = 0; i < this.count; i++) {
      const series = this.storage.getOrCreate(this.keys[i]!, this.labels[i]!, this.refs[i]!);
      const t = this.timestamps[i]!;
      // Another appender may have committed newer samples meanwhile.
      if (t <= series.lastTimestamp()) {
        if (!(t === series.lastTimestamp() && sameFloatBits(this.values[i]!, series.lastValue()))) {
          this.storage.outOfOrderSamples++;
        }
        continue;
      }
      series.push(t, this.values[i]!);
    }
    return Promise.resolve();
  }

  rollback(): void {
    this.assertOpen();
    this.done = true;
  }

  private reserve(key: string, labels: SeriesLabels): SeriesRef {
    const ref = this.storage.reserveRef();
    this.pendingRefs.set(ref, { key, labels });
    this.pendingKeys.set(key, ref);
    return ref;
  }

  private push(key: string, labels: SeriesLabels, ref: SeriesRef, t: number, v: number): void {
    if (this.count === this.timestamps.length) {
      const ts = new Float64Array(this.count * 2);
      ts.set(this.timestamps);
      const vs = new Float64Array(this.count * 2);
      vs.set(this.values);
      this.timestamps = ts;
      this.values = vs;
    }
    this.keys.push(key);
    this.labels.push(labels);
    this.refs.push(ref);
    this.timestamps[this.count] = t;
    this.values[this.count] = v;
    this.count++;
  }

  private assertOpen(): void {
    if (this.done) {
      throw new VigilError(
        ErrorCodes.APPENDER_CLOSED,
        'This appender was already committed or rolled back; take a new one from appender().',
      );
    }
  }
}

interface Selected {
  series: MemorySeries;
  from: number;
  to: number;
}

function matchesAll(labels: SeriesLabels, matchers: readonly LabelMatcher[]): boolean {
  for (const m of matchers) if (!m.matches(labelValue(labels, m.name))) return false;
  return true;
}

class MemoryQuerier implements Querier {
  private closed = false;

  constructor(
    private readonly series: readonly MemorySeries[],
    readonly mint: number,
    readonly maxt: number,
  ) {}

  select(matchers: readonly LabelMatcher[], hints?: SelectHints): SeriesSet {
    this.assertOpen();
    const picked = this.pick(matchers);
    if (hints?.sorted !== false)
      picked.sort((a, b) => compareLabels(a.series.labels, b.series.labels));
    let i = -1;
    return {
      next: () => ++i < picked.length,
      at: (): Series => {
        const { series, from, to } = picked[i]!;
        return {
          labels: series.labels,
          iterator: () => new MemoryIterator(series.timestamps, series.values, from, to),
        };
      },
      warnings: () => [],
    };
  }

  labelNames(matchers: readonly LabelMatcher[] = []): string[] {
    this.assertOpen();
    const names = new Set<string>();
    for (const { series } of this.pick(matchers)) {
      for (let i = 0; i < series.labels.length; i += 2) names.add(series.labels[i]!);
    }
    return [...names].sort(compareStrings);
  }

  labelValues(name: string, matchers: readonly LabelMatcher[] = []): string[] {
    this.assertOpen();
    const values = new Set<string>();
    for (const { series } of this.pick(matchers)) {
      const v = labelValue(series.labels, name);
      if (v !== '') values.add(v);
    }
    return [...values].sort(compareStrings);
  }

  close(): void {
    this.closed = true;
  }

  private pick(matchers: readonly LabelMatcher[]): Selected[] {
    const out: Selected[] = [];
    for (const series of this.series) {
      if (!matchesAll(series.labels, matchers)) continue;
      const length = series.length;
      const from = series.lowerBound(this.mint, length);
      const to = series.lowerBound(this.maxt + 1, length);
      if (from < to) out.push({ series, from, to });
    }
    return out;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new VigilError(ErrorCodes.STORAGE_CLOSED, 'This querier is closed; open a new one.');
    }
  }
}

class MemoryIterator implements SampleIterator {
  private i: number;

  constructor(
    private readonly timestamps: Float64Array,
    private readonly values: Float64Array,
    private readonly from: number,
    private readonly to: number,
  ) {
    this.i = from - 1;
  }

  next(): boolean {
    if (this.i >= this.to) return false;
    return ++this.i < this.to;
  }

  seek(t: number): boolean {
    if (this.i < this.from) this.i = this.from;
    if (this.i >= this.to) return false;
    if (this.timestamps[this.i]! >= t) return true;
    // Binary search in (i, to) for the first timestamp >= t.
    let lo = this.i + 1;
    let hi = this.to;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    this.i = lo;
    return lo < this.to;
  }

  timestampMs(): number {
    return this.timestamps[this.i]!;
  }

  value(): number {
    return this.values[this.i]!;
  }
}
