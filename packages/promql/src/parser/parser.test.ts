import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { requireTool, startPrometheus } from '@vigil/testing';
import type { Expr } from './ast.js';
import { FUNCTION_SIGNATURES } from './function-table.js';
import { formatParseError, parseExpr } from './parser.js';
import { peerQueries, plain, PEER_TESTS_DIR } from './test-helpers.test.js';

// ---------------------------------------------------------------- builders
// Expected trees in the plain form of `plain()`: no positions, matchers as
// [type, name, value], undefined fields absent.

type P = Record<string, unknown>;
const N = (value: number): P => ({ type: 'NumberLiteral', value });
const S = (value: string): P => ({ type: 'StringLiteral', value });
const V = (name: string | undefined, matchers: string[][] = [], extra: P = {}): P => ({
  type: 'VectorSelector',
  ...(name === undefined ? {} : { name }),
  matchers: name === undefined ? matchers : [...matchers, ['=', '__name__', name]],
  ...extra,
});
const lit = (ms: number): P => ({ kind: 'literal', ms });
const dexpr = (expr: P): P => ({ kind: 'expression', expr });
const M = (vector: P, range: P, extra: P = {}): P => ({
  type: 'MatrixSelector',
  vector,
  range,
  ...extra,
});
const SQ = (expr: P, range: P, step?: P, extra: P = {}): P => ({
  type: 'SubqueryExpr',
  expr,
  range,
  ...(step === undefined ? {} : { step }),
  ...extra,
});
const U = (op: string, expr: P): P => ({ type: 'UnaryExpr', op, expr });
const Par = (expr: P): P => ({ type: 'ParenExpr', expr });
const match = (card: string, on = false, labels: string[] = [], include: string[] = []): P => ({
  card,
  on,
  labels,
  include,
});
const B = (op: string, lhs: P, rhs: P, extra: P = {}): P => ({
  type: 'BinaryExpr',
  op,
  lhs,
  rhs,
  returnBool: false,
  ...extra,
});
/** A binary expression between two instant vectors (matching one-to-one unless given). */
const BV = (op: string, lhs: P, rhs: P, extra: P = {}): P =>
  B(op, lhs, rhs, { matching: match('one-to-one'), ...extra });
const A = (op: string, expr: P, extra: P = {}): P => ({
  type: 'AggregateExpr',
  op,
  expr,
  grouping: [],
  without: false,
  ...extra,
});
const C = (name: string, ...args: P[]): P => ({
  type: 'Call',
  func: JSON.parse(
    JSON.stringify(FUNCTION_SIGNATURES.get(name), (_k, v: unknown) =>
      v === Infinity ? 'Infinity' : v,
    ),
  ),
  args,
});

const x = V('x');

function parsed(query: string, experimental = true): unknown {
  return plain(parseExpr(query, { experimental }));
}

// ---------------------------------------------------------------- valid

