export { valueTypeOf } from './parser/ast.js';
export { parseExpr, formatParseError } from './parser/parser.js';
export type { ParseOptions } from './parser/parser.js';
export { FUNCTION_SIGNATURES } from './parser/function-table.js';
export { formatExpr, prettyExpr, formatMatcher } from './parser/printer.js';
export { goQuote } from './parser/strings.js';
export { exprToJson } from './parser/json.js';
export type { AstJson } from './parser/json.js';
export type {
  ValueType,
  PositionRange,
  DurationValue,
  AtModifier,
  NumberLiteral,
  StringLiteral,
  VectorSelector,
  MatrixSelector,
  SubqueryExpr,
  ParenExpr,
  UnaryExpr,
  ArithmeticOp,
  ComparisonOp,
  SetOp,
  TrimOp,
  BinaryOp,
  MatchCardinality,
  VectorMatching,
  FillModifier,
  BinaryExpr,
  AggregateOp,
  AggregateExpr,
  FunctionSignature,
  Call,
  Expr,
} from './parser/ast.js';
export type { InstantSample, RangeSeries, QueryValue } from './value.js';
export { Annotations, formatAnnotation, lineColumn } from './annotations.js';
export type { Annotation } from './annotations.js';
export type { QueryApi, QueryOptions, QueryResult } from './query-api.js';
export { Engine, ENGINE_DEFAULTS } from './engine/engine.js';
export type { EngineOptions } from './engine/engine.js';
