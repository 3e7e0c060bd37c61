/**
 * Evaluating a service's budget policy over its SLOs' statuses (and, for
 * the written rules, their budget history).
 *
 * @module
 */
import { formatDurationMs } from '@vigil/model';
import type { SloStatus } from '../status.js';
import type { BudgetHistory, HistorySeries } from './history.js';
import {
  DEFAULT_BUDGET_POLICY,
  policyStateSeverity,
  stateForRemaining,
  worseState,
  type BudgetPolicy,
  type PolicyRule,
  type PolicyState,
} from './policy.js';

/** A written rule that triggered. */
export interface TriggeredRule {
  /** The rule's name. */
  readonly rule: string;
  /** The rule's kind. */
  readonly kind: PolicyRule['kind'];
  /** The SLO whose history triggered it. */
  readonly sloId: string;
  /** What the team must do (the rule's action text). */
  readonly action: string;
  /** The state the rule moves the service to, if it sets one. */
  readonly state?: PolicyState;
  /** What was seen, in words. */
  readonly detail: string;
}

/** The policy's decision for one service. Plain data, serialisable with `JSON.stringify`. */
export interface PolicyDecision {
  /** The service. */
  readonly service: string;
  /** What the team should do; `unknown` when no SLO has data. */
  readonly state: PolicyState;
  /** The budget remaining of the worst SLO with data (fraction; negative when overspent), null when none has data. */
  readonly remainingFraction: number | null;
  /** The SLO with the least budget remaining, null when none has data. */
  readonly drivingSloId: string | null;
  /** One line for humans: state, budget remaining, driving SLO and what to do. */
  readonly verdict: string;
  /** Why, one line each (per SLO, and for rules that could not be evaluated). */
  readonly reasons: readonly string[];
  /** Written rules that triggered, with their action text. */
  readonly triggeredRules: readonly TriggeredRule[];
  /** When the decision was made (the newest `evaluatedAtMs` of the statuses), ms; 0 without statuses. */
  readonly evaluatedAtMs: number;
}

/** Options of {@link evaluatePolicy}. */
export interface EvaluatePolicyOptions {
  /** The service name when `serviceStatuses` is empty (otherwise taken from the statuses). */
  readonly service?: string;
  /** Largest number of history points per SLO and rule; the step grows to fit. Default 5000. */
  readonly maxPoints?: number;
}

/** A percentage with one decimal (`42.5%`). */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

function hasData(s: SloStatus): boolean {
  return (
    (s.dataState === 'ok' || s.dataState === 'low-traffic') && s.budget.remainingFraction !== null
  );
}

/** A step (ms, whole seconds, at least one minute) that keeps `[startMs, endMs]` within `maxPoints`. */
function stepFor(startMs: number, endMs: number, maxPoints: number): number {
  const raw = Math.ceil((endMs - startMs) / Math.max(1, maxPoints - 1));
  return Math.max(60_000, Math.ceil(raw / 1000) * 1000);
}

/**
 * Whether the budget stayed exhausted (<= 0) over the whole of
 * `[fromMs, toMs]`: points cover the span (the first no later than one step
 * after `fromMs`, the last no earlier than one step before `toMs`, no gap
 * longer than two steps) and every one is <= 0.
 */
function exhaustedThroughout(
  h: HistorySeries,
  fromMs: number,
  toMs: number,
  stepMs: number,
): boolean {
  const n = h.values.length;
  if (n === 0) return false;
  if (h.timestampsMs[0]! > fromMs + stepMs || h.timestampsMs[n - 1]! < toMs - stepMs) return false;
  for (let i = 0; i < n; i++) {
    if (h.values[i]! > 0) return false;
    if (i > 0 && h.timestampsMs[i]! - h.timestampsMs[i - 1]! > 2 * stepMs) return false;
  }
  return true;
}

