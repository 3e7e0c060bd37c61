/**
 * The internal SLO model every input format (Vigil YAML, OpenSLO v1, Sloth
 * `prometheus/v1`) converts to. Budget math and rule generation read only
 * this model. All values are plain, immutable data: safe to share between
 * concurrent callers.
 */

import type { BudgetPolicy } from './policy/policy.js';

/** Placeholder for the evaluation window in query templates (Sloth's convention). */
export const WINDOW_PLACEHOLDER = '{{.window}}';

/** The spec format an SLO was read from. */
export type SpecFormat = 'vigil' | 'openslo' | 'sloth';

/** Where a model object came from: the file and the path inside it (for messages). */
export interface SpecSource {
  /** The spec format. */
  readonly format: SpecFormat;
  /** The file name as given to the loader. */
  readonly file: string;
  /** The path of the object inside the file, e.g. `slos.availability` or `[2]`. */
  readonly path: string;
}

/** A service that owns SLOs. */
export interface Service {
  /** Service name (`user-api`); unique within a loaded set. */
  readonly name: string;
  /** Human-readable name, when the spec gives one. */
  readonly displayName?: string;
  /** Free text. */
  readonly description?: string;
  /** Labels attached to every SLO of the service. */
  readonly labels: Readonly<Record<string, string>>;
  /** Where it was declared. */
  readonly source: SpecSource;
  /**
   * The error-budget policy from the spec's `policy:` section (Vigil format
   * only); absent means the defaults (`DEFAULT_BUDGET_POLICY`).
   */
  readonly policy?: BudgetPolicy;
}

/**
 * Ratio SLI from two event counts: `good/total` or `bad/total`. Both queries
 * are PromQL templates returning the event rate (or increase) over
 * {@link WINDOW_PLACEHOLDER}, e.g. `sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))`.
 */
export interface RatioSli {
  readonly kind: 'ratio';
  /** Whether `numeratorQuery` counts good or bad events. */
  readonly numerator: 'good' | 'bad';
  /** Good or bad events (see `numerator`), a template with `{{.window}}`. */
  readonly numeratorQuery: string;
  /** All events, a template with `{{.window}}`. */
  readonly totalQuery: string;
}

/**
 * Latency SLI on a classic Prometheus histogram: the share of requests that
 * finished within `thresholdSeconds` ("95% of requests under 200 ms").
 * `thresholdSeconds` must be a bucket boundary (`le` value) of the histogram.
 */
export interface LatencySli {
  readonly kind: 'latency';
  /** Histogram base name, without `_bucket`/`_count` (`http_request_duration_seconds`). */
  readonly metric: string;
  /** The bucket boundary, seconds. */
  readonly thresholdSeconds: number;
  /** Extra matchers as PromQL text without braces (`job="api",method!="OPTIONS"`), may be empty. */
  readonly selector: string;
}

/**
 * Availability SLI from a boolean series (`up`, `probe_success`): 1 is good,
 * 0 is bad; the SLI is the average over the window and over all series.
 */
export interface AvailabilitySli {
  readonly kind: 'availability';
  /** A PromQL expression whose samples are 0 or 1 (no `{{.window}}`). */
  readonly expr: string;
}

/**
 * Throughput SLI: the share of time the rate stays at or above a floor.
 */
export interface ThroughputSli {
  readonly kind: 'throughput';
  /** A PromQL expression giving the current rate, per second (`sum(rate(jobs_total[5m]))`). */
  readonly rateExpr: string;
  /** The lowest acceptable rate, per second. */
  readonly floorPerSecond: number;
}

/**
 * Freshness SLI: the share of time the last successful run is younger than a maximum age.
 */
export interface FreshnessSli {
  readonly kind: 'freshness';
  /** A PromQL expression giving the Unix time, in seconds, of the last success. */
  readonly timestampExpr: string;
  /** The greatest acceptable age, seconds. */
  readonly maxAgeSeconds: number;
}

