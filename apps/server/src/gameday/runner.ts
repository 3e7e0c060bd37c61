/**
 * The game-day runner: injects a scenario's faults at their times, watches
 * the server's alerts and SLOs, removes every fault at the end (also when
 * interrupted), records a timeline and judges each expectation. Pure logic:
 * the clock and every HTTP call are injected ({@link GamedayClock},
 * {@link GamedayApi}), so tests drive it with a fake clock.
 *
 * @module
 */
import type { FaultSpec } from '@vigil/sdk';
import type { Expectation, PlannedFault, Scenario } from './scenario.js';

/** Time for the runner: injected so tests can drive it. */
export interface GamedayClock {
  /** Now, ms since the epoch. */
  now(): number;
  /** Resolves after `ms` (or at once when `signal` aborts). Never rejects. */
  sleep(ms: number, signal: AbortSignal | undefined): Promise<void>;
}

/** An alert as `/api/v1/alerts` lists it. */
export interface ObservedAlert {
  readonly labels: Readonly<Record<string, string>>;
  /** `pending` or `firing`. */
  readonly state: string;
}

/** An SLO's budget figure as `/api/v1/slos` gives it. */
export interface ObservedSlo {
  readonly id: string;
  /** `budget.remainingFraction`; null without data. */
  readonly remaining: number | null;
}

/** The HTTP side of the runner. Calls may reject; the runner handles each rejection. */
export interface GamedayApi {
  /** Adds a fault on an instance's admin endpoint. */
  addFault(instanceUrl: string, spec: FaultSpec & { readonly id: string }): Promise<void>;
  /** Removes a fault; resolves false when it was already gone (expired). */
  removeFault(instanceUrl: string, id: string): Promise<boolean>;
  /** The server's active alerts. */
  alerts(): Promise<readonly ObservedAlert[]>;
  /** The server's SLOs. */
  slos(): Promise<readonly ObservedSlo[]>;
}

/** Options of {@link runGameday}. */
export interface RunOptions {
  readonly clock: GamedayClock;
  readonly api: GamedayApi;
  /** Faults to inject (see `planFaults`). */
  readonly faults: readonly PlannedFault[];
  /** Aborting ends the run early: faults are removed and the result says `interrupted`. */
  readonly signal?: AbortSignal;
  /** How often alerts and SLOs are read, ms. Default 1000. */
  readonly pollIntervalMs?: number;
  /**
   * Added to the run's end for the SDK's own expiry of every fault, ms
   * (default 60 000): a runner that dies leaves nothing behind for longer.
   */
  readonly expiryMarginMs?: number;
  /** Called with each timeline entry as it happens (progress output). */
  readonly onEvent?: (entry: TimelineEntry) => void;
}

/** One line of the timeline. */
export interface TimelineEntry {
  /** When, ms since the epoch. */
  readonly atMs: number;
  /** Offset from the run's start, ms. */
  readonly offsetMs: number;
  readonly type: 'run' | 'fault' | 'alert' | 'slo' | 'error';
  readonly text: string;
}

/** A verdict on one expectation. */
export interface Verdict {
  /** The expectation in words. */
  readonly expectation: string;
  readonly status: 'pass' | 'fail' | 'undecided';
  /** What was measured, in words. */
  readonly measured: string;
  /** Time to detect (first firing − first fault start), ms, for `alert-fires`. */
  readonly timeToDetectMs?: number;
}

/** Budget remaining of an SLO at the run's start and end (null without data). */
export interface BudgetFigure {
  readonly slo: string;
  readonly startRemaining: number | null;
  readonly endRemaining: number | null;
  readonly minRemaining: number | null;
}

