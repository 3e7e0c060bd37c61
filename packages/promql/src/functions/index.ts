import { DATE_FUNCTIONS, ELEMENTWISE_FUNCTIONS } from './elementwise.js';
import { labelJoin, labelReplace } from './labels.js';
import { RANGE_FUNCTIONS } from './range.js';
import type { FunctionImplementation } from './types.js';
import {
  histogramFractionFn,
  histogramQuantileFn,
  histogramQuantilesFn,
  sortByLabelDescFn,
  sortByLabelFn,
  sortDescFn,
  sortFn,
} from './vector.js';

/**
 * Every PromQL function the evaluator drives through the table, keyed by
 * its PromQL name (see functions/types.ts for how each kind is driven).
 * Functions that need the evaluator itself (`time`, `vector`, `scalar`,
 * `absent`, ...) are not here. Immutable; shared by all queries.
 */
export const FUNCTIONS: ReadonlyMap<string, FunctionImplementation> = new Map<
  string,
  FunctionImplementation
>([
  ...RANGE_FUNCTIONS,
  ...ELEMENTWISE_FUNCTIONS,
  ['label_replace', labelReplace],
  ['label_join', labelJoin],
  ['sort', sortFn],
  ['sort_desc', sortDescFn],
  ['sort_by_label', sortByLabelFn],
  ['sort_by_label_desc', sortByLabelDescFn],
  ['histogram_quantile', histogramQuantileFn],
  ['histogram_quantiles', histogramQuantilesFn],
  ['histogram_fraction', histogramFractionFn],
]);

export { absentLabels } from './absent.js';
export { KahanSum } from './numeric.js';
export { DATE_FUNCTIONS };
export { kahanInc, parseGoFloat } from './numeric.js';
export { sampleQuantile, bucketQuantile, bucketFraction } from './quantile.js';
export type { ClassicBucket, BucketQuantileResult } from './quantile.js';
export { extrapolatedRate, extendedRate, linearRegression } from './range.js';
export { civilTime } from './elementwise.js';
export type { CivilTime } from './elementwise.js';
export { setLabel, expandTemplate, isValidUtf8LabelName } from './labels.js';
export { naturalLess, formatOpenMetricsFloat } from './vector.js';
export type {
  FunctionContext,
  SampleWindow,
  RangeFunction,
  ElementwiseFunction,
  LabelFunction,
  VectorElement,
  VectorFunction,
  FunctionImplementation,
} from './types.js';
