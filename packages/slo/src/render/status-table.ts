/**
 * The table `vigil slo status` prints: one row per SLO, grouped by service,
 * with each service's policy state under its rows.
 *
 * @module
 */
import type { PolicyDecision } from '../policy/evaluate.js';
import { stateForRemaining, type PolicyThresholds } from '../policy/policy.js';
import type { BurnRateFigure, SloStatus } from '../status.js';
import {
  budgetBar,
  formatBurn,
  formatTarget,
  pad,
  paint,
  percentOrDash,
  stateColour,
  visibleWidth,
  type Colour,
} from './text.js';

/** Options of {@link renderStatusTable}. */
export interface StatusTableOptions {
  /** Write ANSI colour (see `shouldUseColour`). */
  readonly colour: boolean;
  /** Thresholds for colouring each SLO's budget (default: the service decision's, else 50%/10%). */
  readonly thresholds?: PolicyThresholds;
}

/** The burn-rate windows shown by default, when every SLO records them. */
export const DEFAULT_BURN_WINDOWS: readonly string[] = ['1h', '6h', '1d', '3d'];

/**
 * The burn-rate columns for `statuses`: `1h 6h 1d 3d` when each SLO with burn
 * rates has all four, else the four longest of the SLOs' windows (custom or
 * time-scaled alert windows), shortest first.
 */
export function burnColumns(statuses: readonly SloStatus[]): string[] {
  const withRates = statuses.filter((s) => s.burnRates.length > 0);
  if (
    withRates.every((s) =>
      DEFAULT_BURN_WINDOWS.every((w) => s.burnRates.some((b) => b.window === w)),
    )
  ) {
    return [...DEFAULT_BURN_WINDOWS];
  }
  const byMs = new Map<string, number>();
  for (const s of withRates) for (const b of s.burnRates) byMs.set(b.window, b.windowMs);
  return [...byMs.entries()]
    .sort((a, b) => a[1] - b[1])
    .slice(-4)
    .map(([w]) => w);
}

function burnOf(rates: readonly BurnRateFigure[], window: string): number | null {
  return rates.find((b) => b.window === window)?.burnRate ?? null;
}

function dataColour(state: SloStatus['dataState']): Colour {
  return state === 'ok' ? 'green' : state === 'low-traffic' ? 'yellow' : 'grey';
}

/**
 * Renders the status table (no trailing spaces; ends with a newline). Rows
 * follow the order of `statuses` grouped by service (first appearance);
 * below each service's rows, a line with its policy decision from
 * `decisions` when there is one. Pure.
 */
export function renderStatusTable(
  statuses: readonly SloStatus[],
  decisions: readonly PolicyDecision[],
  options: StatusTableOptions,
): string {
  const colour = options.colour;
  const windows = burnColumns(statuses);
  const header = [
    'SERVICE',
    'SLO',
    'SLI',
    'TARGET',
    'BUDGET REMAINING',
    ...windows.map((w) => `BURN ${w}`),
    'DATA',
  ];
  const right = new Set([2, 3, ...windows.map((_, i) => 5 + i)]);
  const services: string[] = [];
  for (const s of statuses) if (!services.includes(s.service)) services.push(s.service);
  const groups: { service: string; rows: string[][] }[] = services.map((service) => ({
    service,
    rows: statuses
      .filter((s) => s.service === service)
      .map((s) => {
        const remaining = s.budget.remainingFraction;
        const state = stateForRemaining(remaining, options.thresholds);
        const budget = `${budgetBar(remaining)} ${pad(percentOrDash(remaining), 7, true)}`;
        return [
          s.service,
          s.name,
          percentOrDash(s.sli, 3),
          formatTarget(s.target),
          paint(budget, stateColour(state), colour),
          ...windows.map((w) => {
            const burn = burnOf(s.burnRates, w);
            const text = formatBurn(burn);
            return burn !== null && burn >= 1 ? paint(text, 'red', colour) : text;
          }),
          paint(s.dataState, dataColour(s.dataState), colour),
        ];
      }),
  }));
  const all = [header, ...groups.flatMap((g) => g.rows)];
  const widths = header.map((_, c) => Math.max(...all.map((row) => visibleWidth(row[c] ?? ''))));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, c) => pad(cell, widths[c]!, right.has(c)))
      .join('  ')
      .trimEnd();
  const out: string[] = [paint(line(header), 'bold', colour)];
  for (const g of groups) {
    for (const row of g.rows) out.push(line(row));
    const d = decisions.find((x) => x.service === g.service);
    if (d !== undefined) {
      out.push(`  policy ${paint(d.verdict, stateColour(d.state), colour)}`);
    }
  }
  if (statuses.length === 0) out.push('(no SLOs)');
  return out.join('\n') + '\n';
}
