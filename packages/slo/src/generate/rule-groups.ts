/**
 * Prometheus rule export of SLOs in Sloth's shape: per SLO a group of SLI
 * error-ratio recordings, a group of metadata recordings and a group of
 * multiwindow burn-rate alerts, with Sloth's rule names and labels, plus
 * Vigil's own alerts (budget exhausted, no data, low-traffic guard) unless
 * Sloth compatibility is asked for.
 */
import {
  ErrorCodes,
  VigilError,
  formatDurationMs,
  formatGoG,
  formatGoShortest,
} from '@vigil/model';
import {
  DEFAULT_NO_DATA_FOR_MS,
  SRE_WORKBOOK_WINDOWS,
  burnFactor,
  nominalPeriodMs,
  windowText,
} from '../alert-windows.js';
import { errorRatioExpr, renderWindow } from '../model.js';
import type { AlertTier, AlertWindow, Sli, Slo } from '../model.js';
import type { AlertWindowCatalog } from './alert-windows-spec.js';
import { runSloPlugins, type SloRulesPlugin } from './slo-plugins.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A recording rule of a generated group. */
export interface GeneratedRecordingRule {
  /** The recorded metric name (`slo:sli_error:ratio_rate5m`). */
  readonly record: string;
  /** The PromQL expression. */
  readonly expr: string;
  /** Labels added to the output, sorted by name. */
  readonly labels: Readonly<Record<string, string>>;
}

/** An alerting rule of a generated group. */
export interface GeneratedAlertingRule {
  /** The alert name. */
  readonly alert: string;
  /** The PromQL expression. */
  readonly expr: string;
  /** How long the condition must hold before the alert fires, as a Prometheus duration; absent: at once. */
  readonly for?: string;
  /** Labels of the alert, sorted by name. */
  readonly labels: Readonly<Record<string, string>>;
  /** Annotations of the alert, sorted by name. */
  readonly annotations: Readonly<Record<string, string>>;
}

/** One rule of a generated group. */
export type GeneratedRule = GeneratedRecordingRule | GeneratedAlertingRule;

/** A generated rule group, as written to a Prometheus rule file. */
export interface GeneratedRuleGroup {
  /** Group name (`sloth-slo-sli-recordings-<id>`, ...). */
  readonly name: string;
  /** Evaluation interval as a Prometheus duration; absent: the global one. */
  readonly interval?: string;
  /** The rules, in evaluation order. */
  readonly rules: readonly GeneratedRule[];
}

/** Options of {@link generateRuleGroups}. */
export interface GenerateOptions {
  /** Written as `sloth_version` on `sloth_slo_info`; default `dev`. */
  readonly version?: string;
  /** Written as `sloth_mode` on `sloth_slo_info`; default `cli-gen-prom`. */
  readonly mode?: string;
  /** Labels added to every recording rule (not to alerts); they win over the SLO's labels. */
  readonly extraLabels?: Readonly<Record<string, string>>;
  /** Leave out every alert group (Sloth's `--disable-alerts`). */
  readonly disableAlerts?: boolean;
  /** Leave out the SLI and metadata recording groups (Sloth's `--disable-recordings`). */
  readonly disableRecordings?: boolean;
  /**
   * Alert windows by SLO period (Sloth's `--slo-period-windows-path`): it
   * replaces the built-in windows for SLOs without windows of their own, and
   * an SLO whose period it lacks is an error. Absent: the SRE Workbook
   * windows, scaled to each period.
   */
  readonly windowCatalog?: AlertWindowCatalog;
  /** The period of Sloth `prometheus/v1` SLOs (which have none of their own), ms; default 30 days. */
  readonly defaultPeriodMs?: number;
  /**
   * Generate only what Sloth generates: no `vigil-slo-alerts-<id>` group and
   * no low-traffic guard on burn-rate alerts. Default false.
   */
  readonly slothCompatible?: boolean;
  /**
   * Sloth SLO plugins by id, for the plugin chains of Sloth specs; they add to
   * and override the built-in ones (`BUILTIN_SLO_PLUGINS`). An SLO naming an
   * unknown plugin is an error.
   */
  readonly sloPlugins?: ReadonlyMap<string, SloRulesPlugin>;
}