/**
 * The largest drop of the budget remaining within any window of `withinMs`:
 * max over `t1 <= t2 <= t1 + withinMs` of `remaining(t1) - remaining(t2)`,
 * with where it ended. Linear time (a monotonic queue of window maxima).
 */
export function largestDrop(
  h: HistorySeries,
  withinMs: number,
): { drop: number; fromMs: number; toMs: number } {
  const { timestampsMs: ts, values: vs } = h;
  const queue: number[] = []; // indexes, values decreasing
  let head = 0;
  let best = { drop: 0, fromMs: Number.NaN, toMs: Number.NaN };
  for (let i = 0; i < vs.length; i++) {
    while (queue.length > head && vs[queue[queue.length - 1]!]! <= vs[i]!) queue.pop();
    queue.push(i);
    while (ts[queue[head]!]! < ts[i]! - withinMs) head++;
    const top = queue[head]!;
    const drop = vs[top]! - vs[i]!;
    if (drop > best.drop) best = { drop, fromMs: ts[top]!, toMs: ts[i]! };
  }
  return best;
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}

async function evaluateRule(
  rule: PolicyRule,
  status: SloStatus,
  history: BudgetHistory,
  maxPoints: number,
): Promise<TriggeredRule | undefined> {
  const nowMs = status.evaluatedAtMs;
  const base = {
    rule: rule.name,
    kind: rule.kind,
    sloId: status.id,
    action: rule.action,
    ...(rule.state === undefined ? {} : { state: rule.state }),
  };
  if (rule.kind === 'exhausted-for') {
    const fromMs = nowMs - rule.durationMs;
    const stepMs = stepFor(fromMs, nowMs, maxPoints);
    const h = await history.budgetRemaining(status.id, fromMs, nowMs, stepMs);
    if (!exhaustedThroughout(h, fromMs, nowMs, stepMs)) return undefined;
    return {
      ...base,
      detail: `${status.id}: the budget has been exhausted since ${isoMinute(fromMs)} or earlier (${formatDurationMs(rule.durationMs)})`,
    };
  }
  const fromMs = Math.min(status.periodStartMs, nowMs - rule.withinMs);
  const stepMs = Math.min(
    stepFor(fromMs, nowMs, maxPoints),
    Math.max(60_000, Math.floor(rule.withinMs / 4 / 1000) * 1000),
  );
  // Keep within the point limit even when the window is short and the period long.
  const startMs = Math.max(fromMs, nowMs - stepMs * (maxPoints - 1));
  const h = await history.budgetRemaining(status.id, startMs, nowMs, stepMs);
  const worst = largestDrop(h, rule.withinMs);
  if (!(worst.drop > rule.fraction)) return undefined;
  return {
    ...base,
    detail: `${status.id}: ${formatPercent(worst.drop)} of the budget was spent between ${isoMinute(worst.fromMs)} and ${isoMinute(worst.toMs)} (more than ${formatPercent(rule.fraction)} within ${formatDurationMs(rule.withinMs)})`,
  };
}

/**
 * The policy's decision for one service from its SLOs' statuses.
 *
 * The state is the worst over the service's SLOs (see
 * {@link policyStateSeverity}), each SLO's state being
 * {@link stateForRemaining} of its budget remaining, or `unknown` when it has
 * no data (`no-data`; `not-evaluable` SLOs are left out and named in the
 * reasons). So a service is `unknown` when no SLO has data, and a service
 * whose SLOs with data all say `ship` while another has none is `unknown`,
 * never `ship`; a measured `balance` or worse stands. Written rules read
 * `history` for every SLO with data and can only make the state worse; when
 * `history` is omitted they are not evaluated (a reason says so).
 *
 * Safe to call concurrently (if `history` is).
 */
