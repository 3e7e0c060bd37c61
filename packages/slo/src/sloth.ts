import { isValidLabelName } from '@vigil/model';
import { z } from 'zod';
import type { AlertTier, Service, Sli, Slo, SloPluginRef, SpecWarning } from './model.js';
import {
  checkPromql,
  childPath,
  hasWindowPlaceholder,
  specInvalid,
  zodIssues,
  type DocContext,
  type SpecIssue,
} from './spec-issues.js';

/** The only Sloth spec version this module reads. */
export const SLOTH_PROMETHEUS_V1 = 'prometheus/v1';

/** Sloth's default SLO period (`--default-slo-period`), ms: 30 days. */
export const SLOTH_DEFAULT_PERIOD_MS = 30 * 24 * 3600 * 1000;

const NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const NAME_RULE =
  'must be a name of letters, digits, "-", "_" and "." that starts and ends with a letter or digit';

/** Label values: YAML scalars are stringified, as Sloth does. */
const labelValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const labelMap = z
  .record(z.string(), labelValue)
  .superRefine((labels, ctx) => {
    for (const name of Object.keys(labels)) {
      if (!isValidLabelName(name))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'must be a valid Prometheus label name',
        });
    }
  })
  .optional();
const annotationMap = z.record(z.string(), labelValue).optional();

const tierSchema = z
  .looseObject({
    disable: z.boolean().optional(),
    labels: labelMap,
    annotations: annotationMap,
  })
  .optional();

const sliSchema = z.looseObject({
  events: z
    .looseObject({
      error_query: z.string().min(1, 'must be a non-empty PromQL query'),
      total_query: z.string().min(1, 'must be a non-empty PromQL query'),
    })
    .optional(),
  raw: z
    .looseObject({ error_ratio_query: z.string().min(1, 'must be a non-empty PromQL query') })
    .optional(),
  plugin: z
    .looseObject({
      id: z.string().min(1, 'must name the plugin'),
      options: z.record(z.string(), labelValue).optional(),
    })
    .optional(),
});

const pluginChainSchema = z
  .looseObject({
    overridePrevious: z.boolean().optional(),
    chain: z
      .array(
        z.looseObject({
          id: z.string().min(1, 'must name the plugin'),
          priority: z.number().int('must be an integer').optional(),
          config: z.unknown().optional(),
        }),
      )
      .optional(),
  })
  .optional();

const sloSchema = z.looseObject({
  name: z.string().regex(NAME_RE, NAME_RULE),
  objective: z
    .number('must be a number (a percentage such as 99.9)')
    .gt(0, 'must be greater than 0')
    .lte(100, 'must be at most 100 (a percentage)'),
  description: z.string().optional(),
  labels: labelMap,
  sli: sliSchema,
  alerting: z
    .looseObject({
      name: z.string().optional(),
      labels: labelMap,
      annotations: annotationMap,
      page_alert: tierSchema,
      ticket_alert: tierSchema,
    })
    .optional(),
  plugins: pluginChainSchema,
});

const specSchema = z.looseObject({
  version: z.literal(SLOTH_PROMETHEUS_V1, `must be "${SLOTH_PROMETHEUS_V1}"`),
  service: z.string().regex(NAME_RE, NAME_RULE),
  labels: labelMap,
  slos: z.array(sloSchema).min(1, 'must list at least one SLO'),
  slo_plugins: pluginChainSchema,
});

/**
 * A Sloth SLI plugin: from the SLO's plugin options and labels (service labels
 * under SLO labels), the raw error-ratio query template (with `{{.window}}`)
 * the SLI is then treated as (Sloth's `raw.error_ratio_query`). Throws to
 * reject the options; the message becomes the spec error.
 */
export type SlothSliPlugin = (input: {
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}) => string;

/** True when a parsed YAML document looks like a Sloth spec (has a `version` key). */
export function isSlothDocument(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'version' in doc;
}

/**
 * Converts one parsed Sloth `prometheus/v1` YAML document into model objects.
 * Throws `SLO_SPEC_INVALID` naming the file, the path and the rule broken
 * (Sloth's validation rules: non-empty names, objective in (0, 100], exactly
 * one of `sli.events`/`sli.raw`, queries that parse as PromQL and contain
 * `{{.window}}`, an alert name unless both tiers are disabled; SLI plugins are
 * rejected as not supported). Pure; safe to call concurrently.
 */
