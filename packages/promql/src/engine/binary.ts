import { labelValue, type SeriesLabels } from '@vigil/storage';
import { setLabel } from '../functions/index.js';
import type { BinaryExpr, BinaryOp, VectorMatching } from '../parser/ast.js';
import {
  DUPLICATE_LABELSET,
  checkInterrupt,
  executionError,
  holdSamples,
  type Evaluator,
} from './evaluator.js';
import {
  dropNameLabels,
  formatLabels,
  keepLabels,
  labelSetKey,
  signature,
  withoutLabels,
} from './labels.js';
import { pointCount, type EvalValue, type StepSeries } from './types.js';

/**
 * Binary operators: scalar/scalar, vector/scalar and vector/vector with
 * Prometheus's matching rules, evaluated over every step at once. Label
 * signatures are computed once per series; uniqueness rules are checked per
 * step, as Prometheus checks them per evaluation.
 */

const COMPARISON: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);

/** Arithmetic as Go's `math` does it (`math.Pow` and `math.Mod` special cases). */
export function arithmetic(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw executionError(`operator "${op}" is not an arithmetic operator`);
  }
}

/** Go's math.Pow differs from Math.pow for a base of ±1 with NaN or infinite exponents. */
function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/** The result of a comparison operator. */
export function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
    default:
      throw executionError(`operator "${op}" is not a comparison operator`);
  }
}

/** Evaluates a binary expression. */
export function evalBinary(ev: Evaluator, e: BinaryExpr): EvalValue {
  if (e.op === '</' || e.op === '>/') {
    throw executionError(
      `operator "${e.op}" only works on native histograms, which this engine does not store`,
    );
  }
  const lhs = ev.eval(e.lhs);
  const rhs = ev.eval(e.rhs);
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    const out = new Float64Array(lhs.values.length);
    const isCmp = COMPARISON.has(e.op);
    for (let i = 0; i < out.length; i++) {
      const l = lhs.values[i]!;
      const r = rhs.values[i]!;
      out[i] = isCmp ? (compare(e.op, l, r) ? 1 : 0) : arithmetic(e.op, l, r);
    }
    return { kind: 'scalar', values: out };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'scalar') {
    return { kind: 'vector', series: vectorScalar(e, lhs.series, rhs.values, false) };
  }
  if (lhs.kind === 'scalar' && rhs.kind === 'vector') {
    return { kind: 'vector', series: vectorScalar(e, rhs.series, lhs.values, true) };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'vector') {
    const matching: VectorMatching = e.matching ?? {
      card: SET_OPS.has(e.op) ? 'many-to-many' : 'one-to-one',
      on: false,
      labels: [],
      include: [],
    };
    if (e.fill !== undefined && (e.fill.lhs !== undefined || e.fill.rhs !== undefined)) {
      throw executionError('fill modifiers are not supported by this engine yet');
    }
    const count = ev.grid.count;
    let out: StepSeries[];
    switch (e.op) {
      case 'and':
        out = setAnd(lhs.series, rhs.series, matching, count, false);
        break;
      case 'unless':
        out = setAnd(lhs.series, rhs.series, matching, count, true);
        break;
      case 'or':
        out = setOr(lhs.series, rhs.series, matching, count);
        break;
      default:
        out = vectorVector(ev, e, lhs.series, rhs.series, matching);
    }
    return { kind: 'vector', series: out };
  }
  throw executionError(
    `binary expression must contain only scalar and instant vector types, got ${lhs.kind} and ${rhs.kind}`,
  );
}

function vectorScalar(
  e: BinaryExpr,
  vector: StepSeries[],
  scalar: Float64Array,
  scalarOnLeft: boolean,
): StepSeries[] {
  const isCmp = COMPARISON.has(e.op);
  const out: StepSeries[] = [];
  for (const s of vector) {
    let kept = 0;
    for (let i = 0; i < s.values.length; i++) {
      if (!s.present[i]) continue;
      const v = s.values[i]!;
      const c = scalar[i]!;
      const l = scalarOnLeft ? c : v;
      const r = scalarOnLeft ? v : c;
      if (isCmp) {
        const keep = compare(e.op, l, r);
        if (e.returnBool) s.values[i] = keep ? 1 : 0;
        else if (!keep) {
          s.present[i] = 0;
          continue;
        }
      } else {
        s.values[i] = arithmetic(e.op, l, r);
      }
      kept++;
    }
    if (!isCmp || e.returnBool) s.dropName = true;
    if (kept > 0) out.push(s);
  }
  return out;
}

function signatures(series: StepSeries[], matching: VectorMatching): string[] {
  const names = new Set(matching.labels);
  return series.map((s) => signature(s.labels, matching.on, names));
}

function groupBySignature(sigs: string[]): Map<string, number[]> {
  const map = new Map<string, number[]>();
  sigs.forEach((sig, idx) => {
    const list = map.get(sig);
    if (list === undefined) map.set(sig, [idx]);
    else list.push(idx);
  });
  return map;
}

/** `and` (or, with `invert`, `unless`): the lhs where some rhs series with its signature exists. */
function setAnd(
  lhs: StepSeries[],
  rhs: StepSeries[],
  matching: VectorMatching,
  count: number,
  invert: boolean,
): StepSeries[] {
  const rhsBySig = groupBySignature(signatures(rhs, matching));
  const lhsSigs = signatures(lhs, matching);
  const out: StepSeries[] = [];
  lhs.forEach((l, idx) => {
    const partners = rhsBySig.get(lhsSigs[idx]!) ?? [];
    for (let i = 0; i < count; i++) {
      if (!l.present[i]) continue;
      let matched = false;
      for (const r of partners) {
        if (rhs[r]!.present[i]) {
          matched = true;
          break;
        }
      }
      if (matched === invert) l.present[i] = 0;
    }
    if (pointCount(l) > 0) out.push(l);
  });
  return out;
}

