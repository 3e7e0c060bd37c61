import { isStaleNaN } from '@vigil/model';
import { compareLabels } from '@vigil/storage';
import type { SeriesLabels } from '@vigil/storage';
import type { QueryValue } from '../value.js';
import { PointKind } from './script.js';
import type { EvalCommand, SeriesLine } from './script.js';

/**
 * Result comparison of the PromQL test-script format (§5.4): label-set
 * identity, the float epsilon rule, staleness markers, range points and
 * order. Pure functions.
 */

const EPSILON = 1e-6;
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * True when an expected float equals a returned one: both NaN (a staleness
 * marker only equals a staleness marker), exactly equal, or within a
 * relative difference of 1e-6; when either is 0 (or their magnitudes sum
 * below the smallest normal double) the absolute difference must be below
 * 1e-6 × that smallest normal, i.e. practically exact.
 */
export function floatsEqual(expected: number, got: number): boolean {
  if (isStaleNaN(expected) || isStaleNaN(got)) return isStaleNaN(expected) && isStaleNaN(got);
  if (Number.isNaN(expected) && Number.isNaN(got)) return true;
  if (expected === got) return true;
  const absSum = Math.abs(expected) + Math.abs(got);
  const diff = Math.abs(expected - got);
  if (expected === 0 || got === 0 || absSum < MIN_NORMAL) return diff < EPSILON * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < EPSILON;
}

/**
 * The identity key of a label set: pairs with an empty value dropped (an
 * empty label equals an absent one), sorted by name.
 */
export function labelIdentity(pairs: readonly (readonly [string, string])[]): string {
  const kept = pairs.filter(([, v]) => v !== '').map(([n, v]) => [n, v] as const);
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify(kept);
}

/** {@link labelIdentity} of a flat `[name, value, …]` label array. */
export function seriesLabelsIdentity(labels: SeriesLabels): string {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < labels.length; i += 2) pairs.push([labels[i]!, labels[i + 1]!]);
  return labelIdentity(pairs);
}

/** Renders label pairs PromQL-style: `name{a="b"}` or `{a="b"}`. */
export function formatLabelPairs(pairs: readonly (readonly [string, string])[]): string {
  const name = pairs.find(([n]) => n === '__name__')?.[1];
  const rest = pairs
    .filter(([n, v]) => n !== '__name__' && v !== '')
    .map(([n, v]) => `${n}=${JSON.stringify(v)}`)
    .sort();
  return `${name ?? ''}{${rest.join(', ')}}`;
}

function flatToPairs(labels: SeriesLabels): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < labels.length; i += 2) pairs.push([labels[i]!, labels[i + 1]!]);
  return pairs;
}

/** Formats a float the way the diff shows it (staleness markers as `stale`). */
export function formatFloat(v: number): string {
  if (isStaleNaN(v)) return 'stale';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

interface ExpectedPoint {
  readonly t: number;
  readonly kind: number;
  readonly v: number;
}

function expectedPoints(line: SeriesLine, startMs: number, stepMs: number): ExpectedPoint[] {
  const out: ExpectedPoint[] = [];
  const { kinds, values } = line.values;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] === PointKind.Missing) continue;
    out.push({ t: startMs + i * stepMs, kind: kinds[i]!, v: values[i]! });
  }
  return out;
}

function describeValue(value: QueryValue): string {
  switch (value.type) {
    case 'scalar':
      return `scalar ${formatFloat(value.value)}`;
    case 'string':
      return `string ${JSON.stringify(value.value)}`;
    case 'vector':
      if (value.samples.length === 0) return 'empty vector';
      return (
        'vector:\n' +
        value.samples
          .map((s) => `    ${formatLabelPairs(flatToPairs(s.labels))} ${formatFloat(s.value)}`)
          .join('\n')
      );
    case 'matrix':
      if (value.series.length === 0) return 'empty matrix';
      return (
        'matrix:\n' +
        value.series
          .map((s) => {
            const pts: string[] = [];
            for (let i = 0; i < s.values.length; i++) {
              pts.push(`${formatFloat(s.values[i]!)}@${s.timestampsMs[i]!}`);
            }
            return `    ${formatLabelPairs(flatToPairs(s.labels))} ${pts.join(' ')}`;
          })
          .join('\n')
      );
  }
}

