import type { LabelMatcher } from '@vigil/model';

/**
 * The typed PromQL syntax tree. Produced by `parseExpr` from
 * `@prometheus-io/lezer-promql`'s concrete tree, printed back by
 * `formatExpr`, evaluated by the engine. Nodes are plain immutable objects;
 * a tree may be shared between concurrent queries.
 */

/** The four PromQL value types, named as the Prometheus HTTP API names them. */
export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/**
 * Where a node sits in the query text: UTF-16 offsets, `start` inclusive,
 * `end` exclusive. Annotations print it as 1-based `line:column` of `start`.
 */
export interface PositionRange {
  readonly start: number;
  readonly end: number;
}

/**
 * A duration as written in the query. Plain literals (`5m`, `1800`) are
 * resolved at parse time; duration expressions (`[2m*15]`, `offset -step()`)
 * are kept as an expression of number literals, arithmetic, parentheses and
 * the calls `step()`, `range()`, `min_of()`, `max_of()`, and resolved when
 * the query runs (they may depend on its step and range). The expression's
 * numbers are seconds; the result is converted to milliseconds.
 */
export type DurationValue =
  | { readonly kind: 'literal'; readonly ms: number }
  | { readonly kind: 'expression'; readonly expr: Expr };

/** The `@` modifier: a fixed time, or the query's start or end. */
export type AtModifier =
  | { readonly kind: 'timestamp'; readonly ms: number }
  | { readonly kind: 'start' }
  | { readonly kind: 'end' };

/** A number (`1`, `0x1f`, `1e3`, `Inf`, `NaN`, or a duration used as a number: `1h` = 3600). */
export interface NumberLiteral {
  readonly type: 'NumberLiteral';
  readonly value: number;
  readonly pos: PositionRange;
}

/** A string literal, already unquoted. */
export interface StringLiteral {
  readonly type: 'StringLiteral';
  readonly value: string;
  readonly pos: PositionRange;
}

/**
 * An instant vector selector. `matchers` includes the `__name__="…"`
 * matcher when the metric name is written before the braces, so the
 * evaluator only reads `matchers`.
 */
export interface VectorSelector {
  readonly type: 'VectorSelector';
  /** The metric name written before the braces, if any (`foo` in `foo{a="b"}`). */
  readonly name: string | undefined;
  readonly matchers: readonly LabelMatcher[];
  /** `offset`, positive into the past; negative offsets look into the future. */
  readonly offset: DurationValue | undefined;
  readonly at: AtModifier | undefined;
  /**
   * Experimental `anchored` / `smoothed` on an instant selector
   * (`metric smoothed`). Inside a {@link MatrixSelector} it is always
   * undefined: the range selector's own `modifier` holds it.
   */
  readonly modifier: 'anchored' | 'smoothed' | undefined;
  readonly pos: PositionRange;
}

/** A range vector selector `sel[5m]` (and the experimental `anchored` / `smoothed`). */
export interface MatrixSelector {
  readonly type: 'MatrixSelector';
  /** The selector; its `offset` and `at` apply to the whole range. */
  readonly vector: VectorSelector;
  readonly range: DurationValue;
  /** Experimental extended range selectors (`promql-extended-range-selectors`). */
  readonly modifier: 'anchored' | 'smoothed' | undefined;
  readonly pos: PositionRange;
}

/** A subquery `expr[range:step]`; `step` undefined means the engine's default. */
export interface SubqueryExpr {
  readonly type: 'SubqueryExpr';
  readonly expr: Expr;
  readonly range: DurationValue;
  readonly step: DurationValue | undefined;
  readonly offset: DurationValue | undefined;
  readonly at: AtModifier | undefined;
  readonly pos: PositionRange;
}

/** `( expr )`. Kept so that formatting round-trips and positions stay right. */
export interface ParenExpr {
  readonly type: 'ParenExpr';
  readonly expr: Expr;
  readonly pos: PositionRange;
}

