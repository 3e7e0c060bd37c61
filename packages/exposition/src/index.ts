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
export type {
  MetricType,
  LabelPairs,
  Exemplar,
  ExpositionSample,
  ExpositionFamily,
} from './model.js';
export { ExpositionParser, StringTable, parseExposition, DEFAULT_PARSER_LIMITS } from './parser.js';
export type { ParserLimits, ParserOptions, FamilyMetadata, ExpositionSink } from './parser.js';
export { writeExposition } from './writer.js';
