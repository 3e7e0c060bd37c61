/**
 * The `policy:` section of Vigil's SLO spec format: its schema and its
 * conversion into a {@link BudgetPolicy}.
 *
 * ```yaml
 * policy:
 *   thresholds: { ship: 50%, balance: 10% }
 *   actions: { freeze: "Only P0 and security fixes; ask the SRE lead for exceptions." }
 *   rules:
 *     - exhaustedFor: 4w
 *       state: freeze
 *       action: Freeze feature work until the budget is positive again.
 *     - budgetDrop: 20%
 *       within: 1d
 *       action: Postmortem with a P0 action item.
 * ```
 *
 * @module
 */
import { formatDurationMs } from '@vigil/model';
import { z } from 'zod';
import { childPath, positiveDuration, type SpecIssue } from '../spec-issues.js';
import {
  DEFAULT_POLICY_THRESHOLDS,
  DEFAULT_STATE_ACTIONS,
  type BudgetPolicy,
  type PolicyRule,
  type PolicyState,
} from './policy.js';

const DAY_MS = 86_400_000;

/** `50%` or a fraction in [0, 1]. */
const share = z.union([z.string(), z.number()]).transform((value, ctx) => {
  let fraction: number;
  if (typeof value === 'number') fraction = value;
  else {
    const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$/.exec(value);
    fraction = m === null ? Number.NaN : Number((Number(m[1]) / 100).toPrecision(15));
  }
  if (!(fraction >= 0 && fraction <= 1)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a percentage such as "20%" or a fraction from 0 to 1 (got ${JSON.stringify(value)})`,
    });
    return z.NEVER;
  }
  return fraction;
});

const duration = positiveDuration;

const ruleState = z.enum(
  ['ship', 'balance', 'reliability-first', 'freeze'],
  'must be ship, balance, reliability-first or freeze',
);
const action = z.string().trim().min(1, 'must be a non-empty text');

/** The zod schema of the `policy:` section (before {@link convertPolicy}). */
export const policySchema = z.strictObject({
  thresholds: z.strictObject({ ship: share.optional(), balance: share.optional() }).optional(),
  actions: z
    .strictObject({
      ship: action.optional(),
      balance: action.optional(),
      'reliability-first': action.optional(),
      freeze: action.optional(),
      unknown: action.optional(),
    })
    .optional(),
  rules: z
    .array(
      z.strictObject({
        name: z.string().trim().min(1).optional(),
        exhaustedFor: duration.optional(),
        budgetDrop: share.optional(),
        within: duration.optional(),
        state: ruleState.optional(),
        action,
      }),
    )
    .optional(),
});

/** The `policy:` section as the schema parsed it. */
export type PolicySpec = z.infer<typeof policySchema>;

/**
 * Converts a parsed `policy:` section into a {@link BudgetPolicy}, pushing
 * each broken rule onto `issues` with its path under `basePath` (e.g.
 * `policy.rules[1].within`). Pure.
 */
export function convertPolicy(
  spec: PolicySpec,
  basePath: string,
  issues: SpecIssue[],
): BudgetPolicy {
  const ship = spec.thresholds?.ship ?? DEFAULT_POLICY_THRESHOLDS.ship;
  const balance = spec.thresholds?.balance ?? DEFAULT_POLICY_THRESHOLDS.balance;
  if (!(balance < ship)) {
    issues.push({
      path: childPath(childPath(basePath, 'thresholds'), 'balance'),
      rule: `must be below thresholds.ship (${ship * 100}%); got ${balance * 100}%`,
    });
  }
  const actions: Record<PolicyState, string> = { ...DEFAULT_STATE_ACTIONS };
  for (const [state, text] of Object.entries(spec.actions ?? {})) {
    if (text !== undefined) actions[state as PolicyState] = text;
  }
  const rules: PolicyRule[] = [];
  (spec.rules ?? []).forEach((r, i) => {
    const p = childPath(childPath(basePath, 'rules'), i);
    const extra = r.state === undefined ? {} : { state: r.state };
    if ((r.exhaustedFor === undefined) === (r.budgetDrop === undefined)) {
      issues.push({ path: p, rule: 'must set exactly one condition: exhaustedFor or budgetDrop' });
      return;
    }
    if (r.exhaustedFor !== undefined) {
      if (r.within !== undefined) {
        issues.push({ path: childPath(p, 'within'), rule: 'applies only to budgetDrop rules' });
        return;
      }
      rules.push({
        kind: 'exhausted-for',
        name: r.name ?? `budget exhausted for ${formatDurationMs(r.exhaustedFor)}`,
        durationMs: r.exhaustedFor,
        action: r.action,
        ...extra,
      });
      return;
    }
    const fraction = r.budgetDrop ?? 0;
    if (fraction <= 0) {
      issues.push({ path: childPath(p, 'budgetDrop'), rule: 'must be above 0%' });
      return;
    }
    const withinMs = r.within ?? DAY_MS;
    rules.push({
      kind: 'budget-drop',
      name:
        r.name ??
        `more than ${Number((fraction * 100).toPrecision(6))}% of the budget spent within ${formatDurationMs(withinMs)}`,
      fraction,
      withinMs,
      action: r.action,
      ...extra,
    });
  });
  return { thresholds: { ship, balance }, actions, rules };
}