/** `or`: all of the lhs, plus the rhs where no lhs series with its signature exists. */
function setOr(
  lhs: StepSeries[],
  rhs: StepSeries[],
  matching: VectorMatching,
  count: number,
): StepSeries[] {
  const lhsBySig = groupBySignature(signatures(lhs, matching));
  const rhsSigs = signatures(rhs, matching);
  const out: StepSeries[] = [...lhs];
  rhs.forEach((r, idx) => {
    const partners = lhsBySig.get(rhsSigs[idx]!) ?? [];
    for (let i = 0; i < count; i++) {
      if (!r.present[i]) continue;
      for (const l of partners) {
        if (lhs[l]!.present[i]) {
          r.present[i] = 0;
          break;
        }
      }
    }
    if (pointCount(r) > 0) out.push(r);
  });
  return out;
}

const ARITHMETIC_CHANGES_SCHEMA: ReadonlySet<BinaryOp> = new Set([
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  'atan2',
]);

function resultLabels(
  op: BinaryOp,
  many: SeriesLabels,
  one: SeriesLabels,
  matching: VectorMatching,
  matchNames: ReadonlySet<string>,
): SeriesLabels {
  let labels = many;
  if (ARITHMETIC_CHANGES_SCHEMA.has(op)) labels = dropNameLabels(labels);
  if (matching.card === 'one-to-one') {
    labels = matching.on ? keepLabels(labels, matchNames) : withoutLabels(labels, matchNames);
  }
  for (const name of matching.include) {
    labels = setLabel(labels, name, labelValue(one, name));
  }
  return labels;
}

/** Arithmetic and comparison operators between two instant vectors. */
function vectorVector(
  ev: Evaluator,
  e: BinaryExpr,
  lhs: StepSeries[],
  rhs: StepSeries[],
  matching: VectorMatching,
): StepSeries[] {
  const count = ev.grid.count;
  const swapped = matching.card === 'one-to-many';
  const many = swapped ? rhs : lhs;
  const one = swapped ? lhs : rhs;
  const manySigs = signatures(many, matching);
  const oneSigs = signatures(one, matching);
  const oneBySig = groupBySignature(oneSigs);
  const manyBySig = groupBySignature(manySigs);
  const matchNames = new Set(matching.labels);
  const isCmp = COMPARISON.has(e.op);

  // Per-step uniqueness checks, only for signatures shared by several series.
  for (const [sig, list] of oneBySig) {
    if (list.length < 2) continue;
    for (let i = 0; i < count; i++) {
      const presentHere = list.filter((idx) => one[idx]!.present[i]);
      if (presentHere.length > 1) {
        const side = swapped ? 'left' : 'right';
        const a = one[presentHere[0]!]!.labels;
        const b = one[presentHere[1]!]!.labels;
        const group = matching.on
          ? keepLabels(a, matchNames)
          : withoutLabels(dropNameLabels(a), matchNames);
        throw executionError(
          `found duplicate series for the match group ${formatLabels(group)} on the ${side} hand-side of the operation: [${formatLabels(a)}, ${formatLabels(b)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
    }
    void sig;
  }
  if (matching.card === 'one-to-one') {
    for (const [sig, list] of manyBySig) {
      if (list.length < 2 || !oneBySig.has(sig)) continue;
      const partners = oneBySig.get(sig)!;
      for (let i = 0; i < count; i++) {
        if (!partners.some((p) => one[p]!.present[i])) continue;
        let n = 0;
        for (const idx of list) n += many[idx]!.present[i]!;
        if (n > 1) {
          throw executionError(
            'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
          );
        }
      }
    }
  }

  const outByKey = new Map<string, StepSeries>();
  const out: StepSeries[] = [];
  const pairLabels = new Map<number, SeriesLabels>();
  many.forEach((m, mi) => {
    checkInterrupt(ev.state);
    const partners = oneBySig.get(manySigs[mi]!);
    if (partners === undefined) return;
    for (let i = 0; i < count; i++) {
      if (!m.present[i]) continue;
      let oi = -1;
      for (const p of partners) {
        if (one[p]!.present[i]) {
          oi = p;
          break;
        }
      }
      if (oi < 0) continue;
      const o = one[oi]!;
      const fl = swapped ? o.values[i]! : m.values[i]!;
      const fr = swapped ? m.values[i]! : o.values[i]!;
      let value: number;
      if (isCmp) {
        const keep = compare(e.op, fl, fr);
        if (e.returnBool) value = keep ? 1 : 0;
        else if (!keep) continue;
        else value = fl;
      } else {
        value = arithmetic(e.op, fl, fr);
      }
      let labels = pairLabels.get(oi);
      if (labels === undefined) {
        labels = resultLabels(e.op, m.labels, o.labels, matching, matchNames);
        pairLabels.set(oi, labels);
      }
      const key = labelSetKey(labels);
      let target = outByKey.get(key);
      if (target === undefined) {
        target = ev.newSeries(labels, e.returnBool);
        outByKey.set(key, target);
        out.push(target);
      } else if (target.present[i]) {
        throw executionError(
          matching.card === 'one-to-one'
            ? DUPLICATE_LABELSET
            : 'multiple matches for labels: grouping labels must ensure unique matches',
        );
      }
      target.values[i] = value;
      target.present[i] = 1;
    }
    pairLabels.clear();
  });
  let points = 0;
  for (const s of out) points += pointCount(s);
  holdSamples(ev.state, points);
  return out;
}