const VALID: ReadonlyArray<readonly [string, P]> = [
  // Numbers.
  ['1', N(1)],
  ['-1', N(-1)],
  ['+1', N(1)],
  ['- 1', N(-1)],
  ['--1', N(1)],
  ['0x1f', N(31)],
  ['0X1F', N(31)],
  ['1e3', N(1000)],
  ['1.5E-3', N(0.0015)],
  ['.5', N(0.5)],
  ['2.', N(2)],
  ['010', N(8)],
  ['1_000', N(1000)],
  ['Inf', { type: 'NumberLiteral', value: 'Infinity' }],
  ['+inf', { type: 'NumberLiteral', value: 'Infinity' }],
  ['-INF', { type: 'NumberLiteral', value: '-Infinity' }],
  ['nAn', { type: 'NumberLiteral', value: 'NaN' }],
  ['1h', N(3600)],
  ['1h30m', N(5400)],
  ['1y2w3d4h5m6s7ms', N(365 * 86400 + 14 * 86400 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6.007)],
  ['500ms', N(0.5)],
  // Strings.
  ['"a\\nb"', S('a\nb')],
  ["'it\\'s'", S("it's")],
  ['"say \\"hi\\""', S('say "hi"')],
  ['`raw\\n`', S('raw\\n')],
  ['"\\x41\\u00e9\\U0001F600\\101\\t\\\\"', S('Aé😀A\t\\')],
  ['"\\xc3\\xa9"', S('é')],
  ['"日本"', S('日本')],
  // Selectors.
  ['foo', V('foo')],
  [
    'foo{a="b",c=~"d",e!="f",g!~"h"}',
    V('foo', [
      ['=', 'a', 'b'],
      ['=~', 'c', 'd'],
      ['!=', 'e', 'f'],
      ['!~', 'g', 'h'],
    ]),
  ],
  ['foo{a="b",}', V('foo', [['=', 'a', 'b']])],
  ['foo{}', V('foo')],
  ['{__name__=~"x.+"}', V(undefined, [['=~', '__name__', 'x.+']])],
  [
    '{"my.metric", "a.b"="c"}',
    V(undefined, [
      ['=', '__name__', 'my.metric'],
      ['=', 'a.b', 'c'],
    ]),
  ],
  ['foo:bar_total', V('foo:bar_total')],
  ['sum', V('sum')],
  ['by', V('by')],
  ['x # a comment\n', x],
  // Range selectors and subqueries.
  ['x[5m]', M(x, lit(300_000))],
  ['x[1800]', M(x, lit(1_800_000))],
  ['x[1.5]', M(x, lit(1500))],
  ['x[1h30m]', M(x, lit(5_400_000))],
  ['x[5m:]', SQ(x, lit(300_000))],
  ['x[5m:1m]', SQ(x, lit(300_000), lit(60_000))],
  ['rate(x[5m])[30m:1m]', SQ(C('rate', M(x, lit(300_000))), lit(1_800_000), lit(60_000))],
  // Offsets and @.
  ['x offset 5m', V('x', [], { offset: lit(300_000) })],
  ['x offset -5m', V('x', [], { offset: lit(-300_000) })],
  ['x OFFSET 1h', V('x', [], { offset: lit(3_600_000) })],
  ['x offset 0', x],
  ['x @ 100', V('x', [], { at: { kind: 'timestamp', ms: 100_000 } })],
  ['x @ -1.5', V('x', [], { at: { kind: 'timestamp', ms: -1500 } })],
  ['x @ 1.0005', V('x', [], { at: { kind: 'timestamp', ms: 1001 } })],
  ['x @ start()', V('x', [], { at: { kind: 'start' } })],
  ['x @ end()', V('x', [], { at: { kind: 'end' } })],
  [
    'x @ 100 offset 1m',
    V('x', [], { offset: lit(60_000), at: { kind: 'timestamp', ms: 100_000 } }),
  ],
  [
    'x offset 1m @ 100',
    V('x', [], { offset: lit(60_000), at: { kind: 'timestamp', ms: 100_000 } }),
  ],
  [
    'x[5m] @ end() offset 1m',
    M(V('x', [], { offset: lit(60_000), at: { kind: 'end' } }), lit(300_000)),
  ],
  [
    'x[5m:1m] offset 1m @ start()',
    SQ(x, lit(300_000), lit(60_000), { offset: lit(60_000), at: { kind: 'start' } }),
  ],
  ['-x @ 100', U('-', V('x', [], { at: { kind: 'timestamp', ms: 100_000 } }))],
  ['a + b offset 5m', BV('+', V('a'), V('b', [], { offset: lit(300_000) }))],
  [
    'a @ 50 + b @ 100',
    BV(
      '+',
      V('a', [], { at: { kind: 'timestamp', ms: 50_000 } }),
      V('b', [], { at: { kind: 'timestamp', ms: 100_000 } }),
    ),
  ],
  // Duration expressions: literal ones fold, step()/range()/min_of/max_of stay.
  ['x[26m+4m]', M(x, lit(1_800_000))],
  ['x[2m*(10+5)]', M(x, lit(1_800_000))],
  ['x[1h30m % 1h]', M(x, lit(1_800_000))],
  ['x[30m1s-30m1s % 1m]', M(x, lit(1_800_000))],
  ['x[-5m+35m]', M(x, lit(1_800_000))],
  ['x[29s+1s:20*500ms]', SQ(x, lit(30_000), lit(10_000))],
  ['x offset (1m*2)', V('x', [], { offset: lit(120_000) })],
  ['x offset (100 + 2)', V('x', [], { offset: lit(102_000) })],
  ['x offset 100 + 2', B('+', V('x', [], { offset: lit(100_000) }), N(2))],
  ['x offset -2 ^ 2', B('^', V('x', [], { offset: lit(-2000) }), N(2))],
  ['x offset (-2 ^ 2)', V('x', [], { offset: lit(-4000) })],
  ['x[step()]', M(x, dexpr(C('step')))],
  ['x[range()]', M(x, dexpr(C('range')))],
  ['x[STep()]', M(x, dexpr(C('step')))],
  ['x[step()+1ms]', M(x, dexpr(B('+', C('step'), N(0.001))))],
  ['x offset -step()*2', B('*', V('x', [], { offset: dexpr(U('-', C('step'))) }), N(2))],
  ['x[min_of(step()+1,1h)]', M(x, dexpr(C('min_of', B('+', C('step'), N(1)), N(3600))))],
  [
    'x offset max_of(3s,min_of(step(), 1s))+8000',
    B('+', V('x', [], { offset: dexpr(C('max_of', N(3), C('min_of', C('step'), N(1)))) }), N(8000)),
  ],
  // Operators, precedence, associativity.
  ['-2^2', U('-', B('^', N(2), N(2)))],
  ['-2^-2', U('-', B('^', N(2), N(-2)))],
  ['2^3^2', B('^', N(2), B('^', N(3), N(2)))],
  ['1 - 2 - 3', B('-', B('-', N(1), N(2)), N(3))],
  ['1 + 2 * 3', B('+', N(1), B('*', N(2), N(3)))],
  ['1 + 2 % 3 / 4', B('+', N(1), B('/', B('%', N(2), N(3)), N(4)))],
  ['(1 + 2) * 3', B('*', Par(B('+', N(1), N(2))), N(3))],
  ['-x * y', BV('*', U('-', x), V('y'))],
  ['x atan2 y', BV('atan2', x, V('y'))],
  [
    'a or b and c',
    BV('or', V('a'), BV('and', V('b'), V('c'), { matching: match('many-to-many') }), {
      matching: match('many-to-many'),
    }),
  ],
  ['a unless b', BV('unless', V('a'), V('b'), { matching: match('many-to-many') })],
  ['a > b + 1', BV('>', V('a'), B('+', V('b'), N(1)))],
  ['a == bool 1', B('==', V('a'), N(1), { returnBool: true })],
  ['1 >= bool 2', B('>=', N(1), N(2), { returnBool: true })],
  ['a </ b', BV('</', V('a'), V('b'))],
  ['a >/ b', BV('>/', V('a'), V('b'))],
  ['1 + x', B('+', N(1), x)],
  [
    'a + on(b) group_left(c) d',
    BV('+', V('a'), V('d'), { matching: match('many-to-one', true, ['b'], ['c']) }),
  ],
  [
    'a * ignoring(b) group_right d',
    BV('*', V('a'), V('d'), { matching: match('one-to-many', false, ['b']) }),
  ],
  ['a + on() b', BV('+', V('a'), V('b'), { matching: match('one-to-one', true) })],
  ['a and on(b) c', BV('and', V('a'), V('c'), { matching: match('many-to-many', true, ['b']) })],
  [
    'a - ignoring("a.b") c',
    BV('-', V('a'), V('c'), { matching: match('one-to-one', false, ['a.b']) }),
  ],
  ['a + fill(0) b', BV('+', V('a'), V('b'), { fill: { lhs: 0, rhs: 0 } })],
  ['a + fill_left(5) fill_right(7) b', BV('+', V('a'), V('b'), { fill: { lhs: 5, rhs: 7 } })],
  ['a + fill_right(1) b', BV('+', V('a'), V('b'), { fill: { rhs: 1 } })],
  // Aggregations.
  ['sum(x)', A('sum', x)],
  ['sum by (a) (x)', A('sum', x, { grouping: ['a'] })],
  ['sum(x) by (a, b)', A('sum', x, { grouping: ['a', 'b'] })],
  ['SUM(x) BY (a)', A('sum', x, { grouping: ['a'] })],
  ['sum without () (x)', A('sum', x, { without: true })],
  ['avg without (a,) (x)', A('avg', x, { grouping: ['a'], without: true })],
  ['sum by ("a.b") (x)', A('sum', x, { grouping: ['a.b'] })],
  ['topk(3, x)', A('topk', x, { param: N(3) })],
  ['count_values("v", x)', A('count_values', x, { param: S('v') })],
  ['quantile(0.9, x)', A('quantile', x, { param: N(0.9) })],
  ['limitk(2, x)', A('limitk', x, { param: N(2) })],
  ['limit_ratio(0.5, x)', A('limit_ratio', x, { param: N(0.5) })],
  ['group(x)', A('group', x)],
  // Calls.
  ['rate(x[5m])', C('rate', M(x, lit(300_000)))],
  ['time()', C('time')],
  ['vector(1)', C('vector', N(1))],
  ['round(x)', C('round', x)],
  ['round(x, 5)', C('round', x, N(5))],
  ['label_join(x, "a", ",", "b", "c")', C('label_join', x, S('a'), S(','), S('b'), S('c'))],
  ['histogram_quantile(0.9, x)', C('histogram_quantile', N(0.9), x)],
  ['min_of(1, 2)', C('min_of', N(1), N(2))],
  ['info(x, {a="b"})', C('info', x, V(undefined, [['=', 'a', 'b']]))],
  ['info(x, {a=""})', C('info', x, V(undefined, [['=', 'a', '']]))],
  ['sort_by_label(x, "a", "b")', C('sort_by_label', x, S('a'), S('b'))],
  // Extended range selectors.
  ['x[5m] anchored', M(x, lit(300_000), { modifier: 'anchored' })],
  ['x[5m] smoothed', M(x, lit(300_000), { modifier: 'smoothed' })],
  ['x smoothed', V('x', [], { modifier: 'smoothed' })],
  [
    'x @ 100 smoothed',
    V('x', [], { at: { kind: 'timestamp', ms: 100_000 }, modifier: 'smoothed' }),
  ],
];

