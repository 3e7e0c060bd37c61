/**
 * The SLO engine: evaluates loaded SLOs every interval through a
 * {@link QueryApi}, keeps their figures, and writes their history as series.
 *
 * ## How it stays cheap
 *
 * Each SLO keeps a {@link BucketRing}: buckets of a fixed length (a multiple
 * of the interval, so that the ring's span holds at most `maxBuckets`
 * buckets; for time-slice budgeting, the slice length) with the bad and total
 * events (or bad and observed seconds) recorded in them, and running sums, so
 * that every window — the alert windows and the period — is summed in O(1)
 * without a query. The cost of a cycle does not grow with the window.
 *
 * Tiles: data is recorded in closed tiles of `bucketMs × ceil(queryWindowMs /
 * bucketMs)`, aligned to the epoch. When a tile has closed, the SLI queries
 * run once at its end over exactly the tile (or over everything since the
 * last recorded tile, after missed cycles) and the result is spread evenly
 * over its buckets. Tiles cover time without overlap, so recorded totals are
 * PromQL's increase over each tile, not a smoothed figure.
 *
 * Head: between tile ends, a cycle runs the SLI queries at the evaluation
 * time over the last `queryWindowMs` (5 minutes by default) and keeps the
 * result, for the time since the last tile, as a provisional head that the
 * next cycle replaces. PromQL `rate` needs two samples in its window, so this
 * window never drops below `queryWindowMs` even when the interval is shorter:
 * the head is a moving average over `queryWindowMs`, which smooths a burst's
 * start over at most that long; once its tile closes, the exact figure
 * replaces it. One set of queries runs per SLO and cycle (a tile or the head).
 *
 * Fine ring: when the period's buckets are longer than a tile (periods over
 * about 35 days: a quarter has 15-minute buckets), a second ring with
 * interval-long buckets covers the alert windows (up to the longest), so that
 * a 5-minute burn rate is not smeared over a 15-minute bucket. Tiles are then
 * cut to the fine ring's buckets and go into both rings.
 *
 * Backfill: the first evaluation of an SLO (after `load`, or on a restart)
 * rebuilds the ring from history with one range query per SLI query over the
 * ring's span, `step` = a whole number of tiles at least a bucket long, each
 * step's window = the step (plus, with a fine ring, one more range query per
 * SLI query over the fine ring's span, step = the tile), so a restarted engine
 * records the same data as one that ran all along. Range queries longer than
 * 10,000 steps are cut into pieces.
 *
 * Event SLIs (ratio, latency, completeness, accuracy) record events from their
 * numerator and total queries; a query written with `increase(` is read as a
 * count over its window, any other as a per-second rate, summed over all
 * series it returns. Time-based SLIs (availability, throughput, freshness)
 * record good and observed time from their good indicator sampled every
 * minute by a subquery (time without samples is not observed). Raw
 * error-ratio SLIs record bad time = error ratio × seconds, the mean over
 * the series returned.
 *
 * @module
 */
import { labelsFromRecord, type Appendable, type Appender } from '@vigil/storage';
import type { QueryApi, QueryValue } from '@vigil/promql';
import {
  alertWindowsOf,
  nominalPeriodMs,
  recordingWindowsMs,
  slothIdLabels,
  windowText,
} from '../alert-windows.js';
import type { Slo } from '../model.js';
import type { BurnRateFigure, SloDataState, SloStatus } from '../status.js';
import {
  computeBudget,
  excludedMs,
  maxCalendarPeriodMs,
  periodAt,
  projectExhaustionMs,
  timesliceCounts,
  type BudgetMode,
  type PeriodCounts,
} from './budget.js';
import { recordingQueries } from './queries.js';
import { BucketRing, type BucketSums, type ExcludedRange } from './ring.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Steps per range query when backfilling (the engine allows 11,000 points). */
const MAX_STEPS_PER_QUERY = 10_000;

/** The logger the engine needs (pino's `Logger` from `@vigil/sdk` fits). */
export interface SloEngineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link SloEngine}. */
export interface SloEngineOptions {
  /** Where SLI queries run (the embedded engine or a remote API). */
  readonly queryApi: QueryApi;
  /** Where the history series are written each cycle; none are written without it. */
  readonly appendable?: Appendable;
  /** Logs failed queries (warn) and failed writes (error). */
  readonly logger?: SloEngineLogger;
  /** Time between cycles, ms. Default 60,000. */
  readonly intervalMs?: number;
  /** The clock `start()` evaluates at, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** The shortest window of the per-cycle queries, ms. Default 5 minutes. */
  readonly queryWindowMs?: number;
  /** The most buckets a ring should hold over its span. Default 10,000. */
  readonly maxBuckets?: number;
  /** SLOs evaluated at once. Default 4. */
  readonly concurrency?: number;
}