function describeExpected(ev: EvalCommand, startMs: number, stepMs: number): string {
  if (ev.expectedString !== undefined) return `string ${JSON.stringify(ev.expectedString)}`;
  if (ev.expectedScalar !== undefined) return `scalar ${formatFloat(ev.expectedScalar[0]!)}`;
  if (ev.expected.length === 0) return 'nothing (empty result)';
  return (
    'series:\n' +
    ev.expected
      .map((s) => {
        const pts = expectedPoints(s, startMs, stepMs).map((p) =>
          p.kind === PointKind.Histogram ? `{{…}}@${p.t}` : `${formatFloat(p.v)}@${p.t}`,
        );
        return `    ${formatLabelPairs(s.labels)} ${pts.join(' ')}`;
      })
      .join('\n')
  );
}

/**
 * Compares a query value with an eval's expected result lines. Returns
 * undefined when they agree, else a readable explanation with the expected
 * and the returned values. `ordered` checks the instant-vector order.
 */
export function compareResult(ev: EvalCommand, value: QueryValue): string | undefined {
  let startMs = ev.startMs;
  let stepMs = ev.stepMs;
  if (ev.rangeVector !== undefined) {
    startMs = ev.rangeVector.startMs;
    stepMs = ev.rangeVector.stepMs;
  }
  const problem = findProblem(ev, value, startMs, stepMs);
  if (problem === undefined) return undefined;
  return `${problem}\n  expected: ${describeExpected(ev, startMs, stepMs)}\n  got: ${describeValue(value)}`;
}

function findProblem(
  ev: EvalCommand,
  value: QueryValue,
  startMs: number,
  stepMs: number,
): string | undefined {
  if (ev.expectedString !== undefined) {
    if (value.type !== 'string') return `expected a string, got a ${value.type}`;
    return value.value === ev.expectedString ? undefined : 'string differs';
  }
  if (ev.expectedScalar !== undefined) {
    if (value.type !== 'scalar') return `expected a scalar, got a ${value.type}`;
    return floatsEqual(ev.expectedScalar[0]!, value.value) ? undefined : 'scalar differs';
  }
  switch (value.type) {
    case 'string':
      return 'got a string but no "expect string" line';
    case 'scalar':
      return 'got a scalar but no scalar result line';
    case 'matrix': {
      if (ev.kind === 'instant' && ev.rangeVector === undefined) {
        return 'received range result on instant evaluation (no "expect range vector")';
      }
      if (ev.ordered) return 'expect ordered cannot be used with a range (matrix) result';
      return compareMatrix(ev.expected, value, startMs, stepMs);
    }
    case 'vector': {
      if (ev.kind === 'range') return 'range eval returned a vector, not a matrix';
      if (ev.rangeVector !== undefined) return 'expected a range vector, got an instant vector';
      return compareVector(ev.expected, value, ev.ordered);
    }
  }
}

function compareVector(
  expected: readonly SeriesLine[],
  value: Extract<QueryValue, { type: 'vector' }>,
  ordered: boolean,
): string | undefined {
  const byKey = new Map<string, { line: SeriesLine; index: number }>();
  expected.forEach((line, index) => byKey.set(labelIdentity(line.labels), { line, index }));
  const seen = new Set<string>();
  for (let i = 0; i < value.samples.length; i++) {
    const s = value.samples[i]!;
    const key = seriesLabelsIdentity(s.labels);
    const exp = byKey.get(key);
    const shown = formatLabelPairs(flatToPairs(s.labels));
    if (exp === undefined) return `unexpected series ${shown}`;
    if (seen.has(key)) return `series ${shown} returned twice`;
    seen.add(key);
    if (ordered && exp.index !== i) {
      return `series ${shown} at position ${i}, expected at ${exp.index} (expect ordered)`;
    }
    const kind = exp.line.values.kinds[0];
    if (kind === PointKind.Histogram) return `series ${shown}: expected a histogram, got a float`;
    if (kind === PointKind.Missing) return `series ${shown}: expected no value ("_"), got one`;
    const want = exp.line.values.values[0]!;
    if (!floatsEqual(want, s.value)) {
      return `series ${shown}: expected ${formatFloat(want)}, got ${formatFloat(s.value)}`;
    }
  }
  for (const line of expected) {
    if (!seen.has(labelIdentity(line.labels))) {
      return `expected series ${formatLabelPairs(line.labels)} not returned`;
    }
  }
  return undefined;
}

