import type { BinaryOp, Call, Expr } from './ast.js';

/**
 * Evaluates a duration expression (numbers in seconds, parentheses, unary
 * minus and `+ - * / % ^`) to seconds. Calls (`step()`, `range()`,
 * `min_of()`, `max_of()`) go to `call`, which may evaluate arguments with
 * the `evaluate` it is given; anything else, and a call `call` does not
 * know, yields `unsupported()`. Shared by the parser (which folds literal
 * durations and gives NaN for the rest) and the engine (which resolves the
 * calls at query time).
 */
export function evalDurationSeconds(
  e: Expr,
  call: (c: Call, evaluate: (arg: Expr) => number) => number | undefined,
  unsupported: () => number,
): number {
  const evaluate = (x: Expr): number => evalDurationSeconds(x, call, unsupported);
  switch (e.type) {
    case 'NumberLiteral':
      return e.value;
    case 'ParenExpr':
      return evaluate(e.expr);
    case 'UnaryExpr':
      return e.op === '-' ? -evaluate(e.expr) : evaluate(e.expr);
    case 'BinaryExpr': {
      const result = durationArithmetic(e.op, evaluate(e.lhs), evaluate(e.rhs));
      return result ?? unsupported();
    }
    case 'Call':
      return call(e, evaluate) ?? unsupported();
    default:
      return unsupported();
  }
}

function durationArithmetic(op: BinaryOp, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return a ** b;
    default:
      return undefined;
  }
}
