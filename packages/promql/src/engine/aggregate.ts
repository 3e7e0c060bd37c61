import { formatGoG, formatGoShortest, isValidLabelName } from '@vigil/model';
import type { SeriesLabels } from '@vigil/storage';
import type { AggregateExpr } from '../parser/ast.js';
import { checkInterrupt, executionError, holdSamples, type Evaluator } from './evaluator.js';
import { kahanInc, sampleQuantile, setLabel } from '../functions/index.js';
import { keepLabels, labelSetKey, withoutLabels } from './labels.js';
import { pointCount, type EvalValue, type StepSeries } from './types.js';

/**
 * Aggregation operators. Group membership is computed once per series (labels
 * do not change between steps); values are aggregated per step with
 * Prometheus's numerics (Kahan-compensated sums, overflow-safe averages,
 * Welford variance).
 */

interface Grouping {
  /** Group index per input series. */
  readonly groupOf: Int32Array;
  /** Output labels per group. */
  readonly labels: SeriesLabels[];
}

function groupingLabels(
  labels: SeriesLabels,
  e: AggregateExpr,
  names: ReadonlySet<string>,
): SeriesLabels {
  if (e.without) return withoutLabels(labels, names);
  if (names.size === 0) return [];
  return keepLabels(labels, names);
}

function buildGrouping(series: StepSeries[], e: AggregateExpr): Grouping {
  const names = new Set(e.grouping);
  if (e.without) names.add('__name__');
  const groupOf = new Int32Array(series.length);
  const labels: SeriesLabels[] = [];
  const index = new Map<string, number>();
  series.forEach((s, i) => {
    const g = groupingLabels(s.labels, e, names);
    const key = labelSetKey(g);
    let idx = index.get(key);
    if (idx === undefined) {
      idx = labels.length;
      index.set(key, idx);
      labels.push(g);
    }
    groupOf[i] = idx;
  });
  return { groupOf, labels };
}

/** Evaluates an aggregation expression. */
export function evalAggregate(ev: Evaluator, e: AggregateExpr): EvalValue {
  const count = ev.grid.count;
  if (e.op === 'count_values') return countValues(ev, e);
  let param: Float64Array | undefined;
  if (e.param !== undefined) param = ev.evalScalar(e.param);
  const input = ev.evalVector(e.expr);
  switch (e.op) {
    case 'topk':
    case 'bottomk':
    case 'limitk':
      return { kind: 'vector', series: selectK(ev, e, input, param!) };
    case 'limit_ratio':
      throw executionError('limit_ratio is not supported by this engine');
    default:
      break;
  }
  if (e.op === 'quantile' && param !== undefined) {
    for (let i = 0; i < count; i++) {
      const q = param[i]!;
      if (q < 0 || q > 1 || Number.isNaN(q)) {
        ev.state.annotations.warn(
          `quantile value should be between 0 and 1, got ${formatGoG(q)}`,
          e.param!.pos,
        );
        break;
      }
    }
  }
  const { groupOf, labels } = buildGrouping(input, e);
  const groups = labels.length;
  const outputs = labels.map((l) => ev.newSeries(l, false));
  const seen = new Uint8Array(groups);
  const value = new Float64Array(groups);
  const kahan = new Float64Array(groups);
  const mean = new Float64Array(groups);
  const n = new Float64Array(groups);
  const incremental = new Uint8Array(groups);
  const lists: number[][] = e.op === 'quantile' ? labels.map(() => []) : [];
  for (let s = 0; s < input.length; s++) {
    if (input[s]!.dropName) outputs[groupOf[s]!]!.dropName = true;
  }
  for (let i = 0; i < count; i++) {
    if ((i & 63) === 0) checkInterrupt(ev.state);
    seen.fill(0);
    for (const list of lists) list.length = 0;
    for (let s = 0; s < input.length; s++) {
      const series = input[s]!;
      if (!series.present[i]) continue;
      const f = series.values[i]!;
      const g = groupOf[s]!;
      if (!seen[g]) {
        seen[g] = 1;
        value[g] = f;
        mean[g] = f;
        kahan[g] = 0;
        n[g] = 1;
        incremental[g] = 0;
        switch (e.op) {
          case 'stddev':
          case 'stdvar':
            value[g] = Number.isFinite(f) ? 0 : Number.NaN;
            break;
          case 'group':
            value[g] = 1;
            break;
          case 'quantile':
            lists[g]!.push(f);
            break;
          default:
            break;
        }
        continue;
      }
      switch (e.op) {
        case 'sum': {
          // Kahan–Neumaier step, inlined: a tuple per sample would dominate.
          const sum = value[g]!;
          const t = sum + f;
          if (t === Infinity || t === -Infinity) kahan[g] = 0;
          else if (Math.abs(sum) >= Math.abs(f)) kahan[g] = kahan[g]! + (sum - t + f);
          else kahan[g] = kahan[g]! + (f - t + sum);
          value[g] = t;
          break;
        }
        case 'avg': {
          n[g] = n[g]! + 1;
          if (!incremental[g]) {
            const [v, c] = kahanInc(f, value[g]!, kahan[g]!);
            if (Number.isFinite(v) || Number.isNaN(v)) {
              value[g] = v;
              kahan[g] = c;
              break;
            }
            incremental[g] = 1;
            mean[g] = value[g]! / (n[g] - 1);
            kahan[g] = kahan[g]! / (n[g] - 1);
          }
          const q = (n[g] - 1) / n[g];
          const [m, c] = kahanInc(f / n[g], q * mean[g]!, q * kahan[g]!);
          mean[g] = m;
          kahan[g] = c;
          break;
        }
        case 'max':
          if (value[g]! < f || Number.isNaN(value[g]!)) value[g] = f;
          break;
        case 'min':
          if (value[g]! > f || Number.isNaN(value[g]!)) value[g] = f;
          break;
        case 'count':
          n[g] = n[g]! + 1;
          break;
        case 'stddev':
        case 'stdvar': {
          n[g] = n[g]! + 1;
          const delta = f - mean[g]!;
          mean[g] = mean[g]! + delta / n[g];
          value[g] = value[g]! + delta * (f - mean[g]);
          break;
        }
        case 'quantile':
          lists[g]!.push(f);
          break;
        default:
          break;
      }
    }
    for (let g = 0; g < groups; g++) {
      if (!seen[g]) continue;
      let v: number;
      switch (e.op) {
        case 'sum':
          v = value[g]! + kahan[g]!;
          break;
        case 'avg':
          v = incremental[g] ? mean[g]! + kahan[g]! : value[g]! / n[g]! + kahan[g]! / n[g]!;
          break;
        case 'count':
          v = n[g]!;
          break;
        case 'stdvar':
          v = value[g]! / n[g]!;
          break;
        case 'stddev':
          v = Math.sqrt(value[g]! / n[g]!);
          break;
        case 'quantile':
          v = sampleQuantile(param![i]!, lists[g]!);
          break;
        default:
          v = value[g]!;
      }
      const out = outputs[g]!;
      out.values[i] = v;
      out.present[i] = 1;
    }
  }
  const result = outputs.filter((s) => pointCount(s) > 0);
  let points = 0;
  for (const s of result) points += pointCount(s);
  holdSamples(ev.state, points);
  return { kind: 'vector', series: result };
}