test('parseExpr builds the typed tree Prometheus builds', () => {
  for (const [query, expected] of VALID) {
    assert.deepEqual(parsed(query), expected, query);
  }
});

test('positions are UTF-16 offsets of the whole node, modifiers included', () => {
  const e = parseExpr('sum(rate(foo{a="b"}[5m] offset 1m))');
  assert.deepEqual(e.pos, { start: 0, end: 35 });
  assert.equal(e.type, 'AggregateExpr');
  const call = e.type === 'AggregateExpr' ? e.expr : e;
  assert.deepEqual(call.pos, { start: 4, end: 34 });
  const m = call.type === 'Call' ? call.args[0] : undefined;
  assert.deepEqual(m?.pos, { start: 9, end: 33 });
  assert.deepEqual(m?.type === 'MatrixSelector' ? m.vector.pos : undefined, { start: 9, end: 19 });
  const neg = parseExpr('1 + -2');
  assert.deepEqual(neg.type === 'BinaryExpr' ? neg.rhs.pos : undefined, { start: 4, end: 6 });
});

test('the tree is plain data: parsing twice gives equal trees', () => {
  const q =
    'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / on(job) group_left sum(up)';
  assert.deepEqual(plain(parseExpr(q)), plain(parseExpr(q)));
  assert.equal(parseExpr(q).type, 'BinaryExpr');
});

