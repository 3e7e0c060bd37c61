export {
  METRIC_NAME_LABEL,
  labelsFromRecord,
  labelsToRecord,
  labelValue,
  sortLabelPairs,
  labelsKey,
  compareStrings,
  compareLabels,
  labelsEqual,
  validateSeriesLabels,
} from './labels.js';
export type { SeriesLabels } from './labels.js';
export { EMPTY_SERIES_SET } from './interfaces.js';
export type {
  SeriesRef,
  Appender,
  Appendable,
  SelectHints,
  Querier,
  Queryable,
  SeriesSet,
  Series,
  NewestSample,
  SampleIterator,
} from './interfaces.js';
export { MemoryStorage } from './memory.js';
export {
  listSeriesSet,
  seriesFromSamples,
  mergeSeriesSets,
  ChainSampleIterator,
  collectSeriesSet,
  collectSamples,
} from './merge.js';
export type { CollectedSample, CollectedSeries } from './merge.js';
