import { isValidLabelName, isValidMetricName } from '@vigil/model';
import { z } from 'zod';
import type {
  AlertTier,
  AlertWindow,
  BudgetingMethod,
  ExclusionWindow,
  Objective,
  Service,
  Sli,
  Slo,
  SloWindow,
} from './model.js';
import {
  checkPromql,
  childPath,
  hasWindowPlaceholder,
  specInvalid,
  zodIssues,
  type DocContext,
  positiveDuration,
  type SpecIssue,
} from './spec-issues.js';
import { convertPolicy, policySchema } from './policy/policy-spec.js';

const NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const NAME_RULE =
  'must be a name of letters, digits, "-", "_" and "." that starts and ends with a letter or digit';

const labelMap = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const name of Object.keys(labels))
    if (!isValidLabelName(name))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'must be a valid Prometheus label name',
      });
});
const query = z.string().min(1, 'must be a non-empty PromQL query');
const duration = positiveDuration;
/** `99.9%` (a percentage) or `0.999` (a fraction). */
const target = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const fraction = parseTarget(value);
  if (typeof fraction === 'number') return fraction;
  ctx.addIssue({ code: 'custom', message: fraction.error });
  return z.NEVER;
});

const sliSchema = z
  .strictObject({
    ratio: z
      .strictObject({ good: query.optional(), bad: query.optional(), total: query })
      .optional(),
    latency: z
      .strictObject({
        metric: z.string().refine(isValidMetricName, 'must be a valid metric name'),
        threshold: z.union([
          z.number().positive('must be positive (seconds)'),
          duration.transform((ms) => ms / 1000),
        ]),
        selector: z.string().optional(),
      })
      .optional(),
    availability: z.strictObject({ expr: query }).optional(),
    throughput: z
      .strictObject({
        rate: query,
        floor: z.number().positive('must be a positive rate per second'),
      })
      .optional(),
    freshness: z.strictObject({ timestamp: query, maxAge: duration }).optional(),
    completeness: z.strictObject({ processed: query, received: query }).optional(),
    accuracy: z.strictObject({ correct: query, checked: query }).optional(),
    raw: z.strictObject({ errorRatio: query }).optional(),
  })
  .superRefine((sli, ctx) => {
    const set = Object.keys(sli).filter((k) => (sli as Record<string, unknown>)[k] !== undefined);
    if (set.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `must set exactly one SLI kind (ratio, latency, availability, throughput, freshness, completeness, accuracy, raw); ${set.length === 0 ? 'none is set' : `${set.join(' and ')} are set`}`,
      });
    if (sli.ratio !== undefined && (sli.ratio.good === undefined) === (sli.ratio.bad === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['ratio'],
        message: 'must set exactly one of good and bad, with total',
      });
  });

const tierSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      enabled: z.boolean().optional(),
      labels: labelMap.optional(),
      annotations: labelMap.optional(),
    }),
  ])
  .optional();

const sloSchema = z.strictObject({
  description: z.string().optional(),
  sli: sliSchema,
  target,
  window: z.union([
    duration,
    z.strictObject({
      calendar: z.enum(['week', 'month', 'quarter'], 'must be week, month or quarter'),
      timeZone: z.string().optional(),
    }),
  ]),
  budgeting: z
    .enum(
      ['occurrences', 'timeslices', 'ratioTimeslices'],
      'must be occurrences, timeslices or ratioTimeslices',
    )
    .optional(),
  timeslice: z.strictObject({ target: target.optional(), window: duration }).optional(),
  labels: labelMap.optional(),
  alerting: z
    .strictObject({
      name: z.string().min(1).optional(),
      labels: labelMap.optional(),
      annotations: labelMap.optional(),
      page: tierSchema,
      ticket: tierSchema,
      minEvents: z
        .number()
        .int('must be a whole number of events')
        .nonnegative('must be 0 or more')
        .optional(),
      budgetExhausted: tierSchema,
      noData: tierSchema,
      noDataFor: duration.optional(),
      windows: z
        .array(
          z.strictObject({
            tier: z.enum(['page', 'ticket']),
            budget: z.union([z.string(), z.number()]).transform((v, ctx) => {
              const f = parseTarget(v, true);
              if (typeof f === 'number') return f * 100;
              ctx.addIssue({ code: 'custom', message: f.error });
              return z.NEVER;
            }),
            short: duration,
            long: duration,
          }),
        )
        .min(1)
        .optional(),
    })
    .optional(),
  exclude: z
    .array(z.strictObject({ name: z.string().optional(), start: z.string(), end: z.string() }))
    .optional(),
});