/** What a run produced. */
export interface GamedayResult {
  readonly scenario: string;
  readonly description: string;
  readonly source: string;
  /** Ms since the epoch. */
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  /**
   * When the first fault was in place (its admin request answered; the
   * reference of detection times), ms since the epoch. The planned time when
   * no fault was added.
   */
  readonly firstFaultAtMs: number;
  /** `completed`, `interrupted` (signal) or `aborted` (a fault could not be injected). */
  readonly outcome: 'completed' | 'interrupted' | 'aborted';
  /** Why the run was aborted. */
  readonly error?: string;
  readonly verdicts: readonly Verdict[];
  readonly timeline: readonly TimelineEntry[];
  readonly budgets: readonly BudgetFigure[];
  /** Faults the runner could not remove (they expire on their own). */
  readonly leftBehind: readonly string[];
}

/**
 * A change of budget remaining smaller than this (a fraction: one percentage
 * point) is not a timeline entry; beyond 100% overspent, a change must also
 * be a quarter of the overspend (so a deeply overspent budget, as in a fresh
 * demo, does not write a line every second).
 */
export const BUDGET_CHANGE_STEP = 0.01;

/** Whether a budget change from `prev` to `next` deserves a timeline entry. */
function budgetChanged(prev: number | null | undefined, next: number | null): boolean {
  if (prev === undefined) return true;
  if (prev === null || next === null) return prev !== next;
  const step = Math.max(BUDGET_CHANGE_STEP, 0.25 * Math.max(0, Math.abs(prev) - 1));
  return Math.abs(prev - next) >= step;
}

function alertKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function describeAlert(labels: Readonly<Record<string, string>>): string {
  const { alertname, ...rest } = labels;
  const extra = Object.entries(rest)
    .filter(([k]) => k === 'sloth_severity' || k === 'sloth_id' || k === 'severity')
    .map(([k, v]) => `${k}=${v}`);
  return `${alertname ?? '(no alertname)'}${extra.length > 0 ? ` {${extra.join(', ')}}` : ''}`;
}

function describeFault(p: PlannedFault): string {
  const s = p.spec as unknown as Record<string, unknown>;
  const parts: string[] = [String(s.kind)];
  if (s.kind === 'error') parts.push(`status ${String(s.status)}`);
  if (typeof s.delayMs === 'number') parts.push(`+${s.delayMs}ms`);
  if (typeof s.distribution === 'object' && s.distribution !== null) {
    parts.push(`${(s.distribution as { type: string }).type} delay`);
  }
  if (typeof s.dependency === 'string') parts.push(`dependency ${s.dependency}`);
  if (typeof s.rate === 'number') parts.push(`rate ${s.rate}`);
  if (typeof s.method === 'string') parts.push(s.method);
  if (typeof s.route === 'string') parts.push(s.route);
  return `${p.spec.id} on ${p.instanceUrl}: ${parts.join(' ')}`;
}

function matches(
  labels: Readonly<Record<string, string>>,
  alert: string,
  want: Readonly<Record<string, string>>,
): boolean {
  if (labels.alertname !== alert) return false;
  for (const [k, v] of Object.entries(want)) if (labels[k] !== v) return false;
  return true;
}

/** The expectation in words (for verdicts and the report). */
export function describeExpectation(e: Expectation): string {
  const labels = (l: Readonly<Record<string, string>>): string => {
    const entries = Object.entries(l);
    return entries.length === 0 ? '' : ` {${entries.map(([k, v]) => `${k}=${v}`).join(', ')}}`;
  };
  switch (e.type) {
    case 'alert-fires':
      return `${e.alert}${labels(e.labels)} fires within ${formatDuration(e.withinMs)} of the first fault`;
    case 'alert-quiet':
      return `${e.alert}${labels(e.labels)} does not fire during the run`;
    case 'budget-remaining': {
      const bounds = [
        e.above === undefined ? '' : `above ${pct(e.above)}`,
        e.below === undefined ? '' : `below ${pct(e.below)}`,
      ]
        .filter((x) => x !== '')
        .join(' and ');
      return `${e.slo} budget remaining stays ${bounds} ${e.at === 'end' ? 'at the end of the run' : 'throughout the run'}`;
    }
    case 'budget-consumed':
      return `${e.slo} budget consumed during the run between ${pct(e.min)} and ${pct(e.max)}`;
  }
}