/** Timings of the last cycle. */
export interface SloCycleStats {
  /** When the cycle evaluated, ms since the epoch. */
  readonly atMs: number;
  /** Wall time of the whole cycle, ms. */
  readonly durationMs: number;
  /** Wall time spent in backfill range queries during the cycle (part of `durationMs`), ms. */
  readonly backfillMs: number;
  /** Queries run (instant and range). */
  readonly queries: number;
  /** SLOs whose evaluation failed. */
  readonly failures: number;
}

interface SloState {
  readonly slo: Slo;
  readonly definition: string;
  /** The period's ring (null when not evaluable). */
  readonly ring: BucketRing | null;
  /**
   * A finer ring over the alert windows, when the period's buckets are longer
   * than a tile (periods over about 35 days): short windows are summed from it.
   */
  readonly fine: BucketRing | null;
  /** The time the fine ring covers, ms. */
  readonly fineSpanMs: number;
  /** The tile length, ms. */
  readonly tileMs: number;
  readonly mode: BudgetMode;
  readonly eventSli: boolean;
  /** End of the last recorded tile, ms; undefined before the backfill. */
  lastMs: number | undefined;
  /** The provisional figures of `(lastMs, evaluation time]`, replaced every cycle. */
  head: { fromMs: number; toMs: number; bad: number; total: number; covered: number } | null;
  status: SloStatus | undefined;
}

/** The numeric code of a data state in `vigil_slo_data_state`. */
export const DATA_STATE_CODES: Readonly<Record<SloDataState, number>> = {
  ok: 0,
  'low-traffic': 1,
  'no-data': 2,
  'not-evaluable': 3,
};

/**
 * See the module notes. `evaluate` calls are serialised (a call waits for the
 * running cycle); `statuses` and `status` may be called at any time and
 * return the figures of the last completed cycle.
 */
export class SloEngine {
  readonly #queryApi: QueryApi;
  readonly #appendable: Appendable | undefined;
  readonly #logger: SloEngineLogger | undefined;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #queryWindowMs: number;
  readonly #maxBuckets: number;
  readonly #concurrency: number;
  #states = new Map<string, SloState>();
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #lastStats: SloCycleStats | undefined;

  constructor(options: SloEngineOptions) {
    this.#queryApi = options.queryApi;
    this.#appendable = options.appendable;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs ?? MINUTE_MS;
    this.#now = options.now ?? Date.now;
    this.#queryWindowMs = options.queryWindowMs ?? 5 * MINUTE_MS;
    this.#maxBuckets = options.maxBuckets ?? 10_000;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
  }

