import type { SeriesLabels } from '@vigil/storage';
import type { Annotations } from '../annotations.js';
import type { Call } from '../parser/ast.js';

/**
 * How function implementations plug into the evaluator. The parser checks a
 * call's argument types against its `FunctionSignature`
 * (parser/function-table.ts); the evaluator looks the implementation up by
 * name in `FUNCTIONS` (functions/index.ts) and drives it according to its
 * `kind`. Implementations are pure and stateless: safe for concurrent queries.
 *
 * A few functions need the evaluator itself and are not in the table:
 * `time`, `pi`, `vector`, `scalar`, `timestamp`, `absent`, `absent_over_time`
 * (and the experimental `step`, `range`, `start`, `end`, `min_of`, `max_of`).
 */

/** What every implementation may read about the call it serves. */
export interface FunctionContext {
  /** The evaluation time of the current step, ms since the epoch. */
  readonly timeMs: number;
  /** Where to report warnings and infos (de-duplicated per query). */
  readonly annotations: Annotations;
  /** The call node: argument nodes and positions for annotations. */
  readonly call: Call;
}

/**
 * The raw samples of one series inside one step's range window, for
 * functions over range vectors. The samples are `timestampsMs[from..to)` /
 * `values[from..to)`, ascending in time, all within `(rangeStartMs,
 * rangeEndMs]` (the window is left-open). The arrays may hold more samples
 * outside `[from, to)`: never read them. Staleness markers are already
 * removed.
 */
export interface SampleWindow {
  readonly labels: SeriesLabels;
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
  readonly from: number;
  readonly to: number;
  /** Exclusive lower bound of the window: eval time − offset − range. */
  readonly rangeStartMs: number;
  /** Inclusive upper bound of the window: eval time − offset. */
  readonly rangeEndMs: number;
}

/**
 * A function over a range vector (`rate`, `*_over_time`, `deriv`, ...),
 * called once per series per step. `scalarArgs` are the values of the
 * call's scalar arguments at this step, in call order (`quantile_over_time`'s
 * φ, `predict_linear`'s t). Returns the output value, or `undefined` for no
 * output at this step (too few samples, ...).
 */
export interface RangeFunction {
  readonly kind: 'range';
  /** Whether the output series loses its metric name (all but `last_over_time`-like ones). */
  readonly dropsName: boolean;
  compute(
    window: SampleWindow,
    scalarArgs: readonly number[],
    ctx: FunctionContext,
  ): number | undefined;
  /**
   * Optional: called once per input series that produced at least one value,
   * for per-series annotations (`rate`'s "might not be a counter"); keeps
   * such checks out of the per-step path.
   */
  afterSeries?(labels: SeriesLabels, ctx: FunctionContext): void;
}

/**
 * A function applied to each sample of an instant vector on its own (`abs`,
 * `clamp`, `round`, `hour`, ...). `scalarArgs` are the scalar arguments at
 * this step in call order, after the vector argument.
 */
export interface ElementwiseFunction {
  readonly kind: 'elementwise';
  readonly dropsName: boolean;
  compute(value: number, scalarArgs: readonly number[], ctx: FunctionContext): number;
  /**
   * When present and true for this step's scalar arguments, the function
   * outputs nothing at this step (upstream `clamp` with min > max returns an
   * empty vector); the evaluator then skips `compute` for every sample.
   */
  readonly dropsAll?: (scalarArgs: readonly number[]) => boolean;
}

/**
 * A function that rewrites each series' labels (`label_replace`,
 * `label_join`). Called once per input series with the string arguments;
 * throws a `VigilError` with code `PROMQL_EXECUTION` for invalid arguments.
 * The evaluator merges outputs and fails on duplicate label sets per step.
 */
export interface LabelFunction {
  readonly kind: 'labels';
  /**
   * Checks the string arguments once per call, before the vector argument
   * is evaluated (upstream fails on a bad regex or label name even when the
   * vector is empty). Throws a `PROMQL_EXECUTION` `VigilError`. `compute`
   * checks them too, so calling `validate` is optional.
   */
  readonly validate?: (stringArgs: readonly string[]) => void;
  compute(labels: SeriesLabels, stringArgs: readonly string[], ctx: FunctionContext): SeriesLabels;
}

/** One element of an instant vector while a query is evaluated. */
export interface VectorElement {
  readonly labels: SeriesLabels;
  readonly value: number;
  /** Delayed name removal: the metric name is dropped when the result is returned. */
  readonly dropName: boolean;
}

/**
 * A function over a whole instant vector at one step (`sort*`,
 * `histogram_quantile`, `histogram_fraction`). `scalarArgs` are the scalar
 * arguments at this step in call order; `stringArgs` the string arguments.
 * The output order matters for instant queries (`sort`).
 */
export interface VectorFunction {
  readonly kind: 'vector';
  compute(
    input: readonly VectorElement[],
    scalarArgs: readonly number[],
    stringArgs: readonly string[],
    ctx: FunctionContext,
  ): VectorElement[];
}

/** Any function implementation. */
export type FunctionImplementation =
  RangeFunction | ElementwiseFunction | LabelFunction | VectorFunction;