const fileSchema = z.strictObject({
  service: z.string().regex(NAME_RE, NAME_RULE),
  displayName: z.string().optional(),
  description: z.string().optional(),
  labels: labelMap.optional(),
  slos: z
    .record(z.string(), sloSchema)
    .refine((m) => Object.keys(m).length > 0, 'must hold at least one SLO'),
  policy: policySchema.optional(),
});

/**
 * Parses a target: a string `99.9%` (a percentage in (0, 100)) or a number in
 * (0, 1) (a fraction). Returns the fraction, or `{ error }` with the rule broken.
 * `allowWhole` also accepts 100% / 1 (for budget shares).
 */
export function parseTarget(
  value: string | number,
  allowWhole = false,
): number | { error: string } {
  const hint = 'must be a percentage such as "99.9%" or a fraction such as 0.999';
  let fraction: number;
  if (typeof value === 'number') {
    if (value >= 1 && !(allowWhole && value === 1))
      return {
        error: `${hint}; a bare number must be a fraction below 1 (write "${value}%" for a percentage)`,
      };
    fraction = value;
  } else {
    const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$/.exec(value);
    if (m === null) return { error: `${hint} (got "${value}")` };
    fraction = Number((Number(m[1]) / 100).toPrecision(15));
  }
  if (!(fraction > 0) || fraction > 1 || (fraction === 1 && !allowWhole))
    return { error: `${hint}, strictly between 0% and 100%` };
  return fraction;
}

/** True when a parsed YAML document looks like Vigil's format (`service` and `slos` keys, no `version`/`apiVersion`). */
export function isVigilDocument(doc: unknown): boolean {
  return (
    typeof doc === 'object' &&
    doc !== null &&
    !Array.isArray(doc) &&
    'slos' in doc &&
    !('version' in doc) &&
    !('apiVersion' in doc)
  );
}

/**
 * Converts one parsed Vigil-format YAML document into model objects. Throws
 * `SLO_SPEC_INVALID` naming the file, the path (`slos.checkout.sli.ratio.bad`)
 * and the rule broken. Pure; safe to call concurrently.
 */
