import type { AtModifier, BinaryExpr, DurationValue, Expr, VectorSelector } from './ast.js';
import type { LabelMatcher } from '@vigil/model';
import { goQuote } from './strings.js';
import { formatGoShortest } from '@vigil/model';

/** Prometheus's `Pretty()` line limit, in bytes. */
const MAX_LINE_BYTES = 100;
const INDENT = '  ';
const encoder = new TextEncoder();

/**
 * Prometheus's canonical single-line form of an expression (its `String()`,
 * what `promtool` and `/api/v1/format_query` build on): `sum by (job) (x)`,
 * selectors with sorted matchers, durations as `1h30m`, offsets after `@`.
 * Duration expressions that depend on the query (`[step() + 1]`) print as an
 * expression; literal ones were folded by the parser and print as a duration.
 * Pure; safe to call concurrently.
 */
export function formatExpr(expr: Expr): string {
  switch (expr.type) {
    case 'NumberLiteral':
      return formatGoShortest(expr.value);
    case 'StringLiteral':
      return goQuote(expr.value);
    case 'VectorSelector':
      return formatSelector(expr, true);
    case 'MatrixSelector': {
      const vs = expr.vector;
      const mod = expr.modifier === undefined ? '' : ` ${expr.modifier}`;
      return `${formatSelector(vs, false)}[${formatDuration(expr.range)}]${mod}${formatAt(vs.at)}${formatOffset(vs.offset)}`;
    }
    case 'SubqueryExpr':
      return `${formatExpr(expr.expr)}${subquerySuffix(expr)}`;
    case 'ParenExpr':
      return `(${formatExpr(expr.expr)})`;
    case 'UnaryExpr':
      return `${expr.op}${formatExpr(expr.expr)}`;
    case 'BinaryExpr':
      return `${formatExpr(expr.lhs)} ${binaryOpSuffix(expr)} ${formatExpr(expr.rhs)}`;
    case 'AggregateExpr': {
      const param = expr.param === undefined ? '' : `${formatExpr(expr.param)}, `;
      return `${aggregateHead(expr.op, expr.grouping, expr.without)}(${param}${formatExpr(expr.expr)})`;
    }
    case 'Call':
      return `${expr.func.name}(${expr.args.map(formatExpr).join(', ')})`;
  }
}

/**
 * Prometheus's `Pretty()` multi-line form, as `/api/v1/format_query`
 * returns it: a node whose single-line form is longer than 100 bytes is
 * split, its children indented two spaces per level. Pure.
 */
export function prettyExpr(expr: Expr): string {
  return pretty(expr, 0);
}

function indent(level: number): string {
  return INDENT.repeat(level);
}

function needsSplit(expr: Expr): boolean {
  return encoder.encode(formatExpr(expr)).length > MAX_LINE_BYTES;
}

function pretty(expr: Expr, level: number): string {
  const pad = indent(level);
  switch (expr.type) {
    case 'AggregateExpr': {
      if (!needsSplit(expr)) return pad + formatExpr(expr);
      let s = `${pad}${aggregateHead(expr.op, expr.grouping, expr.without)}(\n`;
      if (expr.param !== undefined) s += `${pretty(expr.param, level + 1)},\n`;
      return `${s}${pretty(expr.expr, level + 1)}\n${pad})`;
    }
    case 'BinaryExpr': {
      if (!needsSplit(expr)) return pad + formatExpr(expr);
      return `${pretty(expr.lhs, level + 1)}\n${pad}${binaryOpSuffix(expr)}\n${pretty(expr.rhs, level + 1)}`;
    }
    case 'Call': {
      if (!needsSplit(expr)) return pad + formatExpr(expr);
      const args = expr.args.map((a) => pretty(a, level + 1)).join(',\n');
      return `${pad}${expr.func.name}(\n${args}\n${pad})`;
    }
    case 'ParenExpr':
      if (!needsSplit(expr)) return pad + formatExpr(expr);
      return `${pad}(\n${pretty(expr.expr, level + 1)}\n${pad})`;
    case 'SubqueryExpr':
      // As upstream: an unsplit subquery is not indented.
      if (!needsSplit(expr)) return formatExpr(expr);
      return `${pretty(expr.expr, level)}${subquerySuffix(expr)}`;
    case 'UnaryExpr':
      return `${pad}${expr.op}${pretty(expr.expr, level).trim()}`;
    default:
      return pad + formatExpr(expr);
  }
}

/** `sum`, `sum by (a) `, `sum without () ` — the aggregation up to its `(`. */
function aggregateHead(op: string, grouping: readonly string[], without: boolean): string {
  if (without) return `${op} without (${formatLabelList(grouping)}) `;
  if (grouping.length > 0) return `${op} by (${formatLabelList(grouping)}) `;
  return op;
}

const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function formatLabelList(labels: readonly string[]): string {
  return labels.map((l) => (LEGACY_LABEL.test(l) ? l : goQuote(l))).join(', ');
}

