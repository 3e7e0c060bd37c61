import { ErrorCodes, STALE_NAN, VigilError } from '@vigil/model';

/**
 * Reader for the upstream PromQL test-script format (`*.test` files), as
 * described in docs/promql-test-format.md (shared with the conformance
 * suite): line handling, durations, `load`, `clear`, `eval` headers and
 * bodies, and the series notation. Pure functions; safe to call from
 * anywhere.
 */

/** Kind of one position of a series line: no sample, a float, a native histogram. */
export const PointKind = Object.freeze({ Missing: 0, Float: 1, Histogram: 2 } as const);
/** One of the {@link PointKind} values. */
export type PointKind = (typeof PointKind)[keyof typeof PointKind];

/**
 * The values of a series line, one entry per position (sample *i* sits at
 * `i × interval` in a load, at `start + i × step` in a range eval). Floats
 * are kept in a `Float64Array` so that a staleness marker keeps its bits.
 * Histogram literals are recognised, not evaluated: `histograms` keeps
 * their text.
 */
export interface SeriesValues {
  readonly kinds: Uint8Array;
  /** The float at each `Float` position (0 elsewhere). */
  readonly values: Float64Array;
  /** The literal text at each `Histogram` position (`''` elsewhere). */
  readonly histograms: readonly string[];
}

/** One line of series notation: a label set and its values. */
export interface SeriesLine {
  /** Label pairs as written (not sorted, may include `__name__`, empty values kept). */
  readonly labels: readonly (readonly [string, string])[];
  readonly values: SeriesValues;
  /** 1-based line number in the file. */
  readonly line: number;
}

/** A `load` / `load_with_nhcb` block. */
export interface LoadCommand {
  readonly type: 'load';
  readonly line: number;
  readonly intervalMs: number;
  /** True for `load_with_nhcb` (classic histograms also loaded as NHCB). */
  readonly withNhcb: boolean;
  readonly series: readonly SeriesLine[];
  /** Number of `@st` (start-timestamp) lines in the block; they are recognised, not loaded. */
  readonly startTimestampLines: number;
}

/** `clear`: drops all data. */
export interface ClearCommand {
  readonly type: 'clear';
  readonly line: number;
}

/** One `expect warn|info …` line (or the implied one of `eval_warn`/`eval_info`). */
export interface AnnotationExpectation {
  /** Exact full text (`PromQL warning: msg (L:C)`), a regex, or undefined for "any". */
  readonly message?: string;
  readonly regex?: RegExp;
  readonly line: number;
}

/** What an eval expects about failure. */
export interface FailExpectation {
  readonly message?: string;
  readonly regex?: RegExp;
}

/** An `eval instant` / `eval range` block. */
export interface EvalCommand {
  readonly type: 'eval';
  readonly line: number;
  readonly kind: 'instant' | 'range';
  /** The header line as written (trimmed). */
  readonly header: string;
  /** The query text, as written after the header's time arguments. */
  readonly expr: string;
  /** Instant evals: the evaluation time, ms. */
  readonly timeMs: number;
  /** Range evals: start, end and step, ms (instant: `timeMs`, `timeMs`, 0). */
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  readonly fail: FailExpectation | undefined;
  /** `expect warn` lines; `undefined` when warnings are not checked. */
  readonly warn: readonly AnnotationExpectation[] | undefined;
  readonly noWarn: boolean;
  readonly info: readonly AnnotationExpectation[] | undefined;
  readonly noInfo: boolean;
  readonly ordered: boolean;
  /** `expect range vector from … to … step …` (instant evals returning a matrix). */
  readonly rangeVector: { startMs: number; endMs: number; stepMs: number } | undefined;
  /** `expect string "…"`. */
  readonly expectedString: string | undefined;
  /** A scalar result line (the value is in a Float64Array to keep NaN bits). */
  readonly expectedScalar: Float64Array | undefined;
  /** Expected series. */
  readonly expected: readonly SeriesLine[];
}