  /**
   * Replaces the evaluated SLOs. An SLO whose definition is unchanged keeps
   * its recorded buckets; a new or changed one is backfilled at its next evaluation.
   */
  load(slos: readonly Slo[]): void {
    const next = new Map<string, SloState>();
    for (const slo of slos) {
      const definition = JSON.stringify(slo);
      const old = this.#states.get(slo.id);
      next.set(slo.id, old?.definition === definition ? old : this.#newState(slo, definition));
    }
    this.#states = next;
  }

  /**
   * The bucket length of `slo`'s period ring, ms: for time slices the slice
   * length; else the shortest multiple of the interval that keeps the ring's
   * span within `maxBuckets` buckets, for calendar windows also dividing a day.
   */
  bucketMsOf(slo: Slo): number {
    if (slo.budgetingMethod !== 'occurrences' && slo.objective.timeSliceWindowMs !== undefined) {
      return slo.objective.timeSliceWindowMs;
    }
    const span = this.#spanMs(slo);
    let factor = Math.max(1, Math.ceil(span / this.#maxBuckets / this.#intervalMs));
    // Calendar periods start at local midnight: buckets that divide a day
    // (15 min rather than 14 for a quarter) keep the boundary on a bucket edge.
    if (slo.window.kind === 'calendar') {
      while (factor * this.#intervalMs < DAY_MS && DAY_MS % (factor * this.#intervalMs) !== 0) {
        factor++;
      }
    }
    return this.#intervalMs * factor;
  }

  /** Starts evaluating every `intervalMs` at the clock's time; the first cycle runs at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const tick = (): void => {
      if (!this.#running) return;
      const started = Date.now();
      this.evaluate(this.#now()).then(
        () => this.#schedule(tick, started),
        (err: unknown) => {
          this.#logger?.error({ err }, 'SLO evaluation cycle failed');
          this.#schedule(tick, started);
        },
      );
    };
    tick();
  }

  /** Stops the cycles and waits for the running one to finish. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#chain.catch(() => undefined);
  }

  /**
   * Runs one cycle at `atMs` (ms since the epoch) over every loaded SLO and
   * returns their statuses. A failing SLO does not stop the others: its
   * status keeps the figures recorded so far and says what failed (`error`).
   */
  evaluate(atMs: number): Promise<SloStatus[]> {
    const run = this.#chain.then(() => this.#cycle(atMs));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** The statuses of the last cycle, in load order (SLOs not yet evaluated are left out). */
  statuses(): SloStatus[] {
    const out: SloStatus[] = [];
    for (const s of this.#states.values()) if (s.status !== undefined) out.push(s.status);
    return out;
  }

  /** The status of one SLO from the last cycle, or undefined. */
  status(id: string): SloStatus | undefined {
    return this.#states.get(id)?.status;
  }

  /** Timings of the last cycle, or undefined before the first. */
  lastCycleStats(): SloCycleStats | undefined {
    return this.#lastStats;
  }

  #schedule(tick: () => void, startedMs: number): void {
    if (!this.#running) return;
    const wait = Math.max(0, this.#intervalMs - (Date.now() - startedMs));
    this.#timer = setTimeout(tick, wait);
    this.#timer.unref?.();
  }

  #spanMs(slo: Slo): number {
    const longest = Math.max(...recordingWindowsMs(slo));
    const period =
      slo.window.kind === 'rolling' ? slo.window.durationMs : maxCalendarPeriodMs(slo.window.unit);
    return Math.max(longest, period, nominalPeriodMs(slo.window));
  }

  #newState(slo: Slo, definition: string): SloState {
    const eventSli = slo.evaluable && recordingQueries(slo.sli, '5m').kind === 'events';
    const mode: BudgetMode = eventSli && slo.budgetingMethod === 'occurrences' ? 'events' : 'time';
    let ring: BucketRing | null = null;
    let fine: BucketRing | null = null;
    const fineSpanMs = Math.max(HOUR_MS, ...burnWindowsMs(slo));
    let tileMs = 0;
    if (slo.evaluable) {
      const bucketMs = this.bucketMsOf(slo);
      ring = new BucketRing(bucketMs, Math.ceil(this.#spanMs(slo) / bucketMs) + 2);
      const fineBucketMs =
        this.#intervalMs * Math.max(1, Math.ceil(fineSpanMs / this.#maxBuckets / this.#intervalMs));
      const fineTileMs = this.#tileOf(fineBucketMs);
      if (bucketMs > fineTileMs) {
        fine = new BucketRing(fineBucketMs, Math.ceil(fineSpanMs / fineBucketMs) + 2);
        tileMs = fineTileMs;
      } else {
        tileMs = this.#tileOf(bucketMs);
      }
    }
    return {
      slo,
      definition,
      ring,
      fine,
      fineSpanMs,
      tileMs,
      mode,
      eventSli,
      lastMs: undefined,
      head: null,
      status: undefined,
    };
  }

  async #cycle(atMs: number): Promise<SloStatus[]> {
    const started = performance.now();
    const counters = { backfillMs: 0, queries: 0, failures: 0 };
    const states = [...this.#states.values()];
    const results = new Array<SloStatus>(states.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < states.length) {
        const i = next++;
        results[i] = await this.#evaluateOne(states[i]!, atMs, counters);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, states.length) }, worker));
    if (this.#appendable !== undefined) await this.#write(states, atMs);
    this.#lastStats = {
      atMs,
      durationMs: performance.now() - started,
      backfillMs: counters.backfillMs,
      queries: counters.queries,
      failures: counters.failures,
    };
    return results;
  }

  async #evaluateOne(
    state: SloState,
    atMs: number,
    counters: { backfillMs: number; queries: number; failures: number },
  ): Promise<SloStatus> {
    const { slo, ring } = state;
    if (ring === null) {
      state.status = notEvaluableStatus(slo, atMs);
      return state.status;
    }
    let error: string | undefined;
    try {
      const tileMs = state.tileMs;
      if (state.lastMs === undefined) {
        const t0 = performance.now();
        try {
          await this.#backfill(state, ring, atMs, counters);
        } finally {
          counters.backfillMs += performance.now() - t0;
        }
      }
      const lastMs = state.lastMs ?? atMs;
      const tileEnd = Math.floor(atMs / tileMs) * tileMs;
      if (tileEnd > lastMs) {
        const fromMs = Math.max(lastMs, tileEnd - ring.capacity * ring.bucketMs);
        const rec = await this.#measure(state, fromMs, tileEnd, tileEnd - fromMs, counters);
        if (rec !== null) {
          ring.add(fromMs, tileEnd, rec.bad, rec.total, rec.covered, slo.exclusions);
          state.fine?.add(fromMs, tileEnd, rec.bad, rec.total, rec.covered, slo.exclusions);
        }
        state.lastMs = tileEnd;
      }
      state.head = null;
      const headFrom = state.lastMs ?? atMs;
      if (atMs > headFrom) {
        const rec = await this.#measure(state, headFrom, atMs, this.#queryWindowMs, counters);
        if (rec !== null) {
          const share = includedMs(headFrom, atMs, slo.exclusions) / (atMs - headFrom);
          state.head = {
            fromMs: headFrom,
            toMs: atMs,
            bad: rec.bad * share,
            total: rec.total * share,
            covered: rec.covered * share,
          };
        }
      }
    } catch (err) {
      counters.failures++;
      error = err instanceof Error ? err.message : String(err);
      this.#logger?.warn(
        { slo: slo.id, err },
        'SLO query failed; its figures keep the data recorded so far',
      );
    }
    state.status = this.#statusOf(state, ring, atMs, error);
    return state.status;
  }

  /** The length of a recorded tile: the bucket length times the smallest factor reaching `queryWindowMs`. */
  #tileOf(bucketMs: number): number {
    return bucketMs * Math.max(1, Math.ceil(this.#queryWindowMs / bucketMs));
  }

  /**
   * Runs the SLI queries at `toMs` over `windowMs` and returns what they say
   * about `(fromMs, toMs]`: bad and total events (or bad and observed seconds)
   * and the seconds with data; null when the queries return no sample.
   */
  async #measure(
    state: SloState,
    fromMs: number,
    toMs: number,
    windowMs: number,
    counters: { queries: number },
  ): Promise<{ bad: number; total: number; covered: number } | null> {
    const q = recordingQueries(state.slo.sli, windowText(windowMs));
    const spanSeconds = (toMs - fromMs) / 1000;
    const windowSeconds = windowMs / 1000;
    if (q.kind === 'events') {
      const [numV, totV] = await Promise.all([
        this.#queryApi.instantQuery(q.numeratorQuery, toMs),
        this.#queryApi.instantQuery(q.totalQuery, toMs),
      ]);
      counters.queries += 2;
      const total = sumInstant(totV.value);
      if (total === null) return null;
      const num = sumInstant(numV.value) ?? 0;
      const totalEvents = (q.totalPerWindow ? total / windowSeconds : total) * spanSeconds;
      const numEvents = (q.numeratorPerWindow ? num / windowSeconds : num) * spanSeconds;
      const bad = clamp(
        q.numerator === 'bad' ? numEvents : totalEvents - numEvents,
        0,
        totalEvents,
      );
      return { bad, total: totalEvents, covered: spanSeconds };
    }
    if (q.kind === 'samples') {
      const [goodV, countV] = await Promise.all([
        this.#queryApi.instantQuery(q.goodQuery, toMs),
        this.#queryApi.instantQuery(q.countQuery, toMs),
      ]);
      counters.queries += 2;
      const count = sumInstant(countV.value);
      if (count === null || !(count > 0)) return null;
      const good = clamp(sumInstant(goodV.value) ?? 0, 0, count);
      // Each sample stands for stepSeconds of the window; scale the window to the span.
      const scale = (q.stepSeconds * spanSeconds) / windowSeconds;
      const observed = count * scale;
      return { bad: (count - good) * scale, total: observed, covered: observed };
    }
    const res = await this.#queryApi.instantQuery(q.errorRatioQuery, toMs);
    counters.queries++;
    const ratio = meanInstant(res.value);
    if (ratio === null) return null;
    return { bad: clamp(ratio, 0, 1) * spanSeconds, total: spanSeconds, covered: spanSeconds };
  }

  /**
   * Sums over `(fromMs, toMs]` (a window ending at the evaluation time) from
   * the fine ring when it spans the window, else the period's ring, plus the
   * provisional head.
   */
  #sum(state: SloState, ring: BucketRing, fromMs: number, toMs: number): BucketSums {
    const r = state.fine !== null && toMs - fromMs <= state.fineSpanMs ? state.fine : ring;
    const s = r.sum(fromMs, toMs);
    const h = state.head;
    if (h !== null) {
      const overlap = Math.min(toMs, h.toMs) - Math.max(fromMs, h.fromMs);
      if (overlap > 0) {
        const w = overlap / (h.toMs - h.fromMs);
        s.bad += h.bad * w;
        s.total += h.total * w;
        s.covered += h.covered * w;
      }
    }
    return s;
  }

  /**
   * Rebuilds the rings from history: one range query per SLI query over the
   * period's ring, and one more over the fine ring when there is one.
   */
  async #backfill(
    state: SloState,
    ring: BucketRing,
    atMs: number,
    counters: { queries: number },
  ): Promise<void> {
    const exclusions = state.slo.exclusions;
    const fine = state.fine;
    const tile = state.tileMs;
    // The period's ring: steps of whole tiles at least a bucket long.
    const step = tile * Math.ceil(ring.bucketMs / tile);
    const coarseEnd = Math.floor(atMs / step) * step;
    const coarseSteps = Math.ceil(((ring.capacity - 2) * ring.bucketMs) / step);
    await this.#history(state, step, coarseEnd, coarseSteps, counters, (a, b, bad, total, cov) =>
      ring.add(a, b, bad, total, cov, exclusions),
    );
    state.lastMs = coarseEnd;
    if (fine === null) return;
    // The fine ring, tile by tile; tiles after the coarse end go into both.
    const fineEnd = Math.floor(atMs / tile) * tile;
    const fineSteps = Math.ceil(((fine.capacity - 2) * fine.bucketMs) / tile);
    await this.#history(state, tile, fineEnd, fineSteps, counters, (a, b, bad, total, cov) => {
      fine.add(a, b, bad, total, cov, exclusions);
      if (a >= coarseEnd) ring.add(a, b, bad, total, cov, exclusions);
    });
    state.lastMs = fineEnd;
  }

