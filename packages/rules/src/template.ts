/**
 * The subset of Go's text/template that Prometheus alert labels and
 * annotations use in practice: text, `{{ pipeline }}` actions with `{{-`/`-}}`
 * trimming, the variables `$labels`, `$value`, `$externalLabels`,
 * `$externalURL` (and the fields `.Labels`, `.Value`, `.ExternalLabels`,
 * `.ExternalURL`), `$labels.name` lookups, string and number literals,
 * pipelines (`$value | humanize`), `{{ if }}`/`{{ else if }}`/`{{ else }}`/
 * `{{ end }}` and the functions `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `and`,
 * `or`, `not`, `humanize`,
 * `humanize1024`, `humanizePercentage`, `humanizeDuration`, `printf`,
 * `toUpper`, `toLower`, `title`, `safeHtml`, `stripPort`, `reReplaceAll`.
 * Anything else (`range`, `with`, `query`, unknown functions, comments...) is
 * refused when the template is compiled, so a rule file with it fails at load
 * time, never at evaluation.
 *
 * @module
 */

import { formatGoG } from '@vigil/model';

/** The data a template is rendered with. */
export interface TemplateData {
  /** The alert's labels (series labels plus rule labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** The sample value of the alert. */
  readonly value: number;
  /** The manager's external labels. */
  readonly externalLabels: Readonly<Record<string, string>>;
  /** The manager's external URL, '' when none. */
  readonly externalUrl: string;
}

type Operand =
  | { readonly kind: 'var'; readonly name: string; readonly field: string | undefined }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean };

interface Command {
  /** A function name, or undefined for a bare operand. */
  readonly func: string | undefined;
  readonly args: readonly Operand[];
}

/** Text, an action printing a pipeline, or an `if` with its branches. */
type Node =
  | string
  | readonly Command[]
  | {
      readonly cond: readonly Command[];
      readonly then: readonly Node[];
      readonly otherwise: readonly Node[];
    };

type TemplateValue = string | number | boolean | Readonly<Record<string, string>>;

const FUNCTIONS: ReadonlyMap<string, (args: readonly TemplateValue[]) => TemplateValue> = new Map<
  string,
  (args: readonly TemplateValue[]) => TemplateValue
