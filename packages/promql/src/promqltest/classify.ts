import { PointKind, readQuoted } from './script.js';
import type { EvalCommand, LoadCommand, TestScript } from './script.js';

/**
 * Decides which evals of a test script the float-only, non-experimental
 * engine is held to, and why the others are skipped. Works on the query
 * text with a small lexer (strings and comments skipped), so it needs no
 * PromQL parser. Pure functions.
 */

/** Why an eval is not in scope. */
export type SkipReason = 'native-histogram' | 'experimental';

/** The classification of one eval. */
export type EvalScope =
  | { readonly scope: 'float' }
  | { readonly scope: 'skipped'; readonly reason: SkipReason; readonly detail: string };

/** What the lexer found in a query. */
export interface QueryFeatures {
  /** Names called as functions, lower-cased (identifier followed by `(`, not after `@`). */
  readonly calls: ReadonlySet<string>;
  /** Every identifier outside strings (metric names, label names, keywords, functions). */
  readonly identifiers: ReadonlySet<string>;
  /**
   * The selectors written in the query (also label names of `by (…)`
   * clauses, which read as name-only selectors: harmless over-approximation).
   */
  readonly selectors: readonly SelectorSketch[];
  /** Uses the histogram trim operators `</` or `>/`. */
  readonly trimOps: boolean;
  /** Uses the `anchored` / `smoothed` modifiers (after a range or an instant selector). */
  readonly extendedRange: boolean;
  /** Uses the `limitk` / `limit_ratio` aggregators. */
  readonly limitAggregators: boolean;
}

/** A vector selector as the lexer sees it: name and `{…}` matchers. */
export interface SelectorSketch {
  readonly name: string | undefined;
  /** `[label, op, value]`; undefined when the braces could not be read (matches anything). */
  readonly matchers: readonly (readonly [string, string, string])[] | undefined;
}

/** Experimental functions and call-like modifiers (§8 of the format). */
export const EXPERIMENTAL_CALLS: ReadonlySet<string> = new Set([
  'info',
  'histogram_quantiles',
  'double_exponential_smoothing',
  'mad_over_time',
  'ts_of_first_over_time',
  'ts_of_last_over_time',
  'ts_of_min_over_time',
  'ts_of_max_over_time',
  'sort_by_label',
  'sort_by_label_desc',
  'start_timestamp',
  'start',
  'end',
  'range',
  'step',
  'min_of',
  'max_of',
  'fill',
  'fill_left',
  'fill_right',
]);

/** Functions that only do something on native histograms. */
export const NATIVE_HISTOGRAM_CALLS: ReadonlySet<string> = new Set([
  'histogram_count',
  'histogram_sum',
  'histogram_avg',
  'histogram_stddev',
  'histogram_stdvar',
]);

/**
 * Calls that make a query time-dependent, so that the step-invariance re-run
 * (§7.2) is not done.
 */
export const TIME_DEPENDENT_CALLS: ReadonlySet<string> = new Set([
  'time',
  'timestamp',
  'minute',
  'hour',
  'day_of_week',
  'day_of_month',
  'day_of_year',
  'days_in_month',
  'month',
  'year',
  'predict_linear',
  'start',
  'end',
  'range',
  'step',
]);

/** Calls after which the range-mode re-run (§7.3) is not done. */
export const RANGE_DEPENDENT_CALLS: ReadonlySet<string> = new Set([
  'start',
  'end',
  'range',
  'step',
]);

const IDENT_RE = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;