/** `topk`, `bottomk` and `limitk`: up to k input series per group and step. */
function selectK(
  ev: Evaluator,
  e: AggregateExpr,
  input: StepSeries[],
  param: Float64Array,
): StepSeries[] {
  const count = ev.grid.count;
  for (let i = 0; i < count; i++) {
    if (Number.isNaN(param[i]!)) throw executionError('Parameter value is NaN');
  }
  const { groupOf, labels } = buildGrouping(input, e);
  const members: number[][] = labels.map(() => []);
  input.forEach((_s, idx) => members[groupOf[idx]!]!.push(idx));
  const keep = input.map((s) => ev.newSeries(s.labels, s.dropName));
  // For instant queries the output order is the selection order (descending for topk).
  const order: number[] = [];
  const topk = e.op === 'topk';
  const better = (a: number, b: number): number => {
    // Negative when a should come first.
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    return topk ? b - a : a - b;
  };
  for (let i = 0; i < count; i++) {
    const k = Math.min(Math.trunc(param[i]!), input.length);
    if (!(k >= 1)) continue;
    for (const list of members) {
      const present = list.filter((idx) => input[idx]!.present[i]);
      let chosen: number[];
      if (e.op === 'limitk') chosen = present.slice(0, k);
      else {
        chosen = present
          .map((idx, pos) => ({ idx, pos, v: input[idx]!.values[i]! }))
          .sort((a, b) => better(a.v, b.v) || a.pos - b.pos)
          .slice(0, k)
          .map((x) => x.idx);
      }
      for (const idx of chosen) {
        keep[idx]!.values[i] = input[idx]!.values[i]!;
        keep[idx]!.present[i] = 1;
        if (count === 1) order.push(idx);
      }
    }
  }
  const result =
    count === 1 ? order.map((idx) => keep[idx]!) : keep.filter((s) => pointCount(s) > 0);
  let points = 0;
  for (const s of result) points += pointCount(s);
  holdSamples(ev.state, points);
  return result;
}

/** `count_values("label", v)`: how many series have each value, per group. */
function countValues(ev: Evaluator, e: AggregateExpr): EvalValue {
  const count = ev.grid.count;
  const valueLabel = ev.evalString(e.param!);
  if (!isValidLabelName(valueLabel)) {
    throw executionError(`invalid label name ${JSON.stringify(valueLabel)}`);
  }
  const input = ev.evalVector(e.expr);
  const names = new Set(e.grouping);
  if (!e.without) names.add(valueLabel);
  else names.add('__name__');
  const byKey = new Map<string, StepSeries>();
  const out: StepSeries[] = [];
  for (let i = 0; i < count; i++) {
    for (const s of input) {
      if (!s.present[i]) continue;
      const withValue = setLabel(s.labels, valueLabel, formatGoShortest(s.values[i]!));
      const labels = e.without ? withoutLabels(withValue, names) : keepLabels(withValue, names);
      const key = labelSetKey(labels);
      let target = byKey.get(key);
      if (target === undefined) {
        target = ev.newSeries(labels, false);
        byKey.set(key, target);
        out.push(target);
      }
      if (target.present[i]) target.values[i] = target.values[i]! + 1;
      else {
        target.values[i] = 1;
        target.present[i] = 1;
      }
    }
  }
  let points = 0;
  for (const s of out) points += pointCount(s);
  holdSamples(ev.state, points);
  return { kind: 'vector', series: out };
}
