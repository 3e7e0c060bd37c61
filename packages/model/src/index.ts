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