/** Scans a query's text for the features {@link classifyEval} looks at. */
export function analyzeQuery(query: string): QueryFeatures {
  const calls = new Set<string>();
  const identifiers = new Set<string>();
  const selectors: SelectorSketch[] = [];
  let trimOps = false;
  let extendedRange = false;
  let limitAggregators = false;
  /** The last significant token: an identifier, or a one-character punctuation. */
  let prev = '';
  let prevIsIdent = false;
  let braceDepth = 0;

  const nextSignificant = (from: number): number => {
    let j = from;
    while (j < query.length && /\s/.test(query[j]!)) j++;
    return j;
  };

  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      const nl = query.indexOf('\n', i);
      i = nl < 0 ? query.length : nl + 1;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < query.length && query[j] !== c) j += query[j] === '\\' && c !== '`' ? 2 : 1;
      i = j + 1;
      prev = 'string';
      prevIsIdent = false;
      continue;
    }
    IDENT_RE.lastIndex = i;
    const m = /[a-zA-Z_:]/.test(c) ? IDENT_RE.exec(query) : null;
    if (m !== null) {
      const ident = m[0];
      identifiers.add(ident);
      const lower = ident.toLowerCase();
      const j = nextSignificant(IDENT_RE.lastIndex);
      const next = query[j];
      if (braceDepth === 0) {
        // Keywords (`STEP()`, `SUM`, `LIMITK`) are case-insensitive; names are lowered here.
        if (next === '(' && prev !== '@') calls.add(lower);
        else if (next === '{') {
          const sel = readMatchers(query, j);
          selectors.push({ name: ident, matchers: sel.matchers });
        } else if (!KEYWORDS.has(ident.toLowerCase()))
          selectors.push({ name: ident, matchers: [] });
        if (
          (lower === 'anchored' || lower === 'smoothed') &&
          /[\w\]})]$/.test(prev) &&
          next !== '(' &&
          next !== '{'
        ) {
          // After an operand (`x[5m] anchored`, `metric smoothed`, `x offset -100 smoothed`).
          extendedRange = true;
        }
        if (lower === 'limitk' || lower === 'limit_ratio') {
          const after = query.slice(j, j + 8);
          if (next === '(' || /^(by|without)\b/.test(after)) limitAggregators = true;
        }
      }
      prev = ident;
      prevIsIdent = true;
      i = IDENT_RE.lastIndex;
      continue;
    }
    if ((c === '<' || c === '>') && query[i + 1] === '/') {
      trimOps = true;
      i += 2;
      prev = c + '/';
      prevIsIdent = false;
      continue;
    }
    if (c === '{') {
      if (braceDepth === 0 && !prevIsIdent) {
        selectors.push({ name: undefined, matchers: readMatchers(query, i).matchers });
      }
      braceDepth++;
    } else if (c === '}') {
      braceDepth = Math.max(0, braceDepth - 1);
    }
    prev = c;
    prevIsIdent = false;
    i++;
  }
  return { calls, identifiers, selectors, trimOps, extendedRange, limitAggregators };
}

const KEYWORDS: ReadonlySet<string> = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'atan2',
  'anchored',
  'smoothed',
  'inf',
  'nan',
  'start',
  'end',
]);

/** Reads the `{…}` matchers starting at `query[open]` (best effort). */
function readMatchers(
  query: string,
  open: number,
): { matchers: [string, string, string][] | undefined } {
  const out: [string, string, string][] = [];
  let i = open + 1;
  const ws = (): void => {
    while (/\s/.test(query[i] ?? '')) i++;
  };
  ws();
  while (query[i] !== '}') {
    let name: string;
    const q = readQuoted(query, i);
    if (q !== undefined) {
      name = q.value;
      i = q.end;
    } else {
      const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(query.slice(i));
      if (m === null) return { matchers: undefined };
      name = m[0];
      i += name.length;
    }
    ws();
    if (query[i] === ',' || query[i] === '}') {
      out.push(['__name__', '=', name]);
    } else {
      const op = /^(=~|!~|!=|=)/.exec(query.slice(i))?.[0];
      if (op === undefined) return { matchers: undefined };
      i += op.length;
      ws();
      const v = readQuoted(query, i);
      if (v === undefined) return { matchers: undefined };
      out.push([name, op, v.value]);
      i = v.end;
      ws();
    }
    if (query[i] === ',') {
      i++;
      ws();
    } else if (query[i] !== '}') return { matchers: undefined };
  }
  return { matchers: out };
}