/** Any script command. */
export type Command = LoadCommand | ClearCommand | EvalCommand;

/** A parsed test script. */
export interface TestScript {
  readonly fileName: string;
  readonly commands: readonly Command[];
}

/** Builds the error for a broken script, naming the file and the 1-based line. */
export function scriptError(fileName: string, line: number, message: string): VigilError {
  return new VigilError(ErrorCodes.PROMQL_PARSE, `${fileName}:${line}: ${message}`, {
    details: { fileName, line },
  });
}

const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const DURATION_PART_RE = /(\d+)(ms|y|w|d|h|m|s)/y;

/**
 * Parses a script duration (`5m`, `1h30m`, `10s53ms`, bare `0`) into ms.
 * Units largest first, each at most once; no sign, no fraction. Returns
 * undefined when `text` is not a duration.
 */
export function parseScriptDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  DURATION_PART_RE.lastIndex = 0;
  let total = 0;
  let lastUnit = -1;
  while (DURATION_PART_RE.lastIndex < text.length) {
    const m = DURATION_PART_RE.exec(text);
    if (m === null) return undefined;
    const unit = DURATION_UNITS.findIndex(([u]) => u === m[2]);
    if (unit <= lastUnit) return undefined;
    lastUnit = unit;
    total += Number(m[1]) * DURATION_UNITS[unit]![1];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Parses a signed duration (`-59999ms`, `+30s`, `-1m`) for `@st` lines. */
function parseSignedDuration(text: string): number | undefined {
  if (text.startsWith('-')) {
    const d = parseScriptDuration(text.slice(1));
    return d === undefined ? undefined : -d;
  }
  return parseScriptDuration(text.startsWith('+') ? text.slice(1) : text);
}

const FLOAT_RE = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan)$/i;
const HEX_RE = /^[+-]?0x[0-9a-f]+$/i;
const OCTAL_RE = /^[+-]?0o?[0-7]+$/i;

function parseFloatToken(text: string): number | undefined {
  if (!FLOAT_RE.test(text)) return undefined;
  const body = text.replace(/^[+-]/, '');
  const neg = text.startsWith('-');
  const lower = body.toLowerCase();
  let v: number;
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === 'infinity') v = Infinity;
  else v = Number(body);
  return neg ? -v : v;
}

/**
 * Parses a result line that is a whole number (§5.2 rule 5): integers
 * (also hex `0x…` and octal), decimals, exponents, `Inf`/`NaN` in any case.
 * Returns undefined when the text is not a number.
 */
export function parseScalarLine(text: string): number | undefined {
  if (HEX_RE.test(text)) {
    const neg = text.startsWith('-');
    const v = Number.parseInt(text.replace(/^[+-]?0x/i, ''), 16);
    return neg ? -v : v;
  }
  if (OCTAL_RE.test(text) && /^[+-]?0o?\d/.test(text) && text.replace(/^[+-]/, '').length > 1) {
    const neg = text.startsWith('-');
    const v = Number.parseInt(text.replace(/^[+-]?0o?/i, ''), 8);
    return neg ? -v : v;
  }
  return parseFloatToken(text);
}

const GO_SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/**
 * Reads a Go-quoted string literal starting at `text[start]` (`"…"`, `'…'`
 * with escapes, or `` `…` `` raw). Returns the value and the index after the
 * closing quote, or undefined when it is not terminated or has a bad escape.
 */
