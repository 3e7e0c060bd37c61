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
  SloPluginRef,
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
export type { SlothSliPlugin } from './sloth.js';
export { formatPath } from './spec-issues.js';
export type { SpecIssue, DocContext } from './spec-issues.js';
export type { SloDataState, BurnRateFigure, BudgetFigures, SloStatus } from './status.js';
export {
  SRE_WORKBOOK_WINDOWS,
  DEFAULT_NO_DATA_FOR_MS,
  nominalPeriodMs,
  alertWindowsOf,
  burnFactor,
  recordingWindowsMs,
  windowText,
  slothIdLabels,
} from './alert-windows.js';
export {
  POLICY_STATES,
  DEFAULT_STATE_ACTIONS,
  DEFAULT_POLICY_THRESHOLDS,
  DEFAULT_BUDGET_POLICY,
  policyStateSeverity,
  worseState,
  stateForRemaining,
} from './policy/policy.js';
export type {
  PolicyState,
  PolicyThresholds,
  ExhaustedForRule,
  BudgetDropRule,
  PolicyRule,
  BudgetPolicy,
} from './policy/policy.js';
export { policySchema, convertPolicy } from './policy/policy-spec.js';
export type { PolicySpec } from './policy/policy-spec.js';
export { evaluatePolicy, largestDrop, sortDecisions, formatPercent } from './policy/evaluate.js';
export type { TriggeredRule, PolicyDecision, EvaluatePolicyOptions } from './policy/evaluate.js';
export {
  EMPTY_HISTORY,
  BUDGET_REMAINING_METRIC,
  errorRatioMetric,
  budgetHistoryFromQueryApi,
} from './policy/history.js';
export type { HistorySeries, BudgetHistory, SloHistory } from './policy/history.js';
export {
  shouldUseColour,
  paint,
  stripAnsi,
  visibleWidth,
  pad,
  stateColour,
  percentOrDash,
  formatTarget,
  formatBurn,
  budgetBar,
} from './render/text.js';
export type { Colour } from './render/text.js';
export { DEFAULT_BURN_WINDOWS, burnColumns, renderStatusTable } from './render/status-table.js';
export type { StatusTableOptions } from './render/status-table.js';
export { escapeXml, renderBurndownSvg } from './render/svg.js';
export type { BurndownSvgOptions } from './render/svg.js';
export {
  parseReportPeriod,
  monthFigures,
  computeMonthlyReport,
  renderMonthlyReport,
  reportCharts,
} from './render/report.js';
export type {
  ReportPeriod,
  SloMonthFigures,
  ServiceMonthReport,
  MonthlyReport,
  ReportServiceInput,
  RenderReportOptions,
} from './render/report.js';
export { generateRuleGroups, planSloRules, eventCountExpr } from './generate/rule-groups.js';
export type {
  GeneratedRecordingRule,
  GeneratedAlertingRule,
  GeneratedRule,
  GeneratedRuleGroup,
  GenerateOptions,
  SloRulePlan,
} from './generate/rule-groups.js';
export { formatRuleFile } from './generate/rule-file-text.js';
export { BUILTIN_SLO_PLUGINS, runSloPlugins } from './generate/slo-plugins.js';
export type { SloRulesPlugin } from './generate/slo-plugins.js';
export { parseAlertWindowsSpec } from './generate/alert-windows-spec.js';
export type { AlertWindowCatalog } from './generate/alert-windows-spec.js';
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
export { scaleSlo, describeTimeScale, MIN_SCALED_WINDOW_MS } from './time-scale.js';
export { SloEngine, DATA_STATE_CODES } from './engine/engine.js';
export type { SloEngineOptions, SloEngineLogger, SloCycleStats } from './engine/engine.js';
