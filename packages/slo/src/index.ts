export {
  WINDOW_PLACEHOLDER,
  SLI_KINDS,
  renderWindow,
  errorRatioExpr,
  isEventBasedSli,
  sliQueries,
} from './model.js';
export type {
  SpecFormat,
  SpecSource,
  Service,
  RatioSli,
  LatencySli,
  AvailabilitySli,
  ThroughputSli,
  FreshnessSli,
  PipelineSli,
  RawSli,
  Sli,
  Objective,
  RollingWindow,
  CalendarWindow,
  SloWindow,
  BudgetingMethod,
  AlertTier,
  AlertWindow,
  AlertingOptions,
  ExclusionWindow,
  Slo,
  SpecWarning,
  SloSpecSet,
} from './model.js';
export { parseSloDocument, loadSloFiles } from './load.js';
export type { LoadOptions } from './load.js';
export { parseTarget, convertVigilDocument, isVigilDocument } from './vigil-format.js';
export {
  OPENSLO_V1,
  OPENSLO_KINDS,
  validateOpenSloDocument,
  convertOpenSlo,
  isOpenSloDocument,
} from './openslo.js';
export type { OpenSloObject } from './openslo.js';
export {
  SLOTH_PROMETHEUS_V1,
  SLOTH_DEFAULT_PERIOD_MS,
  convertSlothDocument,
  isSlothDocument,
  percentToFraction,
} from './sloth.js';
export { formatPath } from './spec-issues.js';
export type { SpecIssue, DocContext } from './spec-issues.js';
export type { SloDataState, BurnRateFigure, BudgetFigures, SloStatus } from './status.js';
export {
  SRE_WORKBOOK_WINDOWS,
  nominalPeriodMs,
  alertWindowsOf,
  burnFactor,
  recordingWindowsMs,
  windowText,
  slothIdLabels,
} from './alert-windows.js';
export {
  computeBudget,
  burnRateOf,
  projectExhaustionMs,
  timesliceCounts,
  periodAt,
  calendarPeriodAt,
  maxCalendarPeriodMs,
  localDate,
  localDayStartMs,
  excludedMs,
} from './engine/budget.js';
export type {
  BudgetMode,
  PeriodCounts,
  BudgetResult,
  ExhaustionInput,
  SliceCounts,
  PeriodRange,
  CivilDate,
} from './engine/budget.js';
export { recordingQueries, SAMPLE_STEP_SECONDS } from './engine/queries.js';
export type { EventQueries, SampleQueries, RecordingQueries } from './engine/queries.js';
export { BucketRing } from './engine/ring.js';
export type { BucketSums, ExcludedRange } from './engine/ring.js';
export { SloEngine, DATA_STATE_CODES } from './engine/engine.js';
export type { SloEngineOptions, SloEngineLogger, SloCycleStats } from './engine/engine.js';
