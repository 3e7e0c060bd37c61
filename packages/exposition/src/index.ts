export {
  TEXT_CONTENT_TYPE,
  OPENMETRICS_CONTENT_TYPE,
  contentTypeFor,
  negotiateFormat,
  escapeLabelValue,
  escapeHelp,
  formatSampleValue,
  formatBoundValue,
  formatTimestampSeconds,
} from './format.js';
export type { ExpositionFormat } from './format.js';