test('the staleness marker cannot be written, NaN literals are the quiet NaN', () => {
  const e = parseExpr('NaN') as Expr & { value: number };
  const bits = new Uint32Array(new Float64Array([e.value]).buffer);
  assert.ok(Number.isNaN(e.value));
  assert.notEqual(bits[0], 2, 'not the staleness marker');
});

// ---------------------------------------------------------------- invalid

/** [query, Prometheus's message, start offset of the reported position]. */
const INVALID: ReadonlyArray<readonly [string, string, number]> = [
  ['', 'no expression found in input', 0],
  ['   ', 'no expression found in input', 0],
  ['rate(x)', 'expected type range vector in call to function "rate", got instant vector', 5],
  ['abs(x[5m])', 'expected type instant vector in call to function "abs", got range vector', 4],
  ['x[5m] + 1', 'binary expression must contain only scalar and instant vector types', 0],
  ['1 + x[5m]', 'binary expression must contain only scalar and instant vector types', 4],
  ['"a" + 1', 'binary expression must contain only scalar and instant vector types', 0],
  ['1 and 2', 'set operator "and" not allowed in binary scalar expression', 0],
  ['x or 1', 'set operator "or" not allowed in binary scalar expression', 0],
  ['a + bool b', 'bool modifier can only be used on comparison operators', 2],
  ['1 > 2', 'comparisons between scalars must use BOOL modifier', 2],
  ['1 + on(a) 2', 'vector matching only allowed between instant vectors', 0],
  ['x + on(a) 2', 'vector matching only allowed between instant vectors', 0],
  ['a + on(b) group_left(b) c', 'label "b" must not occur in ON and GROUP clause at once', 2],
  ['a and on(b) group_left c', 'no grouping allowed for "and" operation', 0],
  ['foo(x)', 'unknown function with name "foo"', 0],
  ['holt_winters(x[5m], 0.5, 0.5)', 'unknown function with name "holt_winters"', 0],
  ['STEP()', 'unknown function with name "STEP"', 0],
  ['abs(x, y)', 'expected 1 argument(s) in call to "abs", got 2', 0],
  ['time(1)', 'expected 0 argument(s) in call to "time", got 1', 0],
  ['round()', 'expected at least 1 argument(s) in call to "round", got 0', 0],
  ['round(x, 1, 2)', 'expected at most 2 argument(s) in call to "round", got 3', 0],
  ['label_join(x, "a")', 'expected at least 3 argument(s) in call to "label_join", got 2', 0],
  [
    'label_join(x, "a", ",", 1)',
    'expected type string in call to function "label_join", got scalar',
    24,
  ],
  ['rate(x[5m],)', 'trailing commas not allowed in function call args', 10],
  ['(x)[5m]', 'ranges only allowed for vector selectors', 3],
  ['x[5m][1m]', 'ranges only allowed for vector selectors', 5],
  ['x offset 5m [5m]', 'no offset modifiers allowed before range', 12],
  ['x @ 1 [5m]', 'no @ modifiers allowed before range', 6],
  ['x[5m][1m:]', 'subquery is only allowed on instant vector, got matrix instead', 0],
  ['(1)[5m:]', 'subquery is only allowed on instant vector, got scalar instead', 0],
  ['x @ 1 @ 2', '@ <timestamp> may not be set multiple times', 0],
  ['x[5m] @ 1 @ 2', '@ <timestamp> may not be set multiple times', 0],
  ['x offset 1m offset 2m', 'offset may not be set multiple times', 0],
  ['x @ Inf', 'timestamp out of bounds for @ modifier: +Inf', 0],
  [
    'sum(x) offset 5m',
    'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    0,
  ],
  [
    '1 @ 100',
    '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    0,
  ],
  ['x[0]', 'duration must be greater than 0', 2],
  ['x[-5m]', 'duration must be greater than 0', 2],
  ['x[5m:0s]', 'duration must be greater than 0', 5],
  ['{a=""}', 'vector selector must contain at least one non-empty matcher', 0],
  ['{a=~".*"}', 'vector selector must contain at least one non-empty matcher', 0],
  ['{}', 'vector selector must contain at least one non-empty matcher', 0],
  ['foo{__name__="bar"}', 'metric name must not be set twice: "foo" or "bar"', 0],
  ['sum()', 'no arguments for aggregate expression provided', 0],
  [
    'sum(x, y)',
    'wrong number of arguments for aggregate expression provided, expected 1, got 2',
    0,
  ],
  ['topk(x)', 'wrong number of arguments for aggregate expression provided, expected 2, got 1', 0],
  ['sum(x[5m])', 'expected type instant vector in aggregation expression, got range vector', 4],
  ['count_values(1, x)', 'expected type string in aggregation parameter, got scalar', 13],
  ['topk("a", x)', 'expected type scalar in aggregation parameter, got string', 5],
  [
    '-"a"',
    'unary expression only allowed on expressions of type scalar or instant vector, got "string"',
    0,
  ],
  [
    '-x[5m]',
    'unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
    0,
  ],
  ['info(x, y)', 'expected label selectors only, got vector selector instead', 8],
  ['info(x, 1)', 'expected type instant vector in call to function "info", got scalar', 0],
  ['sum(x', 'unclosed left parenthesis', 5],
  ['foo(', 'unclosed left parenthesis', 4],
  ['x)', "unexpected right parenthesis ')'", 2],
  ['x[5m', 'unclosed left bracket', 4],
  ['x]', "unexpected right bracket ']'", 1],
  ['x}', "unexpected character: '}'", 1],
  ['x{a="b"', 'unexpected end of input inside braces', 7],
  ['"abc', 'unterminated quoted string', 0],
  ['x + ', 'unexpected end of input', 4],
  ['1 + 2 x', 'unexpected identifier "x"', 6],
  ['1 +* 2', 'unexpected <op:*>', 3],
  ['x{a=1}', "unexpected character inside braces: '1'", 4],
  ['sum(x) by', 'unexpected end of input in grouping opts, expected "("', 9],
  ['x $', "unexpected character: '$'", 2],
  ['"\\q"', "unknown escape sequence U+0071 'q'", 0],
  ['x{a}', 'unexpected "}" in label matching, expected label matching operator', 3],
  ['x{a=}', 'unexpected "}" in label matching, expected string', 4],
  ['x{=}', 'unexpected "=" in label matching, expected identifier or "}"', 2],
  ['x{a="b" c="d"}', 'unexpected identifier "c" in label matching, expected "," or "}"', 8],
  ['x @', 'unexpected end of input in @, expected timestamp', 3],
  ['x @ foo', 'unexpected identifier "foo" in @, expected timestamp', 4],
  ['sum by (1) (x)', 'unexpected number "1" in grouping opts, expected label', 8],
  ['sum by (a b) (x)', 'unexpected identifier "b" in grouping opts, expected "," or ")"', 10],
  [
    'x offset',
    'unexpected end of input in offset, expected number, duration, step(), or range()',
    8,
  ],
  ['sum without(a) by(b) (x)', 'unexpected <by> in aggregation', 15],
  ['x[5m 1m]', 'unexpected duration "1m" in subquery or range, expected ":" or "]"', 5],
  ['x[5i]', 'bad number or duration syntax: "5"', 2],
  ['x[5m:1x]', 'bad number or duration syntax: "1"', 5],
  ['x{a="b",1="c"}', "unexpected character inside braces: '1'", 8],
];