  /**
   * Runs the SLI queries as range queries over `steps` tiles of `stepMs`
   * ending at `lastEnd` (each step's window = the tile) and hands each tile
   * with data to `sink` as `(fromMs, toMs, bad, total, coveredSeconds)`.
   */
  async #history(
    state: SloState,
    stepMs: number,
    lastEnd: number,
    steps: number,
    counters: { queries: number },
    sink: (fromMs: number, toMs: number, bad: number, total: number, covered: number) => void,
  ): Promise<void> {
    const b = stepMs;
    const firstEnd = lastEnd - (steps - 1) * b;
    const q = recordingQueries(state.slo.sli, windowText(b));
    const tileSeconds = b / 1000;
    const range = async (query: string): Promise<StepValues> => {
      const out = newStepValues(steps);
      for (let s = firstEnd; s <= lastEnd; s += MAX_STEPS_PER_QUERY * b) {
        const e = Math.min(lastEnd, s + (MAX_STEPS_PER_QUERY - 1) * b);
        const res = await this.#queryApi.rangeQuery(query, s, e, b);
        counters.queries++;
        addRange(out, res.value, firstEnd, b);
      }
      return out;
    };
    if (q.kind === 'events') {
      const [num, tot] = await Promise.all([range(q.numeratorQuery), range(q.totalQuery)]);
      for (let i = 0; i < steps; i++) {
        if (tot.present[i] === 0) continue;
        const endMs = firstEnd + i * b;
        const t = tot.values[i]!;
        const n = num.present[i]! > 0 ? num.values[i]! : 0;
        // A tile's window is the tile itself: counts are per tile, rates per second.
        const totalEvents = q.totalPerWindow ? t : t * tileSeconds;
        const numEvents = q.numeratorPerWindow ? n : n * tileSeconds;
        const bad = clamp(
          q.numerator === 'bad' ? numEvents : totalEvents - numEvents,
          0,
          totalEvents,
        );
        sink(endMs - b, endMs, bad, totalEvents, tileSeconds);
      }
    } else if (q.kind === 'samples') {
      const [good, count] = await Promise.all([range(q.goodQuery), range(q.countQuery)]);
      for (let i = 0; i < steps; i++) {
        const c = count.values[i]!;
        if (count.present[i] === 0 || !(c > 0)) continue;
        const endMs = firstEnd + i * b;
        const g = clamp(good.present[i]! > 0 ? good.values[i]! : 0, 0, c);
        sink(endMs - b, endMs, (c - g) * q.stepSeconds, c * q.stepSeconds, c * q.stepSeconds);
      }
    } else {
      const r = await range(q.errorRatioQuery);
      for (let i = 0; i < steps; i++) {
        if (r.present[i] === 0) continue;
        const endMs = firstEnd + i * b;
        const bad = clamp(r.values[i]! / r.present[i]!, 0, 1) * tileSeconds;
        sink(endMs - b, endMs, bad, tileSeconds, tileSeconds);
      }
    }
  }

  #statusOf(state: SloState, ring: BucketRing, atMs: number, error: string | undefined): SloStatus {
    const { slo, mode } = state;
    const target = slo.objective.target;
    const period = periodAt(slo.window, atMs);
    const sums = this.#sum(state, ring, period.startMs, atMs);
    let counts: PeriodCounts;
    if (slo.budgetingMethod === 'occurrences') {
      counts = { mode, bad: sums.bad, total: sums.total };
    } else {
      counts = timesliceCounts(
        ring.buckets(period.startMs, atMs),
        slo.budgetingMethod,
        slo.objective.timeSliceTarget ?? target,
        ring.bucketMs / 1000,
      );
    }
    const periodLengthMs = period.endMs - period.startMs;
    const budgetPeriodMs =
      periodLengthMs - excludedMs(slo.exclusions, period.startMs, period.endMs);
    const result = computeBudget(counts, target, budgetPeriodMs);
    const windows = burnWindowsMs(slo);
    const burnRates: BurnRateFigure[] = windows.map((w) => {
      const s = this.#sum(state, ring, atMs - w, atMs);
      const errorRatio = s.total > 0 ? clamp(s.bad / s.total, 0, 1) : null;
      return {
        windowMs: w,
        window: windowText(w),
        errorRatio,
        burnRate: errorRatio === null ? null : errorRatio / (1 - target),
        events: state.eventSli ? s.total : null,
      };
    });
    const hour = this.#sum(state, ring, atMs - HOUR_MS, atMs);
    let dataState: SloDataState = 'ok';
    let reason: string | undefined;
    if (result.sli === null) {
      dataState = 'no-data';
      reason =
        sums.covered > 0
          ? 'no events in the period so far'
          : 'the SLI queries returned no samples in the period so far';
    } else if (
      state.eventSli &&
      (slo.alerting.minEvents ?? 0) > 0 &&
      hour.total < (slo.alerting.minEvents ?? 0)
    ) {
      dataState = 'low-traffic';
      reason = `${round(hour.total)} events in the last hour, fewer than the minimum of ${slo.alerting.minEvents}; burn-rate alerts are held back`;
    }
    if (error !== undefined) {
      reason = `evaluation failed: ${error}${reason === undefined ? '' : `; ${reason}`}`;
    }
    const noData = dataState === 'no-data';
    const budget = noData
      ? {
          ...result.budget,
          allowedEvents: null,
          consumedEvents: null,
          remainingEvents: null,
          consumedMinutes: null,
          remainingMinutes: null,
        }
      : result.budget;
    const errorRatio1h = hour.total > 0 ? clamp(hour.bad / hour.total, 0, 1) : null;
    const exhaustionAtMs = noData
      ? null
      : projectExhaustionMs({
          nowMs: atMs,
          mode,
          remaining: mode === 'events' ? budget.remainingEvents : budget.remainingMinutes,
          errorRatio1h,
          eventsPerSecond1h: hour.total / 3600,
          target,
        });
    const goodBad =
      state.eventSli && !noData
        ? { good: sums.total - sums.bad, bad: sums.bad, total: sums.total }
        : null;
    return {
      id: slo.id,
      service: slo.service,
      name: slo.name,
      ...(slo.description !== undefined ? { description: slo.description } : {}),
      target,
      window: slo.window,
      budgetingMethod: slo.budgetingMethod,
      labels: slo.labels,
      evaluatedAtMs: atMs,
      periodStartMs: period.startMs,
      periodEndMs: period.endMs,
      dataState,
      sli: result.sli,
      events: goodBad,
      budget,
      periodBurnRate: result.periodBurnRate,
      burnRates,
      exhaustionAtMs,
      ...(reason !== undefined ? { reason } : {}),
      ...(error !== undefined ? { error } : {}),
    };
  }

  async #write(states: readonly SloState[], atMs: number): Promise<void> {
    const app = this.#appendable!.appender();
    let rejected = 0;
    let firstError: unknown;
    const put = (name: string, labels: Record<string, string>, value: number | null): void => {
      if (value === null || !Number.isFinite(value)) return;
      try {
        app.append(0, labelsFromRecord({ ...labels, __name__: name }), atMs, value);
      } catch (err) {
        rejected++;
        firstError ??= err;
      }
    };
    for (const state of states) {
      const st = state.status;
      if (st === undefined || st.evaluatedAtMs !== atMs) continue;
      writeSeries(
        put,
        state.slo,
        st,
        state.ring === null ? null : (f, t) => this.#sum(state, state.ring!, f, t),
      );
    }
    try {
      await commitOrRollback(app);
    } catch (err) {
      this.#logger?.error({ err }, 'writing SLO series failed');
      return;
    }
    if (rejected > 0) {
      this.#logger?.warn({ rejected, err: firstError }, 'some SLO series samples were rejected');
    }
  }
}

