/**
 * The plain data model shared by the parser ({@link parseExposition}) and the
 * generic writer ({@link writeExposition}): metric families with their
 * samples, labels as flat `[name, value, name, value, ...]` arrays.
 *
 * @module
 */

/**
 * A metric family type. The text format knows `counter`, `gauge`,
 * `histogram`, `summary` and `untyped`; OpenMetrics knows `counter`, `gauge`,
 * `histogram`, `gaugehistogram`, `summary`, `info`, `stateset` and `unknown`.
 * The parser reports the type as written (`untyped` in text, `unknown` in
 * OpenMetrics, also for families without a `# TYPE` line); the writer maps
 * between the two vocabularies.
 */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown'
  | 'untyped';

/**
 * Labels as a flat list of alternating names and values, in exposition order:
 * `['method', 'GET', 'le', '0.1']`. Names are distinct.
 */
export type LabelPairs = readonly string[];

/** An OpenMetrics exemplar: a label set (usually a trace id), a value and an optional time. */
export interface Exemplar {
  /** Exemplar labels as flat name/value pairs (for example `['trace_id', 'abc']`). */
  readonly labels: LabelPairs;
  /** The exemplar's value (float64). */
  readonly value: number;
  /** Milliseconds since the epoch, when the exposition gave one. */
  readonly timestampMs?: number;
}

/** One sample line: a full metric name (with suffix), labels, a value, maybe a time and an exemplar. */
export interface ExpositionSample {
  /** The sample's metric name as written, e.g. `http_requests_total` or `latency_seconds_bucket`. */
  readonly name: string;
  /** Labels as flat name/value pairs, including `le` / `quantile` where present. */
  readonly labels: LabelPairs;
  /** The value (float64; `NaN` and `±Infinity` allowed). */
  readonly value: number;
  /** Milliseconds since the epoch, when the exposition gave one. */
  readonly timestampMs?: number;
  /** OpenMetrics only. */
  readonly exemplar?: Exemplar;
}

/**
 * A metric family: its name (without sample suffixes: `http_requests` for an
 * OpenMetrics counter whose samples are `http_requests_total`), type,
 * metadata and samples.
 */
export interface ExpositionFamily {
  /** Family name as given by `# TYPE`/`# HELP`, or the sample name for families without metadata. */
  readonly name: string;
  readonly type: MetricType;
  /** Unescaped HELP text, when a `# HELP` line was present. */
  readonly help?: string;
  /** OpenMetrics `# UNIT`, when present. */
  readonly unit?: string;
  readonly samples: readonly ExpositionSample[];
}