/** `0.8` → `80%`, `0.9523` → `95.23%`. */
export function pct(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

/** `65000` → `1m05s`, `4200` → `4.2s`, `250` → `250ms`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a === 0) return '0s';
  if (a < 1000) return `${sign}${Math.round(a)}ms`;
  const tenths = Number((a / 1000).toFixed(1));
  if (tenths < 60) return `${sign}${tenths}s`;
  const seconds = Math.round(a / 1000);
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${sign}${m}m${String(s).padStart(2, '0')}s`;
}

interface AlertTrack {
  labels: Readonly<Record<string, string>>;
  state: string;
}

/**
 * Runs `scenario`: resolves when the run has ended and every fault has been
 * removed (or could not be, listed in `leftBehind`). Never rejects for an
 * HTTP failure: a fault that cannot be injected aborts the run (outcome
 * `aborted`); a failed poll is a timeline entry. One run per call; calls
 * are independent.
 */
export async function runGameday(scenario: Scenario, options: RunOptions): Promise<GamedayResult> {
  const { clock, api, signal } = options;
  const pollMs = options.pollIntervalMs ?? 1000;
  const marginMs = options.expiryMarginMs ?? 60_000;
  const startedAtMs = clock.now();
  const runEndMs = startedAtMs + scenario.durationMs;
  let firstFaultAtMs = startedAtMs + scenario.firstFaultStartMs;
  let anyAdded = false;
  const timeline: TimelineEntry[] = [];
  const record = (type: TimelineEntry['type'], text: string): void => {
    const atMs = clock.now();
    const entry = { atMs, offsetMs: atMs - startedAtMs, type, text };
    timeline.push(entry);
    options.onEvent?.(entry);
  };

  // Fault schedule: each planned fault is added once and removed once.
  const pending = [...options.faults].sort((a, b) => a.startMs - b.startMs);
  const active = new Map<string, PlannedFault>();
  const leftBehind: string[] = [];
  let aborted: string | undefined;

  const alerts = new Map<string, AlertTrack>();
  /** alertKey → first time seen firing (ms since the epoch). */
  const firstFiring = new Map<string, number>();
  const everFiringAtStart = new Set<string>();
  let firstPoll = true;
  const slos = new Map<string, { start: number | null; last: number | null; min: number | null }>();
  const sloRecorded = new Map<string, number | null>();
  let lastPollError = '';

  const poll = async (): Promise<void> => {
    let alertList: readonly ObservedAlert[];
    let sloList: readonly ObservedSlo[];
    try {
      [alertList, sloList] = await Promise.all([api.alerts(), api.slos()]);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastPollError) record('error', `reading the server failed: ${message}`);
      lastPollError = message;
      return;
    }
    if (lastPollError !== '') record('run', 'the server answers again');
    lastPollError = '';
    const nowMs = clock.now();
    const seen = new Set<string>();
    for (const a of alertList) {
      const key = alertKey(a.labels);
      seen.add(key);
      const before = alerts.get(key);
      if (a.state === 'firing' && !firstFiring.has(key)) firstFiring.set(key, nowMs);
      if (firstPoll && a.state === 'firing') everFiringAtStart.add(key);
      if (before?.state !== a.state) {
        record(
          'alert',
          `${describeAlert(a.labels)} ${a.state}${firstPoll ? ' (at the start)' : ''}`,
        );
      }
      alerts.set(key, { labels: a.labels, state: a.state });
    }
    for (const [key, a] of alerts) {
      if (seen.has(key)) continue;
      record(
        'alert',
        `${describeAlert(a.labels)} ${a.state === 'firing' ? 'resolved' : 'no longer pending (did not fire)'}`,
      );
      alerts.delete(key);
    }
    for (const s of sloList) {
      const fig = slos.get(s.id);
      if (fig === undefined) {
        slos.set(s.id, { start: s.remaining, last: s.remaining, min: s.remaining });
      } else {
        fig.last = s.remaining;
        if (s.remaining !== null && (fig.min === null || s.remaining < fig.min)) {
          fig.min = s.remaining;
        }
      }
      if (budgetChanged(sloRecorded.get(s.id), s.remaining)) {
        sloRecorded.set(s.id, s.remaining);
        record(
          'slo',
          `${s.id} budget remaining ${s.remaining === null ? 'no data' : pct(s.remaining)}`,
        );
      }
    }
    firstPoll = false;
  };

  const removeFault = async (p: PlannedFault, why: string): Promise<void> => {
    active.delete(p.spec.id);
    try {
      const removed = await api.removeFault(p.instanceUrl, p.spec.id);
      record('fault', `removed ${p.spec.id} (${why}${removed ? '' : '; it had already expired'})`);
    } catch (err) {
      leftBehind.push(p.spec.id);
      record(
        'error',
        `could not remove ${p.spec.id} from ${p.instanceUrl} (${err instanceof Error ? err.message : String(err)}); it expires on its own`,
      );
    }
  };

  record(
    'run',
    `game day ${scenario.name} started: ${options.faults.length} fault(s), ${formatDuration(scenario.durationMs)}`,
  );
  await poll();
  let next = 0;
  while (signal?.aborted !== true && aborted === undefined) {
    const nowMs = clock.now();
    // Faults due to end, then faults due to start.
    for (const p of [...active.values()]) {
      if (startedAtMs + p.endMs <= nowMs) await removeFault(p, 'its time is up');
    }
    while (next < pending.length && startedAtMs + pending[next]!.startMs <= nowMs) {
      const p = pending[next++]!;
      if (startedAtMs + p.endMs <= clock.now()) continue;
      const expiryMs = Math.max(1, runEndMs + marginMs - clock.now());
      try {
        await api.addFault(p.instanceUrl, { ...p.spec, durationMs: expiryMs });
        active.set(p.spec.id, p);
        if (!anyAdded) {
          anyAdded = true;
          firstFaultAtMs = clock.now();
        }
        record('fault', `added ${describeFault(p)} (self-expiry in ${formatDuration(expiryMs)})`);
      } catch (err) {
        aborted = `could not add fault ${p.spec.id} on ${p.instanceUrl}: ${err instanceof Error ? err.message : String(err)}`;
        record('error', aborted);
        break;
      }
    }
    if (aborted !== undefined || clock.now() >= runEndMs) break;
    await poll();
    const after = clock.now();
    let wakeMs = Math.min(after + pollMs, runEndMs);
    if (next < pending.length) wakeMs = Math.min(wakeMs, startedAtMs + pending[next]!.startMs);
    for (const p of active.values()) wakeMs = Math.min(wakeMs, startedAtMs + p.endMs);
    if (wakeMs > after) await clock.sleep(wakeMs - after, signal);
  }
  const interrupted = signal?.aborted === true && aborted === undefined;
  if (interrupted) record('run', 'interrupted: removing the injected faults');
  for (const p of [...active.values()]) {
    await removeFault(
      p,
      interrupted ? 'run interrupted' : aborted !== undefined ? 'run aborted' : 'end of the run',
    );
  }
  await poll();
  const endedAtMs = clock.now();
  record(
    'run',
    `game day ${scenario.name} ${interrupted ? 'interrupted' : aborted !== undefined ? 'aborted' : 'ended'}`,
  );

  const complete = !interrupted && aborted === undefined;
  const verdicts = scenario.expectations.map((e): Verdict => {
    const expectation = describeExpectation(e);
    switch (e.type) {
      case 'alert-fires': {
        let first: number | undefined;
        let atStart = false;
        for (const [key, at] of firstFiring) {
          const labels = Object.fromEntries(JSON.parse(key) as [string, string][]);
          if (!matches(labels, e.alert, e.labels)) continue;
          if (everFiringAtStart.has(key)) atStart = true;
          if (first === undefined || at < first) first = at;
        }
        if (atStart) {
          return {
            expectation,
            status: 'fail',
            measured:
              'already firing when the run started, so detection cannot be measured; wait until it resolves and run again',
          };
        }
        if (first === undefined) {
          const watchedMs = endedAtMs - firstFaultAtMs;
          if (!complete && watchedMs < e.withinMs) {
            return {
              expectation,
              status: 'undecided',
              measured: `not firing after ${formatDuration(Math.max(0, watchedMs))} (run ended early)`,
            };
          }
          return {
            expectation,
            status: 'fail',
            measured: `did not fire (watched ${formatDuration(Math.max(0, watchedMs))} after the first fault)`,
          };
        }
        const ttd = first - firstFaultAtMs;
        if (ttd < 0) {
          return {
            expectation,
            status: 'fail',
            measured: `fired ${formatDuration(-ttd)} before the first fault: something else is wrong`,
            timeToDetectMs: ttd,
          };
        }
        return {
          expectation,
          status: ttd <= e.withinMs ? 'pass' : 'fail',
          measured: `fired after ${formatDuration(ttd)}`,
          timeToDetectMs: ttd,
        };
      }
      case 'alert-quiet': {
        const fired = [...firstFiring].filter(([key]) =>
          matches(Object.fromEntries(JSON.parse(key) as [string, string][]), e.alert, e.labels),
        );
        if (fired.some(([key]) => everFiringAtStart.has(key))) {
          return {
            expectation,
            status: 'undecided',
            measured:
              'already firing when the run started (left from before), so the run cannot tell; wait until it resolves and run again',
          };
        }
        if (fired.length > 0) {
          const at = Math.min(...fired.map(([, t]) => t));
          return {
            expectation,
            status: 'fail',
            measured: `fired ${formatDuration(at - startedAtMs)} into the run`,
          };
        }
        return complete
          ? { expectation, status: 'pass', measured: 'did not fire' }
          : {
              expectation,
              status: 'undecided',
              measured: 'did not fire before the run ended early',
            };
      }
      case 'budget-remaining': {
        const fig = slos.get(e.slo);
        if (fig === undefined) {
          return {
            expectation,
            status: 'fail',
            measured: `the server has no SLO ${JSON.stringify(e.slo)} (see vigil slo status)`,
          };
        }
        const value = e.at === 'end' ? fig.last : fig.min;
        if (value === null) {
          return { expectation, status: 'fail', measured: 'no data' };
        }
        const ok =
          (e.above === undefined || value > e.above) && (e.below === undefined || value < e.below);
        const measured = `${e.at === 'end' ? 'at the end' : 'lowest'} ${pct(value)}`;
        if (!complete && ok) return { expectation, status: 'undecided', measured };
        return { expectation, status: ok ? 'pass' : 'fail', measured };
      }
      case 'budget-consumed': {
        const fig = slos.get(e.slo);
        if (fig === undefined) {
          return {
            expectation,
            status: 'fail',
            measured: `the server has no SLO ${JSON.stringify(e.slo)} (see vigil slo status)`,
          };
        }
        if (fig.start === null || fig.last === null) {
          return { expectation, status: 'fail', measured: 'no data at the start or the end' };
        }
        const consumed = fig.start - fig.last;
        const measured = `consumed ${pct(consumed)} (${pct(fig.start)} → ${pct(fig.last)})`;
        if (!complete) return { expectation, status: 'undecided', measured };
        return {
          expectation,
          status: consumed >= e.min && consumed <= e.max ? 'pass' : 'fail',
          measured,
        };
      }
    }
  });

  return {
    scenario: scenario.name,
    description: scenario.description,
    source: scenario.source,
    startedAtMs,
    endedAtMs,
    firstFaultAtMs,
    outcome: interrupted ? 'interrupted' : aborted !== undefined ? 'aborted' : 'completed',
    ...(aborted === undefined ? {} : { error: aborted }),
    verdicts,
    timeline,
    budgets: [...slos].map(([slo, f]) => ({
      slo,
      startRemaining: f.start,
      endRemaining: f.last,
      minRemaining: f.min,
    })),
    leftBehind,
  };
}

/** A clock on real time: `Date.now` and timers. */
export const systemClock: GamedayClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted === true) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};
