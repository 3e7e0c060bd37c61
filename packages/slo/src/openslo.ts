import { isValidLabelName } from '@vigil/model';
import { z } from 'zod';
import type {
  BudgetingMethod,
  Objective,
  Service,
  Sli,
  Slo,
  SloWindow,
  SpecWarning,
} from './model.js';
import {
  checkPromql,
  childPath,
  hasWindowPlaceholder,
  specInvalid,
  zodIssues,
  type DocContext,
  type SpecIssue,
} from './spec-issues.js';

/** The OpenSLO API version this module validates. */
export const OPENSLO_V1 = 'openslo/v1';

/** The OpenSLO v1 kinds. */
export const OPENSLO_KINDS = [
  'Service',
  'SLI',
  'SLO',
  'DataSource',
  'AlertPolicy',
  'AlertCondition',
  'AlertNotificationTarget',
] as const;

const NAME_RE = /^[a-z0-9][a-z0-9.|/\\-]*[a-z0-9]*$/;
const name = z
  .string('must be a string')
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(
    NAME_RE,
    'must be lower-case letters, digits, "-", ".", "/" or "|", starting with a letter or digit',
  );
const description = z.string().max(1050, 'must be at most 1050 characters').optional();
const DURATION_RE = /^[1-9][0-9]*[mhdwMQY]$/;
const duration = z
  .string()
  .regex(
    DURATION_RE,
    'must be a duration shorthand: a positive integer and one of m h d w M Q Y (e.g. 28d)',
  );
const LABEL_VALUE_RE = /^[a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z])?$/;
const labelValue = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(LABEL_VALUE_RE, 'must be an alphanumeric label value');

const metadata = z.looseObject({
  name,
  displayName: z.string().min(1, 'must not be empty').optional(),
  labels: z.record(z.string(), z.union([labelValue, z.array(labelValue)])).optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
});

const metricSource = z.looseObject({
  metricSourceRef: name.optional(),
  type: z.string().optional(),
  spec: z.record(z.string(), z.unknown(), 'must be a map of the data source query fields'),
});
const metricHolder = z.looseObject({ metricSource });

const sliSpec = z
  .looseObject({
    description,
    thresholdMetric: metricHolder.optional(),
    ratioMetric: z
      .looseObject({
        counter: z.boolean().optional(),
        good: metricHolder.optional(),
        bad: metricHolder.optional(),
        total: metricHolder.optional(),
        rawType: z.enum(['success', 'failure']).optional(),
        raw: metricHolder.optional(),
      })
      .superRefine((r, ctx) => {
        if (r.raw !== undefined) {
          if (r.good !== undefined || r.bad !== undefined || r.total !== undefined)
            ctx.addIssue({
              code: 'custom',
              message: 'must set either raw (with rawType) or good/bad with total, not both',
            });
          if (r.rawType === undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['rawType'],
              message: 'is required with raw (success or failure)',
            });
          return;
        }
        if (r.good !== undefined && r.bad !== undefined)
          ctx.addIssue({ code: 'custom', message: 'must set only one of good and bad' });
        else if (r.good === undefined && r.bad === undefined)
          ctx.addIssue({ code: 'custom', message: 'must set one of good and bad (or raw)' });
        if (r.total === undefined)
          ctx.addIssue({ code: 'custom', path: ['total'], message: 'is required' });
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.thresholdMetric === undefined) === (s.ratioMetric === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'must set exactly one of thresholdMetric and ratioMetric',
      });
  });

const conditionSpec = z.looseObject({
  description,
  severity: z.string('is required (a string such as page)'),
  condition: z.looseObject(
    {
      kind: z.literal('burnrate', 'must be burnrate'),
      op: z.enum(['lte', 'gte', 'lt', 'gt'], 'must be one of lte, gte, lt, gt').optional(),
      threshold: z.number('must be a number'),
      lookbackWindow: duration,
      alertAfter: duration,
    },
    'is required (kind, threshold, lookbackWindow, alertAfter)',
  ),
});
const targetSpec = z.looseObject({ description, target: z.string('is required (e.g. email)') });

/** `xRef: name` or an inline `{kind, metadata, spec}`, never both. */
function refOrInline<T extends z.ZodType>(refKey: string, kind: string, spec: T) {
  return z.union(
    [
      z.strictObject({ [refKey]: name, operator: z.enum(['and', 'or']).optional() }),
      z.looseObject({ kind: z.literal(kind), metadata, spec }),
    ],
    `must be either {${refKey}: <name>} or an inline ${kind} {kind, metadata, spec}`,
  );
}