async function commitOrRollback(app: Appender): Promise<void> {
  try {
    await app.commit();
  } catch (err) {
    try {
      app.rollback();
    } catch {
      // already finished
    }
    throw err;
  }
}

/**
 * Writes one SLO's series (see docs/slo.md, "Series written by the engine"):
 * Sloth's names and labels, then Vigil's `vigil_slo_*` series.
 */
function writeSeries(
  put: (name: string, labels: Record<string, string>, value: number | null) => void,
  slo: Slo,
  st: SloStatus,
  sum: ((fromMs: number, toMs: number) => BucketSums) | null,
): void {
  const base: Record<string, string> = { ...slo.labels, ...slothIdLabels(slo) };
  put('vigil_slo_data_state', base, DATA_STATE_CODES[st.dataState]);
  put('vigil_slo_evaluation_failed', base, st.error === undefined ? 0 : 1);
  if (sum === null) return;
  const target = st.target;
  const periodWindow = windowText(nominalPeriodMs(slo.window));
  put('slo:objective:ratio', base, target);
  put('slo:error_budget:ratio', base, 1 - target);
  put('slo:time_period:days', base, nominalPeriodMs(slo.window) / DAY_MS);
  put(
    'sloth_slo_info',
    {
      ...base,
      sloth_mode: 'vigil-engine',
      sloth_objective: String(Math.round(target * 100 * 1e9) / 1e9),
      sloth_spec: 'prometheus/v1',
      sloth_version: 'vigil',
    },
    1,
  );
  if (st.dataState !== 'no-data') {
    const windows = recordingWindowsMs(slo);
    let shortest: number | null = null;
    for (const w of windows) {
      const s = sum(st.evaluatedAtMs - w, st.evaluatedAtMs);
      if (!(s.total > 0)) continue;
      const ratio = clamp(s.bad / s.total, 0, 1);
      if (w === windows[0]) shortest = ratio;
      put(
        `slo:sli_error:ratio_rate${windowText(w)}`,
        { ...base, sloth_window: windowText(w) },
        ratio,
      );
    }
    // As Sloth's rules compute them, these inherit `sloth_window` from the ratio they divide.
    if (shortest !== null) {
      put(
        'slo:current_burn_rate:ratio',
        { ...base, sloth_window: windowText(windows[0]!) },
        shortest / (1 - target),
      );
    }
    put('slo:period_burn_rate:ratio', { ...base, sloth_window: periodWindow }, st.periodBurnRate);
    // The status's remaining budget: Sloth's `1 - period burn rate` for event
    // budgets; for time budgets over the whole period's allowed minutes, so that
    // this history and the status agree (Sloth has no time budgets).
    put(
      'slo:period_error_budget_remaining:ratio',
      { ...base, sloth_window: periodWindow },
      st.budget.remainingFraction,
    );
  }
  put('vigil_slo_sli_ratio', base, st.sli);
  put('vigil_slo_objective_ratio', base, target);
  if (st.events !== null) {
    put('vigil_slo_period_events', { ...base, event: 'good' }, st.events.good);
    put('vigil_slo_period_events', { ...base, event: 'bad' }, st.events.bad);
    put('vigil_slo_period_events', { ...base, event: 'total' }, st.events.total);
  }
  const b = st.budget;
  put('vigil_slo_budget_consumed_ratio', base, b.consumedFraction);
  put('vigil_slo_budget_remaining_ratio', base, b.remainingFraction);
  put('vigil_slo_budget_allowed_events', base, b.allowedEvents);
  put('vigil_slo_budget_remaining_events', base, b.remainingEvents);
  put('vigil_slo_budget_allowed_minutes', base, b.allowedMinutes);
  put('vigil_slo_budget_remaining_minutes', base, b.remainingMinutes);
  put('vigil_slo_period_burn_rate', base, st.periodBurnRate);
  put(
    'vigil_slo_budget_exhaustion_timestamp_seconds',
    base,
    st.exhaustionAtMs === null ? null : st.exhaustionAtMs / 1000,
  );
  put('vigil_slo_period_start_timestamp_seconds', base, st.periodStartMs / 1000);
}