export async function evaluatePolicy(
  serviceStatuses: readonly SloStatus[],
  policy: BudgetPolicy = DEFAULT_BUDGET_POLICY,
  history?: BudgetHistory,
  options: EvaluatePolicyOptions = {},
): Promise<PolicyDecision> {
  const service = serviceStatuses[0]?.service ?? options.service ?? '';
  const maxPoints = options.maxPoints ?? 5000;
  const reasons: string[] = [];
  const noData: string[] = [];
  let state: PolicyState | undefined;
  let driving: SloStatus | undefined;
  for (const s of serviceStatuses) {
    if (s.dataState === 'not-evaluable') {
      reasons.push(
        `${s.id}: not evaluable, left out${s.reason === undefined ? '' : ` (${s.reason})`}`,
      );
      continue;
    }
    if (!hasData(s)) {
      state = worseState(state ?? 'ship', 'unknown');
      noData.push(s.id);
      reasons.push(`${s.id}: no data${s.reason === undefined ? '' : ` (${s.reason})`}`);
      continue;
    }
    const remaining = s.budget.remainingFraction!;
    const sloState = stateForRemaining(remaining, policy.thresholds);
    state = worseState(state ?? 'ship', sloState);
    if (driving === undefined || remaining < driving.budget.remainingFraction!) driving = s;
    reasons.push(
      `${s.id}: ${formatPercent(remaining)} of the budget remaining → ${sloState}${s.dataState === 'low-traffic' ? ' (low traffic)' : ''}`,
    );
  }
  if (state === undefined) {
    state = 'unknown';
    if (serviceStatuses.length === 0) reasons.push(`${service}: no SLO defined`);
  }
  const triggeredRules: TriggeredRule[] = [];
  if (policy.rules.length > 0) {
    const withData = serviceStatuses.filter(hasData);
    if (history === undefined) {
      reasons.push(`written rules not evaluated: no budget history available`);
    } else {
      for (const rule of policy.rules) {
        for (const s of withData) {
          try {
            const t = await evaluateRule(rule, s, history, maxPoints);
            if (t !== undefined) triggeredRules.push(t);
          } catch (err) {
            reasons.push(
              `rule "${rule.name}" not evaluated for ${s.id}: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
        }
      }
    }
  }
  for (const t of triggeredRules) {
    if (t.state !== undefined) state = worseState(state, t.state);
    reasons.push(`rule "${t.rule}" triggered: ${t.detail} → ${t.action}`);
  }
  const remainingFraction = driving?.budget.remainingFraction ?? null;
  const parts = [`${service}: ${state.toUpperCase()}`];
  if (driving !== undefined && remainingFraction !== null) {
    parts.push(
      `${formatPercent(remainingFraction)} of the budget remaining (worst: ${driving.id})`,
    );
  }
  if (noData.length > 0) {
    parts.push(
      `no data for ${noData.slice(0, 3).join(', ')}${noData.length > 3 ? ` and ${noData.length - 3} more` : ''}`,
    );
  } else if (serviceStatuses.length === 0) {
    parts.push('no SLO defined');
  }
  let verdict = `${parts.join(', ')}; ${policy.actions[state]}`;
  if (triggeredRules.length > 0) {
    verdict += `; ${triggeredRules.length === 1 ? 'rule' : 'rules'}: ${triggeredRules.map((t) => t.action).join('; ')}`;
  }
  const evaluatedAtMs = serviceStatuses.reduce((m, s) => Math.max(m, s.evaluatedAtMs), 0);
  return {
    service,
    state,
    remainingFraction,
    drivingSloId: driving?.id ?? null,
    verdict,
    reasons,
    triggeredRules,
    evaluatedAtMs,
  };
}

/** Sorts decisions worst first, then by service name. Returns a new array. */
export function sortDecisions(decisions: readonly PolicyDecision[]): PolicyDecision[] {
  return [...decisions].sort(
    (a, b) =>
      policyStateSeverity(b.state) - policyStateSeverity(a.state) ||
      (a.service < b.service ? -1 : a.service > b.service ? 1 : 0),
  );
}