/**
 * Data-pipeline SLI from a good/total pair: completeness (processed/received)
 * or accuracy (correct/checked). Queries are templates with `{{.window}}`.
 */
export interface PipelineSli {
  readonly kind: 'completeness' | 'accuracy';
  /** Processed (completeness) or correct (accuracy) records over the window. */
  readonly goodQuery: string;
  /** Received (completeness) or checked (accuracy) records over the window. */
  readonly totalQuery: string;
}

/** Any PromQL error ratio (Sloth's `raw.error_ratio_query`), a template with `{{.window}}`. */
export interface RawSli {
  readonly kind: 'raw';
  /** Error ratio in [0, 1] over `{{.window}}`. */
  readonly errorRatioQuery: string;
}

/** A service-level indicator: a tagged union on `kind`. */
export type Sli =
  RatioSli | LatencySli | AvailabilitySli | ThroughputSli | FreshnessSli | PipelineSli | RawSli;

/** Every {@link Sli} `kind`. */
export const SLI_KINDS: readonly Sli['kind'][] = [
  'ratio',
  'latency',
  'availability',
  'throughput',
  'freshness',
  'completeness',
  'accuracy',
  'raw',
];

/** The objective of an SLO. */
export interface Objective {
  /** Target as a fraction in (0, 1): 0.999 for 99.9%. */
  readonly target: number;
  /**
   * The target as the spec wrote it, percent (99.9), when the spec gives a
   * percentage (Sloth). Rule export computes Sloth's ratios from it so that
   * the printed digits match Sloth's; absent means `target * 100`.
   */
  readonly targetPercent?: number;
  /** For timeslice budgeting: the fraction of a slice that must be good for the slice to count as good. */
  readonly timeSliceTarget?: number;
  /** For timeslice budgeting: the slice length, ms. */
  readonly timeSliceWindowMs?: number;
}

/** A rolling window: the last `durationMs` milliseconds. */
export interface RollingWindow {
  readonly kind: 'rolling';
  /** Window length, ms (30 days = 2_592_000_000). */
  readonly durationMs: number;
}

/** A calendar window whose budget resets at each boundary, in `timeZone`. */
export interface CalendarWindow {
  readonly kind: 'calendar';
  /** Calendar period (`day` and `year` come only from OpenSLO specs). */
  readonly unit: 'day' | 'week' | 'month' | 'quarter' | 'year';
  /** IANA time zone of the boundaries (`UTC`, `Europe/Paris`). */
  readonly timeZone: string;
}

/** The SLO's compliance window. */
export type SloWindow = RollingWindow | CalendarWindow;

/** How the error budget is counted. */
export type BudgetingMethod = 'occurrences' | 'timeslices' | 'ratioTimeslices';

/** One alert tier's options (page or ticket). */
export interface AlertTier {
  /** False turns the tier off. */
  readonly enabled: boolean;
  /** Labels added to this tier's alerts. */
  readonly labels: Readonly<Record<string, string>>;
  /** Annotations added to this tier's alerts. */
  readonly annotations: Readonly<Record<string, string>>;
}

/**
 * One multiwindow burn-rate alert window (Sloth's AlertWindows shape): fire
 * when `errorBudgetPercent` of the period's budget burns within `longWindowMs`,
 * confirmed over `shortWindowMs`.
 */
export interface AlertWindow {
  /** Which tier the window belongs to. */
  readonly tier: 'page' | 'ticket';
  /** Share of the period's budget, percent (2 = 2%). */
  readonly errorBudgetPercent: number;
  /** The confirming short window, ms. */
  readonly shortWindowMs: number;
  /** The long window, ms. */
  readonly longWindowMs: number;
}

