import type { AtModifier, Expr } from '../parser/ast.js';
import { parseExpr } from '../parser/parser.js';
import { formatExpr } from '../parser/printer.js';

/**
 * Returns a copy of `expr` in which every vector selector, matrix selector
 * and subquery that has no `@` modifier gets `@ <timeMs>`, as the upstream
 * harness does for its step-invariance re-runs. Nodes with an `@` keep it;
 * the inside of a subquery is left alone (the subquery's `@`, given or
 * added, already fixes its evaluation times). Pure; `expr` is not changed.
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
        return e.at === undefined ? { ...e, at } : e;
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

/**
 * Text version of {@link pinAtTimestamp} for the step-invariance re-runs
 * that keeps the query as written (an alternative to {@link pinQueryPrinted}):
 * parses `query` (experimental syntax on) and inserts ` @ <seconds>` (three
 * decimals, as Prometheus prints it) into the text after every selector and
 * subquery without `@` that is not inside a subquery, before an `offset`
 * when there is one: where
 * Prometheus's printer puts it, so annotation positions move as upstream's
 * do. Throws the parser's `VigilError` for an invalid query.
 */
export function pinQueryText(query: string, timeMs: number): string {
  const insertAt: number[] = [];
  /** Where the `@` goes in the node text `[start, end)`: before `offset`, else at the end. */
  const spot = (start: number, end: number, tailFrom: number): number => {
    const tail = query.slice(tailFrom, end);
    const m = /\s*\boffset\b/i.exec(tail);
    return m === null ? end : tailFrom + m.index;
  };
  const walk = (e: Expr): void => {
    switch (e.type) {
      case 'NumberLiteral':
      case 'StringLiteral':
        return;
      case 'VectorSelector': {
        if (e.at !== undefined) return;
        const text = query.slice(e.pos.start, e.pos.end);
        const brace = text.lastIndexOf('}');
        const nameEnd = brace >= 0 ? brace + 1 : (/^[^\s@]+/.exec(text)?.[0].length ?? 0);
        insertAt.push(spot(e.pos.start, e.pos.end, e.pos.start + nameEnd));
        return;
      }
      case 'MatrixSelector':
      case 'SubqueryExpr': {
        // Inside a subquery nothing is pinned: the subquery's own `@` fixes it.
        const at = e.type === 'MatrixSelector' ? e.vector.at : e.at;
        if (at !== undefined) return;
        const text = query.slice(e.pos.start, e.pos.end);
        insertAt.push(spot(e.pos.start, e.pos.end, e.pos.start + text.lastIndexOf(']') + 1));
        return;
      }
      case 'ParenExpr':
      case 'UnaryExpr':
        walk(e.expr);
        return;
      case 'BinaryExpr':
        walk(e.lhs);
        walk(e.rhs);
        return;
      case 'AggregateExpr':
        if (e.param !== undefined) walk(e.param);
        walk(e.expr);
        return;
      case 'Call':
        e.args.forEach(walk);
        return;
    }
  };
  walk(parseExpr(query, { experimental: true }));
  const at = ` @ ${(timeMs / 1000).toFixed(3)}`;
  let out = query;
  for (const pos of insertAt.sort((a, b) => b - a)) out = out.slice(0, pos) + at + out.slice(pos);
  return out;
}

/**
 * The step-invariance rewrite exactly as upstream does it: parse `query`
 * (experimental syntax on), {@link pinAtTimestamp}, print it back in
 * Prometheus's canonical form (so annotation positions in the re-runs are
 * those of the printed query, as upstream's). The default of the runner.
 * Throws the parser's `VigilError` for an invalid query.
 */
export function pinQueryPrinted(query: string, timeMs: number): string {
  return formatExpr(pinAtTimestamp(parseExpr(query, { experimental: true }), timeMs));
}