const policySpec = z.looseObject({
  description,
  alertWhenNoData: z.boolean().optional(),
  alertWhenResolved: z.boolean().optional(),
  alertWhenBreaching: z.boolean().optional(),
  conditions: z
    .array(
      refOrInline('conditionRef', 'AlertCondition', conditionSpec),
      'is required (one condition)',
    )
    .min(1, 'must hold exactly one condition')
    .max(1, 'must hold exactly one condition (OpenSLO v1 allows one)'),
  notificationTargets: z
    .array(
      refOrInline('targetRef', 'AlertNotificationTarget', targetSpec),
      'is required (at least one target)',
    )
    .min(1, 'must hold at least one target'),
});

const objective = z.looseObject({
  displayName: z.string().min(1).optional(),
  op: z.enum(['lte', 'gte', 'lt', 'gt']).optional(),
  value: z.number().optional(),
  target: z
    .number('is required (a fraction such as 0.999)')
    .min(0, 'must be at least 0')
    .lt(1, 'must be below 1'),
  timeSliceTarget: z.number().gt(0, 'must be above 0').lte(1, 'must be at most 1').optional(),
  timeSliceWindow: z.union([duration, z.number().positive()]).optional(),
});

const sloSpec = z
  .looseObject({
    description,
    service: name,
    indicator: z.looseObject({ metadata, spec: sliSpec }).optional(),
    indicatorRef: name.optional(),
    timeWindow: z
      .array(
        z
          .looseObject({
            duration,
            isRolling: z.boolean().optional(),
            calendar: z
              .looseObject({
                startTime: z
                  .string()
                  .regex(
                    /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/,
                    'must be "YYYY-MM-DD hh:mm:ss"',
                  ),
                timeZone: z
                  .string()
                  .regex(
                    /[A-Z][a-zA-Z_]+\/[A-Z][a-zA-Z_]+/,
                    'must be an IANA time zone such as America/New_York',
                  ),
              })
              .optional(),
          })
          .superRefine((w, ctx) => {
            if (w.isRolling !== true && w.calendar === undefined)
              ctx.addIssue({
                code: 'custom',
                path: ['calendar'],
                message: 'is required unless isRolling is true',
              });
          }),
      )
      .min(1, 'must hold one time window')
      .max(1, 'must hold exactly one time window'),
    budgetingMethod: z.enum(
      ['Occurrences', 'Timeslices', 'RatioTimeslices'],
      'must be Occurrences, Timeslices or RatioTimeslices',
    ),
    objectives: z.array(objective).min(1, 'must hold at least one objective'),
    alertPolicies: z
      .array(
        z.union([
          name,
          z.looseObject({ kind: z.literal('AlertPolicy'), metadata, spec: policySpec }),
          z.strictObject({ alertPolicyRef: name }),
        ]),
      )
      .nullable()
      .optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.indicator === undefined) === (s.indicatorRef === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'must set exactly one of indicator and indicatorRef',
      });
    if (s.budgetingMethod === 'Timeslices')
      s.objectives.forEach((o, i) => {
        if (o.timeSliceTarget === undefined || o.timeSliceWindow === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['objectives', i],
            message: 'needs timeSliceTarget and timeSliceWindow with Timeslices budgeting',
          });
      });
  });

const specs = {
  Service: z.looseObject({ description }),
  SLI: sliSpec,
  SLO: sloSpec,
  DataSource: z.looseObject({
    description,
    type: z.string('is required'),
    connectionDetails: z.unknown().refine((v) => v !== undefined, 'is required'),
  }),
  AlertPolicy: policySpec,
  AlertCondition: conditionSpec,
  AlertNotificationTarget: targetSpec,
} as const;

const envelope = z.looseObject({
  apiVersion: z.literal(
    OPENSLO_V1,
    `must be "${OPENSLO_V1}" (other OpenSLO versions are not supported yet)`,
  ),
  kind: z.enum(OPENSLO_KINDS, `must be one of ${OPENSLO_KINDS.join(', ')}`),
  metadata,
  spec: z.unknown(),
});

type SloSpec = z.infer<typeof sloSpec>;
type SliSpec = z.infer<typeof sliSpec>;
type MetricSource = z.infer<typeof metricSource>;