function compareMatrix(
  expected: readonly SeriesLine[],
  value: Extract<QueryValue, { type: 'matrix' }>,
  startMs: number,
  stepMs: number,
): string | undefined {
  const byKey = new Map<string, SeriesLine>();
  for (const line of expected) byKey.set(labelIdentity(line.labels), line);
  const seen = new Set<string>();
  for (let i = 0; i < value.series.length; i++) {
    const s = value.series[i]!;
    if (i > 0 && compareLabels(value.series[i - 1]!.labels, s.labels) >= 0) {
      return 'matrix is not sorted by label set';
    }
    const key = seriesLabelsIdentity(s.labels);
    const shown = formatLabelPairs(flatToPairs(s.labels));
    const line = byKey.get(key);
    if (line === undefined) return `unexpected series ${shown}`;
    if (seen.has(key)) return `series ${shown} returned twice`;
    seen.add(key);
    const want = expectedPoints(line, startMs, stepMs);
    if (want.some((p) => p.kind === PointKind.Histogram)) {
      return `series ${shown}: expected histogram points, got floats`;
    }
    if (want.length !== s.values.length) {
      return `series ${shown}: expected ${want.length} points, got ${s.values.length}`;
    }
    for (let j = 0; j < want.length; j++) {
      const p = want[j]!;
      const t = s.timestampsMs[j]!;
      const v = s.values[j]!;
      if (p.t !== t) return `series ${shown}: point ${j} at ${t}, expected at ${p.t}`;
      if (!floatsEqual(p.v, v)) {
        return `series ${shown}: at ${t} expected ${formatFloat(p.v)}, got ${formatFloat(v)}`;
      }
    }
  }
  for (const line of expected) {
    if (!seen.has(labelIdentity(line.labels))) {
      return `expected series ${formatLabelPairs(line.labels)} not returned`;
    }
  }
  return undefined;
}

/**
 * Checks annotations of one kind (§5.3): with `expect` lines, at least one
 * must exist, each line must match one and each annotation must be matched;
 * with `no_…`, none may exist; with neither, nothing is checked. Returns an
 * explanation or undefined.
 */
export function checkAnnotations(
  kind: 'warn' | 'info',
  expectations: EvalCommand['warn'],
  none: boolean,
  actual: readonly string[],
): string | undefined {
  const list = actual.length === 0 ? '(none)' : actual.map((a) => `\n    ${a}`).join('');
  if (none) return actual.length === 0 ? undefined : `expected no ${kind} annotations, got:${list}`;
  if (expectations === undefined) return undefined;
  if (actual.length === 0) return `expected ${kind} annotations, got none`;
  const matches = (e: (typeof expectations)[number], a: string): boolean =>
    e.message !== undefined ? a === e.message : e.regex !== undefined ? e.regex.test(a) : true;
  for (const e of expectations) {
    if (!actual.some((a) => matches(e, a))) {
      const what = e.message ?? (e.regex !== undefined ? `/${e.regex.source}/` : 'any');
      return `expect ${kind} (line ${e.line}) ${what} matched none of:${list}`;
    }
  }
  for (const a of actual) {
    if (!expectations.some((e) => matches(e, a))) return `unexpected ${kind} annotation: ${a}`;
  }
  return undefined;
}

/** Checks a query error against `expect fail` (message equality or regex). */
export function checkFailure(ev: EvalCommand, message: string): string | undefined {
  const f = ev.fail;
  if (f === undefined) return `query failed: ${message}`;
  if (f.message !== undefined && message !== f.message) {
    return `expected error ${JSON.stringify(f.message)}, got ${JSON.stringify(message)}`;
  }
  if (f.regex !== undefined && !f.regex.test(message)) {
    return `expected error matching /${f.regex.source}/, got ${JSON.stringify(message)}`;
  }
  return undefined;
}
