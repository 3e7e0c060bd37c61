/**
 * The monthly SLO report (`vigil slo report --period 2026-11`): figures per
 * service and SLO computed from the recorded history, rendered as Markdown
 * with an inline SVG burn-down chart per SLO.
 *
 * How the month's figures are computed (from Sloth-named series only, so the
 * report works against Vigil or against a Prometheus running Sloth's rules):
 *
 * 1. For each hour of the month (the last one cut at the report time for the
 *    current month), the mean of `slo:sli_error:ratio_rate5m{sloth_id}` over
 *    that hour (`avg_over_time(...[1h])` at the hour's end). Hours without
 *    samples are left out: they are not counted as good.
 * 2. Month error ratio `e` = mean of the hourly means (time-weighted, as
 *    Sloth's `slo:sli_error:ratio_rate30d` is); SLI = `1 - e`.
 * 3. Budget consumed = `e / (1 - target)` (fraction of the month's budget);
 *    remaining = `1 - consumed`. For time-based SLOs (allowed minutes known),
 *    the month's budget in minutes is `(1 - target) × minutes in the month`,
 *    and consumed minutes are `consumed × that`. Event counts are not in the
 *    recorded series, so event-based SLOs show fractions.
 * 4. Burn-down at the end of hour k: `1 - (sum of hourly means up to k) /
 *    (hours with data × (1 - target))`: it starts at 100% and ends at the
 *    month's remaining.
 * 5. Worst burn: the largest hourly mean divided by `1 - target` (the worst
 *    1-hour burn rate) and when it happened.
 * 6. Coverage: hours with data / hours in the month so far.
 *
 * @module
 */
import type { PolicyDecision } from '../policy/evaluate.js';
import type { HistorySeries, SloHistory } from '../policy/history.js';
import {
  DEFAULT_POLICY_THRESHOLDS,
  stateForRemaining,
  type PolicyState,
  type PolicyThresholds,
} from '../policy/policy.js';
import type { SloStatus } from '../status.js';
import { renderBurndownSvg } from './svg.js';
import { formatBurn, formatTarget, percentOrDash } from './text.js';

const HOUR_MS = 3_600_000;

/** A calendar month in UTC: `[startMs, endMs)`. */
export interface ReportPeriod {
  /** `YYYY-MM`. */
  readonly label: string;
  /** First instant of the month, ms. */
  readonly startMs: number;
  /** First instant of the next month, ms. */
  readonly endMs: number;
}

/** Parses `YYYY-MM` (UTC); undefined when malformed. Pure. */
export function parseReportPeriod(text: string): ReportPeriod | undefined {
  const m = /^(\d{4})-(\d{2})$/.exec(text.trim());
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (month < 1 || month > 12 || year < 1970) return undefined;
  return {
    label: `${m[1]}-${m[2]}`,
    startMs: Date.UTC(year, month - 1, 1),
    endMs: Date.UTC(year, month, 1),
  };
}

/** One SLO's figures for the month. */
export interface SloMonthFigures {
  readonly id: string;
  readonly service: string;
  readonly name: string;
  readonly target: number;
  /** Share of the month's hours (so far) with data, in [0, 1]. */
  readonly coverage: number;
  /** SLI over the month, null without data. */
  readonly sli: number | null;
  /** Budget consumed and remaining, fractions of the month's budget; null without data. */
  readonly consumedFraction: number | null;
  readonly remainingFraction: number | null;
  /** The month's budget and what was spent, minutes (time-based SLOs), else null. */
  readonly allowedMinutes: number | null;
  readonly consumedMinutes: number | null;
  /** The worst 1-hour burn rate and the end of that hour, null without data. */
  readonly worstBurn: { readonly rate: number; readonly atMs: number } | null;
  /** The policy state the month's remaining budget maps to (service thresholds). */
  readonly monthState: PolicyState;
  /** Budget remaining at the end of each hour with data. */
  readonly burndown: HistorySeries;
}

/** A service's part of the report. */
export interface ServiceMonthReport {
  readonly service: string;
  /** The current decision (now, not at month end), when known. */
  readonly decision?: PolicyDecision;
  readonly slos: readonly SloMonthFigures[];
}