/** The alert windows of `slo` (short and long), ascending, without duplicates. */
function burnWindowsMs(slo: Slo): number[] {
  const set = new Set<number>();
  for (const w of alertWindowsOf(slo)) {
    set.add(w.shortWindowMs);
    set.add(w.longWindowMs);
  }
  return [...set].sort((a, b) => a - b);
}

function notEvaluableStatus(slo: Slo, atMs: number): SloStatus {
  const period = periodAt(slo.window, atMs);
  return {
    id: slo.id,
    service: slo.service,
    name: slo.name,
    ...(slo.description !== undefined ? { description: slo.description } : {}),
    target: slo.objective.target,
    window: slo.window,
    budgetingMethod: slo.budgetingMethod,
    labels: slo.labels,
    evaluatedAtMs: atMs,
    periodStartMs: period.startMs,
    periodEndMs: period.endMs,
    dataState: 'not-evaluable',
    sli: null,
    events: null,
    budget: {
      allowedFraction: 1 - slo.objective.target,
      allowedEvents: null,
      allowedMinutes: null,
      consumedFraction: null,
      remainingFraction: null,
      consumedEvents: null,
      consumedMinutes: null,
      remainingEvents: null,
      remainingMinutes: null,
    },
    periodBurnRate: null,
    burnRates: [],
    exhaustionAtMs: null,
    reason: slo.notEvaluableReason ?? 'the SLI cannot be evaluated with PromQL',
  };
}