export function readQuoted(
  text: string,
  start: number,
): { value: string; end: number } | undefined {
  const quote = text[start];
  if (quote !== '"' && quote !== "'" && quote !== '`') return undefined;
  let i = start + 1;
  if (quote === '`') {
    const close = text.indexOf('`', i);
    return close < 0 ? undefined : { value: text.slice(i, close), end: close + 1 };
  }
  let out = '';
  const bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === quote) {
      flushBytes();
      return { value: out, end: i + 1 };
    }
    if (c !== '\\') {
      flushBytes();
      out += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) return undefined;
    const simple = GO_SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      flushBytes();
      out += simple;
      i += 2;
    } else if (e === 'x' || /[0-7]/.test(e)) {
      const hex = e === 'x';
      const digits = hex ? text.slice(i + 2, i + 4) : text.slice(i + 1, i + 4);
      if (!(hex ? /^[0-9a-fA-F]{2}$/ : /^[0-7]{3}$/).test(digits)) return undefined;
      bytes.push(Number.parseInt(digits, hex ? 16 : 8));
      i += hex ? 4 : 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const digits = text.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) return undefined;
      flushBytes();
      out += String.fromCodePoint(Number.parseInt(digits, 16));
      i += 2 + n;
    } else {
      return undefined;
    }
  }
  return undefined;
}

const METRIC_NAME_RE = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME_RE = /[a-zA-Z_][a-zA-Z0-9_]*/y;

function skipSpaces(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

/**
 * Parses the series part of a series line (`name`, `name{a="b"}`, `{a="b"}`,
 * `{}`, `{"quoted.name", a="b"}`) starting at `text[0]`. Returns the label
 * pairs (including `__name__` when a name is given) and the index after it.
 * Throws a plain `Error` describing the problem.
 */
export function parseSeriesDesc(text: string): {
  labels: [string, string][];
  end: number;
} {
  const labels: [string, string][] = [];
  let i = 0;
  METRIC_NAME_RE.lastIndex = 0;
  const nameMatch = METRIC_NAME_RE.exec(text);
  if (nameMatch !== null) {
    labels.push(['__name__', nameMatch[0]]);
    i = METRIC_NAME_RE.lastIndex;
    const j = skipSpaces(text, i);
    if (text[j] !== '{' || text[j + 1] === '{') return { labels, end: i };
    i = j;
  }
  if (text[i] !== '{') throw new Error(`expected a metric name or "{" in ${JSON.stringify(text)}`);
  i = skipSpaces(text, i + 1);
  while (text[i] !== '}') {
    let name: string;
    if (text[i] === '"' || text[i] === "'" || text[i] === '`') {
      const q = readQuoted(text, i);
      if (q === undefined) throw new Error(`bad quoted label name in ${JSON.stringify(text)}`);
      i = skipSpaces(text, q.end);
      if (text[i] === ',' || text[i] === '}') {
        // A quoted metric name: {"my.metric", a="b"}.
        labels.push(['__name__', q.value]);
        if (text[i] === ',') i = skipSpaces(text, i + 1);
        continue;
      }
      name = q.value;
    } else {
      LABEL_NAME_RE.lastIndex = i;
      const m = LABEL_NAME_RE.exec(text);
      if (m === null) throw new Error(`expected a label name at ${JSON.stringify(text.slice(i))}`);
      name = m[0];
      i = skipSpaces(text, LABEL_NAME_RE.lastIndex);
    }
    if (text[i] !== '=' || text[i + 1] === '=' || text[i + 1] === '~') {
      throw new Error(`expected "=" after label ${name} (only "=" is allowed in series notation)`);
    }
    i = skipSpaces(text, i + 1);
    const v = readQuoted(text, i);
    if (v === undefined) throw new Error(`expected a quoted value for label ${name}`);
    labels.push([name, v.value]);
    i = skipSpaces(text, v.end);
    if (text[i] === ',') i = skipSpaces(text, i + 1);
    else if (text[i] !== '}') {
      throw new Error(`expected "," or "}" after label ${name} in ${JSON.stringify(text)}`);
    }
    if (i >= text.length) throw new Error(`unterminated "{" in ${JSON.stringify(text)}`);
  }
  return { labels, end: i + 1 };
}

/** Splits value items on whitespace, keeping `{{…}}` histogram literals (with `+{{…}}xN`) whole. */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let i = 0;
  while (true) {
    i = skipSpaces(text, i);
    if (i >= text.length) return items;
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') {
      if (text.startsWith('{{', j)) {
        const close = text.indexOf('}}', j + 2);
        if (close < 0) throw new Error(`unterminated histogram literal in ${JSON.stringify(text)}`);
        j = close + 2;
      } else j++;
    }
    items.push(text.slice(i, j));
    i = j;
  }
}

