export { ErrorCodes, VigilError, isVigilError } from './errors.js';
export type { ErrorCode } from './errors.js';
export {
  RESERVED_LABEL_NAMES,
  isValidMetricName,
  isValidLabelName,
  assertMetricName,
  assertLabelNames,
} from './names.js';
export { parseDurationMs, formatDurationMs } from './duration.js';
export type { Labels, LabelValue, LabelValues } from './labels.js';
export { newLabelMatcher, matchesEmpty, compileAnchoredRegex } from './matchers.js';
export type { LabelMatcher, MatchType } from './matchers.js';
export {
  STALE_NAN,
  STALE_NAN_HIGH_BITS,
  STALE_NAN_LOW_BITS,
  isStaleNaN,
  sameFloatBits,
} from './samples.js';
export type { Sample } from './samples.js';
export { formatGoG, formatGoShortest, formatGoF } from './go-float.js';