/** One validated OpenSLO object with where it came from. */
export interface OpenSloObject {
  /** The object's kind. */
  readonly kind: (typeof OPENSLO_KINDS)[number];
  /** `metadata.name`. */
  readonly name: string;
  /** `metadata.displayName`. */
  readonly displayName?: string;
  /**
   * `metadata.labels` as Prometheus labels: list values joined with `,`;
   * keys that are not valid label names are dropped.
   */
  readonly labels: Readonly<Record<string, string>>;
  /** The validated spec (shape depends on `kind`). */
  readonly spec: unknown;
  /** The document it came from. */
  readonly ctx: DocContext;
  /** Its path in the document (`''` or `[3]` for a list document). */
  readonly path: string;
}

/** True when a parsed YAML value looks like OpenSLO (an `apiVersion` starting with `openslo`). */
export function isOpenSloDocument(doc: unknown): boolean {
  const first = Array.isArray(doc) ? (doc[0] as unknown) : doc;
  if (typeof first !== 'object' || first === null) return false;
  const v = (first as Record<string, unknown>)['apiVersion'];
  return typeof v === 'string' && v.startsWith('openslo');
}

function promLabels(labels: Record<string, string | string[]> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {}))
    if (isValidLabelName(k)) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/**
 * Validates one parsed YAML document (an object, or a list of objects as the
 * OpenSLO SDK writes) against the OpenSLO v1 rules. Throws `SLO_SPEC_INVALID`
 * naming the file, the path and the rule broken. Pure.
 */
export function validateOpenSloDocument(doc: unknown, ctx: DocContext): OpenSloObject[] {
  const items: [unknown, string][] = Array.isArray(doc)
    ? doc.map((d, i) => [d, `[${i}]`])
    : [[doc, '']];
  const out: OpenSloObject[] = [];
  const issues: SpecIssue[] = [];
  for (const [item, path] of items) {
    const env = envelope.safeParse(item);
    if (!env.success) {
      issues.push(...zodIssues(env.error, path));
      continue;
    }
    const spec = specs[env.data.kind].safeParse(env.data.spec);
    if (!spec.success) {
      issues.push(...zodIssues(spec.error, childPath(path, 'spec')));
      continue;
    }
    out.push({
      kind: env.data.kind,
      name: env.data.metadata.name,
      ...(env.data.metadata.displayName === undefined
        ? {}
        : { displayName: env.data.metadata.displayName }),
      labels: promLabels(env.data.metadata.labels),
      spec: spec.data,
      ctx,
      path,
    });
  }
  if (issues.length > 0) throw specInvalid(ctx, issues);
  return out;
}

/**
 * Converts validated OpenSLO objects (from one or many files) into model
 * objects, resolving `indicatorRef`, `metricSourceRef` and alert-policy
 * references by name. An SLO whose SLI is missing is reported as a warning
 * and skipped; one whose data source is not Prometheus is kept with
 * `evaluable: false`. Throws `SLO_SPEC_INVALID` when a Prometheus query does
 * not parse. Each objective of an SLO becomes one model SLO (named
 * `<name>-<index>` when there are several). Pure.
 */