const NUM = String.raw`(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf|nan`;
const REPEAT_RE = new RegExp(String.raw`^([+-]?(?:${NUM})|_)(?:([+-])(${NUM}))?x(\d+)$`, 'i');

/** Growable per-position values used while parsing. */
class ValuesBuilder {
  kinds: number[] = [];
  values = new Float64Array(16);
  histograms: string[] = [];

  push(kind: PointKind, value: number, histogram: string): void {
    const n = this.kinds.length;
    if (n === this.values.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.kinds.push(kind);
    this.values[n] = value;
    this.histograms.push(histogram);
  }

  build(): SeriesValues {
    const n = this.kinds.length;
    return {
      kinds: Uint8Array.from(this.kinds),
      values: this.values.slice(0, n),
      histograms: this.histograms,
    };
  }
}

/**
 * Parses the values part of a series line (§6 of the format): floats, `_`,
 * `_xN`, `stale`, `axN`, `a+bxN`, `a-bxN`, `{{…}}`, `{{…}}xN`,
 * `{{A}}+{{B}}xN`. Histograms are recognised, not evaluated. Throws a plain
 * `Error` describing the problem.
 */
export function parseSeriesValues(text: string): SeriesValues {
  const out = new ValuesBuilder();
  for (const item of splitItems(text)) {
    if (item === '_') {
      out.push(PointKind.Missing, 0, '');
      continue;
    }
    if (item.toLowerCase() === 'stale') {
      out.push(PointKind.Float, STALE_NAN, '');
      continue;
    }
    const single = parseFloatToken(item);
    if (single !== undefined) {
      out.push(PointKind.Float, single, '');
      continue;
    }
    if (item.startsWith('{{')) {
      const close = item.indexOf('}}');
      const rest = item.slice(close + 2);
      const hm = /^(?:[+-](\{\{.*\}\}))?(?:x(\d+))?$/.exec(rest);
      if (hm === null || (hm[1] !== undefined && hm[2] === undefined)) {
        throw new Error(`invalid histogram series ${JSON.stringify(item)}`);
      }
      const repeat = hm[2] === undefined ? 0 : Number(hm[2]);
      for (let k = 0; k <= repeat; k++) out.push(PointKind.Histogram, 0, item);
      continue;
    }
    const m = REPEAT_RE.exec(item);
    if (m === null) throw new Error(`invalid value ${JSON.stringify(item)}`);
    const [, base = '', sign, delta, countText = '0'] = m;
    const count = Number(countText);
    if (base === '_') {
      if (sign !== undefined) throw new Error(`invalid value ${JSON.stringify(item)}`);
      for (let k = 0; k < count; k++) out.push(PointKind.Missing, 0, '');
      continue;
    }
    const start = parseFloatToken(base);
    const step = delta === undefined ? 0 : parseFloatToken(delta);
    if (start === undefined || step === undefined || base.toLowerCase() === 'stale') {
      throw new Error(`invalid value ${JSON.stringify(item)}`);
    }
    let v = start;
    for (let k = 0; k <= count; k++) {
      out.push(PointKind.Float, v, '');
      if (sign === '+') v += step;
      else if (sign === '-') v -= step;
    }
  }
  return out.build();
}

/** Parses a whole series line `<series> <values>` (values may be absent). */
export function parseSeriesLine(text: string, line: number): SeriesLine {
  const { labels, end } = parseSeriesDesc(text);
  return { labels, values: parseSeriesValues(text.slice(end)), line };
}

/** Checks an `@st` line's items (§3.2) so that a malformed one is reported. */
function checkStartTimestampItems(text: string): number {
  let positions = 0;
  for (const item of splitItems(text)) {
    if (item === '_') {
      positions++;
      continue;
    }
    const m = /^(.*?)(?:x(\d+))?$/.exec(item);
    const base = m?.[1] ?? '';
    const count = m?.[2] === undefined ? undefined : Number(m[2]);
    if (base === '_') {
      positions += count ?? 1;
      continue;
    }
    const parts = /^([+-]?[0-9a-z]+?)(?:([+-])([0-9a-z]+))?$/.exec(base);
    if (
      parts === null ||
      parseSignedDuration(parts[1]!) === undefined ||
      (parts[3] !== undefined &&
        (parseScriptDuration(parts[3]) === undefined || count === undefined))
    ) {
      throw new Error(`invalid start-timestamp item ${JSON.stringify(item)}`);
    }
    positions += count === undefined ? 1 : count + 1;
  }
  return positions;
}

interface MutableEval {
  fail: FailExpectation | undefined;
  warn: AnnotationExpectation[] | undefined;
  noWarn: boolean;
  info: AnnotationExpectation[] | undefined;
  noInfo: boolean;
  ordered: boolean;
  rangeVector: { startMs: number; endMs: number; stepMs: number } | undefined;
  expectedString: string | undefined;
  expectedScalar: Float64Array | undefined;
  expected: SeriesLine[];
}

const INSTANT_RE = /^(eval(?:_(?:fail|warn|info|ordered))?)\s+instant\s+(?:at\s+)?(\S+)\s+(.+)$/i;
const RANGE_RE =
  /^(eval(?:_(?:fail|warn|info))?)\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$/i;
const EXPECT_RANGE_RE = /^expect\s+range\s+vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/;
const EXPECT_STRING_RE = /^expect\s+string\s+(.*)$/;
const EXPECT_RE = /^expect\s+(\S+)(?:\s+(.*))?$/;

/**
 * Parses a test script. `fileName` is only used in error messages. Throws a
 * `VigilError` (`PROMQL_PARSE`) whose message starts with `file:line:` for
 * a malformed script (invalid command, bad duration, bad series notation,
 * contradictory expectations, …). Query expressions are not parsed here.
 */
export function parseTestScript(text: string, fileName: string): TestScript {
  const lines = text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const commands: Command[] = [];
  const fail = (lineIdx: number, msg: string): never => {
    throw scriptError(fileName, lineIdx + 1, msg);
  };
  const duration = (lineIdx: number, token: string, what: string): number => {
    const d = parseScriptDuration(token);
    if (d === undefined) fail(lineIdx, `invalid ${what} duration ${JSON.stringify(token)}`);
    return d!;
  };

  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l === '') {
      i++;
      continue;
    }
    const word = (l.split(/\s+/)[0] ?? '').toLowerCase();
    if (word === 'clear') {
      commands.push({ type: 'clear', line: i + 1 });
      i++;
    } else if (word.startsWith('load')) {
      if (word !== 'load' && word !== 'load_with_nhcb') fail(i, `unknown load command ${word}`);
      const parts = l.split(/\s+/);
      if (parts.length !== 2) fail(i, `invalid load command (want "load <interval>")`);
      const intervalMs = duration(i, parts[1]!, 'load interval');
      const headerIdx = i;
      const series: SeriesLine[] = [];
      let stLines = 0;
      i++;
      while (i < lines.length && lines[i] !== '') {
        const body = lines[i]!;
        try {
          const desc = parseSeriesDesc(body);
          if (body.startsWith('@st', desc.end)) {
            stLines++;
            checkStartTimestampItems(body.slice(desc.end + 3));
          } else {
            series.push(parseSeriesLine(body, i + 1));
          }
        } catch (err) {
          if (err instanceof VigilError) throw err;
          fail(i, (err as Error).message);
        }
        i++;
      }
      commands.push({
        type: 'load',
        line: headerIdx + 1,
        intervalMs,
        withNhcb: word === 'load_with_nhcb',
        series,
        startTimestampLines: stLines,
      });
    } else if (word.startsWith('eval')) {
      i = parseEval(lines, i, fileName, commands);
    } else {
      fail(i, `invalid command ${JSON.stringify(l)}`);
    }
  }
  return { fileName, commands };
}