test('invalid queries fail with Prometheus messages and positions', () => {
  for (const [query, message, start] of INVALID) {
    assert.throws(
      () => parseExpr(query, { experimental: true }),
      (err: unknown) => {
        assert.ok(isVigilError(err, ErrorCodes.PROMQL_PARSE), `${query}: ${String(err)}`);
        assert.equal(err.message, message, query);
        const position = err.details?.['position'] as { start: number } | undefined;
        assert.equal(position?.start, start, `${query}: position`);
        return true;
      },
      query,
    );
  }
});

/**
 * Debian's Prometheus is 2.x: where 3.x changed the grammar or the message,
 * the comparison below skips the query (the table above has 3.x's text).
 */
const PROMETHEUS_2_DIFFERENCES: ReadonlyMap<string, string> = new Map([
  ['holt_winters(x[5m], 0.5, 0.5)', '2.x still has holt_winters'],
  ['x[0]', '2.x requires a unit in a range ("missing unit character in duration")'],
  ['x[-5m]', '2.x requires a unit in a range ("missing unit character in duration")'],
  ['info(x, y)', '2.x has no info()'],
  ['info(x, 1)', '2.x has no info()'],
  ['x offset', '3.x expects "number, duration, step(), or range()" after offset'],
  ['x[5i]', '2.x says "bad duration syntax" inside brackets'],
]);