export function convertOpenSlo(objects: readonly OpenSloObject[]): {
  services: Service[];
  slos: Slo[];
  warnings: SpecWarning[];
} {
  const byKind = (kind: OpenSloObject['kind']): Map<string, OpenSloObject> =>
    new Map(objects.filter((o) => o.kind === kind).map((o) => [o.name, o]));
  const slis = byKind('SLI');
  const dataSources = byKind('DataSource');
  const policies = byKind('AlertPolicy');
  const services: Service[] = objects
    .filter((o) => o.kind === 'Service')
    .map((o) => {
      const d = (o.spec as { description?: string | undefined }).description;
      return {
        name: o.name,
        ...(o.displayName === undefined ? {} : { displayName: o.displayName }),
        ...(d === undefined ? {} : { description: d }),
        labels: o.labels,
        source: { format: 'openslo' as const, file: o.ctx.file, path: o.path },
      };
    });
  const warnings: SpecWarning[] = [];
  const slos: Slo[] = [];
  for (const o of objects) {
    if (o.kind !== 'SLO') continue;
    const spec = o.spec as SloSpec;
    const warn = (path: string, message: string): void => {
      warnings.push({
        file: o.ctx.file,
        path: path === '' ? o.path : `${o.path}${o.path === '' ? '' : '.'}${path}`,
        message,
      });
    };
    for (const p of spec.alertPolicies ?? []) {
      const ref = typeof p === 'string' ? p : 'alertPolicyRef' in p ? p.alertPolicyRef : undefined;
      if (typeof ref === 'string' && !policies.has(ref))
        warn('spec.alertPolicies', `alert policy "${ref}" is not defined in the loaded files`);
    }
    let sliSpec: SliSpec | undefined;
    let sliCtx: OpenSloObject = o;
    let sliPath = childPath(childPath(childPath(o.path, 'spec'), 'indicator'), 'spec');
    if (spec.indicator !== undefined) sliSpec = spec.indicator.spec;
    else if (spec.indicatorRef !== undefined) {
      const ref = slis.get(spec.indicatorRef);
      if (ref === undefined) {
        warn(
          'spec.indicatorRef',
          `SLI "${spec.indicatorRef}" is not defined in the loaded files; the SLO is skipped`,
        );
        continue;
      }
      sliSpec = ref.spec as SliSpec;
      sliCtx = ref;
      sliPath = childPath(ref.path, 'spec');
    }
    if (sliSpec === undefined) continue;
    const windowSpec = spec.timeWindow[0];
    if (windowSpec === undefined) continue;
    const window = convertWindow(windowSpec);
    if (typeof window === 'string') {
      warn('spec.timeWindow[0]', `${window}; the SLO is skipped`);
      continue;
    }
    const budgetingMethod: BudgetingMethod =
      spec.budgetingMethod === 'Occurrences'
        ? 'occurrences'
        : spec.budgetingMethod === 'Timeslices'
          ? 'timeslices'
          : 'ratioTimeslices';
    spec.objectives.forEach((obj, i) => {
      const converted = convertSli(sliSpec, obj, dataSources, sliCtx, sliPath);
      const objective: { -readonly [K in keyof Objective]: Objective[K] } = { target: obj.target };
      if (obj.timeSliceTarget !== undefined) objective.timeSliceTarget = obj.timeSliceTarget;
      if (obj.timeSliceWindow !== undefined)
        objective.timeSliceWindowMs =
          typeof obj.timeSliceWindow === 'number'
            ? obj.timeSliceWindow * 1000
            : shorthandMs(obj.timeSliceWindow);
      const sloName = spec.objectives.length === 1 ? o.name : `${o.name}-${i}`;
      slos.push({
        id: `${spec.service}-${sloName}`,
        service: spec.service,
        name: sloName,
        ...(spec.description === undefined ? {} : { description: spec.description }),
        sli: converted.sli,
        objective,
        window,
        budgetingMethod,
        labels: o.labels,
        alerting: {
          labels: {},
          annotations: {},
          page: { enabled: true, labels: {}, annotations: {} },
          ticket: { enabled: true, labels: {}, annotations: {} },
        },
        exclusions: [],
        evaluable: converted.reason === undefined,
        ...(converted.reason === undefined ? {} : { notEvaluableReason: converted.reason }),
        source: {
          format: 'openslo',
          file: o.ctx.file,
          path: childPath(childPath(childPath(o.path, 'spec'), 'objectives'), i),
        },
      });
      if (converted.reason !== undefined)
        warn(`spec.objectives[${i}]`, `not evaluable: ${converted.reason}`);
    });
  }
  return { services, slos, warnings };
}

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 30 * 86_400_000,
  Q: 90 * 86_400_000,
  Y: 365 * 86_400_000,
};

/** `28d` → ms; months, quarters and years count as 30, 90 and 365 days. */
function shorthandMs(text: string): number {
  const unit = text.slice(-1);
  return Number(text.slice(0, -1)) * (UNIT_MS[unit] ?? Number.NaN);
}

function convertWindow(w: {
  duration: string;
  isRolling?: boolean | undefined;
  calendar?: { timeZone: string } | undefined;
}): SloWindow | string {
  if (w.isRolling === true) return { kind: 'rolling', durationMs: shorthandMs(w.duration) };
  const units: Record<string, 'day' | 'week' | 'month' | 'quarter' | 'year'> = {
    d: 'day',
    w: 'week',
    M: 'month',
    Q: 'quarter',
    Y: 'year',
  };
  const unit = units[w.duration.slice(-1)];
  if (unit === undefined || w.duration.slice(0, -1) !== '1')
    return `calendar window "${w.duration}" is not supported (use 1d, 1w, 1M, 1Q or 1Y)`;
  return { kind: 'calendar', unit, timeZone: w.calendar?.timeZone ?? 'UTC' };
}