function parseEval(
  lines: readonly string[],
  start: number,
  fileName: string,
  out: Command[],
): number {
  const header = lines[start]!;
  const fail = (lineIdx: number, msg: string): never => {
    throw scriptError(fileName, lineIdx + 1, msg);
  };
  const duration = (token: string, what: string, lineIdx = start): number => {
    const d = parseScriptDuration(token);
    if (d === undefined) fail(lineIdx, `invalid ${what} ${JSON.stringify(token)}`);
    return d!;
  };
  let variant: string;
  let kind: 'instant' | 'range';
  let expr: string;
  let startMs: number;
  let endMs: number;
  let stepMs: number;
  const im = INSTANT_RE.exec(header);
  const rm = im === null ? RANGE_RE.exec(header) : null;
  if (im !== null) {
    variant = im[1]!.toLowerCase();
    kind = 'instant';
    startMs = endMs = duration(im[2]!, 'eval time');
    stepMs = 0;
    expr = im[3]!;
  } else if (rm !== null) {
    variant = rm[1]!.toLowerCase();
    kind = 'range';
    startMs = duration(rm[2]!, 'range start');
    endMs = duration(rm[3]!, 'range end');
    stepMs = duration(rm[4]!, 'range step');
    expr = rm[5]!;
    if (endMs < startMs) fail(start, 'invalid test definition, end timestamp is before start');
  } else {
    return fail(start, `invalid eval command ${JSON.stringify(header)}`);
  }

  const ev: MutableEval = {
    fail: undefined,
    warn: undefined,
    noWarn: false,
    info: undefined,
    noInfo: false,
    ordered: variant === 'eval_ordered',
    rangeVector: undefined,
    expectedString: undefined,
    expectedScalar: undefined,
    expected: [],
  };
  if (variant === 'eval_fail') ev.fail = {};
  if (variant === 'eval_warn') ev.warn = [{ line: start + 1 }];
  if (variant === 'eval_info') ev.info = [{ line: start + 1 }];

  let i = start + 1;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const l = lines[i]!;
    if (variant === 'eval_fail' && l.startsWith('expected_fail_message')) {
      ev.fail = { message: l.slice('expected_fail_message'.length).trim() };
      i++;
      break;
    }
    if (variant === 'eval_fail' && l.startsWith('expected_fail_regexp')) {
      ev.fail = { regex: compileRegex(l.slice('expected_fail_regexp'.length).trim(), fileName, i) };
      i++;
      break;
    }
    const rv = EXPECT_RANGE_RE.exec(l);
    if (rv !== null) {
      if (kind !== 'instant') fail(i, '"expect range vector" is only allowed in instant evals');
      const s = duration(rv[1]!, 'range vector start', i);
      const e = duration(rv[2]!, 'range vector end', i);
      const st = duration(rv[3]!, 'range vector step', i);
      ev.rangeVector = { startMs: s, endMs: e, stepMs: st };
      continue;
    }
    const sv = EXPECT_STRING_RE.exec(l);
    if (sv !== null) {
      if (kind !== 'instant') fail(i, '"expect string" is only allowed in instant evals');
      const q = readQuoted(sv[1]!.trim(), 0);
      if (q === undefined || q.end !== sv[1]!.trim().length) {
        fail(i, `invalid expected string ${sv[1]!}`);
      }
      ev.expectedString = q!.value;
      continue;
    }
    if ((l.split(/\s+/)[0] ?? '') === 'expect') {
      parseExpectLine(l, i, ev, fileName);
      continue;
    }
    const scalar = parseScalarLine(l);
    if (scalar !== undefined) {
      ev.expectedScalar = Float64Array.of(scalar);
      i++;
      break;
    }
    let series: SeriesLine;
    try {
      series = parseSeriesLine(l, i + 1);
    } catch (err) {
      return fail(i, (err as Error).message);
    }
    const n = series.values.kinds.length;
    if (kind === 'instant' && ev.rangeVector === undefined && n !== 1) {
      fail(i, `expected exactly one value for an instant eval, got ${n}`);
    }
    if (kind === 'range') {
      const steps = stepMs === 0 ? 1 : Math.floor((endMs - startMs) / stepMs) + 1;
      if (n > steps) fail(i, `expected ${n} points for a range eval with only ${steps} steps`);
    }
    ev.expected.push(series);
  }
  if (ev.warn !== undefined && ev.noWarn) {
    fail(start, 'invalid expect lines, "warn" and "no_warn" cannot be used together');
  }
  if (ev.info !== undefined && ev.noInfo) {
    fail(start, 'invalid expect lines, "info" and "no_info" cannot be used together');
  }
  out.push({
    type: 'eval',
    line: start + 1,
    kind,
    header,
    expr,
    timeMs: startMs,
    startMs,
    endMs,
    stepMs,
    ...ev,
  });
  return i;
}