/** The whole report. */
export interface MonthlyReport {
  readonly period: ReportPeriod;
  /** The end of the data: the month's end, or the report time for the current month, ms. */
  readonly dataEndMs: number;
  /** When the report was made, ms. */
  readonly generatedAtMs: number;
  readonly services: readonly ServiceMonthReport[];
}

/** Inputs of {@link computeMonthlyReport} for one service. */
export interface ReportServiceInput {
  readonly service: string;
  readonly thresholds?: PolicyThresholds;
  readonly decision?: PolicyDecision;
}

/**
 * The figures of one SLO from its hourly mean error ratios (see the module
 * documentation for the definitions). Pure.
 */
export function monthFigures(
  status: Pick<SloStatus, 'id' | 'service' | 'name' | 'target' | 'budget'>,
  hourly: HistorySeries,
  period: ReportPeriod,
  dataEndMs: number,
  thresholds: PolicyThresholds = DEFAULT_POLICY_THRESHOLDS,
): SloMonthFigures {
  const allowed = 1 - status.target;
  const n = hourly.values.length;
  const hoursSoFar = Math.max(1, Math.floor((dataEndMs - period.startMs) / HOUR_MS));
  let sum = 0;
  let worst: { rate: number; atMs: number } | null = null;
  for (let i = 0; i < n; i++) {
    const e = hourly.values[i]!;
    sum += e;
    const rate = e / allowed;
    if (worst === null || rate > worst.rate) worst = { rate, atMs: hourly.timestampsMs[i]! };
  }
  const timeBased = status.budget.allowedMinutes !== null;
  const monthMinutes = (period.endMs - period.startMs) / 60_000;
  const allowedMinutes = timeBased ? allowed * monthMinutes : null;
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  let running = 0;
  for (let i = 0; i < n; i++) {
    running += hourly.values[i]!;
    timestampsMs[i] = hourly.timestampsMs[i]!;
    values[i] = 1 - running / (n * allowed);
  }
  const base = {
    id: status.id,
    service: status.service,
    name: status.name,
    target: status.target,
    coverage: Math.min(1, n / hoursSoFar),
    allowedMinutes,
    burndown: { timestampsMs, values },
  };
  if (n === 0) {
    return {
      ...base,
      sli: null,
      consumedFraction: null,
      remainingFraction: null,
      consumedMinutes: null,
      worstBurn: null,
      monthState: 'unknown',
    };
  }
  const e = sum / n;
  const consumed = e / allowed;
  return {
    ...base,
    sli: 1 - e,
    consumedFraction: consumed,
    remainingFraction: 1 - consumed,
    consumedMinutes: allowedMinutes === null ? null : consumed * allowedMinutes,
    worstBurn: worst,
    monthState: stateForRemaining(1 - consumed, thresholds),
  };
}

/**
 * Computes the report for `period` from `history` (hourly
 * `avg_over_time` range queries of `slo:sli_error:ratio_rate5m`, one per
 * SLO). `statuses` names the SLOs (their current status supplies target and
 * budgeting); `services` gives each service's thresholds and current
 * decision. Safe to call concurrently if `history` is.
 */