/** The PromQL query of a metric source, or why there is none. */
function promQuery(
  ms: MetricSource,
  dataSources: Map<string, OpenSloObject>,
): { query: string } | { reason: string } {
  let type = ms.type;
  if (type === undefined && ms.metricSourceRef !== undefined) {
    const ds = dataSources.get(ms.metricSourceRef);
    type = (ds?.spec as { type?: string } | undefined)?.type;
    if (type === undefined)
      return { reason: `data source "${ms.metricSourceRef}" is not defined in the loaded files` };
  }
  if (type === undefined || type.toLowerCase() !== 'prometheus')
    return { reason: `data source type "${type ?? '(none)'}" is not Prometheus` };
  const q = ms.spec['query'] ?? ms.spec['promql'];
  if (typeof q !== 'string' || q === '')
    return { reason: 'the Prometheus metric source has no spec.query' };
  return { query: q };
}

/**
 * Makes an OpenSLO ratio query a window template: a query that already has
 * `{{.window}}` is kept; otherwise a counter becomes
 * `sum(increase((Q)[{{.window}}:]))` and a per-event gauge
 * `sum(sum_over_time((Q)[{{.window}}:]))` (subqueries at the default step).
 * Non-Prometheus queries (`reason` set) are kept verbatim.
 */
function windowed(query: string, counter: boolean, reason: string | undefined): string {
  if (reason !== undefined || hasWindowPlaceholder(query)) return query;
  return counter
    ? `sum(increase((${query})[{{.window}}:]))`
    : `sum(sum_over_time((${query})[{{.window}}:]))`;
}

function convertSli(
  spec: SliSpec,
  obj: z.infer<typeof objective>,
  dataSources: Map<string, OpenSloObject>,
  owner: OpenSloObject,
  path: string,
): { sli: Sli; reason?: string } {
  const issues: SpecIssue[] = [];
  const sources: { field: string; ms: MetricSource }[] = [];
  const r = spec.ratioMetric;
  if (r !== undefined) {
    for (const field of ['good', 'bad', 'total', 'raw'] as const) {
      const m = r[field];
      if (m !== undefined)
        sources.push({ field: `ratioMetric.${field}.metricSource`, ms: m.metricSource });
    }
  } else if (spec.thresholdMetric !== undefined) {
    sources.push({ field: 'thresholdMetric.metricSource', ms: spec.thresholdMetric.metricSource });
  }
  const queries = new Map<string, string>();
  let reason: string | undefined;
  for (const s of sources) {
    const q = promQuery(s.ms, dataSources);
    if ('reason' in q) {
      reason ??= q.reason;
      const raw = s.ms.spec['query'];
      queries.set(s.field, typeof raw === 'string' ? raw : '');
    } else {
      checkPromql(q.query, `${path}.${s.field}.spec.query`, issues);
      queries.set(s.field, q.query);
    }
  }
  if (issues.length > 0) throw specInvalid(owner.ctx, issues);
  const get = (f: string): string => queries.get(`${f}.metricSource`) ?? '';
  if (r !== undefined) {
    if (r.raw !== undefined) {
      const q = get('ratioMetric.raw');
      const sli: Sli = { kind: 'raw', errorRatioQuery: r.rawType === 'failure' ? q : `1 - (${q})` };
      return reason === undefined ? { sli } : { sli, reason };
    }
    const numerator = r.good !== undefined ? 'good' : 'bad';
    const sli: Sli = {
      kind: 'ratio',
      numerator,
      numeratorQuery: windowed(get(`ratioMetric.${numerator}`), r.counter === true, reason),
      totalQuery: windowed(get('ratioMetric.total'), r.counter === true, reason),
    };
    return reason === undefined ? { sli } : { sli, reason };
  }
  // thresholdMetric: good while `metric <op> value`; the error ratio is the bad share of time.
  const q = get('thresholdMetric');
  const ops: Record<string, string> = { lt: '<', lte: '<=', gt: '>', gte: '>=' };
  if (obj.op === undefined || obj.value === undefined) {
    reason ??= 'a thresholdMetric objective needs op and value';
    return { sli: { kind: 'raw', errorRatioQuery: q }, reason };
  }
  const sli: Sli = {
    kind: 'raw',
    errorRatioQuery: `1 - avg_over_time(((${q}) ${ops[obj.op] ?? '>'} bool ${String(obj.value)})[{{.window}}:])`,
  };
  return reason === undefined ? { sli } : { sli, reason };
}