export function convertSlothDocument(
  doc: unknown,
  ctx: DocContext,
  sliPlugins?: ReadonlyMap<string, SlothSliPlugin>,
): { service: Service; slos: Slo[]; warnings: SpecWarning[] } {
  const parsed = specSchema.safeParse(doc);
  if (!parsed.success) throw specInvalid(ctx, zodIssues(parsed.error));
  const spec = parsed.data;
  const issues: SpecIssue[] = [];
  const warnings: SpecWarning[] = [];
  const groupPlugins = pluginRefs(spec.slo_plugins, 'slo_plugins', issues);
  const serviceLabels = spec.labels ?? {};
  const source = { format: 'sloth' as const, file: ctx.file };
  const slos: Slo[] = [];
  const seen = new Set<string>();
  spec.slos.forEach((s, i) => {
    const base = childPath('slos', i);
    if (seen.has(s.name))
      issues.push({ path: childPath(base, 'name'), rule: `duplicates SLO "${s.name}"` });
    seen.add(s.name);
    const plugins = [...groupPlugins, ...pluginRefs(s.plugins, childPath(base, 'plugins'), issues)];
    if (plugins.length > 0)
      warnings.push({
        file: ctx.file,
        path: childPath(base, 'plugins'),
        message: `Sloth SLO plugins (${[...new Set(plugins.map((p) => p.id))].join(', ')}) apply only to exported rules (vigil slo generate)`,
      });
    const labels = { ...serviceLabels, ...(s.labels ?? {}) };
    const sli = convertSli(s.sli, childPath(base, 'sli'), issues, labels, sliPlugins);
    const alerting = s.alerting;
    const page = tier(alerting?.page_alert);
    const ticket = tier(alerting?.ticket_alert);
    if ((page.enabled || ticket.enabled) && (alerting?.name ?? '') === '')
      issues.push({
        path: childPath(childPath(base, 'alerting'), 'name'),
        rule: 'is required unless both page_alert and ticket_alert are disabled',
      });
    if (sli === undefined) return;
    slos.push({
      id: `${spec.service}-${s.name}`,
      service: spec.service,
      name: s.name,
      ...(s.description === undefined ? {} : { description: s.description }),
      sli,
      objective: { target: percentToFraction(s.objective), targetPercent: s.objective },
      window: { kind: 'rolling', durationMs: SLOTH_DEFAULT_PERIOD_MS },
      budgetingMethod: 'occurrences',
      labels,
      alerting: {
        ...(alerting?.name === undefined || alerting.name === '' ? {} : { name: alerting.name }),
        labels: alerting?.labels ?? {},
        annotations: alerting?.annotations ?? {},
        page,
        ticket,
      },
      exclusions: [],
      ...(plugins.length === 0 ? {} : { plugins }),
      evaluable: true,
      source: { ...source, path: base },
    });
  });
  if (issues.length > 0) throw specInvalid(ctx, issues);
  return {
    service: { name: spec.service, labels: serviceLabels, source: { ...source, path: '' } },
    slos,
    warnings,
  };
}

function tier(
  t:
    | {
        disable?: boolean | undefined;
        labels?: Record<string, string> | undefined;
        annotations?: Record<string, string> | undefined;
      }
    | undefined,
): AlertTier {
  return {
    enabled: t?.disable !== true,
    labels: t?.labels ?? {},
    annotations: t?.annotations ?? {},
  };
}

function pluginRefs(
  chain: z.infer<typeof pluginChainSchema>,
  path: string,
  issues: SpecIssue[],
): SloPluginRef[] {
  if (chain === undefined) return [];
  if (chain.overridePrevious === true)
    issues.push({
      path: childPath(path, 'overridePrevious'),
      rule: 'is not supported (the default rule plugins cannot be replaced)',
    });
  return (chain.chain ?? []).map((p) => ({
    id: p.id,
    priority: p.priority ?? 0,
    config: p.config ?? {},
  }));
}

function convertSli(
  sli: z.infer<typeof sliSchema>,
  path: string,
  issues: SpecIssue[],
  labels: Readonly<Record<string, string>>,
  sliPlugins: ReadonlyMap<string, SlothSliPlugin> | undefined,
): Sli | undefined {
  const set = (['events', 'raw', 'plugin'] as const).filter((k) => sli[k] !== undefined);
  if (set.length !== 1) {
    issues.push({
      path,
      rule:
        set.length === 0
          ? 'must set exactly one of events, raw or plugin (none is set)'
          : `must set exactly one of events, raw or plugin (${set.join(' and ')} are set)`,
    });
    return undefined;
  }
  if (sli.plugin !== undefined) {
    const p = childPath(path, 'plugin');
    const plugin = sliPlugins?.get(sli.plugin.id);
    if (plugin === undefined) {
      issues.push({
        path: p,
        rule: `SLI plugins are not supported (no plugin "${sli.plugin.id}" is registered); use events or raw`,
      });
      return undefined;
    }
    let query: string;
    try {
      query = plugin({ options: sli.plugin.options ?? {}, labels });
    } catch (err) {
      issues.push({
        path: p,
        rule: `plugin "${sli.plugin.id}" rejected its options: ${err instanceof Error ? err.message : String(err)}`,
      });
      return undefined;
    }
    const before = issues.length;
    checkQuery(query, childPath(p, 'query'), issues);
    if (issues.length > before) return undefined;
    return { kind: 'raw', errorRatioQuery: query };
  }
  if (sli.events !== undefined) {
    const p = childPath(path, 'events');
    const before = issues.length;
    checkQuery(sli.events.error_query, childPath(p, 'error_query'), issues);
    checkQuery(sli.events.total_query, childPath(p, 'total_query'), issues);
    if (issues.length > before) return undefined;
    return {
      kind: 'ratio',
      numerator: 'bad',
      numeratorQuery: sli.events.error_query,
      totalQuery: sli.events.total_query,
    };
  }
  if (sli.raw === undefined) return undefined;
  const before = issues.length;
  checkQuery(
    sli.raw.error_ratio_query,
    childPath(childPath(path, 'raw'), 'error_ratio_query'),
    issues,
  );
  if (issues.length > before) return undefined;
  return { kind: 'raw', errorRatioQuery: sli.raw.error_ratio_query };
}

function checkQuery(query: string, path: string, issues: SpecIssue[]): void {
  if (!hasWindowPlaceholder(query)) {
    issues.push({ path, rule: 'must contain the {{.window}} placeholder' });
    return;
  }
  checkPromql(query, path, issues);
}

/** 99.9 → 0.999, without the float noise of a plain division (0.9990000000000001). */
export function percentToFraction(percent: number): number {
  return Number((percent / 100).toPrecision(15));
}
