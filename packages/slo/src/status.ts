/**
 * The status of one SLO at one evaluation: what the SLO engine computes, what
 * `/api/v1/slos` returns (as JSON, unchanged), and what the budget policy, the
 * deploy gate, `vigil slo status` and `vigil slo report` read. Plain data, safe
 * to share and to serialise with `JSON.stringify`.
 */
import type { BudgetingMethod, SloWindow } from './model.js';

/**
 * Whether the figures can be trusted:
 * - `ok`: data present and enough events;
 * - `low-traffic`: fewer events in the alert windows than the SLO's minimum
 *   (burn-rate alerts are held back; figures are shown but marked);
 * - `no-data`: no events (or no samples) in the whole period. Reported, never
 *   treated as a perfect SLI: `sli` and the budget figures are `null`;
 * - `not-evaluable`: the SLO cannot be evaluated with PromQL (see `Slo.evaluable`).
 */
export type SloDataState = 'ok' | 'low-traffic' | 'no-data' | 'not-evaluable';

/** The burn rate over one window: how fast the budget burns compared with exactly spending it over the period. */
export interface BurnRateFigure {
  /** Window length, ms. */
  readonly windowMs: number;
  /** The same window as a PromQL duration (`5m`, `1h`, `3d`), as in Sloth's rule names. */
  readonly window: string;
  /** Share of bad events (or bad time) in the window, in [0, 1]; null without data. */
  readonly errorRatio: number | null;
  /** `errorRatio / (1 - target)`; 1 means the budget lasts exactly the period; null without data. */
  readonly burnRate: number | null;
  /** Events in the window (event-based SLIs), null for time-based ones. */
  readonly events: number | null;
}

/** Error-budget figures for the current period. Fractions are of the whole period's budget. */
export interface BudgetFigures {
  /** The allowed share of bad events or bad time: `1 - target` (0.001 for 99.9%). */
  readonly allowedFraction: number;
  /** Allowed bad events in the period so far (occurrences: `total × (1 - target)`); null for time-based SLOs. */
  readonly allowedEvents: number | null;
  /** Allowed bad time over the whole period, minutes (99.9% over 30 days: 43.2); null for occurrences. */
  readonly allowedMinutes: number | null;
  /** Share of the budget spent; may exceed 1 when overspent; null without data. */
  readonly consumedFraction: number | null;
  /** `1 - consumedFraction`; negative when overspent; null without data. */
  readonly remainingFraction: number | null;
  /** Bad events spent so far in the period (occurrences), else null. */
  readonly consumedEvents: number | null;
  /** Bad minutes spent so far in the period (time-based), else null. */
  readonly consumedMinutes: number | null;
  /** Remaining bad events (occurrences; may be negative), else null. */
  readonly remainingEvents: number | null;
  /** Remaining bad minutes (time-based; may be negative), else null. */
  readonly remainingMinutes: number | null;
}

/** One SLO's computed state at `evaluatedAtMs`. */
export interface SloStatus {
  /** `Slo.id` (`<service>-<name>`). */
  readonly id: string;
  /** Owning service. */
  readonly service: string;
  /** SLO name within the service. */
  readonly name: string;
  /** Free text from the spec. */
  readonly description?: string;
  /** Target as a fraction (0.999). */
  readonly target: number;
  /** The compliance window. */
  readonly window: SloWindow;
  /** The budgeting method. */
  readonly budgetingMethod: BudgetingMethod;
  /** SLO labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** When the figures were computed, ms since the epoch. */
  readonly evaluatedAtMs: number;
  /** Start of the period the figures cover (rolling: evaluation time minus the window; calendar: the last boundary), ms. */
  readonly periodStartMs: number;
  /** End of the period (rolling: the evaluation time; calendar: the next boundary), ms. */
  readonly periodEndMs: number;
  /** Whether the figures can be trusted; see {@link SloDataState}. */
  readonly dataState: SloDataState;
  /** SLI over the period so far: share of good events (or good time) in [0, 1]; null without data. */
  readonly sli: number | null;
  /** Events in the period so far (event-based SLIs): good, bad and total; null otherwise. */
  readonly events: { readonly good: number; readonly bad: number; readonly total: number } | null;
  /** Error-budget figures. */
  readonly budget: BudgetFigures;
  /** Burn rate over the period so far (Sloth's `slo:period_burn_rate:ratio`); null without data. */
  readonly periodBurnRate: number | null;
  /** Burn rate over each alert window, shortest first. */
  readonly burnRates: readonly BurnRateFigure[];
  /**
   * When the budget runs out at the current burn rate (over the 1-hour window), ms since
   * the epoch; null when it is not burning faster than it is earned back, or without data.
   */
  readonly exhaustionAtMs: number | null;
  /** Why the figures are missing or limited, in words, when `dataState` is not `ok` (or the evaluation failed). */
  readonly reason?: string;
  /**
   * Set when this evaluation's queries failed: the error message. The figures
   * are then those recorded up to the previous successful evaluation.
   */
  readonly error?: string;
}