export function convertVigilDocument(
  doc: unknown,
  ctx: DocContext,
): { service: Service; slos: Slo[] } {
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) throw specInvalid(ctx, zodIssues(parsed.error));
  const spec = parsed.data;
  const issues: SpecIssue[] = [];
  const serviceLabels = spec.labels ?? {};
  const slos: Slo[] = [];
  for (const [name, s] of Object.entries(spec.slos)) {
    const base = childPath('slos', name);
    if (!NAME_RE.test(name)) issues.push({ path: base, rule: `SLO name ${NAME_RULE}` });
    const sli = convertSli(s.sli, childPath(base, 'sli'), issues);
    const window: SloWindow =
      typeof s.window === 'number'
        ? { kind: 'rolling', durationMs: s.window }
        : { kind: 'calendar', unit: s.window.calendar, timeZone: s.window.timeZone ?? 'UTC' };
    if (window.kind === 'calendar' && !isTimeZone(window.timeZone))
      issues.push({
        path: childPath(childPath(base, 'window'), 'timeZone'),
        rule: `must be an IANA time zone (got "${window.timeZone}")`,
      });
    const budgetingMethod: BudgetingMethod = s.budgeting ?? 'occurrences';
    const objective: { -readonly [K in keyof Objective]: Objective[K] } = { target: s.target };
    if (budgetingMethod !== 'occurrences') {
      if (s.timeslice === undefined) {
        issues.push({
          path: childPath(base, 'timeslice'),
          rule: `is required when budgeting is ${budgetingMethod} (give window, and target for timeslices)`,
        });
      } else {
        objective.timeSliceWindowMs = s.timeslice.window;
        if (s.timeslice.target !== undefined) objective.timeSliceTarget = s.timeslice.target;
        else if (budgetingMethod === 'timeslices')
          issues.push({
            path: childPath(childPath(base, 'timeslice'), 'target'),
            rule: 'is required when budgeting is timeslices',
          });
      }
    } else if (s.timeslice !== undefined) {
      issues.push({
        path: childPath(base, 'timeslice'),
        rule: 'applies only when budgeting is timeslices or ratioTimeslices',
      });
    }
    const exclusions: ExclusionWindow[] = [];
    (s.exclude ?? []).forEach((e, i) => {
      const p = childPath(childPath(base, 'exclude'), i);
      const startMs = Date.parse(e.start);
      const endMs = Date.parse(e.end);
      if (Number.isNaN(startMs))
        issues.push({
          path: childPath(p, 'start'),
          rule: 'must be an ISO 8601 time such as 2026-11-28T02:00:00Z',
        });
      else if (Number.isNaN(endMs))
        issues.push({
          path: childPath(p, 'end'),
          rule: 'must be an ISO 8601 time such as 2026-11-28T04:00:00Z',
        });
      else if (endMs <= startMs)
        issues.push({ path: childPath(p, 'end'), rule: 'must be after start' });
      else exclusions.push({ ...(e.name === undefined ? {} : { name: e.name }), startMs, endMs });
    });
    const a = s.alerting;
    const windows: AlertWindow[] | undefined = a?.windows?.map((w, i) => {
      if (w.short >= w.long)
        issues.push({
          path: childPath(childPath(childPath(childPath(base, 'alerting'), 'windows'), i), 'short'),
          rule: 'must be shorter than long',
        });
      return {
        tier: w.tier,
        errorBudgetPercent: w.budget,
        shortWindowMs: w.short,
        longWindowMs: w.long,
      };
    });
    if (sli === undefined) continue;
    slos.push({
      id: `${spec.service}-${name}`,
      service: spec.service,
      name,
      ...(s.description === undefined ? {} : { description: s.description }),
      sli,
      objective,
      window,
      budgetingMethod,
      labels: { ...serviceLabels, ...(s.labels ?? {}) },
      alerting: {
        ...(a?.name === undefined ? {} : { name: a.name }),
        labels: a?.labels ?? {},
        annotations: a?.annotations ?? {},
        page: tier(a?.page),
        ticket: tier(a?.ticket),
        ...(windows === undefined ? {} : { windows }),
        ...(a?.minEvents === undefined ? {} : { minEvents: a.minEvents }),
        ...(a?.budgetExhausted === undefined ? {} : { budgetExhausted: tier(a.budgetExhausted) }),
        ...(a?.noData === undefined ? {} : { noData: tier(a.noData) }),
        ...(a?.noDataFor === undefined ? {} : { noDataForMs: a.noDataFor }),
      },
      exclusions,
      evaluable: true,
      source: { format: 'vigil', file: ctx.file, path: base },
    });
  }
  const policy =
    spec.policy === undefined ? undefined : convertPolicy(spec.policy, 'policy', issues);
  if (issues.length > 0) throw specInvalid(ctx, issues);
  return {
    service: {
      name: spec.service,
      ...(policy === undefined ? {} : { policy }),
      ...(spec.displayName === undefined ? {} : { displayName: spec.displayName }),
      ...(spec.description === undefined ? {} : { description: spec.description }),
      labels: serviceLabels,
      source: { format: 'vigil', file: ctx.file, path: '' },
    },
    slos,
  };
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function tier(
  t:
    | boolean
    | {
        enabled?: boolean | undefined;
        labels?: Record<string, string> | undefined;
        annotations?: Record<string, string> | undefined;
      }
    | undefined,
): AlertTier {
  if (typeof t === 'boolean' || t === undefined)
    return { enabled: t ?? true, labels: {}, annotations: {} };
  return { enabled: t.enabled ?? true, labels: t.labels ?? {}, annotations: t.annotations ?? {} };
}

