/**
 * The error-budget policy: the decision framework that turns the budget
 * remaining into what a team should do (ship, balance, reliability first,
 * freeze), and the written rules a service may add ("over budget for four
 * weeks → freeze", "one incident that spent more than 20% of the budget →
 * postmortem with a P0 action item").
 *
 * @module
 */

/**
 * What the policy says a service's team should do, from best to worst:
 * - `ship`: the budget is healthy; ship features;
 * - `balance`: balance reliability work with features;
 * - `reliability-first`: reliability work comes before features;
 * - `freeze`: the budget is exhausted; freeze all changes except P0 and security fixes;
 * - `unknown`: no SLO of the service has data, so the budget cannot be judged
 *   (never read as `ship`).
 */
export type PolicyState = 'ship' | 'balance' | 'reliability-first' | 'freeze' | 'unknown';

/** Every {@link PolicyState}, in the order of {@link policyStateSeverity}. */
export const POLICY_STATES: readonly PolicyState[] = [
  'ship',
  'unknown',
  'balance',
  'reliability-first',
  'freeze',
];

/**
 * How bad a state is, for taking the worst of several: `ship` 0, `unknown` 1
 * (worse than ship: missing data is no evidence of health, but better than
 * any state a measurement proves), `balance` 2, `reliability-first` 3, `freeze` 4.
 */
export function policyStateSeverity(state: PolicyState): number {
  return POLICY_STATES.indexOf(state);
}

/** The worse of two states (see {@link policyStateSeverity}). */
export function worseState(a: PolicyState, b: PolicyState): PolicyState {
  return policyStateSeverity(b) > policyStateSeverity(a) ? b : a;
}

/**
 * The thresholds on the budget remaining (fractions of the period's budget):
 * remaining `> ship` → `ship`; `>= balance` → `balance`; `> 0` →
 * `reliability-first`; `<= 0` (exhausted) → `freeze`.
 */
export interface PolicyThresholds {
  /** Above this remaining fraction the state is `ship`. Default 0.5. */
  readonly ship: number;
  /** At or above this (and up to `ship`) the state is `balance`; below, `reliability-first`. Default 0.1. */
  readonly balance: number;
}

/** A written rule: the budget has been exhausted (remaining <= 0) without a break for `durationMs`. */
export interface ExhaustedForRule {
  readonly kind: 'exhausted-for';
  /** A name for messages (default: derived from the condition). */
  readonly name: string;
  /** How long the budget must have stayed exhausted, ms. */
  readonly durationMs: number;
  /** The state the service moves to when the rule triggers (only ever made worse), if any. */
  readonly state?: PolicyState;
  /** What the team must do, in words. */
  readonly action: string;
}

/**
 * A written rule: one incident spent more than `fraction` of the budget
 * within `withinMs` (the budget remaining dropped by more than `fraction`
 * inside a window of that length), during the SLO's current period.
 */
export interface BudgetDropRule {
  readonly kind: 'budget-drop';
  /** A name for messages (default: derived from the condition). */
  readonly name: string;
  /** Share of the period's budget, in (0, 1]. */
  readonly fraction: number;
  /** Length of the window the drop must fit in, ms. Default one day. */
  readonly withinMs: number;
  /** The state the service moves to when the rule triggers (only ever made worse), if any. */
  readonly state?: PolicyState;
  /** What the team must do, in words. */
  readonly action: string;
}

/** A written policy rule. */
export type PolicyRule = ExhaustedForRule | BudgetDropRule;

/** A service's budget policy. Plain data (serialisable with `JSON.stringify`). */
export interface BudgetPolicy {
  /** The thresholds on the budget remaining. */
  readonly thresholds: PolicyThresholds;
  /** What each state asks of the team, in words (defaults: {@link DEFAULT_STATE_ACTIONS}). */
  readonly actions: Readonly<Record<PolicyState, string>>;
  /** Written rules, evaluated over budget history. */
  readonly rules: readonly PolicyRule[];
}

/** The default words for each state. */
export const DEFAULT_STATE_ACTIONS: Readonly<Record<PolicyState, string>> = Object.freeze({
  ship: 'ship features: the error budget is healthy',
  balance: 'balance reliability work with features',
  'reliability-first': 'reliability first: reliability work comes before features',
  freeze: 'freeze all changes except P0 and security fixes',
  unknown: 'the budget cannot be judged without data: check that the SLI metrics exist',
});

/** The default thresholds: ship above 50% remaining, balance from 10% to 50%. */
export const DEFAULT_POLICY_THRESHOLDS: PolicyThresholds = Object.freeze({
  ship: 0.5,
  balance: 0.1,
});

/** The policy of a service without a `policy` section: default thresholds and words, no written rules. */
export const DEFAULT_BUDGET_POLICY: BudgetPolicy = Object.freeze({
  thresholds: DEFAULT_POLICY_THRESHOLDS,
  actions: DEFAULT_STATE_ACTIONS,
  rules: Object.freeze([]),
});

/**
 * The state for a budget remaining fraction under `thresholds`: `unknown`
 * for null (no data), `freeze` at or below 0. Pure.
 */
export function stateForRemaining(
  remainingFraction: number | null,
  thresholds: PolicyThresholds = DEFAULT_POLICY_THRESHOLDS,
): PolicyState {
  if (remainingFraction === null || Number.isNaN(remainingFraction)) return 'unknown';
  if (remainingFraction <= 0) return 'freeze';
  if (remainingFraction > thresholds.ship) return 'ship';
  if (remainingFraction >= thresholds.balance) return 'balance';
  return 'reliability-first';
}
