/**
 * The storage seam. The embedded TSDB implements these interfaces; PromQL,
 * scraping, rules and SLOs use only them. All calls are synchronous except
 * `Appender.commit`, so that an implementation may wait for durability.
 *
 * Conventions: timestamps are integer milliseconds since the epoch; ranges
 * are inclusive `[mint, maxt]`; values are float64 and the Prometheus
 * staleness marker (see `isStaleNaN` in `@vigil/model`) is a value like any
 * other, preserved bit for bit.
 *
 * @module
 */
import type { LabelMatcher } from '@vigil/model';
import type { SeriesLabels } from './labels.js';

/**
 * A storage-assigned handle for a series, valid for the lifetime of the
 * storage instance, never reused for another series. `0` means "no ref".
 * Appenders accept a ref from an earlier `append` to skip the label lookup.
 */
export type SeriesRef = number;

/**
 * Accumulates samples of one batch. Nothing is visible to queriers before
 * {@link Appender.commit} resolves, and a rolled-back batch leaves no trace.
 * An appender is used by one caller at a time and is finished by exactly one
 * `commit` or `rollback`; afterwards every method throws `APPENDER_CLOSED`.
 */
export interface Appender {
  /**
   * Adds one sample to the batch and returns the series' ref.
   *
   * `ref` is `0` or a ref an earlier `append` on the same storage returned;
   * with a known ref, `labels` are not looked at. With `0` or an unknown
   * ref, `labels` (sorted, see `SeriesLabels`) identify the series, which
   * is created on commit if new.
   *
   * A sample at the same timestamp and with the same value bits as the
   * series' newest sample is accepted and ignored, as in Prometheus.
   *
   * @throws VigilError `SAMPLE_OUT_OF_ORDER` when `timestampMs` is before
   *   the newest sample of the series (committed or earlier in this batch);
   *   `SAMPLE_DUPLICATE` for the same timestamp with a different value;
   *   `SAMPLE_OUT_OF_BOUNDS` when the storage no longer accepts that time;
   *   `SERIES_LABELS_INVALID` for invalid labels. The sample is skipped and
   *   the appender stays usable for the rest of the batch.
   */
  append(ref: SeriesRef, labels: SeriesLabels, timestampMs: number, value: number): SeriesRef;
  /**
   * Makes the batch visible (and, for a durable storage, durable: when the
   * promise resolves the batch survives a crash of the process).
   *
   * A sample that was in order when appended but is no longer, because
   * another appender committed newer samples of the same series meanwhile,
   * is dropped (and counted as out of order), as in Prometheus; the rest of
   * the batch is committed.
   */
  commit(): Promise<void>;
  /** Discards the batch. */
  rollback(): void;
}

/** Something that accepts samples. */
export interface Appendable {
  /** A new, empty batch. Many appenders may be open at once. */
  appender(): Appender;
}

/** Hints a querier may use to read less; it must return correct results whatever they say. */
export interface SelectHints {
  /**
   * Return series sorted by labels (see `compareLabels`). Needed to merge
   * sets; costs a sort when the storage does not keep that order anyway.
   */
  readonly sorted?: boolean;
  /** The step of a range query in ms, when known. */
  readonly stepMs?: number;
  /** The PromQL function the selection feeds, e.g. `rate`, when known. */
  readonly func?: string;
}

/**
 * A read view of the storage over `[mint, maxt]`. Every sample it returns
 * lies in that range. Sees the batches committed before it was created and
 * may or may not see later ones. Close it when done.
 */
export interface Querier {
  /** The inclusive lower bound this querier was opened with (ms). */
  readonly mint: number;
  /** The inclusive upper bound this querier was opened with (ms). */
  readonly maxt: number;
  /**
   * The series matching all matchers (an empty list matches every series)
   * that have at least one sample in `[mint, maxt]`.
   */
  select(matchers: readonly LabelMatcher[], hints?: SelectHints): SeriesSet;
  /**
   * Sorted distinct label names of the series that match all matchers (or
   * of all series) and have samples in `[mint, maxt]`.
   */
  labelNames(matchers?: readonly LabelMatcher[]): string[];
  /**
   * Sorted distinct values of label `name` over the series that match all
   * matchers (or all series), have that label and have samples in
   * `[mint, maxt]`.
   */
  labelValues(name: string, matchers?: readonly LabelMatcher[]): string[];
  /** Releases what the querier holds. Idempotent. */
  close(): void;
}

/** Something that can be read. */
export interface Queryable {
  /** A querier over the inclusive range `[mint, maxt]` in ms. */
  querier(mint: number, maxt: number): Querier;
}

/** A cursor over series: call `next()` until it returns false; `at()` is the current series. */
export interface SeriesSet {
  next(): boolean;
  at(): Series;
  /** Non-fatal problems met while selecting (shown to the user as warnings). */
  warnings(): readonly string[];
}

/** One series of a {@link SeriesSet}: its labels and its samples in the querier's range. */
export interface Series {
  readonly labels: SeriesLabels;
  /** A new iterator over the series' samples, in timestamp order, each timestamp once. */
  iterator(): SampleIterator;
  /**
   * Optional: the series' newest sample in the querier's range when the
   * store knows it without decoding anything (an embedded store keeps the
   * last committed sample in memory), else undefined. Instant queries at
   * the head of the data (alert rules, dashboards' "now") read it instead of
   * iterating. The value keeps its NaN bits (a staleness marker stays one).
   */
  newestSample?(): NewestSample | undefined;
}

/** A series' newest sample, see {@link Series.newestSample}. */
export interface NewestSample {
  readonly timestampMs: number;
  readonly value: number;
}

/**
 * A forward cursor over samples. Not started until the first `next()` or
 * `seek()`. `timestampMs()` and `value()` are valid after a call returned true.
 */
export interface SampleIterator {
  /** Moves to the next sample; false when there is none. */
  next(): boolean;
  /**
   * Moves to the first sample with timestamp `>= t`. When the current
   * sample already qualifies it stays; it never moves backwards. False when
   * there is no such sample (the iterator is then exhausted).
   */
  seek(t: number): boolean;
  /** The current sample's timestamp in ms. */
  timestampMs(): number;
  /** The current sample's value (staleness markers keep their bits). */
  value(): number;
}

/** The conventional "no series" {@link SeriesSet}. */
export const EMPTY_SERIES_SET: SeriesSet = Object.freeze({
  next: () => false,
  at: (): Series => {
    throw new Error('EMPTY_SERIES_SET has no series');
  },
  warnings: () => [],
});