test('error messages match a real Prometheus (format_query)', async (t) => {
  let skipped: string | undefined;
  const binary = requireTool('prometheus', 'prometheus', (m) => (skipped = m));
  if (binary === undefined) {
    t.skip(skipped);
    return;
  }
  const prometheus = await startPrometheus(
    binary,
    JSON.stringify({ global: { scrape_interval: '1h' } }),
  );
  try {
    let compared = 0;
    for (const [query] of INVALID) {
      if (PROMETHEUS_2_DIFFERENCES.has(query)) continue;
      const res = await fetch(`${prometheus.url}/api/v1/format_query`, {
        method: 'POST',
        body: new URLSearchParams({ query }),
      });
      const body = (await res.json()) as { status: string; error?: string };
      let ours = 'parsed';
      try {
        parseExpr(query, { experimental: true });
      } catch (err) {
        ours = `invalid parameter "query": ${formatParseError(err, query)}`;
      }
      assert.equal(ours, body.error ?? 'parsed', query);
      compared++;
    }
    t.diagnostic(`compared ${compared} error messages with Prometheus`);
  } finally {
    await prometheus.stop();
  }
});

test('formatParseError renders line:column: parse error: message', () => {
  const q = 'sum(x)\n  + rate(x)';
  let err: unknown;
  try {
    parseExpr(q);
  } catch (e) {
    err = e;
  }
  assert.ok(isVigilError(err));
  assert.deepEqual(err.details, { position: { start: 16, end: 17 }, line: 2, column: 10 });
  assert.equal(
    formatParseError(err, q),
    '2:10: parse error: expected type range vector in call to function "rate", got instant vector',
  );
  assert.equal(formatParseError(new Error('boom'), q), 'parse error: boom');
});

