/**
 * Helpers for the engine's accuracy tests: synthetic traffic with known
 * error rates written into a MemoryStorage, SLO objects, and tolerance checks.
 */
import assert from 'node:assert/strict';
import { Engine } from '@vigil/promql';
import { MemoryStorage, labelsFromRecord } from '@vigil/storage';
import type { Slo, Sli, SloWindow } from '../model.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A store and the PromQL engine over it. */
export function newStore(): { storage: MemoryStorage; engine: Engine } {
  const storage = new MemoryStorage();
  return { storage, engine: new Engine({ queryable: storage }) };
}

/** What one scrape interval `(t − step, t]` holds: requests per second and the share of errors. */
export type TrafficFn = (intervalEndMs: number) => { perSecond: number; errorRatio: number };

/** Options of {@link writeTraffic}. */
export interface TrafficOptions {
  readonly fromMs: number;
  readonly toMs: number;
  readonly stepMs?: number;
  readonly traffic: TrafficFn;
  /** Scrape outages `[startMs, endMs)`: no sample is written (the counters still count). */
  readonly gaps?: readonly (readonly [number, number])[];
  /** Times at which the process restarts: the counters start again from 0 at the previous scrape. */
  readonly resetsMs?: readonly number[];
  /** The job label. Default `api`. */
  readonly job?: string;
  /** The counter's name. Default `http_requests_total`. */
  readonly metric?: string;
}

/**
 * Writes `http_requests_total{job, code="200"|"500"}` (or `metric`) counters every `stepMs`
 * over `(fromMs, toMs]` (plus a first sample at `fromMs`). The counters start
 * at 1000 (so `rate` never extrapolates to a zero crossing).
 */
export async function writeTraffic(storage: MemoryStorage, o: TrafficOptions): Promise<void> {
  const step = o.stepMs ?? MINUTE_MS;
  const job = o.job ?? 'api';
  const metric = o.metric ?? 'http_requests_total';
  const good = labelsFromRecord({ __name__: metric, job, code: '200' });
  const bad = labelsFromRecord({ __name__: metric, job, code: '500' });
  let g = 1000;
  let b = 1000;
  const resets = new Set(o.resetsMs ?? []);
  let app = storage.appender();
  let n = 0;
  for (let t = o.fromMs; t <= o.toMs; t += step) {
    if (t > o.fromMs) {
      const { perSecond, errorRatio } = o.traffic(t);
      const events = (perSecond * step) / 1000;
      if (resets.has(t)) {
        g = 0;
        b = 0;
      }
      g += events * (1 - errorRatio);
      b += events * errorRatio;
    }
    if ((o.gaps ?? []).some(([a, e]) => t >= a && t < e)) continue;
    app.append(0, good, t, g);
    app.append(0, bad, t, b);
    if (++n % 5000 === 0) {
      await app.commit();
      app = storage.appender();
    }
  }
  await app.commit();
}

/** Writes a 0/1 series `up{job}` every minute over `[fromMs, toMs]`; `isUp(t)` gives its value. */
export async function writeUp(
  storage: MemoryStorage,
  fromMs: number,
  toMs: number,
  isUp: (tMs: number) => boolean,
): Promise<void> {
  const labels = labelsFromRecord({ __name__: 'up', job: 'api' });
  const app = storage.appender();
  for (let t = fromMs; t <= toMs; t += MINUTE_MS) app.append(0, labels, t, isUp(t) ? 1 : 0);
  await app.commit();
}

/** The ratio SLI over {@link writeTraffic}'s counters. */
export function requestsSli(job = 'api'): Sli {
  return {
    kind: 'ratio',
    numerator: 'bad',
    numeratorQuery: `sum(rate(http_requests_total{job="${job}",code="500"}[{{.window}}]))`,
    totalQuery: `sum(rate(http_requests_total{job="${job}"}[{{.window}}]))`,
  };
}

/** An SLO with sensible defaults; `over` replaces fields. */
export function makeSlo(over: Partial<Slo> & { name: string }): Slo {
  const window: SloWindow = over.window ?? { kind: 'rolling', durationMs: DAY_MS };
  return {
    id: `svc-${over.name}`,
    service: 'svc',
    sli: requestsSli(),
    objective: { target: 0.99 },
    budgetingMethod: 'occurrences',
    labels: { team: 'core' },
    alerting: {
      labels: {},
      annotations: {},
      page: { enabled: true, labels: {}, annotations: {} },
      ticket: { enabled: true, labels: {}, annotations: {} },
    },
    exclusions: [],
    evaluable: true,
    source: { format: 'vigil', file: 'test.yaml', path: `slos.${over.name}` },
    ...over,
    window,
  };
}

/**
 * Asserts `actual` is within `tol` of `expected` (absolute), with a message
 * naming the figure.
 */
export function near(
  actual: number | null | undefined,
  expected: number,
  tol: number,
  what: string,
): void {
  assert.ok(
    actual !== null && actual !== undefined && Math.abs(actual - expected) <= tol,
    `${what}: expected ${expected} ± ${tol}, got ${actual}`,
  );
}