/** The operator with `bool`, matching and fill modifiers: `+ on (a) group_left (b)`. */
function binaryOpSuffix(e: BinaryExpr): string {
  let s: string = e.op;
  if (e.returnBool) s += ' bool';
  const m = e.matching;
  if (m !== undefined) {
    const grouped = m.card === 'many-to-one' || m.card === 'one-to-many';
    if (m.labels.length > 0 || m.on || grouped) {
      s += ` ${m.on ? 'on' : 'ignoring'} (${formatLabelList(m.labels)})`;
    }
    if (grouped) {
      s += ` group_${m.card === 'many-to-one' ? 'left' : 'right'} (${formatLabelList(m.include)})`;
    }
  }
  const f = e.fill;
  if (f !== undefined && (f.lhs !== undefined || f.rhs !== undefined)) {
    if (f.lhs !== undefined && f.rhs !== undefined && Object.is(f.lhs, f.rhs)) {
      s += ` fill (${formatGoFloatV(f.lhs)})`;
    } else {
      if (f.lhs !== undefined) s += ` fill_left (${formatGoFloatV(f.lhs)})`;
      if (f.rhs !== undefined) s += ` fill_right (${formatGoFloatV(f.rhs)})`;
    }
  }
  return s;
}

/** A label matcher as Prometheus prints it: `name="value"`, the name quoted when not a legacy name. */
export function formatMatcher(m: LabelMatcher): string {
  const name = LEGACY_LABEL.test(m.name) ? m.name : goQuote(m.name);
  return `${name}${m.type}${goQuote(m.value)}`;
}

function formatSelector(vs: VectorSelector, withModifiers: boolean): string {
  const parts: string[] = [];
  for (const m of vs.matchers) {
    if (m.name === '__name__' && m.type === '=' && m.value === vs.name && m.value !== '') continue;
    parts.push(formatMatcher(m));
  }
  parts.sort(compareBytes);
  let s = vs.name ?? '';
  if (parts.length > 0) s += `{${parts.join(',')}}`;
  if (withModifiers) {
    s += formatAt(vs.at);
    if (vs.modifier !== undefined) s += ` ${vs.modifier}`;
    s += formatOffset(vs.offset);
  }
  return s;
}

/** Go's `sort.Strings` order (UTF-8 bytes), which is code-point order. */
function compareBytes(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i]?.codePointAt(0) ?? 0;
    const y = cb[i]?.codePointAt(0) ?? 0;
    if (x !== y) return x - y;
  }
  return ca.length - cb.length;
}

function subquerySuffix(e: {
  readonly range: DurationValue;
  readonly step: DurationValue | undefined;
  readonly at: AtModifier | undefined;
  readonly offset: DurationValue | undefined;
}): string {
  let step = '';
  if (e.step !== undefined && !(e.step.kind === 'literal' && e.step.ms === 0)) {
    step = formatDuration(e.step);
  }
  return `[${formatDuration(e.range)}:${step}]${formatAt(e.at)}${formatOffset(e.offset)}`;
}

function formatAt(at: AtModifier | undefined): string {
  if (at === undefined) return '';
  if (at.kind === 'start') return ' @ start()';
  if (at.kind === 'end') return ' @ end()';
  return ` @ ${(at.ms / 1000).toFixed(3)}`;
}

function formatOffset(offset: DurationValue | undefined): string {
  if (offset === undefined) return '';
  if (offset.kind === 'expression') return ` offset ${formatDurationExpr(offset.expr)}`;
  if (offset.ms > 0) return ` offset ${formatPromDuration(offset.ms)}`;
  if (offset.ms < 0) return ` offset -${formatPromDuration(-offset.ms)}`;
  return '';
}

function formatDuration(d: DurationValue): string {
  if (d.kind === 'expression') return formatDurationExpr(d.expr);
  return d.ms < 0 ? `-${formatPromDuration(-d.ms)}` : formatPromDuration(d.ms);
}

/** A duration expression: numbers are seconds, calls are step(), range(), min_of(), max_of(). */
function formatDurationExpr(e: Expr): string {
  switch (e.type) {
    case 'BinaryExpr':
      return `${formatDurationExpr(e.lhs)} ${e.op} ${formatDurationExpr(e.rhs)}`;
    case 'UnaryExpr':
      return `${e.op}${formatDurationExpr(e.expr)}`;
    case 'ParenExpr':
      return `(${formatDurationExpr(e.expr)})`;
    case 'Call':
      return `${e.func.name}(${e.args.map(formatDurationExpr).join(', ')})`;
    default:
      return formatExpr(e);
  }
}

const UNITS: ReadonlyArray<readonly [string, number, boolean]> = [
  ['y', 365 * 24 * 3600 * 1000, true],
  ['w', 7 * 24 * 3600 * 1000, true],
  ['d', 24 * 3600 * 1000, false],
  ['h', 3600 * 1000, false],
  ['m', 60 * 1000, false],
  ['s', 1000, false],
  ['ms', 1, false],
];

/**
 * Prometheus's `model.Duration.String()` of a non-negative duration in ms:
 * `1h30m`, `90d` (years and weeks only when exact), `0s` for zero.
 */
export function formatPromDuration(totalMs: number): string {
  let ms = Math.trunc(totalMs);
  if (ms === 0) return '0s';
  let out = '';
  for (const [unit, mult, exact] of UNITS) {
    if (exact && ms % mult !== 0) continue;
    const v = Math.floor(ms / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      ms -= v * mult;
    }
  }
  return out;
}

/** Go's `%v` of a float64 (`%g` with the shortest digits: `1e+06`, `0.5`, `NaN`, `+Inf`). */
function formatGoFloatV(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant = '', e = '0'] = v.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) {
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return formatGoShortest(v);
}