/** Checks a query: PromQL syntax, and the `{{.window}}` placeholder present (windowed) or absent (instant). */
function check(q: string, path: string, windowed: boolean, issues: SpecIssue[]): boolean {
  const before = issues.length;
  if (windowed && !hasWindowPlaceholder(q))
    issues.push({
      path,
      rule: 'must contain the {{.window}} placeholder (e.g. rate(x[{{.window}}]))',
    });
  else if (!windowed && hasWindowPlaceholder(q))
    issues.push({ path, rule: 'must not contain {{.window}}: this SLI kind is sampled over time' });
  else checkPromql(q, path, issues);
  return issues.length === before;
}

function convertSli(
  sli: z.infer<typeof sliSchema>,
  path: string,
  issues: SpecIssue[],
): Sli | undefined {
  if (sli.ratio !== undefined) {
    const p = childPath(path, 'ratio');
    const numerator = sli.ratio.good !== undefined ? 'good' : 'bad';
    const numeratorQuery = sli.ratio.good ?? sli.ratio.bad ?? '';
    const ok = [
      check(numeratorQuery, childPath(p, numerator), true, issues),
      check(sli.ratio.total, childPath(p, 'total'), true, issues),
    ];
    return ok.every(Boolean)
      ? { kind: 'ratio', numerator, numeratorQuery, totalQuery: sli.ratio.total }
      : undefined;
  }
  if (sli.latency !== undefined) {
    const selector = (sli.latency.selector ?? '').trim().replace(/^\{([^]*)\}$/, '$1');
    const probe = `${sli.latency.metric}_count{${selector}}`;
    const before = issues.length;
    checkPromql(probe, childPath(childPath(path, 'latency'), 'selector'), issues);
    if (issues.length > before) return undefined;
    return {
      kind: 'latency',
      metric: sli.latency.metric,
      thresholdSeconds: sli.latency.threshold,
      selector,
    };
  }
  if (sli.availability !== undefined)
    return check(
      sli.availability.expr,
      childPath(childPath(path, 'availability'), 'expr'),
      false,
      issues,
    )
      ? { kind: 'availability', expr: sli.availability.expr }
      : undefined;
  if (sli.throughput !== undefined)
    return check(
      sli.throughput.rate,
      childPath(childPath(path, 'throughput'), 'rate'),
      false,
      issues,
    )
      ? { kind: 'throughput', rateExpr: sli.throughput.rate, floorPerSecond: sli.throughput.floor }
      : undefined;
  if (sli.freshness !== undefined)
    return check(
      sli.freshness.timestamp,
      childPath(childPath(path, 'freshness'), 'timestamp'),
      false,
      issues,
    )
      ? {
          kind: 'freshness',
          timestampExpr: sli.freshness.timestamp,
          maxAgeSeconds: sli.freshness.maxAge / 1000,
        }
      : undefined;
  if (sli.completeness !== undefined) {
    const p = childPath(path, 'completeness');
    const ok = [
      check(sli.completeness.processed, childPath(p, 'processed'), true, issues),
      check(sli.completeness.received, childPath(p, 'received'), true, issues),
    ];
    return ok.every(Boolean)
      ? {
          kind: 'completeness',
          goodQuery: sli.completeness.processed,
          totalQuery: sli.completeness.received,
        }
      : undefined;
  }
  if (sli.accuracy !== undefined) {
    const p = childPath(path, 'accuracy');
    const ok = [
      check(sli.accuracy.correct, childPath(p, 'correct'), true, issues),
      check(sli.accuracy.checked, childPath(p, 'checked'), true, issues),
    ];
    return ok.every(Boolean)
      ? { kind: 'accuracy', goodQuery: sli.accuracy.correct, totalQuery: sli.accuracy.checked }
      : undefined;
  }
  if (sli.raw !== undefined)
    return check(sli.raw.errorRatio, childPath(childPath(path, 'raw'), 'errorRatio'), true, issues)
      ? { kind: 'raw', errorRatioQuery: sli.raw.errorRatio }
      : undefined;
  return undefined;
}
