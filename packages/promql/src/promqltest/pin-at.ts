import type { AtModifier, Expr } from '../parser/ast.js';

/**
 * Returns a copy of `expr` in which every vector selector, matrix selector
 * and subquery that has no `@` modifier gets `@ <timeMs>` (selectors inside
 * a matrix selector get it on the matrix selector's vector selector), as the
 * upstream harness does for its step-invariance re-runs. Nodes with an `@`
 * keep it (the inside of a subquery is pinned either way). Pure; `expr` is not changed.
 */
export function pinAtTimestamp(expr: Expr, timeMs: number): Expr {
  const at: AtModifier = { kind: 'timestamp', ms: timeMs };
  const walk = (e: Expr): Expr => {
    switch (e.type) {
      case 'NumberLiteral':
      case 'StringLiteral':
        return e;
      case 'VectorSelector':
        return e.at === undefined ? { ...e, at } : e;
      case 'MatrixSelector':
        return e.vector.at === undefined ? { ...e, vector: { ...e.vector, at } } : e;
      case 'SubqueryExpr':
        return { ...e, ...(e.at === undefined ? { at } : {}), expr: walk(e.expr) };
      case 'ParenExpr':
      case 'UnaryExpr':
        return { ...e, expr: walk(e.expr) };
      case 'BinaryExpr':
        return { ...e, lhs: walk(e.lhs), rhs: walk(e.rhs) };
      case 'AggregateExpr':
        return {
          ...e,
          expr: walk(e.expr),
          ...(e.param !== undefined ? { param: walk(e.param) } : {}),
        };
      case 'Call':
        return { ...e, args: e.args.map(walk) };
    }
  };
  return walk(expr);
}