// ---------------------------------------------------------------- experimental gating

const EXPERIMENTAL: ReadonlyArray<readonly [string, string]> = [
  ['info(x)', 'function "info" is not enabled'],
  ['mad_over_time(x[5m])', 'function "mad_over_time" is not enabled'],
  ['sort_by_label(x, "a")', 'function "sort_by_label" is not enabled'],
  [
    'double_exponential_smoothing(x[5m], 0.5, 0.5)',
    'function "double_exponential_smoothing" is not enabled',
  ],
  ['ts_of_max_over_time(x[5m])', 'function "ts_of_max_over_time" is not enabled'],
  ['step()', 'function "step" is not enabled'],
  ['min_of(1, 2)', 'function "min_of" is not enabled'],
  [
    'limitk(1, x)',
    'limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions',
  ],
  [
    'limit_ratio(0.5, x)',
    'limit_ratio() is experimental and must be enabled with --enable-feature=promql-experimental-functions',
  ],
  ['x[5m] anchored', 'anchored modifier is experimental and not enabled'],
  ['x smoothed', 'smoothed modifier is experimental and not enabled'],
  ['a + fill(0) b', 'binop fill modifiers are experimental and not enabled'],
];

test('experimental functions and syntax need options.experimental', () => {
  for (const [query, message] of EXPERIMENTAL) {
    assert.throws(() => parseExpr(query), { message }, query);
    assert.doesNotThrow(() => parseExpr(query, { experimental: true }), query);
  }
});

test('duration expressions are always on', () => {
  for (const q of ['x[step()]', 'x offset -step()*2', 'x[min_of(step()+1,1h)]', 'x[26m+4m]']) {
    assert.doesNotThrow(() => parseExpr(q), q);
  }
});

test('experimental modifiers on the wrong node fail as upstream', () => {
  assert.throws(() => parseExpr('x[5m:] anchored', { experimental: true }), {
    message: 'anchored modifier is not supported for subqueries',
  });
  assert.throws(() => parseExpr('x[5m] anchored smoothed', { experimental: true }), {
    message: 'anchored and smoothed modifiers cannot be used together',
  });
});

// ---------------------------------------------------------------- function table