/** True when the selector could select a series with `labels` (a name → value record). */
export function selectorMayMatch(
  sel: SelectorSketch,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (sel.name !== undefined && labels['__name__'] !== sel.name) return false;
  if (sel.matchers === undefined) return true;
  for (const [name, op, value] of sel.matchers) {
    const actual = labels[name] ?? '';
    let ok: boolean;
    if (op === '=') ok = actual === value;
    else if (op === '!=') ok = actual !== value;
    else {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${value})$`, 's');
      } catch {
        return true;
      }
      ok = re.test(actual) === (op === '=~');
    }
    if (!ok) return false;
  }
  return true;
}

/**
 * The data an eval can see: what was loaded since the last `clear` before
 * it. Built by {@link classifyScript}.
 */
export interface EvalContext {
  /** Label sets (name → value, empty values dropped) of series with a `{{…}}` sample. */
  readonly histogramSeries: readonly Readonly<Record<string, string>>[];
  /**
   * Label sets of the NHCB series a `load_with_nhcb` block makes from its
   * classic `_bucket`/`_count`/`_sum` series: base name, labels without `le`.
   */
  readonly nhcbSeries: readonly Readonly<Record<string, string>>[];
  /** `@st` start-timestamp lines were loaded. */
  readonly startTimestamps: boolean;
}

/**
 * Classifies one eval (rules in order):
 *
 * 1. `native-histogram` when one of the query's selectors (name and `{…}`
 *    matchers, read by the lexer) matches a histogram series of its
 *    context: a series loaded with a `{{…}}` sample, or an NHCB series made
 *    by `load_with_nhcb` (base name, labels without `le`; the classic float
 *    series of such a block stay in scope); when the expected output holds a
 *    histogram; or when the query uses a native-only function or a trim
 *    operator `</`, `>/`.
 * 2. `experimental` when the query uses an experimental function
 *    (including `limitk`/`limit_ratio`, `fill*` modifiers, `step()` etc.),
 *    an `anchored`/`smoothed` range, or the context has `@st` start
 *    timestamps.
 * 3. otherwise `float`: in scope.
 */
export function classifyEval(ev: EvalCommand, ctx: EvalContext): EvalScope {
  const f = analyzeQuery(ev.expr);
  for (const series of ctx.histogramSeries) {
    const sel = f.selectors.find((x) => selectorMayMatch(x, series));
    if (sel !== undefined) {
      return skipped('native-histogram', `query can read histogram series ${sel.name ?? '{…}'}`);
    }
  }
  for (const series of ctx.nhcbSeries) {
    const sel = f.selectors.find((x) => selectorMayMatch(x, series));
    if (sel !== undefined) {
      return skipped('native-histogram', `query can read NHCB series ${sel.name ?? '{…}'}`);
    }
  }
  if (ev.expected.some((s) => s.values.kinds.includes(PointKind.Histogram))) {
    return skipped('native-histogram', 'expected output holds histograms');
  }
  for (const name of f.calls) {
    if (NATIVE_HISTOGRAM_CALLS.has(name)) return skipped('native-histogram', `uses ${name}()`);
  }
  if (f.trimOps) return skipped('native-histogram', 'uses a histogram trim operator');
  for (const name of f.calls) {
    if (EXPERIMENTAL_CALLS.has(name)) return skipped('experimental', `uses ${name}()`);
  }
  if (f.limitAggregators) return skipped('experimental', 'uses limitk/limit_ratio');
  if (f.extendedRange) return skipped('experimental', 'uses anchored/smoothed ranges');
  if (ctx.startTimestamps) return skipped('experimental', 'context has @st start timestamps');
  return { scope: 'float' };
}

function skipped(reason: SkipReason, detail: string): EvalScope {
  return { scope: 'skipped', reason, detail };
}

/**
 * Classifies every eval of a script, in order, each against the data loaded
 * since the last `clear` before it. Returns a map from eval to its scope.
 */
export function classifyScript(script: TestScript): Map<EvalCommand, EvalScope> {
  const out = new Map<EvalCommand, EvalScope>();
  let startTimestamps = false;
  let histogramSeries: Record<string, string>[] = [];
  let nhcbSeries: Record<string, string>[] = [];
  for (const cmd of script.commands) {
    if (cmd.type === 'clear') {
      startTimestamps = false;
      histogramSeries = [];
      nhcbSeries = [];
    } else if (cmd.type === 'load') {
      if (cmd.withNhcb) nhcbSeries.push(...nhcbSeriesOf(cmd));
      if (cmd.startTimestampLines > 0) startTimestamps = true;
      for (const s of cmd.series) {
        if (!s.values.kinds.includes(PointKind.Histogram)) continue;
        const record: Record<string, string> = {};
        for (const [n, v] of s.labels) if (v !== '') record[n] = v;
        histogramSeries.push(record);
      }
    } else {
      out.set(
        cmd,
        classifyEval(cmd, {
          histogramSeries: [...histogramSeries],
          nhcbSeries: [...nhcbSeries],
          startTimestamps,
        }),
      );
    }
  }
  return out;
}

/** The NHCB series (base name, labels without `le`) a `load_with_nhcb` block creates. */
function nhcbSeriesOf(cmd: LoadCommand): Record<string, string>[] {
  const out = new Map<string, Record<string, string>>();
  for (const s of cmd.series) {
    const record: Record<string, string> = {};
    for (const [n, v] of s.labels) if (v !== '' && n !== 'le') record[n] = v;
    const name = record['__name__'] ?? '';
    const base = name.replace(/_(bucket|count|sum)$/, '');
    if (base === name || base === '') continue;
    record['__name__'] = base;
    out.set(JSON.stringify(Object.entries(record).sort()), record);
  }
  return [...out.values()];
}