export async function computeMonthlyReport(
  statuses: readonly SloStatus[],
  services: readonly ReportServiceInput[],
  history: SloHistory,
  period: ReportPeriod,
  nowMs: number,
): Promise<MonthlyReport> {
  const dataEndMs = Math.min(period.endMs, Math.floor(nowMs / HOUR_MS) * HOUR_MS);
  const names: string[] = [];
  for (const s of statuses) if (!names.includes(s.service)) names.push(s.service);
  const out: ServiceMonthReport[] = [];
  for (const service of names) {
    const input = services.find((x) => x.service === service);
    const slos: SloMonthFigures[] = [];
    for (const s of statuses.filter((x) => x.service === service)) {
      const hourly =
        dataEndMs >= period.startMs + HOUR_MS
          ? await history.meanErrorRatio(s.id, period.startMs + HOUR_MS, dataEndMs, HOUR_MS)
          : { timestampsMs: new Float64Array(0), values: new Float64Array(0) };
      slos.push(monthFigures(s, hourly, period, dataEndMs, input?.thresholds));
    }
    out.push({
      service,
      ...(input?.decision === undefined ? {} : { decision: input.decision }),
      slos,
    });
  }
  return { period, dataEndMs, generatedAtMs: nowMs, services: out };
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function minutes(m: number | null): string {
  return m === null ? '' : ` (${m.toFixed(1)} min)`;
}

/** Escapes `|` and line breaks for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Options of {@link renderMonthlyReport}. */
export interface RenderReportOptions {
  /**
   * Where each SLO's chart lives when it is not inline: a relative path or
   * URL for an image link (`![…](path)`), given the SLO id. Omitted: charts
   * are inline `<svg>` elements (which some Markdown viewers, GitHub's among
   * them, do not show; write side files with {@link reportCharts} then).
   */
  readonly chartLink?: (sloId: string) => string;
}

/** Each SLO's burn-down chart of `report` as standalone SVG, in report order. Pure. */
export function reportCharts(report: MonthlyReport): { sloId: string; svg: string }[] {
  return report.services.flatMap((svc) =>
    svc.slos.map((f) => ({
      sloId: f.id,
      svg: renderBurndownSvg(f.burndown, {
        title: f.id,
        startMs: report.period.startMs,
        endMs: report.period.endMs,
      }),
    })),
  );
}

/**
 * Renders the report as Markdown: a header with the period and how the
 * figures are computed, then per service its current policy decision, a
 * table of its SLOs, and per SLO an SVG burn-down chart (inline, or an image
 * link with `options.chartLink`). Pure.
 */
export function renderMonthlyReport(
  report: MonthlyReport,
  options: RenderReportOptions = {},
): string {
  const { period } = report;
  const lines: string[] = [];
  lines.push(`# SLO report ${period.label}`, '');
  lines.push(
    `Period: ${isoMinute(period.startMs)} to ${isoMinute(period.endMs)}` +
      (report.dataEndMs < period.endMs
        ? ` (in progress: data up to ${isoMinute(report.dataEndMs)})`
        : '') +
      `. Generated ${isoMinute(report.generatedAtMs)}.`,
    '',
  );
  lines.push(
    'Figures come from the recorded series `slo:sli_error:ratio_rate5m`, averaged per hour; ' +
      'hours without data are left out (see "Coverage") and never counted as good. ' +
      'SLI = 1 - mean error ratio; budget consumed = mean error ratio / (1 - target); ' +
      'worst burn = the highest 1-hour burn rate. "Month state" applies the service\'s policy ' +
      'thresholds to the month\'s remaining budget; "Policy now" is the current decision.',
    '',
  );
  if (report.services.length === 0) lines.push('No SLOs.', '');
  for (const svc of report.services) {
    lines.push(`## ${svc.service}`, '');
    if (svc.decision !== undefined) {
      lines.push(`Policy now: **${svc.decision.state}**: ${cell(svc.decision.verdict)}`, '');
      for (const t of svc.decision.triggeredRules)
        lines.push(`- Rule "${t.rule}": ${t.detail} → ${t.action}`);
      if (svc.decision.triggeredRules.length > 0) lines.push('');
    }
    lines.push(
      '| SLO | SLI (month) | Target | Budget consumed | Budget remaining | Worst 1h burn | Coverage | Month state |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const f of svc.slos) {
      lines.push(
        '| ' +
          [
            cell(f.name),
            percentOrDash(f.sli, 3),
            formatTarget(f.target),
            percentOrDash(f.consumedFraction) + minutes(f.consumedMinutes),
            percentOrDash(f.remainingFraction) +
              (f.allowedMinutes === null || f.consumedMinutes === null
                ? ''
                : minutes(f.allowedMinutes - f.consumedMinutes)),
            f.worstBurn === null
              ? '-'
              : `${formatBurn(f.worstBurn.rate)} (${isoMinute(f.worstBurn.atMs - HOUR_MS)})`,
            percentOrDash(f.coverage, 0),
            f.monthState,
          ].join(' | ') +
          ' |',
      );
    }
    lines.push('');
    for (const f of svc.slos) {
      lines.push(`### ${f.id}: budget burn-down`, '');
      if (options.chartLink !== undefined) {
        lines.push(`![${f.id}: error budget remaining](${encodeURI(options.chartLink(f.id))})`, '');
        continue;
      }
      lines.push(
        renderBurndownSvg(f.burndown, {
          title: f.id,
          startMs: period.startMs,
          endMs: period.endMs,
        }),
        '',
      );
    }
  }
  return lines.join('\n');
}