test('the function table has every Prometheus 3 function with its arity', () => {
  assert.equal(FUNCTION_SIGNATURES.has('holt_winters'), false);
  const rate = FUNCTION_SIGNATURES.get('rate');
  assert.deepEqual(rate, {
    name: 'rate',
    argTypes: ['matrix'],
    minArgs: 1,
    maxArgs: 1,
    returnType: 'vector',
    experimental: false,
  });
  assert.deepEqual(
    [
      FUNCTION_SIGNATURES.get('label_join')?.minArgs,
      FUNCTION_SIGNATURES.get('label_join')?.maxArgs,
    ],
    [3, Infinity],
  );
  assert.deepEqual(
    [
      FUNCTION_SIGNATURES.get('histogram_quantiles')?.minArgs,
      FUNCTION_SIGNATURES.get('histogram_quantiles')?.maxArgs,
    ],
    [3, 12],
  );
  assert.deepEqual(
    [FUNCTION_SIGNATURES.get('hour')?.minArgs, FUNCTION_SIGNATURES.get('hour')?.maxArgs],
    [0, 1],
  );
  const experimental = [...FUNCTION_SIGNATURES.values()]
    .filter((f) => f.experimental)
    .map((f) => f.name)
    .sort();
  assert.deepEqual(experimental, [
    'double_exponential_smoothing',
    'end',
    'first_over_time',
    'histogram_quantiles',
    'info',
    'mad_over_time',
    'max_of',
    'min_of',
    'range',
    'sort_by_label',
    'sort_by_label_desc',
    'start',
    'start_timestamp',
    'step',
    'ts_of_first_over_time',
    'ts_of_last_over_time',
    'ts_of_max_over_time',
    'ts_of_min_over_time',
  ]);
  // Every function in the table parses as a call (with the right argument count).
  for (const f of FUNCTION_SIGNATURES.values()) {
    const sample: Record<string, string> = {
      vector: 'x',
      matrix: 'x[5m]',
      scalar: '1',
      string: '"a"',
    };
    const args = Array.from(
      { length: f.minArgs },
      (_, i) => sample[f.argTypes[Math.min(i, f.argTypes.length - 1)] ?? 'vector'],
    );
    const e = parseExpr(`${f.name}(${args.join(', ')})`, { experimental: true });
    assert.equal(e.type === 'Call' ? e.func.name : e.type, f.name);
  }
});

// ---------------------------------------------------------------- upstream test files

test('every eval expression of the upstream test files parses', (t) => {
  const queries = peerQueries();
  if (queries === undefined) {
    t.skip(`${PEER_TESTS_DIR}: …/shared not found: peer tests skipped`);
    return;
  }
  const failures: string[] = [];
  for (const { file, line, query } of queries) {
    try {
      parseExpr(query, { experimental: true });
    } catch (err) {
      failures.push(`${file}:${line}: ${query}: ${String(err)}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(queries.length > 2000, `found ${queries.length} eval expressions`);
  t.diagnostic(`parsed all ${queries.length} peer eval expressions`);
});

test('offset and @ bind to the nearest operand and do not regroup the operators around it', () => {
  const shape = (e: Expr): string => {
    switch (e.type) {
      case 'BinaryExpr':
        return `(${shape(e.lhs)} ${e.op} ${shape(e.rhs)})`;
      case 'UnaryExpr':
        return `(${e.op}${shape(e.expr)})`;
      case 'VectorSelector':
        return `${e.name ?? '{}'}${e.at ? '@' : ''}${e.offset ? '~' : ''}`;
      case 'NumberLiteral':
        return String(e.value);
      default:
        return e.type;
    }
  };
  const cases: [string, string][] = [
    ['a + r @ 60 * 0', '(a + (r@ * 0))'],
    ['a + r offset 1m * 0', '(a + (r~ * 0))'],
    ['a * r @ 60 + 0', '((a * r@) + 0)'],
    ['-r @ 60 ^ 2', '(-(r@ ^ 2))'],
    ['a or b + r @ 1 * 2', '(a or (b + (r@ * 2)))'],
    ['a ^ r offset 1m ^ 2', '(a ^ (r~ ^ 2))'],
  ];
  for (const [query, want] of cases) assert.equal(shape(parseExpr(query)), want, query);
});
