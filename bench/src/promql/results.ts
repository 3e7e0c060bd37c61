/**
 * Query answers of both sides in one comparable shape, and their
 * comparison: a benchmark that compares different results is meaningless,
 * so every measured query's answers are checked to agree first.
 */
import type { QueryResult } from '@vigil/promql';
import type { LabelMatcher } from '@vigil/model';
import type { Queryable, SeriesLabels } from '@vigil/storage';

/** One answer: its type and its series (a vector sample or a scalar is a one-point series). */
export interface Answer {
  readonly type: string;
  /** Key: the label set as `a="b",c="d"` in name order (empty for a scalar). */
  readonly series: Map<string, { readonly t: Float64Array; readonly v: Float64Array }>;
}

interface PromJsonResponse {
  status: string;
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: unknown };
}

type PromSample = [number, string];

function keyOfObject(metric: Record<string, string>): string {
  return Object.keys(metric)
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`)
    .join(',');
}

function keyOfLabels(labels: SeriesLabels): string {
  const pairs: [string, string][] = [];
  for (let i = 0; i < labels.length; i += 2) pairs.push([labels[i]!, labels[i + 1]!]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
}

/** A float as the Prometheus API writes it: Go's format, with "+Inf", "-Inf" and "NaN". */
function parsePromFloat(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function samplesToArrays(samples: readonly PromSample[]): { t: Float64Array; v: Float64Array } {
  const t = new Float64Array(samples.length);
  const v = new Float64Array(samples.length);
  samples.forEach(([ts, val], i) => {
    t[i] = Math.round(ts * 1000);
    v[i] = parsePromFloat(val);
  });
  return { t, v };
}

/**
 * Reads a Prometheus HTTP API query response body (Prometheus's or
 * Vigil's); throws with the server's error when `status` is not "success".
 */
export function answerFromJson(body: string): Answer {
  const parsed = JSON.parse(body) as PromJsonResponse;
  if (parsed.status !== 'success' || parsed.data === undefined) {
    throw new Error(
      `query failed: ${parsed.errorType ?? ''} ${parsed.error ?? body.slice(0, 300)}`,
    );
  }
  const { resultType, result } = parsed.data;
  const series = new Map<string, { t: Float64Array; v: Float64Array }>();
  if (resultType === 'matrix') {
    for (const s of result as { metric: Record<string, string>; values: PromSample[] }[]) {
      series.set(keyOfObject(s.metric), samplesToArrays(s.values));
    }
  } else if (resultType === 'vector') {
    for (const s of result as { metric: Record<string, string>; value: PromSample }[]) {
      series.set(keyOfObject(s.metric), samplesToArrays([s.value]));
    }
  } else {
    series.set('', samplesToArrays([result as PromSample]));
  }
  return { type: resultType, series };
}

/** Reads an in-process engine result. */
export function answerFromEngine(result: QueryResult): Answer {
  const value = result.value;
  const series = new Map<string, { t: Float64Array; v: Float64Array }>();
  switch (value.type) {
    case 'matrix':
      for (const s of value.series) {
        series.set(keyOfLabels(s.labels), { t: s.timestampsMs, v: s.values });
      }
      break;
    case 'vector':
      for (const s of value.samples) {
        series.set(keyOfLabels(s.labels), {
          t: Float64Array.of(s.timestampMs),
          v: Float64Array.of(s.value),
        });
      }
      break;
    case 'scalar':
      series.set('', { t: Float64Array.of(value.timestampMs), v: Float64Array.of(value.value) });
      break;
    case 'string':
      throw new Error('a string result cannot be compared');
  }
  return { type: value.type, series };
}

/**
 * Reads the raw samples in `[mintMs, maxtMs]` of the series `matchers`
 * select, straight from a store's `Querier` (no engine): for checking that
 * both stores hold the same data.
 */
export function answerFromQuerier(
  queryable: Queryable,
  matchers: readonly LabelMatcher[],
  mintMs: number,
  maxtMs: number,
): Answer {
  const series = new Map<string, { t: Float64Array; v: Float64Array }>();
  const querier = queryable.querier(mintMs, maxtMs);
  try {
    const set = querier.select(matchers);
    while (set.next()) {
      const s = set.at();
      const t: number[] = [];
      const v: number[] = [];
      const it = s.iterator();
      while (it.next()) {
        t.push(it.timestampMs());
        v.push(it.value());
      }
      series.set(keyOfLabels(s.labels), { t: Float64Array.from(t), v: Float64Array.from(v) });
    }
  } finally {
    querier.close();
  }
  return { type: 'matrix', series };
}

/** Relative difference of two floats; 0 when equal or both NaN. */
export function relativeDifference(a: number, b: number): number {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 || !Number.isFinite(scale) ? Infinity : Math.abs(a - b) / scale;
}

/** What {@link compareAnswers} checked. */
export interface Agreement {
  readonly series: number;
  readonly points: number;
  readonly maxRelativeDifference: number;
  /** Points before `valuesFromMs` whose timestamps were compared, not their values. */
  readonly timestampOnlyPoints: number;
}

/**
 * Checks that two answers agree: same type, same label sets, same
 * timestamps, and every value at or after `valuesFromMs` within `tolerance`
 * relative difference. Throws naming the first disagreement; returns what
 * was compared.
 */
export function compareAnswers(
  what: string,
  ours: Answer,
  theirs: Answer,
  tolerance = 1e-9,
  valuesFromMs = -Infinity,
): Agreement {
  const fail = (message: string): never => {
    throw new Error(`${what}: answers differ: ${message}`);
  };
  if (ours.type !== theirs.type) fail(`result type ${ours.type} vs ${theirs.type}`);
  if (ours.series.size !== theirs.series.size) {
    const missing = [...theirs.series.keys()].filter((k) => !ours.series.has(k)).slice(0, 3);
    const extra = [...ours.series.keys()].filter((k) => !theirs.series.has(k)).slice(0, 3);
    fail(
      `${ours.series.size} series vs ${theirs.series.size}; missing ${missing.join(' | ')}; extra ${extra.join(' | ')}`,
    );
  }
  let points = 0;
  let timestampOnly = 0;
  let maxRel = 0;
  for (const [key, b] of theirs.series) {
    const a = ours.series.get(key) ?? fail(`series {${key}} missing`);
    if (a.t.length !== b.t.length) fail(`{${key}}: ${a.t.length} points vs ${b.t.length}`);
    for (let i = 0; i < b.t.length; i++) {
      if (a.t[i] !== b.t[i]) fail(`{${key}} point ${i}: time ${a.t[i]} vs ${b.t[i]}`);
      if (b.t[i]! < valuesFromMs) {
        timestampOnly++;
        continue;
      }
      const rel = relativeDifference(a.v[i]!, b.v[i]!);
      if (rel > tolerance) fail(`{${key}} at ${b.t[i]}: ${a.v[i]} vs ${b.v[i]} (relative ${rel})`);
      if (rel > maxRel) maxRel = rel;
      points++;
    }
  }
  if (points === 0) fail('both answers are empty; the query must return data to be compared');
  return {
    series: theirs.series.size,
    points,
    maxRelativeDifference: maxRel,
    timestampOnlyPoints: timestampOnly,
  };
}
