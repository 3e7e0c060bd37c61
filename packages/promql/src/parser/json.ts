import type { LabelMatcher } from '@vigil/model';
import type { AtModifier, DurationValue, Expr, FunctionSignature } from './ast.js';
import { formatGoShortest } from '@vigil/model';

/** A JSON value as `exprToJson` produces it. */
export type AstJson =
  null | boolean | number | string | readonly AstJson[] | { readonly [key: string]: AstJson };

/**
 * The JSON tree Prometheus 3's `/api/v1/parse_query` returns for an
 * expression (upstream `translateAST`): `vectorSelector`, `matrixSelector`,
 * `subquery`, `binaryExpr`, `aggregation`, `call`, `numberLiteral` (`val` as
 * a string), `stringLiteral`, `parenExpr`, `unaryExpr`. Object keys are in
 * sorted order, as Go's encoder writes maps, so `JSON.stringify` of the
 * result is byte-identical to upstream. Durations are milliseconds; a
 * duration that is an expression (`[step()]`) shows as 0, as upstream. Pure.
 */
export function exprToJson(expr: Expr): AstJson {
  switch (expr.type) {
    case 'AggregateExpr':
      return {
        expr: exprToJson(expr.expr),
        grouping: [...expr.grouping],
        op: expr.op,
        param: expr.param === undefined ? null : exprToJson(expr.param),
        type: 'aggregation',
        without: expr.without,
      };
    case 'BinaryExpr': {
      const m = expr.matching;
      return {
        bool: expr.returnBool,
        lhs: exprToJson(expr.lhs),
        matching:
          m === undefined
            ? null
            : { card: m.card, include: [...m.include], labels: [...m.labels], on: m.on },
        op: expr.op,
        rhs: exprToJson(expr.rhs),
        type: 'binaryExpr',
      };
    }
    case 'Call':
      return {
        args: expr.args.map(exprToJson),
        func: functionJson(expr.func),
        type: 'call',
      };
    case 'MatrixSelector': {
      const vs = expr.vector;
      return {
        matchers: matchersJson(vs.matchers),
        name: vs.name ?? '',
        offset: durationMs(vs.offset),
        range: durationMs(expr.range),
        startOrEnd: startOrEnd(vs.at),
        timestamp: timestamp(vs.at),
        type: 'matrixSelector',
      };
    }
    case 'SubqueryExpr':
      return {
        expr: exprToJson(expr.expr),
        offset: durationMs(expr.offset),
        range: durationMs(expr.range),
        startOrEnd: startOrEnd(expr.at),
        step: durationMs(expr.step),
        timestamp: timestamp(expr.at),
        type: 'subquery',
      };
    case 'NumberLiteral':
      return { type: 'numberLiteral', val: formatGoShortest(expr.value) };
    case 'ParenExpr':
      return { expr: exprToJson(expr.expr), type: 'parenExpr' };
    case 'StringLiteral':
      return { type: 'stringLiteral', val: expr.value };
    case 'UnaryExpr':
      return { expr: exprToJson(expr.expr), op: expr.op, type: 'unaryExpr' };
    case 'VectorSelector':
      return {
        matchers: matchersJson(expr.matchers),
        name: expr.name ?? '',
        offset: durationMs(expr.offset),
        startOrEnd: startOrEnd(expr.at),
        timestamp: timestamp(expr.at),
        type: 'vectorSelector',
      };
  }
}

/** Upstream's `Variadic`: 0 for a fixed count, -1 for unbounded, else how many optional arguments. */
export function variadicOf(f: FunctionSignature): number {
  if (f.minArgs === f.maxArgs) return 0;
  if (f.maxArgs === Infinity) return -1;
  return f.maxArgs - f.minArgs;
}

function functionJson(f: FunctionSignature): AstJson {
  return {
    argTypes: [...f.argTypes],
    name: f.name,
    returnType: f.returnType,
    variadic: variadicOf(f),
  };
}

function matchersJson(matchers: readonly LabelMatcher[]): AstJson {
  return matchers.map((m) => ({ name: m.name, type: m.type, value: m.value }));
}

function durationMs(d: DurationValue | undefined): number {
  return d === undefined || d.kind === 'expression' ? 0 : d.ms;
}

function timestamp(at: AtModifier | undefined): number | null {
  return at?.kind === 'timestamp' ? at.ms : null;
}

function startOrEnd(at: AtModifier | undefined): string | null {
  return at === undefined || at.kind === 'timestamp' ? null : at.kind;
}
