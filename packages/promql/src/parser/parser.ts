import type { SyntaxNode } from '@lezer/common';
import { parser as lezerParser } from '@prometheus-io/lezer-promql';
import {
  ErrorCodes,
  VigilError,
  formatGoF,
  isVigilError,
  newLabelMatcher,
  parseDurationMs,
  type LabelMatcher,
  type MatchType,
} from '@vigil/model';
import {
  valueTypeOf,
  type AggregateExpr,
  type AggregateOp,
  type AtModifier,
  type BinaryExpr,
  type BinaryOp,
  type Call,
  type DurationValue,
  type Expr,
  type FillModifier,
  type FunctionSignature,
  type MatchCardinality,
  type MatrixSelector,
  type NumberLiteral,
  type PositionRange,
  type SubqueryExpr,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';
import { evalDurationSeconds } from './duration.js';
import { FUNCTION_SIGNATURES } from './function-table.js';
import { lezerInput } from './lezer-input.js';
import { goQuote, unquoteString } from './strings.js';
import { documentedType, lineColumnOf } from './util.js';

/** Options of {@link parseExpr}. */
export interface ParseOptions {
  /**
   * Accept what Prometheus gates behind feature flags: experimental
   * functions and aggregations (`promql-experimental-functions`), the
   * `anchored`/`smoothed` range modifiers (`promql-extended-range-selectors`)
   * and binary-operator fill modifiers. Default false.
   */
  readonly experimental?: boolean;
}

const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Gte: '>=',
  Gtr: '>',
  TrimUpper: '</',
  TrimLower: '>/',
  Lte: '<=',
  Lss: '<',
  Neq: '!=',
  And: 'and',
  Unless: 'unless',
  Or: 'or',
};

const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);
const PARAM_AGGREGATIONS: ReadonlySet<AggregateOp> = new Set([
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'limitk',
  'limit_ratio',
]);
const EXPERIMENTAL_AGGREGATIONS: ReadonlySet<AggregateOp> = new Set(['limitk', 'limit_ratio']);
const MATCH_OPS: Readonly<Record<string, MatchType>> = {
  EqlSingle: '=',
  Neq: '!=',
  EqlRegex: '=~',
  NeqRegex: '!~',
};

/**
 * Throws the parse error Prometheus would report. `message` is the bare
 * upstream message (the HTTP API and tests compare it);
 * {@link formatParseError} renders the `1:5: parse error: …` form.
 */
function fail(query: string, message: string, pos: PositionRange): never {
  const { line, column } = lineColumnOf(query, pos.start);
  throw new VigilError(ErrorCodes.PROMQL_PARSE, message, {
    details: { position: { start: pos.start, end: pos.end }, line, column },
  });
}

/** Children of a lezer node, without comments. */
function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c !== null; c = c.nextSibling) {
    if (c.name !== 'LineComment') out.push(c);
  }
  return out;
}

function isExprNode(node: SyntaxNode): boolean {
  return node.type.is('Expr');
}

/**
 * Parses a PromQL expression into the typed AST, with Prometheus's syntax
 * and type checks and error messages. Pure and re-entrant: any number of
 * calls may run concurrently; the returned tree is never mutated afterwards.
 *
 * @throws VigilError `PROMQL_PARSE` with Prometheus's bare message and
 *   `details: { position: {start, end}, line, column }`.
 */
export function parseExpr(query: string, options?: ParseOptions): Expr {
  const p = new Parser(query, options?.experimental ?? false);
  return p.parse();
}

class Parser {
  readonly #q: string;
  readonly #experimental: boolean;
  /** Selectors exempt from the empty-matcher check (info()'s second argument). */
  readonly #bypassEmptyCheck = new WeakSet<VectorSelector>();

  constructor(query: string, experimental: boolean) {
    this.#q = query;
    this.#experimental = experimental;
  }