/** Alerting options of an SLO. */
export interface AlertingOptions {
  /** Alert name; generators default it from the SLO id. */
  readonly name?: string;
  /** Labels on every alert of the SLO. */
  readonly labels: Readonly<Record<string, string>>;
  /** Annotations on every alert of the SLO. */
  readonly annotations: Readonly<Record<string, string>>;
  /** The page tier (fast burn). */
  readonly page: AlertTier;
  /** The ticket tier (slow burn). */
  readonly ticket: AlertTier;
  /** Custom windows; absent means the SRE Workbook defaults scaled to the SLO window. */
  readonly windows?: readonly AlertWindow[];
  /**
   * Low-traffic guard: burn-rate alerts stay quiet while an alert's long window
   * holds fewer events than this, so that one failure among a handful of
   * requests does not page. Absent or 0: no minimum. Event-based SLIs only.
   */
  readonly minEvents?: number;
  /** Vigil's budget-exhausted alert (not in Sloth); absent means enabled with no extra labels. */
  readonly budgetExhausted?: AlertTier;
  /** Vigil's no-data alert (not in Sloth); absent means enabled with no extra labels. */
  readonly noData?: AlertTier;
  /** How long the SLI must have had no data before the no-data alert fires, ms; absent means 10 minutes. */
  readonly noDataForMs?: number;
}

/** A maintenance window: its time counts as neither good nor bad. Range `[startMs, endMs]`. */
export interface ExclusionWindow {
  /** Optional name. */
  readonly name?: string;
  /** Start, ms since the epoch. */
  readonly startMs: number;
  /** End, ms since the epoch, inclusive. */
  readonly endMs: number;
}

/** A Sloth SLO plugin declaration (`{id, priority, config}` in a `chain`). */
export interface SloPluginRef {
  /** Plugin id (`sloth.dev/contrib/info_labels/v1`). */
  readonly id: string;
  /** Order: ascending; below 0 runs before the rules exist, 0 and up after. Default 0. */
  readonly priority: number;
  /** The plugin's configuration, as parsed from YAML. */
  readonly config: unknown;
}

/** A service-level objective. */
export interface Slo {
  /** `<service>-<name>` (Sloth's id convention); unique within a loaded set. */
  readonly id: string;
  /** Owning service name. */
  readonly service: string;
  /** SLO name, unique within the service. */
  readonly name: string;
  /** Free text. */
  readonly description?: string;
  /** The indicator. */
  readonly sli: Sli;
  /** The objective. */
  readonly objective: Objective;
  /** The compliance window. */
  readonly window: SloWindow;
  /** How the budget is counted. */
  readonly budgetingMethod: BudgetingMethod;
  /** Labels (service labels merged under SLO labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Alerting options. */
  readonly alerting: AlertingOptions;
  /** Maintenance windows. */
  readonly exclusions: readonly ExclusionWindow[];
  /**
   * Sloth SLO plugins declared for this SLO (the spec's `slo_plugins` chain,
   * then the SLO's `plugins` chain, in declaration order). They transform only
   * the exported rules (`generateRuleGroups`); the engine ignores them.
   */
  readonly plugins?: readonly SloPluginRef[];
  /**
   * False when the SLI cannot be evaluated with PromQL (an OpenSLO data source
   * other than Prometheus); `notEvaluableReason` says why. Such SLOs are
   * validated but produce no rules.
   */
  readonly evaluable: boolean;
  /** Why the SLO is not evaluable. */
  readonly notEvaluableReason?: string;
  /** Where it was declared. */
  readonly source: SpecSource;
}

/** A non-fatal remark about a spec (unresolved reference, unsupported data source, ...). */
export interface SpecWarning {
  /** File name. */
  readonly file: string;
  /** Path in the file. */
  readonly path: string;
  /** What is wrong and what it means. */
  readonly message: string;
}

/** What parsing one or more spec files produces. */
export interface SloSpecSet {
  /** Services, declared or implied by SLOs. */
  readonly services: readonly Service[];
  /** SLOs, in file order. */
  readonly slos: readonly Slo[];
  /** Non-fatal remarks. */
  readonly warnings: readonly SpecWarning[];
}

