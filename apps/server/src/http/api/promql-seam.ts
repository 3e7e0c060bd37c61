// TEMPORARY until branch `parser` lands: replaced by a re-export from @vigil/promql.
import { ErrorCodes, VigilError } from '@vigil/model';
import type { Expr } from '@vigil/promql';

export function parseExpr(query: string): Expr {
  throw new VigilError(ErrorCodes.PROMQL_PARSE, `parser not merged yet: ${query}`);
}
export function prettyExpr(expr: Expr): string {
  return expr.type;
}
export function exprToJson(expr: Expr): unknown {
  return expr;
}
export function formatParseError(err: unknown, query: string): string {
  void query;
  return `1:1: parse error: ${err instanceof Error ? err.message : String(err)}`;
}