/**
 * The period and alert windows an SLO's rules are generated with: the
 * nominal period (calendar windows use their nominal length, see
 * `nominalPeriodMs`) and the windows from the SLO, the catalog or the defaults.
 */
export interface SloRulePlan {
  /** The SLO period, ms. */
  readonly periodMs: number;
  /** The alert windows, page windows first. */
  readonly windows: readonly AlertWindow[];
  /** Every window an error ratio is recorded for, ms, ascending. */
  readonly recordingWindowsMs: readonly number[];
}

/**
 * Decides the period and windows of `slo` under `options`. Throws
 * `SLO_SPEC_INVALID` when a window catalog is given and has no windows for
 * the SLO's period. Pure.
 */
export function planSloRules(slo: Slo, options: GenerateOptions = {}): SloRulePlan {
  const periodMs =
    slo.source.format === 'sloth' && options.defaultPeriodMs !== undefined
      ? options.defaultPeriodMs
      : nominalPeriodMs(slo.window);
  let windows = slo.alerting.windows;
  if (windows === undefined && options.windowCatalog !== undefined) {
    windows = options.windowCatalog.get(periodMs);
    if (windows === undefined)
      throw new VigilError(
        ErrorCodes.SLO_SPEC_INVALID,
        `SLO ${slo.id} (${slo.source.file}): the alert window catalog has no windows for its ${formatDurationMs(periodMs)} period; add an AlertWindows spec with sloPeriod ${formatDurationMs(periodMs)} or give the SLO its own windows.`,
        { details: { file: slo.source.file, id: slo.id } },
      );
  }
  windows ??= SRE_WORKBOOK_WINDOWS;
  const set = new Set<number>([periodMs]);
  for (const w of windows) {
    set.add(w.shortWindowMs);
    set.add(w.longWindowMs);
  }
  return { periodMs, windows, recordingWindowsMs: [...set].sort((a, b) => a - b) };
}

function sortedRecord(...parts: Readonly<Record<string, string>>[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const p of parts) Object.assign(merged, p);
  const out: Record<string, string> = {};
  for (const k of Object.keys(merged).sort()) out[k] = merged[k] ?? '';
  return out;
}

/** A PromQL string literal (double-quoted, Go escapes). */
function quote(value: string): string {
  return JSON.stringify(value);
}

function specName(slo: Slo): string {
  switch (slo.source.format) {
    case 'sloth':
      return 'prometheus/v1';
    case 'openslo':
      return 'openslo/v1';
    case 'vigil':
      return 'vigil/v1';
  }
}

/** The objective in percent, as the spec wrote it when it could. */
function objectivePercent(slo: Slo): number {
  return slo.objective.targetPercent ?? Number((slo.objective.target * 100).toPrecision(15));
}

/** Sloth's alert name for an SLO without one: the id in PascalCase plus `ErrorBudgetBurn`. */
function defaultAlertName(slo: Slo): string {
  const words = slo.id.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const pascal = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return `${/^[0-9]/.test(pascal) ? 'Slo' : ''}${pascal}ErrorBudgetBurn`;
}

/**
 * The SLI recording expression of `sli` over `window`: Sloth's exact text for
 * `events` (bad/total) and `raw` SLIs, {@link errorRatioExpr} for the others.
 */
function sliRuleExpr(sli: Sli, window: string): string {
  if (sli.kind === 'ratio' && sli.numerator === 'bad')
    return `(${renderWindow(sli.numeratorQuery, window)})\n/\n(${renderWindow(sli.totalQuery, window)})\n`;
  return errorRatioExpr(sli, window);
}

/**
 * The number of events in `window` of an event-based SLI, as PromQL, or
 * undefined when the SLI has no event count (raw and time-based SLIs).
 * Ratio and pipeline totals are taken to be per-second rates, as Sloth's
 * queries are (`sum(rate(x[{{.window}}]))`), and multiplied by the window's
 * seconds, unless the query uses `increase` (then it already counts); latency
 * SLIs count with `increase` on the histogram's `_count`. Pure.
 */
