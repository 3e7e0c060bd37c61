export {
  PointKind,
  parseTestScript,
  parseScriptDuration,
  parseScalarLine,
  parseSeriesDesc,
  parseSeriesValues,
  parseSeriesLine,
  readQuoted,
  scriptError,
} from './script.js';
export type {
  SeriesValues,
  SeriesLine,
  LoadCommand,
  ClearCommand,
  AnnotationExpectation,
  FailExpectation,
  EvalCommand,
  Command,
  TestScript,
} from './script.js';
export {
  analyzeQuery,
  classifyEval,
  classifyScript,
  selectorMayMatch,
  EXPERIMENTAL_CALLS,
  NATIVE_HISTOGRAM_CALLS,
  TIME_DEPENDENT_CALLS,
  RANGE_DEPENDENT_CALLS,
} from './classify.js';
export type {
  SkipReason,
  EvalScope,
  QueryFeatures,
  SelectorSketch,
  EvalContext,
} from './classify.js';
export {
  floatsEqual,
  labelIdentity,
  seriesLabelsIdentity,
  formatLabelPairs,
  formatFloat,
  compareResult,
  checkAnnotations,
  checkFailure,
} from './compare.js';
export {
  newTestEngine,
  runTestFile,
  runTestScript,
  runEval,
  stepInvarianceTimes,
} from './runner.js';
export type { EvalOutcome, EvalReport, FileReport, RunOptions } from './runner.js';
export { pinAtTimestamp, pinQueryPrinted, pinQueryText } from './pin-at.js';