/** The mean of an instant result's values (an error ratio given per series); null when it holds no sample. */
function meanInstant(value: QueryValue): number | null {
  const sum = sumInstant(value);
  if (sum === null) return null;
  return value.type === 'vector'
    ? sum / value.samples.filter((s) => !Number.isNaN(s.value)).length
    : sum;
}

/** The sum of an instant result's values (NaN and stale samples skipped); null when it holds no sample. */
function sumInstant(value: QueryValue): number | null {
  if (value.type === 'scalar') return Number.isNaN(value.value) ? null : value.value;
  if (value.type !== 'vector') return null;
  let sum = 0;
  let n = 0;
  for (const s of value.samples) {
    if (Number.isNaN(s.value)) continue;
    sum += s.value;
    n++;
  }
  return n === 0 ? null : sum;
}

interface StepValues {
  /** Per step: the sum of the series' values. */
  readonly values: Float64Array;
  /** Per step: how many series had a value (0: no data). */
  readonly present: Uint32Array;
}

function newStepValues(steps: number): StepValues {
  return { values: new Float64Array(steps), present: new Uint32Array(steps) };
}

/** Adds a range result into per-step sums (NaN skipped). */
function addRange(out: StepValues, value: QueryValue, firstMs: number, stepMs: number): void {
  if (value.type !== 'matrix') return;
  for (const series of value.series) {
    const ts = series.timestampsMs;
    const vs = series.values;
    for (let j = 0; j < ts.length; j++) {
      const v = vs[j]!;
      if (Number.isNaN(v)) continue;
      const i = Math.round((ts[j]! - firstMs) / stepMs);
      if (i < 0 || i >= out.values.length) continue;
      out.values[i]! += v;
      out.present[i]!++;
    }
  }
}

/** The part of `(fromMs, toMs]` outside the exclusion windows, ms. */
function includedMs(fromMs: number, toMs: number, exclusions: readonly ExcludedRange[]): number {
  return toMs - fromMs - excludedMs(exclusions, fromMs, toMs);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
