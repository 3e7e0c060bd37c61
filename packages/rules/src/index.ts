export { parseRuleFile } from './rule-file.js';
export type {
  RuleGroupSpec,
  RuleSpec,
  RecordingRuleSpec,
  AlertingRuleSpec,
  RuleFileProblem,
} from './rule-file.js';
export {
  Template,
  TemplateError,
  compileTemplate,
  renderTemplate,
  formatG,
  formatFloatE,
} from './template.js';
export type { TemplateData } from './template.js';
export { RuleManager } from './evaluator.js';
export type {
  RuleManagerOptions,
  RulesLogger,
  AlertState,
  AlertInfo,
  RuleHealth,
  ApiAlert,
  ApiRule,
  ApiRuleGroup,
} from './evaluator.js';