function compileRegex(source: string, fileName: string, lineIdx: number): RegExp {
  try {
    return new RegExp(source, 'u');
  } catch {
    try {
      return new RegExp(source);
    } catch (err) {
      throw scriptError(
        fileName,
        lineIdx + 1,
        `invalid regex ${source}: ${(err as Error).message}`,
      );
    }
  }
}

function parseExpectLine(l: string, lineIdx: number, ev: MutableEval, fileName: string): void {
  const m = EXPECT_RE.exec(l);
  if (m === null) throw scriptError(fileName, lineIdx + 1, `invalid expect line ${l}`);
  const type = m[1]!;
  const rest = (m[2] ?? '').trim();
  let message: string | undefined;
  let regex: RegExp | undefined;
  if (rest.startsWith('msg:')) message = rest.slice(4).trim();
  else if (rest.startsWith('regex:')) regex = compileRegex(rest.slice(6).trim(), fileName, lineIdx);
  else if (rest !== '') {
    throw scriptError(fileName, lineIdx + 1, `invalid expect line (want "msg:" or "regex:"): ${l}`);
  }
  const withText = message !== undefined || regex !== undefined;
  const expectation: AnnotationExpectation = {
    line: lineIdx + 1,
    ...(message !== undefined ? { message } : {}),
    ...(regex !== undefined ? { regex } : {}),
  };
  const noText = (): void => {
    if (withText) {
      throw scriptError(fileName, lineIdx + 1, `"expect ${type}" takes no message or regex`);
    }
  };
  switch (type) {
    case 'fail':
      if (ev.fail !== undefined) {
        throw scriptError(fileName, lineIdx + 1, 'only one "expect fail" is allowed per eval');
      }
      ev.fail = {
        ...(message !== undefined ? { message } : {}),
        ...(regex !== undefined ? { regex } : {}),
      };
      return;
    case 'warn':
      (ev.warn ??= []).push(expectation);
      return;
    case 'info':
      (ev.info ??= []).push(expectation);
      return;
    case 'no_warn':
      noText();
      ev.noWarn = true;
      return;
    case 'no_info':
      noText();
      ev.noInfo = true;
      return;
    case 'ordered':
      noText();
      ev.ordered = true;
      return;
    default:
      throw scriptError(fileName, lineIdx + 1, `unknown expect type ${JSON.stringify(type)}`);
  }
}