export function eventCountExpr(sli: Sli, windowMs: number): string | undefined {
  const w = windowText(windowMs);
  const seconds = windowMs / 1000;
  switch (sli.kind) {
    case 'ratio':
    case 'completeness':
    case 'accuracy': {
      const total = renderWindow(sli.totalQuery, w).trim();
      // A query that already counts (increase) is used as it is.
      return /\bincrease\s*\(/.test(total) ? `sum(${total})` : `sum(${total}) * ${seconds}`;
    }
    case 'latency':
      return `sum(increase(${sli.metric}_count{${sli.selector.trim()}}[${w}]))`;
    default:
      return undefined;
  }
}

/**
 * Generates the Prometheus rule groups of `slos`, in Sloth's layout: for each
 * evaluable SLO `sloth-slo-sli-recordings-<id>`, `sloth-slo-meta-recordings-<id>`,
 * `sloth-slo-alerts-<id>` and (unless `slothCompatible`) `vigil-slo-alerts-<id>`;
 * empty groups are left out, as are SLOs that are not evaluable. Throws
 * `SLO_SPEC_INVALID` when an SLO's period has no windows in a given catalog.
 * Pure; safe to call concurrently.
 */
export function generateRuleGroups(
  slos: readonly Slo[],
  options: GenerateOptions = {},
): GeneratedRuleGroup[] {
  const groups: GeneratedRuleGroup[] = [];
  for (const slo of slos) {
    if (!slo.evaluable) continue;
    groups.push(...sloGroups(slo, options).filter((g) => g.rules.length > 0));
  }
  return groups;
}

function sloGroups(slo: Slo, options: GenerateOptions): GeneratedRuleGroup[] {
  const plan = planSloRules(slo, options);
  const ids: Record<string, string> = {
    sloth_id: slo.id,
    sloth_service: slo.service,
    sloth_slo: slo.name,
  };
  const selector = `{sloth_id=${quote(slo.id)}, sloth_service=${quote(slo.service)}, sloth_slo=${quote(slo.name)}}`;
  const recordLabels = sortedRecord(slo.labels, options.extraLabels ?? {}, ids);
  const shortestMs = plan.recordingWindowsMs[0] ?? plan.periodMs;
  const shortest = windowText(shortestMs);
  const period = windowText(plan.periodMs);
  const percent = objectivePercent(slo);
  const objectiveRatio = percent / 100;
  const budgetRatio = (100 - percent) / 100;
  const out: GeneratedRuleGroup[] = [];

  if (options.disableRecordings !== true) {
    const sliRules: GeneratedRecordingRule[] = plan.recordingWindowsMs.map((ms) => {
      const w = windowText(ms);
      const expr =
        ms === plan.periodMs
          ? `sum_over_time(slo:sli_error:ratio_rate${shortest}${selector}[${w}])\n/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate${shortest}${selector}[${w}])\n`
          : sliRuleExpr(slo.sli, w);
      return {
        record: `slo:sli_error:ratio_rate${w}`,
        expr,
        labels: sortedRecord(recordLabels, { sloth_window: w }),
      };
    });
    out.push({ name: `sloth-slo-sli-recordings-${slo.id}`, rules: sliRules });
    const meta = (record: string, expr: string): GeneratedRecordingRule => ({
      record,
      expr,
      labels: recordLabels,
    });
    const perBudget = (ratio: string): string =>
      `${ratio}${selector}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${selector}\n`;
    out.push({
      name: `sloth-slo-meta-recordings-${slo.id}`,
      rules: [
        meta('slo:objective:ratio', `vector(${formatGoG(objectiveRatio)})`),
        meta('slo:error_budget:ratio', `vector(1-${formatGoG(objectiveRatio)})`),
        meta('slo:time_period:days', `vector(${formatGoG(plan.periodMs / DAY_MS)})`),
        meta('slo:current_burn_rate:ratio', perBudget(`slo:sli_error:ratio_rate${shortest}`)),
        meta('slo:period_burn_rate:ratio', perBudget(`slo:sli_error:ratio_rate${period}`)),
        meta(
          'slo:period_error_budget_remaining:ratio',
          `1 - slo:period_burn_rate:ratio${selector}`,
        ),
        {
          record: 'sloth_slo_info',
          expr: 'vector(1)',
          labels: sortedRecord(recordLabels, {
            sloth_mode: options.mode ?? 'cli-gen-prom',
            sloth_objective: formatGoShortest(percent),
            sloth_spec: specName(slo),
            sloth_version: options.version ?? 'dev',
          }),
        },
      ],
    });
  }

  if (options.disableAlerts === true) return runSloPlugins(slo, out, options.sloPlugins);
  const alertName = slo.alerting.name ?? defaultAlertName(slo);
  const vigil = options.slothCompatible !== true;
  const minEvents = vigil ? (slo.alerting.minEvents ?? 0) : 0;
  const alertRules: GeneratedAlertingRule[] = [];
  for (const severity of ['page', 'ticket'] as const) {
    const tier = slo.alerting[severity];
    const windows = plan.windows.filter((w) => w.tier === severity);
    if (!tier.enabled || windows.length === 0) continue;
    const clauses = windows.map((w) => {
      const factor = `(${formatGoG(burnFactor(w, plan.periodMs))} * ${formatGoG(budgetRatio)})`;
      const cond = (ms: number): string =>
        `    max(slo:sli_error:ratio_rate${windowText(ms)}${selector} > ${factor}) without (sloth_window)`;
      const lines = ['(', cond(w.shortWindowMs), '    and', cond(w.longWindowMs)];
      const events = minEvents > 0 ? eventCountExpr(slo.sli, w.longWindowMs) : undefined;
      if (events !== undefined)
        lines.push('    and on()', `    (${events} >= ${formatGoG(minEvents)})`);
      lines.push(')');
      return lines.join('\n');
    });
    alertRules.push({
      alert: alertName,
      expr: `${clauses.join('\nor\n')}\n`,
      labels: sortedRecord(slo.alerting.labels, tier.labels, { sloth_severity: severity }),
      annotations: sortedRecord(
        {
          summary:
            '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
          title: `(${severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
        },
        slo.alerting.annotations,
        tier.annotations,
      ),
    });
  }
  out.push({ name: `sloth-slo-alerts-${slo.id}`, rules: alertRules });
  const result = runSloPlugins(slo, out, options.sloPlugins);
  if (vigil) result.push({ name: `vigil-slo-alerts-${slo.id}`, rules: vigilAlerts() });
  return result;

  function vigilAlerts(): GeneratedAlertingRule[] {
    const rules: GeneratedAlertingRule[] = [];
    const enabled = (t: AlertTier | undefined): boolean => t?.enabled !== false;
    const exhausted = slo.alerting.budgetExhausted;
    if (enabled(exhausted))
      rules.push({
        alert: `${alertName}BudgetExhausted`,
        expr: `slo:period_error_budget_remaining:ratio${selector} <= 0`,
        labels: sortedRecord(slo.alerting.labels, exhausted?.labels ?? {}, ids, {
          sloth_severity: 'ticket',
          vigil_alert: 'budget-exhausted',
        }),
        annotations: sortedRecord(
          {
            summary: `{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO has spent its whole ${period} error budget.`,
            title:
              '(ticket) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget is exhausted.',
          },
          slo.alerting.annotations,
          exhausted?.annotations ?? {},
        ),
      });
    const noData = slo.alerting.noData;
    if (enabled(noData))
      rules.push({
        alert: `${alertName}NoData`,
        expr: `absent(slo:sli_error:ratio_rate${shortest}${selector} >= 0)`,
        for: formatDurationMs(slo.alerting.noDataForMs ?? DEFAULT_NO_DATA_FOR_MS),
        labels: sortedRecord(slo.alerting.labels, noData?.labels ?? {}, ids, {
          sloth_severity: 'ticket',
          vigil_alert: 'no-data',
        }),
        annotations: sortedRecord(
          {
            // absent() has no labels to template from: name the SLO literally.
            summary: `${slo.service} ${slo.name} SLO has no SLI data (no events or no series over ${shortest}).`,
            title: `(ticket) ${slo.service} ${slo.name} SLO has no data.`,
          },
          slo.alerting.annotations,
          noData?.annotations ?? {},
        ),
      });
    return rules;
  }
}