/** Replaces every `{{.window}}` (spaces allowed inside the braces) in `template` with `windowText`. */
export function renderWindow(template: string, windowText: string): string {
  return template.replace(/\{\{\s*\.window\s*\}\}/g, windowText);
}

/** Formats a number as a PromQL float literal (shortest round-trip form). */
function num(value: number): string {
  return String(value);
}

/**
 * Renders the error-ratio PromQL of `sli` over `windowText` (a PromQL duration
 * such as `5m` or `30d`): a value in [0, 1], 0 meaning no errors. Event SLIs
 * (ratio, latency, completeness, accuracy, raw) return the share of bad events
 * in the window; time-based SLIs (availability, throughput, freshness) return
 * the share of bad time, sampled by a subquery at the engine's default step.
 */
export function errorRatioExpr(sli: Sli, windowText: string): string {
  const w = windowText;
  switch (sli.kind) {
    case 'ratio': {
      const ratio = `(${renderWindow(sli.numeratorQuery, w)})\n/\n(${renderWindow(sli.totalQuery, w)})`;
      return sli.numerator === 'bad' ? `(${ratio})` : `1 - (${ratio})`;
    }
    case 'completeness':
    case 'accuracy':
      return `1 - ((${renderWindow(sli.goodQuery, w)})\n/\n(${renderWindow(sli.totalQuery, w)}))`;
    case 'latency': {
      const sel = sli.selector.trim();
      const extra = sel === '' ? '' : `${sel},`;
      const le = leMatcher(sli.thresholdSeconds);
      return (
        `1 - (sum(rate(${sli.metric}_bucket{${extra}${le}}[${w}]))\n/\n` +
        `sum(rate(${sli.metric}_count{${sel}}[${w}])))`
      );
    }
    case 'availability':
      return `1 - avg(avg_over_time((${sli.expr})[${w}:]))`;
    case 'throughput':
      return `1 - avg_over_time(((${sli.rateExpr}) >= bool ${num(sli.floorPerSecond)})[${w}:])`;
    case 'freshness':
      return `1 - avg_over_time(((time() - (${sli.timestampExpr})) <= bool ${num(sli.maxAgeSeconds)})[${w}:])`;
    case 'raw':
      return `(${renderWindow(sli.errorRatioQuery, w)})`;
  }
}

/**
 * The `le` matcher of a bucket boundary. Client libraries write integral
 * boundaries as `1` or `1.0` (OpenMetrics), so those match both spellings.
 */
function leMatcher(thresholdSeconds: number): string {
  const text = num(thresholdSeconds);
  if (Number.isInteger(thresholdSeconds)) return `le=~"${text}(\\\\.0+)?"`;
  return `le="${text}"`;
}

/** The event-based SLI kinds: their budget is counted in events under `occurrences`. */
export function isEventBasedSli(sli: Sli): boolean {
  return sli.kind !== 'availability' && sli.kind !== 'throughput' && sli.kind !== 'freshness';
}

/** The query templates of `sli` (for validation): each with its field name. */
export function sliQueries(sli: Sli): { field: string; query: string }[] {
  switch (sli.kind) {
    case 'ratio':
      return [
        { field: sli.numerator, query: sli.numeratorQuery },
        { field: 'total', query: sli.totalQuery },
      ];
    case 'completeness':
    case 'accuracy':
      return [
        { field: 'good', query: sli.goodQuery },
        { field: 'total', query: sli.totalQuery },
      ];
    case 'latency':
      return [];
    case 'availability':
      return [{ field: 'expr', query: sli.expr }];
    case 'throughput':
      return [{ field: 'rate', query: sli.rateExpr }];
    case 'freshness':
      return [{ field: 'timestamp', query: sli.timestampExpr }];
    case 'raw':
      return [{ field: 'errorRatio', query: sli.errorRatioQuery }];
  }
}