/** Unary `-expr` or `+expr`. */
export interface UnaryExpr {
  readonly type: 'UnaryExpr';
  readonly op: '-' | '+';
  readonly expr: Expr;
  readonly pos: PositionRange;
}

/** Arithmetic binary operators. */
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
/** Comparison binary operators (filtering, or 0/1 with `bool`). */
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
/** Set operators (vector/vector only, many-to-many). */
export type SetOp = 'and' | 'or' | 'unless';
/** Native-histogram trim operators (`</`, `>/`). Parsed; not evaluated on floats. */
export type TrimOp = '</' | '>/';
/** Every binary operator. */
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp | TrimOp;

/** Cardinality of a vector/vector binary operation. */
export type MatchCardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

/** `on(...)`/`ignoring(...)` and `group_left(...)`/`group_right(...)`. */
export interface VectorMatching {
  readonly card: MatchCardinality;
  /** True for `on(labels)`, false for `ignoring(labels)` (and for no clause). */
  readonly on: boolean;
  /** The labels of the `on`/`ignoring` clause. */
  readonly labels: readonly string[];
  /** The labels listed in `group_left(...)` / `group_right(...)`. */
  readonly include: readonly string[];
}

/** Experimental fill modifiers (`fill(v)`, `fill_left(v)`, `fill_right(v)`). */
export interface FillModifier {
  readonly lhs: number | undefined;
  readonly rhs: number | undefined;
}

/** A binary operation. `matching` is set when both sides are instant vectors. */
export interface BinaryExpr {
  readonly type: 'BinaryExpr';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  /** The `bool` modifier on a comparison. */
  readonly returnBool: boolean;
  readonly matching: VectorMatching | undefined;
  readonly fill: FillModifier | undefined;
  readonly pos: PositionRange;
}

/** Aggregation operators. `limitk` and `limit_ratio` are experimental. */
export type AggregateOp =
  | 'sum'
  | 'min'
  | 'max'
  | 'avg'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'count'
  | 'count_values'
  | 'bottomk'
  | 'topk'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio';

/** An aggregation `op [by|without (labels)] ([param,] expr)`. */
export interface AggregateExpr {
  readonly type: 'AggregateExpr';
  readonly op: AggregateOp;
  readonly expr: Expr;
  /** The parameter of `topk`, `bottomk`, `quantile`, `count_values`, `limitk`, `limit_ratio`. */
  readonly param: Expr | undefined;
  readonly grouping: readonly string[];
  /** True for `without (...)`; false for `by (...)` or no clause. */
  readonly without: boolean;
  readonly pos: PositionRange;
}

/**
 * The signature of a PromQL function, as the parser checks calls against it.
 * A call takes between `minArgs` and `maxArgs` arguments; argument `i` has
 * type `argTypes[min(i, argTypes.length - 1)]` (so `label_join`'s trailing
 * string arguments repeat the last type, with `maxArgs` = `Infinity`).
 */
export interface FunctionSignature {
  readonly name: string;
  readonly argTypes: readonly ValueType[];
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly returnType: ValueType;
  /** Needs `--enable-feature=promql-experimental-functions` upstream. */
  readonly experimental: boolean;
}

/** A function call. */
export interface Call {
  readonly type: 'Call';
  readonly func: FunctionSignature;
  readonly args: readonly Expr[];
  readonly pos: PositionRange;
}

/** Any PromQL expression. */
export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | ParenExpr
  | UnaryExpr
  | BinaryExpr
  | AggregateExpr
  | Call;

/** The value type an expression evaluates to (as Prometheus's `Expr.Type()`). */
export function valueTypeOf(expr: Expr): ValueType {
  switch (expr.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'ParenExpr':
    case 'UnaryExpr':
      return valueTypeOf(expr.expr);
    case 'BinaryExpr':
      return valueTypeOf(expr.lhs) === 'scalar' && valueTypeOf(expr.rhs) === 'scalar'
        ? 'scalar'
        : 'vector';
    case 'AggregateExpr':
      return 'vector';
    case 'Call':
      return expr.func.returnType;
  }
}
