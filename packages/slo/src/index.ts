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
  nominalPeriodMs,
  alertWindowsOf,
  burnFactor,
  recordingWindowsMs,
  windowText,
  slothIdLabels,
} from './alert-windows.js';
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
export { formatGoFloat, formatGoFixed } from './generate/go-float.js';