  parse(): Expr {
    const tree = lezerParser.parse(lezerInput(this.#q));
    const top = tree.topNode;
    this.#checkSyntax(top);
    const first = children(top)[0];
    if (first === undefined) fail(this.#q, 'no expression found in input', { start: 0, end: 0 });
    const expr = this.#expr(first);
    this.#check(expr);
    return finalizeMatching(expr);
  }

  // ---------------------------------------------------------------- syntax

  #text(node: SyntaxNode): string {
    return this.#q.slice(node.from, node.to);
  }

  #pos(node: SyntaxNode): PositionRange {
    return { start: node.from, end: node.to };
  }

  #fail(message: string, pos: PositionRange): never {
    fail(this.#q, message, pos);
  }

  /** Finds lezer's error nodes and unterminated strings; reports the first. */
  #checkSyntax(top: SyntaxNode): void {
    let firstError: SyntaxNode | undefined;
    let badString: SyntaxNode | undefined;
    const cursor = top.cursor();
    do {
      const node = cursor.node;
      if (node.type.isError) {
        if (firstError === undefined || node.from < firstError.from) firstError = node;
      } else if (node.name === 'StringLiteral' && badString === undefined) {
        const t = this.#text(node);
        const quote = t[0];
        const closed =
          t.length >= 2 &&
          t.endsWith(quote ?? '') &&
          (quote === '`' || !isEscapedAt(t, t.length - 1));
        if (!closed) badString = node;
      }
    } while (cursor.next());
    if (
      badString !== undefined &&
      (firstError === undefined || badString.from <= firstError.from)
    ) {
      this.#fail('unterminated quoted string', { start: badString.from, end: this.#q.length });
    }
    const lexError = lexerError(this.#q);
    if (
      lexError !== undefined &&
      (firstError === undefined || (lexError.at ?? lexError.pos.start) <= firstError.from)
    ) {
      this.#fail(lexError.message, lexError.pos);
    }
    if (firstError === undefined) {
      if (children(top).length === 0) {
        this.#fail('no expression found in input', { start: 0, end: 0 });
      }
      return;
    }
    const unknownCall = this.#findUnknownCall(top, firstError.from);
    if (unknownCall !== undefined) {
      // Prometheus only reports the unknown name once the call is complete.
      if (lexError !== undefined) this.#fail(lexError.message, lexError.pos);
      this.#fail(`unknown function with name ${goQuote(unknownCall.name)}`, unknownCall.pos);
    }
    if (this.#q.trim() === '') this.#fail('no expression found in input', { start: 0, end: 0 });
    const at = skipSpace(this.#q, firstError.from);
    if (this.#q[at] === ')') {
      let before = at - 1;
      while (before >= 0 && /\s/.test(this.#q[before] ?? '')) before--;
      if (this.#q[before] === ',') {
        this.#fail('trailing commas not allowed in function call args', {
          start: before,
          end: before + 1,
        });
      }
    }
    const token = describeToken(this.#q, at);
    this.#fail(`unexpected ${token.desc}${errorContext(firstError)}`, {
      start: at,
      end: token.end,
    });
  }

  /**
   * lezer only knows the function names in its grammar; `foo(…)` for any
   * other name is a syntax error there. Prometheus reports it as an unknown
   * function: find an identifier directly followed by `(` before the error.
   */
  #findUnknownCall(
    top: SyntaxNode,
    errorAt: number,
  ): { name: string; pos: PositionRange } | undefined {
    const cursor = top.cursor();
    do {
      if (cursor.name === 'Identifier' && cursor.from <= errorAt) {
        const after = skipSpace(this.#q, cursor.to);
        if (this.#q[after] === '(' && after <= errorAt) {
          const name = this.#q.slice(cursor.from, cursor.to);
          return { name, pos: { start: cursor.from, end: cursor.to } };
        }
      }
    } while (cursor.next());
    return undefined;
  }

  // ---------------------------------------------------------- conversion

  #expr(node: SyntaxNode): Expr {
    switch (node.name) {
      case 'NumberDurationLiteral':
        return this.#numberLiteral(node);
      case 'StringLiteral':
        return { type: 'StringLiteral', value: this.#unquote(node), pos: this.#pos(node) };
      case 'VectorSelector':
        return this.#vectorSelector(node);
      case 'MatrixSelector':
        return this.#matrixSelector(node);
      case 'SubqueryExpr':
        return this.#subquery(node);
      case 'OffsetExpr':
        return this.#offsetExpr(node);
      case 'StepInvariantExpr':
        return this.#atExpr(node);
      case 'AnchoredExpr':
        return this.#extendedRange(node, 'anchored');
      case 'SmoothedExpr':
        return this.#extendedRange(node, 'smoothed');
      case 'ParenExpr': {
        const inner = this.#onlyExpr(node);
        return { type: 'ParenExpr', expr: this.#expr(inner), pos: this.#pos(node) };
      }
      case 'UnaryExpr':
        return this.#unary(node);
      case 'BinaryExpr':
        return this.#binary(node);
      case 'AggregateExpr':
        return this.#aggregate(node);
      case 'FunctionCall':
        return this.#call(node);
      default:
        return this.#fail(`unexpected ${node.name}`, this.#pos(node));
    }
  }

  /**
   * lezer's grammar gives postfix modifiers (`[…]`, `offset`, `@`,
   * `anchored`) no precedence, so `-a @ 1` or `a + b offset 1m` may come
   * out applied to the whole unary or binary expression. In Prometheus they
   * bind to the nearest operand: apply `modify` to the rightmost operand.
   */
  #pushDown(e: Expr, end: number, modify: (target: Expr) => Expr): Expr {
    if (e.type === 'BinaryExpr') {
      const out = {
        ...e,
        rhs: this.#pushDown(e.rhs, end, modify),
        pos: { start: e.pos.start, end },
      };
      this.#pushed.add(out);
      return out;
    }
    if (e.type === 'UnaryExpr') {
      const out = {
        ...e,
        expr: this.#pushDown(e.expr, end, modify),
        pos: { start: e.pos.start, end },
      };
      this.#pushed.add(out);
      return out;
    }
    return modify(e);
  }

  /**
   * Nodes rebuilt by {@link #pushDown}. lezer closed them before the
   * operator that follows the modifier, so `a + r @ 60 * 0` arrives as
   * `(a + r@60) * 0`; {@link #rotate} regroups it as `a + (r@60 * 0)`.
   */
  readonly #pushed = new WeakSet<Expr>();

  /** Regroups `(x op1 y) op2 z` as `x op1 (y op2 z)` when `op2` binds tighter (see #pushed). */
  #rotate(b: BinaryExpr): Expr {
    const l = b.lhs;
    if (l.type === 'BinaryExpr' && this.#pushed.has(l) && bindsTighter(b.op, l.op)) {
      const inner = this.#rotate({
        ...b,
        lhs: l.rhs,
        pos: { start: l.rhs.pos.start, end: b.pos.end },
      });
      return { ...l, rhs: inner, pos: { start: l.pos.start, end: b.pos.end } };
    }
    // Unary minus binds weaker than `^` only.
    if (l.type === 'UnaryExpr' && this.#pushed.has(l) && b.op === '^') {
      const inner = this.#rotate({
        ...b,
        lhs: l.expr,
        pos: { start: l.expr.pos.start, end: b.pos.end },
      });
      return { ...l, expr: inner, pos: { start: l.pos.start, end: b.pos.end } };
    }
    return b;
  }

  #onlyExpr(node: SyntaxNode): SyntaxNode {
    const e = children(node).find(isExprNode);
    if (e === undefined) return this.#fail('unexpected end of input', this.#pos(node));
    return e;
  }

  #numberLiteral(node: SyntaxNode): NumberLiteral {
    const text = this.#text(node);
    let sign = 1;
    let body = text;
    if (body.startsWith('-') || body.startsWith('+')) {
      if (body.startsWith('-')) sign = -1;
      // Space or a comment may sit between the sign and the number.
      body = this.#q.slice(skipSpace(this.#q, node.from + 1), node.to);
    }
    const value = sign * this.#parseNumber(body, this.#pos(node));
    return { type: 'NumberLiteral', value, pos: this.#pos(node) };
  }

  #parseNumber(text: string, pos: PositionRange): number {
    const v = parseNumberToken(text);
    if (v === undefined) this.#fail(`error parsing number: ${text}`, pos);
    return v;
  }

  #unquote(node: SyntaxNode): string {
    try {
      return unquoteString(this.#text(node));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return this.#fail(message, this.#pos(node));
    }
  }

  #vectorSelector(node: SyntaxNode): VectorSelector {
    let name: string | undefined;
    const matchers: LabelMatcher[] = [];
    for (const c of children(node)) {
      if (c.name === 'Identifier') name = this.#text(c);
      else if (c.name === 'LabelMatchers') {
        for (const m of children(c)) matchers.push(this.#labelMatcher(m));
      }
    }
    if (name !== undefined) matchers.push(newLabelMatcher('=', '__name__', name));
    return {
      type: 'VectorSelector',
      name,
      matchers,
      offset: undefined,
      at: undefined,
      modifier: undefined,
      pos: this.#pos(node),
    };
  }

  #labelMatcher(node: SyntaxNode): LabelMatcher {
    const kids = children(node);
    if (node.name === 'QuotedLabelName') {
      const s = kids[0];
      const value = s === undefined ? '' : this.#unquote(s);
      return newLabelMatcher('=', '__name__', value);
    }
    const [nameNode, opNode, valueNode] = kids;
    if (nameNode === undefined || opNode === undefined || valueNode === undefined) {
      return this.#fail('unexpected end of input in label matching', this.#pos(node));
    }
    let label: string;
    if (nameNode.name === 'QuotedLabelName') {
      const s = children(nameNode)[0];
      label = s === undefined ? '' : this.#unquote(s);
    } else {
      label = this.#text(nameNode);
    }
    const opName = opNode.firstChild?.name ?? '';
    const type = MATCH_OPS[opName];
    if (type === undefined) return this.#fail('unexpected match operator', this.#pos(opNode));
    const value = this.#unquote(valueNode);
    try {
      return newLabelMatcher(type, label, value);
    } catch (err) {
      const message = isVigilError(err) ? err.message : String(err);
      return this.#fail(message, { start: nameNode.from, end: valueNode.to });
    }
  }

  #matrixSelector(node: SyntaxNode): Expr {
    const kids = children(node);
    const innerNode = kids.find(isExprNode);
    const durNode = kids.find((k) => k.name === 'DurationExpr');
    if (innerNode === undefined || durNode === undefined) {
      return this.#fail('unexpected end of input', this.#pos(node));
    }
    return this.#pushDown(this.#expr(innerNode), node.to, (inner) =>
      this.#makeMatrix(inner, node, innerNode, durNode),
    );
  }

  #makeMatrix(
    inner: Expr,
    node: SyntaxNode,
    innerNode: SyntaxNode,
    durNode: SyntaxNode,
  ): MatrixSelector {
    const bracket = { start: this.#q.indexOf('[', innerNode.to), end: node.to };
    if (inner.type !== 'VectorSelector') {
      return this.#fail('ranges only allowed for vector selectors', bracket);
    }
    if (inner.offset !== undefined) this.#fail('no offset modifiers allowed before range', bracket);
    if (inner.at !== undefined) this.#fail('no @ modifiers allowed before range', bracket);
    const range = this.#positiveDuration(durNode);
    const modifier = inner.modifier;
    const vector: VectorSelector =
      modifier === undefined ? inner : { ...inner, modifier: undefined };
    return {
      type: 'MatrixSelector',
      vector,
      range,
      modifier,
      pos: { start: inner.pos.start, end: node.to },
    };
  }

  #subquery(node: SyntaxNode): Expr {
    const kids = children(node);
    const innerNode = kids.find(isExprNode);
    const durs = kids.filter((k) => k.name === 'DurationExpr');
    const rangeNode = durs[0];
    if (innerNode === undefined || rangeNode === undefined) {
      return this.#fail('unexpected end of input', this.#pos(node));
    }
    const range = this.#positiveDuration(rangeNode);
    const stepNode = durs[1];
    const step = stepNode === undefined ? undefined : this.#positiveDuration(stepNode);
    return this.#pushDown(this.#expr(innerNode), node.to, (expr) => ({
      type: 'SubqueryExpr',
      expr,
      range,
      step,
      offset: undefined,
      at: undefined,
      pos: { start: expr.pos.start, end: node.to },
    }));
  }

  /** The modifier target: selector, range selector or subquery, else Prometheus's error. */
  #modifierTarget(e: Expr, what: 'offset' | '@'): VectorSelector | MatrixSelector | SubqueryExpr {
    if (e.type === 'VectorSelector' || e.type === 'MatrixSelector' || e.type === 'SubqueryExpr') {
      return e;
    }
    const message =
      what === 'offset'
        ? 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'
        : '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery';
    return this.#fail(message, e.pos);
  }

  #offsetExpr(node: SyntaxNode): Expr {
    const kids = children(node);
    const innerNode = kids.find(isExprNode);
    const durNode = kids.find((k) => k.name === 'OffsetDurationExpr');
    if (innerNode === undefined || durNode === undefined) {
      return this.#fail(
        'unexpected end of input in offset, expected number, duration, step(), or range()',
        this.#pos(node),
      );
    }
    const duration = this.#duration(durNode);
    // As upstream, `offset 0` is no offset.
    const offset = duration.kind === 'literal' && duration.ms === 0 ? undefined : duration;
    const end = node.to;
    return this.#pushDown(this.#expr(innerNode), end, (inner) =>
      this.#setOffset(inner, offset, end),
    );
  }

  #setOffset(inner: Expr, offset: DurationValue | undefined, end: number): Expr {
    const target = this.#modifierTarget(inner, 'offset');
    switch (target.type) {
      case 'VectorSelector':
        if (target.offset !== undefined)
          this.#fail('offset may not be set multiple times', target.pos);
        return { ...target, offset, pos: { start: target.pos.start, end } };
      case 'MatrixSelector':
        if (target.vector.offset !== undefined) {
          this.#fail('offset may not be set multiple times', target.pos);
        }
        return {
          ...target,
          vector: { ...target.vector, offset },
          pos: { start: target.pos.start, end },
        };
      case 'SubqueryExpr':
        if (target.offset !== undefined)
          this.#fail('offset may not be set multiple times', target.pos);
        return { ...target, offset, pos: { start: target.pos.start, end } };
    }
  }

  #atExpr(node: SyntaxNode): Expr {
    const kids = children(node);
    const innerNode = kids.find(isExprNode);
    if (innerNode === undefined) return this.#fail('unexpected end of input', this.#pos(node));
    return this.#pushDown(this.#expr(innerNode), node.to, (inner) =>
      this.#setAt(inner, node, kids),
    );
  }

  #setAt(inner: Expr, node: SyntaxNode, kids: SyntaxNode[]): Expr {
    const target = this.#modifierTarget(inner, '@');
    const pre = kids.find((k) => k.name === 'AtModifierPreprocessors');
    let at: AtModifier;
    if (pre !== undefined) {
      at = pre.firstChild?.name === 'AtStart' ? { kind: 'start' } : { kind: 'end' };
    } else {
      const num = kids.find((k) => k.name === 'NumberDurationLiteral');
      if (num === undefined) {
        return this.#fail('unexpected end of input in @, expected timestamp', this.#pos(node));
      }
      const ts = this.#numberLiteral(num).value;
      if (!Number.isFinite(ts) || ts >= 9.223372036854776e18 || ts <= -9.223372036854776e18) {
        this.#fail(`timestamp out of bounds for @ modifier: ${formatGoF(ts, 6)}`, target.pos);
      }
      at = { kind: 'timestamp', ms: Math.round(ts * 1000) };
    }
    const existing = target.type === 'MatrixSelector' ? target.vector.at : target.at;
    if (existing !== undefined)
      this.#fail('@ <timestamp> may not be set multiple times', target.pos);
    const pos = { start: target.pos.start, end: node.to };
    if (target.type === 'MatrixSelector')
      return { ...target, vector: { ...target.vector, at }, pos };
    return { ...target, at, pos };
  }

  #extendedRange(node: SyntaxNode, modifier: 'anchored' | 'smoothed'): Expr {
    const innerNode = this.#onlyExpr(node);
    return this.#pushDown(this.#expr(innerNode), node.to, (e) =>
      this.#setExtendedRange(e, node, modifier),
    );
  }

  #setExtendedRange(e: Expr, node: SyntaxNode, modifier: 'anchored' | 'smoothed'): Expr {
    if (!this.#experimental) {
      this.#fail(`${modifier} modifier is experimental and not enabled`, e.pos);
    }
    const pos = { start: e.pos.start, end: node.to };
    switch (e.type) {
      case 'VectorSelector':
        if (e.modifier !== undefined && e.modifier !== modifier) {
          this.#fail('anchored and smoothed modifiers cannot be used together', e.pos);
        }
        return { ...e, modifier, pos };
      case 'MatrixSelector':
        if (e.modifier !== undefined && e.modifier !== modifier) {
          this.#fail('anchored and smoothed modifiers cannot be used together', e.pos);
        }
        return { ...e, modifier, pos };
      case 'SubqueryExpr':
        return this.#fail(`${modifier} modifier is not supported for subqueries`, e.pos);
      default:
        return this.#fail(`${modifier} modifier not implemented`, e.pos);
    }
  }

  #unary(node: SyntaxNode): Expr {
    const kids = children(node);
    const opNode = kids.find((k) => k.name === 'UnaryOp');
    const op = opNode !== undefined && this.#text(opNode) === '-' ? '-' : '+';
    const inner = this.#expr(this.#onlyExpr(node));
    const pos = this.#pos(node);
    if (inner.type === 'NumberLiteral') {
      return { type: 'NumberLiteral', value: op === '-' ? -inner.value : inner.value, pos };
    }
    return { type: 'UnaryExpr', op, expr: inner, pos };
  }

  #binary(node: SyntaxNode): Expr {
    const kids = children(node);
    const exprs = kids.filter(isExprNode);
    const lhsNode = exprs[0];
    const rhsNode = exprs[1];
    const opNode = kids.find((k) => BINARY_OPS[k.name] !== undefined);
    if (lhsNode === undefined || rhsNode === undefined || opNode === undefined) {
      return this.#fail('unexpected end of input', this.#pos(node));
    }
    const op = BINARY_OPS[opNode.name] ?? '+';
    // lezer reads `-2 ^ 2` as (-2) ^ 2; Prometheus as -(2 ^ 2) (unary minus
    // binds weaker than `^`).
    if (op === '^' && lhsNode.name === 'NumberDurationLiteral') {
      const t = this.#text(lhsNode);
      if (t.startsWith('-') || t.startsWith('+')) {
        const start = skipSpace(this.#q, lhsNode.from + 1);
        const magnitude: NumberLiteral = {
          type: 'NumberLiteral',
          value: this.#parseNumber(this.#q.slice(start, lhsNode.to), this.#pos(lhsNode)),
          pos: { start, end: lhsNode.to },
        };
        const inner = this.#binaryRest(kids, op, magnitude, rhsNode, { start, end: node.to });
        return {
          type: 'UnaryExpr',
          op: t.startsWith('-') ? '-' : '+',
          expr: inner,
          pos: this.#pos(node),
        };
      }
    }
    const lhs = this.#expr(lhsNode);
    const binary = this.#binaryRest(kids, op, lhs, rhsNode, this.#pos(node));
    return this.#pushed.has(lhs) ? this.#rotate(binary) : binary;
  }

  #binaryRest(
    kids: SyntaxNode[],
    op: BinaryOp,
    lhs: Expr,
    rhsNode: SyntaxNode,
    pos: PositionRange,
  ): BinaryExpr {
    let returnBool = false;
    let on = false;
    let labels: string[] = [];
    let include: string[] = [];
    let card: MatchCardinality = 'one-to-one';
    let fill: FillModifier | undefined;
    for (const k of kids) {
      if (k.name === 'BoolModifier') returnBool = true;
      else if (k.name === 'MatchingModifierClause') {
        const mk = children(k);
        const groups = mk.filter((x) => x.name === 'GroupingLabels');
        on = mk.some((x) => x.name === 'On');
        labels = groups[0] === undefined ? [] : this.#groupingLabels(groups[0]);
        if (mk.some((x) => x.name === 'GroupLeft')) card = 'many-to-one';
        if (mk.some((x) => x.name === 'GroupRight')) card = 'one-to-many';
        include = groups[1] === undefined ? [] : this.#groupingLabels(groups[1]);
      } else if (k.name === 'FillModifier') {
        fill = this.#fill(k);
      }
    }
    const rhs = this.#expr(rhsNode);
    if (fill !== undefined && !this.#experimental) {
      this.#fail('binop fill modifiers are experimental and not enabled', pos);
    }
    // Kept for every binary expression while checking; finalizeMatching
    // drops it where an operand is not an instant vector.
    const matching: VectorMatching = { card, on, labels, include };
    return { type: 'BinaryExpr', op, lhs, rhs, returnBool, matching, fill, pos };
  }

  #fill(node: SyntaxNode): FillModifier {
    let lhs: number | undefined;
    let rhs: number | undefined;
    for (const clause of children(node)) {
      const lit = children(clause).find((x) => x.name === 'NumberDurationLiteral');
      const v = lit === undefined ? 0 : this.#numberLiteral(lit).value;
      if (clause.name === 'FillClause') {
        lhs = v;
        rhs = v;
      } else if (clause.name === 'FillLeftClause') lhs = v;
      else if (clause.name === 'FillRightClause') rhs = v;
    }
    return { lhs, rhs };
  }

  #groupingLabels(node: SyntaxNode): string[] {
    const out: string[] = [];
    for (const c of children(node)) {
      if (c.name === 'LabelName') out.push(this.#text(c));
      else if (c.name === 'QuotedLabelName') {
        const s = children(c)[0];
        out.push(s === undefined ? '' : this.#unquote(s));
      }
    }
    return out;
  }

  #aggregate(node: SyntaxNode): AggregateExpr {
    const kids = children(node);
    const opNode = kids.find((k) => k.name === 'AggregateOp');
    const bodyNode = kids.find((k) => k.name === 'FunctionCallBody');
    const modNode = kids.find((k) => k.name === 'AggregateModifier');
    if (opNode === undefined || bodyNode === undefined) {
      return this.#fail('unexpected end of input in aggregation', this.#pos(node));
    }
    const op = this.#text(opNode).toLowerCase() as AggregateOp;
    let grouping: string[] = [];
    let without = false;
    if (modNode !== undefined) {
      const mk = children(modNode);
      without = mk.some((x) => x.name === 'Without');
      const g = mk.find((x) => x.name === 'GroupingLabels');
      grouping = g === undefined ? [] : this.#groupingLabels(g);
    }
    const args = this.#callArgs(bodyNode);
    const pos = this.#pos(node);
    if (args.length === 0) this.#fail('no arguments for aggregate expression provided', pos);
    let desired = 1;
    let param: Expr | undefined;
    if (PARAM_AGGREGATIONS.has(op)) {
      if (!this.#experimental && EXPERIMENTAL_AGGREGATIONS.has(op)) {
        this.#fail(
          `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`,
          pos,
        );
      }
      desired = 2;
      param = args[0];
    }
    if (args.length !== desired) {
      this.#fail(
        `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`,
        pos,
      );
    }
    const expr = args[desired - 1];
    if (expr === undefined)
      return this.#fail('no arguments for aggregate expression provided', pos);
    return { type: 'AggregateExpr', op, expr, param, grouping, without, pos };
  }

  #callArgs(body: SyntaxNode): Expr[] {
    return children(body)
      .filter(isExprNode)
      .map((e) => this.#expr(e));
  }

  #call(node: SyntaxNode): Call {
    const kids = children(node);
    const idNode = kids.find((k) => k.name === 'FunctionIdentifier');
    const bodyNode = kids.find((k) => k.name === 'FunctionCallBody');
    if (idNode === undefined || bodyNode === undefined) {
      return this.#fail('unexpected end of input', this.#pos(node));
    }
    const name = this.#text(idNode);
    const func = FUNCTION_SIGNATURES.get(name);
    if (func === undefined) {
      return this.#fail(`unknown function with name ${goQuote(name)}`, this.#pos(idNode));
    }
    if (func.experimental && !this.#experimental) {
      this.#fail(`function ${goQuote(name)} is not enabled`, this.#pos(idNode));
    }
    const args = this.#callArgs(bodyNode);
    return { type: 'Call', func, args, pos: this.#pos(node) };
  }

  // ------------------------------------------------------------ durations

  /** Range and subquery-step durations: literals must be positive. */
  #positiveDuration(node: SyntaxNode): DurationValue {
    const d = this.#duration(node);
    if (d.kind === 'literal' && d.ms <= 0) {
      this.#fail('duration must be greater than 0', this.#pos(node));
    }
    return d;
  }

  #duration(node: SyntaxNode): DurationValue {
    const expr = this.#durationExpr(node);
    if (containsCall(expr)) return { kind: 'expression', expr };
    const seconds = evalDurationSeconds(
      expr,
      () => undefined,
      () => NaN,
    );
    return { kind: 'literal', ms: Math.round(seconds * 1000) };
  }

  #durationExpr(node: SyntaxNode): Expr {
    const kids = children(node);
    const pos = this.#pos(node);
    const first = kids[0];
    if (first === undefined) return this.#fail('unexpected end of input', pos);
    switch (first.name) {
      case 'NumberDurationLiteralInDurationContext':
        return { type: 'NumberLiteral', value: this.#parseNumber(this.#text(first), pos), pos };
      case 'UnaryOp': {
        const innerNode = kids[1];
        if (innerNode === undefined) return this.#fail('unexpected end of input', pos);
        const inner = this.#durationExpr(innerNode);
        const op = this.#text(first) === '-' ? '-' : '+';
        if (inner.type === 'NumberLiteral') {
          return { type: 'NumberLiteral', value: op === '-' ? -inner.value : inner.value, pos };
        }
        return { type: 'UnaryExpr', op, expr: inner, pos };
      }
      case 'DurationStep':
        return this.#durationCall('step', [], pos);
      case 'DurationRange':
        return this.#durationCall('range', [], pos);
      case 'DurationMinOf':
      case 'DurationMaxOf': {
        const args = kids.slice(1).map((k) => this.#durationExpr(k));
        return this.#durationCall(first.name === 'DurationMinOf' ? 'min_of' : 'max_of', args, pos);
      }
      default:
        break;
    }
    if (kids.length === 3) {
      const [l, o, r] = kids;
      const op = o === undefined ? undefined : BINARY_OPS[o.name];
      if (l !== undefined && r !== undefined && op !== undefined) {
        const lhs = this.#durationExpr(l);
        const rhs = this.#durationExpr(r);
        return {
          type: 'BinaryExpr',
          op,
          lhs,
          rhs,
          returnBool: false,
          matching: undefined,
          fill: undefined,
          pos,
        };
      }
    }
    if (kids.length === 1) {
      // `( DurationExpr )`.
      return { type: 'ParenExpr', expr: this.#durationExpr(first), pos };
    }
    return this.#fail(`unexpected ${describeToken(this.#q, first.from).desc}`, pos);
  }

  #durationCall(name: string, args: Expr[], pos: PositionRange): Call {
    const func = FUNCTION_SIGNATURES.get(name) as FunctionSignature;
    return { type: 'Call', func, args, pos };
  }

  // ---------------------------------------------------------- type checks

  /** Prometheus's checkAST: type checks after a syntactically valid parse. */
  #check(e: Expr): ValueType {
    switch (e.type) {
      case 'NumberLiteral':
      case 'StringLiteral':
        break;
      case 'ParenExpr':
        this.#check(e.expr);
        break;
      case 'UnaryExpr': {
        const t = this.#check(e.expr);
        if (t !== 'scalar' && t !== 'vector') {
          this.#fail(
            `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`,
            e.pos,
          );
        }
        break;
      }
      case 'VectorSelector':
        this.#checkSelector(e);
        break;
      case 'MatrixSelector':
        this.#checkSelector(e.vector);
        break;
      case 'SubqueryExpr': {
        const t = this.#check(e.expr);
        if (t !== 'vector') {
          this.#fail(`subquery is only allowed on instant vector, got ${t} instead`, e.pos);
        }
        break;
      }
      case 'AggregateExpr':
        this.#expectType(e.expr, 'vector', 'aggregation expression');
        if (e.param !== undefined) {
          this.#expectType(
            e.param,
            e.op === 'count_values' ? 'string' : 'scalar',
            'aggregation parameter',
          );
        }
        break;
      case 'Call':
        this.#checkCall(e);
        break;
      case 'BinaryExpr':
        return this.#checkBinary(e);
    }
    return valueTypeOf(e);
  }

  #expectType(e: Expr, want: ValueType, context: string): void {
    const t = this.#check(e);
    if (t !== want) {
      this.#fail(
        `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`,
        e.pos,
      );
    }
  }

  #checkSelector(vs: VectorSelector): void {
    if (vs.name !== undefined) {
      for (const m of vs.matchers.slice(0, -1)) {
        if (m.name === '__name__') {
          this.#fail(
            `metric name must not be set twice: ${goQuote(vs.name)} or ${goQuote(m.value)}`,
            vs.pos,
          );
        }
      }
      return;
    }
    if (this.#bypassEmptyCheck.has(vs)) return;
    if (!vs.matchers.some((m) => !m.matches(''))) {
      this.#fail('vector selector must contain at least one non-empty matcher', vs.pos);
    }
  }

  #checkCall(e: Call): void {
    const f = e.func;
    const n = e.args.length;
    const nargs = f.argTypes.length;
    if (f.minArgs === f.maxArgs) {
      if (n !== nargs) {
        this.#fail(`expected ${nargs} argument(s) in call to ${goQuote(f.name)}, got ${n}`, e.pos);
      }
    } else if (n < f.minArgs) {
      this.#fail(
        `expected at least ${f.minArgs} argument(s) in call to ${goQuote(f.name)}, got ${n}`,
        e.pos,
      );
    } else if (n > f.maxArgs) {
      this.#fail(
        `expected at most ${f.maxArgs} argument(s) in call to ${goQuote(f.name)}, got ${n}`,
        e.pos,
      );
    }
    if (f.name === 'info' && n > 1) {
      const second = e.args[1] as Expr;
      const t = valueTypeOf(second);
      if (t !== 'vector') {
        this.#fail(
          `expected type ${documentedType('vector')} in call to function "info", got ${documentedType(t)}`,
          e.pos,
        );
      }
      if (second.type === 'VectorSelector' && second.name !== undefined) {
        this.#fail('expected label selectors only, got vector selector instead', second.pos);
      } else if (second.type === 'VectorSelector') {
        this.#bypassEmptyCheck.add(second);
      } else {
        this.#fail('expected label selectors only', second.pos);
      }
    }
    e.args.forEach((arg, i) => {
      if (i >= nargs && f.minArgs === f.maxArgs) return;
      const want = f.argTypes[Math.min(i, nargs - 1)];
      const t = this.#check(arg);
      if (want !== undefined && t !== want) {
        this.#fail(
          `expected type ${documentedType(want)} in call to function ${goQuote(f.name)}, got ${documentedType(t)}`,
          arg.pos,
        );
      }
    });
  }

  #checkBinary(e: BinaryExpr): ValueType {
    const lt = this.#check(e.lhs);
    const rt = this.#check(e.rhs);
    const opPos = this.#opRange(e);
    const isComparison = COMPARISON_OPS.has(e.op);
    const isSet = SET_OPS.has(e.op);
    if (e.returnBool && !isComparison) {
      this.#fail('bool modifier can only be used on comparison operators', opPos);
    }
    if (isComparison && !e.returnBool && lt === 'scalar' && rt === 'scalar') {
      this.#fail('comparisons between scalars must use BOOL modifier', opPos);
    }
    const m = e.matching;
    let card = m?.card ?? 'one-to-one';
    if (isSet && card === 'one-to-one') card = 'many-to-many';
    if (m !== undefined && m.on) {
      for (const l1 of m.labels) {
        if (m.include.includes(l1)) {
          this.#fail(`label ${goQuote(l1)} must not occur in ON and GROUP clause at once`, opPos);
        }
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') {
      this.#fail('binary expression must contain only scalar and instant vector types', e.lhs.pos);
    }
    if (rt !== 'scalar' && rt !== 'vector') {
      this.#fail('binary expression must contain only scalar and instant vector types', e.rhs.pos);
    }
    const hasFill = e.fill !== undefined && (e.fill.lhs !== undefined || e.fill.rhs !== undefined);
    if (lt !== 'vector' || rt !== 'vector') {
      if (m !== undefined && m.labels.length > 0) {
        this.#fail('vector matching only allowed between instant vectors', e.pos);
      }
      if (hasFill)
        this.#fail('filling in missing series only allowed between instant vectors', e.pos);
    } else if (isSet) {
      if (card === 'one-to-many' || card === 'many-to-one') {
        this.#fail(`no grouping allowed for ${goQuote(e.op)} operation`, e.pos);
      }
      if (card !== 'many-to-many') this.#fail('set operations must always be many-to-many', e.pos);
      if (hasFill) this.#fail('filling in missing series not allowed for set operators', e.pos);
    }
    if ((lt === 'scalar' || rt === 'scalar') && isSet) {
      this.#fail(`set operator ${goQuote(e.op)} not allowed in binary scalar expression`, e.pos);
    }
    return lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
  }

  /** The operator's text range between the operands, without surrounding space. */
  #opRange(e: BinaryExpr): PositionRange {
    let start = e.lhs.pos.end;
    let end = e.rhs.pos.start - 1;
    while (start < end && /\s/.test(this.#q[start] ?? '')) start++;
    while (end > start && /\s/.test(this.#q[end] ?? '')) end--;
    return { start, end };
  }
}

/** Finalises binary nodes: `matching` only when both sides are instant vectors (set ops many-to-many). */
function finalizeMatching(e: Expr): Expr {
  switch (e.type) {
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'VectorSelector':
    case 'MatrixSelector':
      return e;
    case 'SubqueryExpr':
      return { ...e, expr: finalizeMatching(e.expr) };
    case 'ParenExpr':
      return { ...e, expr: finalizeMatching(e.expr) };
    case 'UnaryExpr':
      return { ...e, expr: finalizeMatching(e.expr) };
    case 'AggregateExpr':
      return {
        ...e,
        expr: finalizeMatching(e.expr),
        param: e.param === undefined ? undefined : finalizeMatching(e.param),
      };
    case 'Call':
      return { ...e, args: e.args.map(finalizeMatching) };
    case 'BinaryExpr': {
      const lhs = finalizeMatching(e.lhs);
      const rhs = finalizeMatching(e.rhs);
      const bothVectors = valueTypeOf(lhs) === 'vector' && valueTypeOf(rhs) === 'vector';
      let matching: VectorMatching | undefined;
      if (bothVectors && e.matching !== undefined) {
        const card: MatchCardinality =
          SET_OPS.has(e.op) && e.matching.card === 'one-to-one' ? 'many-to-many' : e.matching.card;
        matching = { ...e.matching, card };
      }
      return { ...e, lhs, rhs, matching };
    }
  }
}

function containsCall(e: Expr): boolean {
  switch (e.type) {
    case 'Call':
      return true;
    case 'BinaryExpr':
      return containsCall(e.lhs) || containsCall(e.rhs);
    case 'UnaryExpr':
    case 'ParenExpr':
      return containsCall(e.expr);
    default:
      return false;
  }
}

/**
 * The value of a number token as Prometheus reads it (seconds for a
 * duration such as `1h30m`), or undefined when it is not a number.
 */
export function parseNumberToken(text: string): number | undefined {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  if (/^(\d+(ms|y|w|d|h|m|s))+$/.test(t)) {
    try {
      return parseDurationMs(t) / 1000;
    } catch {
      return undefined;
    }
  }
  if (/^0[xX][0-9a-fA-F_]+$/.test(t)) return parseInt(t.slice(2).replace(/_/g, ''), 16);
  if (/^0[0-7_]+$/.test(t)) return parseInt(t.slice(1).replace(/_/g, ''), 8);
  if (/^(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d[\d_]*)?$/.test(t)) {
    const v = Number(t.replace(/_/g, ''));
    return Number.isNaN(v) ? undefined : v;
  }
  return undefined;
}

/**
 * The text the lexer had read when a number runs into letters (`5i`,
 * `1x`), or undefined for a well-formed number or duration.
 */
function badNumber(rest: string): string | undefined {
  const m =
    /^(0[xX][0-9a-fA-F_]+|(\d+(ms|[ywdhms]))+|(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d[\d_]*)?)/.exec(
      rest,
    );
  if (m === null) return undefined;
  const next = rest[m[0].length] ?? '';
  if (!/[a-zA-Z_0-9]/.test(next)) return undefined;
  // Prometheus's scanner stops before the bad character.
  return /^\d+(ms|[ywdhms])/.test(m[0]) ? m[0] : m[0].replace(/[eE]$/, '');
}

/** The ` in <context>, expected <what>` suffix Prometheus's grammar adds to a syntax error. */
function errorContext(error: SyntaxNode): string {
  const parent = error.parent;
  if (parent === null) return '';
  let prev = error.prevSibling;
  while (prev !== null && (prev.name === 'LineComment' || prev.type.isError))
    prev = prev.prevSibling;
  const prevName = prev?.name ?? '';
  switch (parent.name) {
    case 'AggregateModifier':
      return ' in grouping opts, expected "("';
    case 'GroupingLabels':
      return prevName === 'LabelName' || prevName === 'QuotedLabelName'
        ? ' in grouping opts, expected "," or ")"'
        : ' in grouping opts, expected label';
    case 'UnquotedLabelMatcher':
    case 'QuotedLabelMatcher':
      return prevName === 'MatchOp'
        ? ' in label matching, expected string'
        : ' in label matching, expected label matching operator';
    case 'LabelMatchers':
      return prevName === 'UnquotedLabelMatcher' ||
        prevName === 'QuotedLabelMatcher' ||
        prevName === 'QuotedLabelName'
        ? ' in label matching, expected "," or "}"'
        : ' in label matching, expected identifier or "}"';
    case 'StepInvariantExpr':
      return ' in @, expected timestamp';
    case 'OffsetExpr':
      return ' in offset, expected number, duration, step(), or range()';
    case 'AggregateExpr':
      return ' in aggregation';
    case 'MatrixSelector':
    case 'SubqueryExpr': {
      const durations = parent.getChildren('DurationExpr').length;
      if (durations === 0) {
        return ' in subquery or range selector, expected number, duration, step(), or range()';
      }
      if (parent.name === 'MatrixSelector') return ' in subquery or range, expected ":" or "]"';
      return durations >= 2
        ? ' in subquery selector, expected "]"'
        : ' in subquery selector, expected number, duration, step(), range(), or "]"';
    }
    default:
      return '';
  }
}

function isEscapedAt(s: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

function skipSpace(q: string, from: number): number {
  let i = from;
  for (;;) {
    while (i < q.length && /\s/.test(q[i] ?? '')) i++;
    if (q[i] === '#') {
      while (i < q.length && q[i] !== '\n') i++;
      continue;
    }
    return i;
  }
}

const KEYWORDS: ReadonlySet<string> = new Set([
  'bool',
  'by',
  'group_left',
  'group_right',
  'ignoring',
  'offset',
  'on',
  'without',
  'start',
  'end',
  'anchored',
  'smoothed',
]);
const AGGREGATORS: ReadonlySet<string> = new Set([
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'count_values',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const WORD_OPERATORS: ReadonlySet<string> = new Set(['and', 'or', 'unless', 'atan2']);
const OPERATORS = [
  '==',
  '!=',
  '>=',
  '<=',
  '=~',
  '!~',
  '</',
  '>/',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '>',
  '<',
  '@',
];
const PUNCTUATION = ['(', ')', '{', '}', '[', ']', ',', ':', '='];

/** Go's `%q` of at most the first 10 characters, then `...` (Prometheus's item text for long values). */
function itemValue(v: string): string {
  const chars = [...v];
  return chars.length > 10 ? `${goQuote(chars.slice(0, 10).join(''))}...` : goQuote(v);
}

/** Describes the token at `at` as Prometheus's parser names lexer items in "unexpected …" errors. */
function describeToken(q: string, at: number): { desc: string; end: number } {
  if (at >= q.length) return { desc: 'end of input', end: at };
  const rest = q.slice(at);
  const str = /^("(\\.|[^"\\\n])*"|'(\\.|[^'\\\n])*'|`[^`]*`)/.exec(rest);
  if (str !== null) return { desc: `string ${itemValue(str[0])}`, end: at + str[0].length };
  const dur = /^(\d+(ms|[ywdhms]))+(?![a-zA-Z0-9_])/.exec(rest);
  if (dur !== null) return { desc: `duration ${itemValue(dur[0])}`, end: at + dur[0].length };
  const num = /^(0[xX][0-9a-fA-F_]+|\d[\d_]*(\.[\d_]*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)/.exec(
    rest,
  );
  if (num !== null) return { desc: `number ${itemValue(num[0])}`, end: at + num[0].length };
  const ident = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest);
  if (ident !== null) {
    const word = ident[0];
    const lower = word.toLowerCase();
    const end = at + word.length;
    if (lower === 'inf' || lower === 'nan') return { desc: `number ${goQuote(word)}`, end };
    if (KEYWORDS.has(lower)) return { desc: `<${word}>`, end };
    if (WORD_OPERATORS.has(lower)) return { desc: `<op:${word}>`, end };
    if (AGGREGATORS.has(lower)) return { desc: `<aggr:${word}>`, end };
    return { desc: `identifier ${goQuote(word)}`, end };
  }
  for (const op of OPERATORS) {
    if (rest.startsWith(op)) return { desc: `<op:${op}>`, end: at + op.length };
  }
  for (const p of PUNCTUATION) {
    if (rest.startsWith(p)) return { desc: goQuote(p), end: at + 1 };
  }
  const ch = String.fromCodePoint(rest.codePointAt(0) ?? 0);
  return { desc: `character: ${goQuoteSingle(ch)}`, end: at + ch.length };
}

/**
 * The errors Prometheus's lexer (not its grammar) reports: unbalanced
 * parentheses, braces and brackets and characters it cannot read.
 */
function lexerError(q: string): { message: string; pos: PositionRange; at?: number } | undefined {
  let parens = 0;
  let brace = false;
  let bracket = false;
  let i = 0;
  while (i < q.length) {
    const ch = q[i] ?? '';
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < q.length && q[j] !== ch && q[j] !== '\n') j += q[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    if (ch === '`') {
      const j = q.indexOf('`', i + 1);
      i = j < 0 ? q.length : j + 1;
      continue;
    }
    if (ch === '#') {
      while (i < q.length && q[i] !== '\n') i++;
      continue;
    }
    const at = { start: i, end: i + 1 };
    switch (ch) {
      case '(':
        if (!brace) parens++;
        break;
      case ')':
        if (!brace) {
          parens--;
          if (parens < 0) {
            // Reported after the parenthesis, as the lexer has emitted it.
            return {
              message: "unexpected right parenthesis ')'",
              pos: { start: i + 1, end: q.length },
              at: i,
            };
          }
        }
        break;
      case '{':
        if (brace) return { message: "unexpected left brace '{'", pos: at };
        brace = true;
        break;
      case '}':
        if (!brace) return { message: "unexpected character: '}'", pos: at };
        brace = false;
        break;
      case '[':
        if (bracket) return { message: "unexpected left bracket '['", pos: at };
        bracket = true;
        break;
      case ']':
        if (!bracket) return { message: "unexpected right bracket ']'", pos: at };
        bracket = false;
        break;
      default:
        if (brace && !/[\s\w,=!~]/.test(ch)) {
          const c = String.fromCodePoint(q.codePointAt(i) ?? 0);
          return { message: `unexpected character inside braces: '${c}'`, pos: at };
        }
        if (brace && /[0-9]/.test(ch) && !/\w/.test(q[i - 1] ?? '')) {
          return { message: `unexpected character inside braces: '${ch}'`, pos: at };
        }
        if (!brace && /[0-9.]/.test(ch) && !/[\w.]/.test(q[i - 1] ?? '')) {
          const bad = badNumber(q.slice(i));
          if (bad !== undefined) {
            return { message: `bad number or duration syntax: ${goQuote(bad)}`, pos: at };
          }
        }
        break;
    }
    i++;
  }
  const end = { start: q.length, end: q.length };
  if (brace) return { message: 'unexpected end of input inside braces', pos: end };
  if (bracket) return { message: 'unclosed left bracket', pos: end };
  if (parens > 0) return { message: 'unclosed left parenthesis', pos: end };
  return undefined;
}

function goQuoteSingle(ch: string): string {
  return `'${ch}'`;
}

/**
 * Renders a parse error the way Prometheus's API shows it
 * (`ParseErr.Error()`): `<line>:<column>: parse error: <message>`, with the
 * 1-based line and column of the error's start in `query`. Errors without a
 * position render as `parse error: <message>`.
 */
export function formatParseError(err: unknown, query: string): string {
  const message = err instanceof Error ? err.message : String(err);
  if (isVigilError(err)) {
    const position = err.details?.['position'] as { start?: unknown } | undefined;
    if (position !== undefined && typeof position.start === 'number') {
      const { line, column } = lineColumnOf(query, position.start);
      return `${line}:${column}: parse error: ${message}`;
    }
  }
  return `parse error: ${message}`;
}

/** Binary operator precedence, as Prometheus's grammar orders it (higher binds tighter). */
function precedence(op: BinaryOp): number {
  switch (op) {
    case 'or':
      return 1;
    case 'and':
    case 'unless':
      return 2;
    case '+':
    case '-':
      return 4;
    case '*':
    case '/':
    case '%':
    case 'atan2':
      return 5;
    case '^':
      return 6;
    default:
      return 3; // comparisons and the trim operators
  }
}

/** True when `outer`, written after an expression ending in `inner`'s operand, binds tighter. */
function bindsTighter(outer: BinaryOp, inner: BinaryOp): boolean {
  const po = precedence(outer);
  const pi = precedence(inner);
  return po > pi || (po === pi && outer === '^');
}