>([
  ['eq', (args) => args.slice(1).some((b) => compare('eq', args[0]!, b) === 0)],
  ['ne', (args) => compare('ne', args[0]!, args[1]!) !== 0],
  ['lt', (args) => compare('lt', args[0]!, args[1]!) < 0],
  ['le', (args) => compare('le', args[0]!, args[1]!) <= 0],
  ['gt', (args) => compare('gt', args[0]!, args[1]!) > 0],
  ['ge', (args) => compare('ge', args[0]!, args[1]!) >= 0],
  ['not', (args) => !truthy(args[0]!)],
  ['and', (args) => args.find((a) => !truthy(a)) ?? args[args.length - 1]!],
  ['or', (args) => args.find((a) => truthy(a)) ?? args[args.length - 1]!],
  ['humanize', unary((v) => humanize(toNumber(v)))],
  ['humanize1024', unary((v) => humanize1024(toNumber(v)))],
  ['humanizePercentage', unary((v) => formatG(toNumber(v) * 100, 4) + '%')],
  ['humanizeDuration', unary((v) => humanizeDuration(toNumber(v)))],
  ['toUpper', unary((v) => toText(v).toUpperCase())],
  ['toLower', unary((v) => toText(v).toLowerCase())],
  [
    'title',
    unary((v) =>
      toText(v).replace(
        /(^|[^\p{L}\p{N}_'])(\p{L})/gu,
        (_m, a: string, b: string) => a + b.toUpperCase(),
      ),
    ),
  ],
  ['safeHtml', unary((v) => toText(v))],
  ['stripPort', unary((v) => stripPort(toText(v)))],
  [
    'reReplaceAll',
    (args) => {
      const [pattern, replacement, text] = args.map(toText) as [string, string, string];
      let re: RegExp;
      try {
        re = new RegExp(pattern, 'gu');
      } catch (err) {
        throw new TemplateError(
          `reReplaceAll: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      // Go's `${1}`/`${name}` become JS's `$1`/`$<name>`.
      const jsReplacement = replacement.replace(/\$\{(\w+)\}/g, (_m, g: string) =>
        /^\d+$/.test(g) ? `$${g}` : `$<${g}>`,
      );
      return text.replace(re, jsReplacement);
    },
  ],
  [
    'printf',
    (args) => {
      const [format, ...rest] = args;
      if (typeof format !== 'string')
        throw new TemplateError('printf: the format must be a string');
      return goSprintf(format, rest);
    },
  ],
]);

/** Arity of each function (printf: at least 1). */
const ARITY: ReadonlyMap<string, number> = new Map([
  ['humanize', 1],
  ['humanize1024', 1],
  ['humanizePercentage', 1],
  ['humanizeDuration', 1],
  ['toUpper', 1],
  ['toLower', 1],
  ['title', 1],
  ['safeHtml', 1],
  ['stripPort', 1],
  ['reReplaceAll', 3],
  ['ne', 2],
  ['lt', 2],
  ['le', 2],
  ['gt', 2],
  ['ge', 2],
  ['not', 1],
]);

/** Least argument counts of the variadic functions. */
const MIN_ARITY: ReadonlyMap<string, number> = new Map([
  ['printf', 1],
  ['eq', 2],
  ['and', 1],
  ['or', 1],
]);

const VARIABLES = new Set(['$labels', '$value', '$externalLabels', '$externalURL', '$']);
const FIELDS: ReadonlyMap<string, string> = new Map([
  ['Labels', '$labels'],
  ['Value', '$value'],
  ['ExternalLabels', '$externalLabels'],
  ['ExternalURL', '$externalURL'],
]);

/** A template syntax or rendering problem; its message says what and where. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * A compiled template. Compile once when the rule file loads
 * ({@link compileTemplate} throws there on bad syntax), render at every
 * evaluation. Immutable; safe to share.
 */
export class Template {
  readonly #nodes: readonly Node[];

  /** @internal use {@link compileTemplate}. */
  constructor(
    /** The template text as written. */
    readonly source: string,
    nodes: readonly Node[],
  ) {
    this.#nodes = nodes;
  }

  /**
   * Renders the template. Never throws: a run-time problem (such as
   * `printf "%d"` of a string) is rendered inline as Go's text does it
   * would be reported, `<error: …>`, so an alert still carries its text.
   */
  render(data: TemplateData): string {
    return renderNodes(this.#nodes, data);
  }
}

function renderNodes(nodes: readonly Node[], data: TemplateData): string {
  let out = '';
  for (const node of nodes) {
    if (typeof node === 'string') {
      out += node;
      continue;
    }
    try {
      if ('cond' in node) {
        out += renderNodes(truthy(runPipeline(node.cond, data)) ? node.then : node.otherwise, data);
      } else {
        out += toText(runPipeline(node, data));
      }
    } catch (err) {
      out += `<error: ${err instanceof Error ? err.message : String(err)}>`;
    }
  }
  return out;
}

/** An `if` being parsed: its condition, branches so far, and whether `else` was seen. */
interface OpenIf {
  readonly cond: readonly Command[];
  readonly then: Node[];
  readonly otherwise: Node[];
  inElse: boolean;
  /** True for the implicit `if` of an `else if`, closed by the same `end`. */
  readonly chained: boolean;
}

/**
 * Compiles `source`. Throws {@link TemplateError} naming the problem (such as
 * `unclosed action` or `function "foo" not supported`) when it uses syntax
 * outside the supported subset.
 */
export function compileTemplate(source: string): Template {
  const root: Node[] = [];
  const open: OpenIf[] = [];
  const target = (): Node[] => {
    const top = open[open.length - 1];
    return top === undefined ? root : top.inElse ? top.otherwise : top.then;
  };
  const nodes = { push: (n: Node): void => void target().push(n) };
  const closeIf = (): void => {
    const top = open.pop()!;
    target().push({ cond: top.cond, then: top.then, otherwise: top.otherwise });
  };
  let pos = 0;
  let pendingTrimLeft = false;
  while (pos < source.length) {
    const start = source.indexOf('{{', pos);
    let text = start < 0 ? source.slice(pos) : source.slice(pos, start);
    if (pendingTrimLeft) text = text.replace(/^\s+/, '');
    if (start < 0) {
      if (text !== '') nodes.push(text);
      break;
    }
    let inner = start + 2;
    if (
      source.startsWith('- ', inner) ||
      source.startsWith('-\t', inner) ||
      source.startsWith('-\n', inner)
    ) {
      text = text.replace(/\s+$/, '');
      inner += 1;
    }
    if (text !== '') nodes.push(text);
    const close = findClose(source, inner);
    if (close < 0) throw new TemplateError('unclosed action');
    let body = source.slice(inner, close);
    pendingTrimLeft = false;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      pendingTrimLeft = true;
    }
    const words = body.trim().split(/\s+/);
    const keyword = words[0];
    if (keyword === 'if') {
      open.push({
        cond: parsePipeline(body.trim().slice(2)),
        then: [],
        otherwise: [],
        inElse: false,
        chained: false,
      });
    } else if (keyword === 'else') {
      const top = open[open.length - 1];
      if (top === undefined || top.inElse) throw new TemplateError('unexpected {{else}}');
      top.inElse = true;
      if (words[1] === 'if') {
        const rest = body.trim().slice(4).trim().slice(2);
        open.push({
          cond: parsePipeline(rest),
          then: [],
          otherwise: [],
          inElse: false,
          chained: true,
        });
      } else if (words.length > 1) {
        throw new TemplateError(`"else ${words[1]}" is not supported`);
      }
    } else if (keyword === 'end') {
      if (words.length > 1) throw new TemplateError('unexpected words after {{end}}');
      if (open.length === 0) throw new TemplateError('unexpected {{end}}');
      while (open[open.length - 1]!.chained) closeIf();
      closeIf();
    } else {
      nodes.push(parsePipeline(body));
    }
    pos = close + 2;
  }
  if (open.length > 0) throw new TemplateError('unexpected EOF: {{if}} without {{end}}');
  return new Template(source, root);
}

/** Renders `source` once; a convenience for tests and one-off texts. */
export function renderTemplate(source: string, data: TemplateData): string {
  return compileTemplate(source).render(data);
}

function findClose(source: string, from: number): number {
  let i = from;
  while (i < source.length) {
    const c = source[i];
    if (c === '"' || c === '`') {
      const end = c === '`' ? source.indexOf('`', i + 1) : endOfQuoted(source, i);
      if (end < 0) throw new TemplateError('unterminated quoted string');
      i = end + 1;
      continue;
    }
    if (source.startsWith('}}', i)) return i;
    i++;
  }
  return -1;
}

function endOfQuoted(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '"') return i;
    else if (c === '\n') return -1;
  }
  return -1;
}

function tokenize(body: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '|') {
      tokens.push('|');
      i++;
    } else if (c === '(' || c === ')') {
      throw new TemplateError('parenthesised pipelines are not supported');
    } else if (c === '"') {
      const end = endOfQuoted(body, i);
      if (end < 0) throw new TemplateError('unterminated quoted string');
      tokens.push(body.slice(i, end + 1));
      i = end + 1;
    } else if (c === '`') {
      const end = body.indexOf('`', i + 1);
      if (end < 0) throw new TemplateError('unterminated raw quoted string');
      tokens.push(body.slice(i, end + 1));
      i = end + 1;
    } else {
      let j = i;
      while (j < body.length && !/[\s|()"`]/.test(body[j]!)) j++;
      tokens.push(body.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

function parsePipeline(body: string): Command[] {
  const trimmed = body.trim();
  if (trimmed.startsWith('/*')) throw new TemplateError('comments are not supported');
  const tokens = tokenize(body);
  if (tokens.length === 0) throw new TemplateError('missing value for command');
  const commands: Command[] = [];
  let current: string[] = [];
  const flush = (): void => {
    if (current.length === 0) throw new TemplateError('missing command in pipeline');
    commands.push(parseCommand(current, commands.length > 0));
    current = [];
  };
  for (const t of tokens) {
    if (t === '|') flush();
    else current.push(t);
  }
  flush();
  return commands;
}

function parseCommand(tokens: readonly string[], piped: boolean): Command {
  const head = tokens[0]!;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(head) && head !== 'true' && head !== 'false') {
    if (['range', 'with', 'define', 'template', 'block', 'break', 'continue'].includes(head)) {
      throw new TemplateError(`"${head}" actions are not supported`);
    }
    if (!FUNCTIONS.has(head)) throw new TemplateError(`function "${head}" not supported`);
    const args = tokens.slice(1).map(parseOperand);
    const arity = ARITY.get(head);
    const given = args.length + (piped ? 1 : 0);
    if (arity !== undefined && given !== arity) {
      throw new TemplateError(`wrong number of args for ${head}: want ${arity} got ${given}`);
    }
    const least = MIN_ARITY.get(head);
    if (least !== undefined && given < least) {
      throw new TemplateError(
        `wrong number of args for ${head}: want at least ${least} got ${given}`,
      );
    }
    return { func: head, args };
  }
  if (tokens.length > 1) throw new TemplateError(`can't give argument to non-function ${head}`);
  if (piped) throw new TemplateError(`non-executable command in pipeline stage: ${head}`);
  return { func: undefined, args: [parseOperand(head)] };
}

function parseOperand(token: string): Operand {
  if (token.startsWith('"')) {
    try {
      return { kind: 'string', value: JSON.parse(token) as string };
    } catch {
      throw new TemplateError(`invalid string literal ${token}`);
    }
  }
  if (token.startsWith('`')) return { kind: 'string', value: token.slice(1, -1) };
  if (token === 'true' || token === 'false') return { kind: 'bool', value: token === 'true' };
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(token))
    return { kind: 'number', value: Number(token) };
  if (token.startsWith('$')) {
    const dot = token.indexOf('.');
    const name = dot < 0 ? token : token.slice(0, dot);
    const field = dot < 0 ? undefined : token.slice(dot + 1);
    if (!VARIABLES.has(name)) throw new TemplateError(`undefined variable "${name}"`);
    return checkField(name === '$' ? undefined : name, field, token);
  }
  if (token.startsWith('.')) {
    if (token === '.')
      throw new TemplateError('"." (the whole data) is not supported; use $labels or $value');
    const parts = token.slice(1).split('.');
    const variable = FIELDS.get(parts[0]!);
    if (variable === undefined) throw new TemplateError(`unknown field ${token}`);
    return checkField(variable, parts.length > 1 ? parts.slice(1).join('.') : undefined, token);
  }
  throw new TemplateError(`unexpected "${token}" in command`);
}

function checkField(name: string | undefined, field: string | undefined, token: string): Operand {
  if (name === undefined) {
    // `$.Labels.x` is the same as `.Labels.x`.
    if (field === undefined)
      throw new TemplateError('"$" (the whole data) is not supported; use $labels or $value');
    return parseOperand('.' + field);
  }
  if (field !== undefined) {
    if (name !== '$labels' && name !== '$externalLabels')
      throw new TemplateError(`can't evaluate field ${field} in ${token}`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field))
      throw new TemplateError(`bad field name in ${token}`);
  }
  return { kind: 'var', name, field };
}

function runPipeline(commands: readonly Command[], data: TemplateData): TemplateValue {
  let prev: TemplateValue | undefined;
  for (const cmd of commands) {
    const args = cmd.args.map((a) => operandValue(a, data));
    if (cmd.func === undefined) {
      prev = args[0]!;
      continue;
    }
    if (prev !== undefined) args.push(prev);
    prev = FUNCTIONS.get(cmd.func)!(args);
  }
  return prev ?? '';
}

function operandValue(op: Operand, data: TemplateData): TemplateValue {
  switch (op.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return op.value;
    case 'var': {
      if (op.name === '$value') return data.value;
      if (op.name === '$externalURL') return data.externalUrl;
      const map = op.name === '$labels' ? data.labels : data.externalLabels;
      if (op.field === undefined) return map;
      // A missing key of a map[string]string renders as Go's zero value: ''.
      return Object.hasOwn(map, op.field) ? map[op.field]! : '';
    }
  }
}

/** `host:port` → `host`, `[::1]:80` → `::1`; anything else unchanged, as Prometheus's `stripPort`. */
function stripPort(hostPort: string): string {
  const bracketed = /^\[([^\]]*)\](?::[^:]*)?$/.exec(hostPort);
  if (bracketed !== null) return bracketed[1]!;
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0 || hostPort.indexOf(':') !== colon) return hostPort;
  return hostPort.slice(0, colon);
}

/** Go's truth: false, 0, '' and empty maps are false. */
function truthy(v: TemplateValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  return Object.keys(v).length > 0;
}

/**
 * Compares two values of the same kind (numbers, strings or booleans, the
 * latter for `eq`/`ne` only). Unlike Go, an integer literal and a float
 * compare by value (`gt $value 1` works).
 */
function compare(fn: string, a: TemplateValue, b: TemplateValue): number {
  if (typeof a === 'number' && typeof b === 'number')
    return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean' && (fn === 'eq' || fn === 'ne'))
    return a === b ? 0 : 1;
  throw new TemplateError(`${fn}: incompatible types for comparison`);
}

function unary(fn: (v: TemplateValue) => string): (args: readonly TemplateValue[]) => string {
  return (args) => fn(args[0]!);
}

function toNumber(v: TemplateValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    if (v.trim() === '' || Number.isNaN(n)) {
      if (/^[-+]?(nan|inf(inity)?)$/i.test(v.trim())) return parseGoFloatSpecial(v.trim());
      throw new TemplateError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    return n;
  }
  throw new TemplateError(`cannot convert a ${typeName(v)} to a number`);
}

function parseGoFloatSpecial(v: string): number {
  if (/nan/i.test(v)) return NaN;
  return v.startsWith('-') ? -Infinity : Infinity;
}

/** Renders a value as Go's `{{ }}` prints it (`%v`). */
function toText(v: TemplateValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return formatGoG(v);
  const keys = Object.keys(v).sort();
  return `map[${keys.map((k) => `${k}:${v[k]}`).join(' ')}]`;
}

/** Go's `%.{prec}g`: `prec` significant digits, trailing zeros removed. */
export function formatG(v: number, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const p = Math.max(1, prec);
  const expText = toExponentialEven(v, p - 1);
  const e = Number(/e([-+]\d+)$/.exec(expText)![1]);
  if (e < -4 || e >= p) {
    const [mant, ex] = expText.split('e') as [string, string];
    return goExponent(stripZeros(mant) + 'e' + ex);
  }
  return stripZeros(toFixedEven(v, Math.max(0, p - 1 - e)));
}

/**
 * JS rounds exact decimal ties away from zero (`(2.25).toFixed(1)` is
 * `2.3`); Go rounds them to even (`2.2`). True when `|v| * 10^digits` is
 * exactly halfway between two integers.
 */
function isExactTie(v: number, digits: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const mantissa = expBits === 0 ? fraction : fraction | (1n << 52n);
  const exp2 = (expBits === 0 ? 1 : expBits) - 1075;
  // 2 * v * 10^digits = mantissa * 2^(exp2 + 1) * 10^digits must be an odd integer.
  let num = mantissa;
  let den = 1n;
  if (exp2 + 1 >= 0) num <<= BigInt(exp2 + 1);
  else den <<= BigInt(-(exp2 + 1));
  if (digits >= 0) num *= 10n ** BigInt(digits);
  else den *= 10n ** BigInt(-digits);
  return num % den === 0n && (num / den) % 2n === 1n;
}

/** Decrements the last digit of a rounded-up tie whose last digit came out odd. */
function evenTie(text: string, v: number, digits: number): string {
  const [mant, ex] = text.split('e') as [string, string | undefined];
  const last = mant.charCodeAt(mant.length - 1) - 48;
  if (last % 2 === 0 || !isExactTie(v, digits)) return text;
  return mant.slice(0, -1) + String(last - 1) + (ex === undefined ? '' : 'e' + ex);
}

/** `v.toFixed(digits)` with Go's round-half-to-even on exact ties. */
function toFixedEven(v: number, digits: number): string {
  return evenTie(v.toFixed(digits), v, digits);
}

/** `v.toExponential(digits)` with Go's round-half-to-even on exact ties. */
function toExponentialEven(v: number, digits: number): string {
  const text = v.toExponential(digits);
  const e = Number(/e([-+]\d+)$/.exec(text)![1]);
  // A round-up that carried into a new power of ten ends in 0 (even): no fix needed.
  return evenTie(text, v, digits - e);
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** JS `1e+0` → Go `1e+00` (at least two exponent digits). */
function goExponent(s: string): string {
  return s.replace(/e([-+])(\d)$/, 'e$10$2');
}

/**
 * Go's `strconv.FormatFloat(v, 'e', -1, 64)`: what Prometheus's API uses for
 * an alert's value, such as `1e+00` or `4.2e-01`.
 */
export function formatFloatE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return goExponent(v.toExponential());
}

function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return formatG(v, 4);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return formatG(v, 4) + prefix;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return formatG(v, 4) + prefix;
}

function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return formatG(v, 4);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return formatG(v, 4) + prefix;
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return formatG(v, 4);
  if (v === 0) return '0s';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    const a = Math.abs(v);
    const days = Math.trunc(a / 86400);
    const hours = Math.trunc(a / 3600) % 24;
    const minutes = Math.trunc(a / 60) % 60;
    const seconds = Math.trunc(a) % 60;
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${formatG(a, 4)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${formatG(v, 4)}${prefix}s`;
}

/** Go's `fmt.Sprintf` for the verbs templates use: %s %v %d %f %e %g %q %%, flags, width, precision. */
function goSprintf(format: string, args: readonly TemplateValue[]): string {
  let out = '';
  let argIndex = 0;
  const re = /%([-+ 0#]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = '', widthText, precText, verb] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argIndex++]!;
    const prec = precText === undefined ? undefined : precText === '' ? 0 : Number(precText);
    let s: string;
    switch (verb) {
      case 's':
      case 'v':
        s = toText(arg);
        if (prec !== undefined && verb === 's') s = s.slice(0, prec);
        break;
      case 'q':
        s = JSON.stringify(toText(arg));
        break;
      case 'd':
        if (typeof arg !== 'number' || !Number.isInteger(arg)) {
          s = `%!d(${typeName(arg)}=${toText(arg)})`;
        } else s = withSign(String(Math.abs(arg)), arg < 0, flags);
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'g': {
        if (typeof arg !== 'number') {
          s = `%!${verb}(${typeName(arg)}=${toText(arg)})`;
          break;
        }
        if (!Number.isFinite(arg)) {
          s = Number.isNaN(arg)
            ? 'NaN'
            : withSign('Inf', arg < 0, flags.includes('+') ? flags : flags + '+');
          break;
        }
        const abs = Math.abs(arg);
        const body =
          verb === 'e'
            ? goExponent(toExponentialEven(abs, prec ?? 6))
            : verb === 'g'
              ? prec === undefined
                ? formatGoG(abs)
                : formatG(abs, prec)
              : toFixedEven(abs, prec ?? 6);
        s = withSign(body, arg < 0 || Object.is(arg, -0), flags);
        break;
      }
      default:
        s = `%!${verb}(${typeName(arg)}=${toText(arg)})`;
    }
    const width = widthText === undefined ? 0 : Number(widthText);
    if (s.length < width) {
      if (flags.includes('-')) s = s.padEnd(width);
      else if (flags.includes('0') && /[dfFeg]/.test(verb!)) {
        const signed = /^[-+ ]/.test(s);
        s = signed ? s[0]! + s.slice(1).padStart(width - 1, '0') : s.padStart(width, '0');
      } else s = s.padStart(width);
    }
    out += s;
  }
  out += format.slice(last);
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args
      .slice(argIndex)
      .map((a) => `${typeName(a)}=${toText(a)}`)
      .join(', ')})`;
  }
  return out;
}

function withSign(body: string, negative: boolean, flags: string): string {
  if (negative) return '-' + body;
  if (flags.includes('+')) return '+' + body;
  if (flags.includes(' ')) return ' ' + body;
  return body;
}

function typeName(v: TemplateValue): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'map[string]string';
}
