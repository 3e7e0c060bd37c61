import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FUNCTION_SIGNATURES } from './function-table.js';
import { exprToJson, variadicOf } from './json.js';
import { parseExpr } from './parser.js';

const json = (q: string): string =>
  JSON.stringify(exprToJson(parseExpr(q, { experimental: true })));

/**
 * [query, the body of Prometheus's /api/v1/parse_query `data`]: Go encodes
 * its maps with sorted keys, so the text is compared byte for byte.
 */
const CASES: ReadonlyArray<readonly [string, string]> = [
  ['1', '{"type":"numberLiteral","val":"1"}'],
  ['-0.5', '{"type":"numberLiteral","val":"-0.5"}'],
  ['1e21', '{"type":"numberLiteral","val":"1000000000000000000000"}'],
  ['Inf', '{"type":"numberLiteral","val":"+Inf"}'],
  ['NaN', '{"type":"numberLiteral","val":"NaN"}'],
  ['"a\\nb"', '{"type":"stringLiteral","val":"a\\nb"}'],
  [
    'foo{a="b"}',
    '{"matchers":[{"name":"a","type":"=","value":"b"},{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"}',
  ],
  [
    '{a=~"b"} offset 5m @ 12.5',
    '{"matchers":[{"name":"a","type":"=~","value":"b"}],"name":"","offset":300000,"startOrEnd":null,"timestamp":12500,"type":"vectorSelector"}',
  ],
  [
    'x[5m] @ start() offset -1m',
    '{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":-60000,"range":300000,"startOrEnd":"start","timestamp":null,"type":"matrixSelector"}',
  ],
  [
    'x[5m:] @ end()',
    '{"expr":{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"offset":0,"range":300000,"startOrEnd":"end","step":0,"timestamp":null,"type":"subquery"}',
  ],
  [
    'x[1h:1m] offset 1h',
    '{"expr":{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"offset":3600000,"range":3600000,"startOrEnd":null,"step":60000,"timestamp":null,"type":"subquery"}',
  ],
  [
    'x[step()]',
    '{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"range":0,"startOrEnd":null,"timestamp":null,"type":"matrixSelector"}',
  ],
  [
    'a + on(b) group_left(c) d',
    '{"bool":false,"lhs":{"matchers":[{"name":"__name__","type":"=","value":"a"}],"name":"a","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"matching":{"card":"many-to-one","include":["c"],"labels":["b"],"on":true},"op":"+","rhs":{"matchers":[{"name":"__name__","type":"=","value":"d"}],"name":"d","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"type":"binaryExpr"}',
  ],
  [
    '1 > bool 2',
    '{"bool":true,"lhs":{"type":"numberLiteral","val":"1"},"matching":null,"op":">","rhs":{"type":"numberLiteral","val":"2"},"type":"binaryExpr"}',
  ],
  [
    'a and b',
    '{"bool":false,"lhs":{"matchers":[{"name":"__name__","type":"=","value":"a"}],"name":"a","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"matching":{"card":"many-to-many","include":[],"labels":[],"on":false},"op":"and","rhs":{"matchers":[{"name":"__name__","type":"=","value":"b"}],"name":"b","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"type":"binaryExpr"}',
  ],
  [
    'sum without (a) (x)',
    '{"expr":{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"grouping":["a"],"op":"sum","param":null,"type":"aggregation","without":true}',
  ],
  [
    'topk(3, x)',
    '{"expr":{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"grouping":[],"op":"topk","param":{"type":"numberLiteral","val":"3"},"type":"aggregation","without":false}',
  ],
  [
    'time()',
    '{"args":[],"func":{"argTypes":[],"name":"time","returnType":"scalar","variadic":0},"type":"call"}',
  ],
  [
    'abs(-(x))',
    '{"args":[{"expr":{"expr":{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"type":"parenExpr"},"op":"-","type":"unaryExpr"}],"func":{"argTypes":["vector"],"name":"abs","returnType":"vector","variadic":0},"type":"call"}',
  ],
  [
    'round(x, 1)',
    '{"args":[{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},{"type":"numberLiteral","val":"1"}],"func":{"argTypes":["vector","scalar"],"name":"round","returnType":"vector","variadic":1},"type":"call"}',
  ],
  [
    'label_join(x, "a", ",", "b")',
    '{"args":[{"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},{"type":"stringLiteral","val":"a"},{"type":"stringLiteral","val":","},{"type":"stringLiteral","val":"b"}],"func":{"argTypes":["vector","string","string","string"],"name":"label_join","returnType":"vector","variadic":-1},"type":"call"}',
  ],
];

test('exprToJson is the parse_query JSON of Prometheus 3', () => {
  for (const [query, expected] of CASES) assert.equal(json(query), expected, query);
});

test('variadic is upstream Function.Variadic', () => {
  const v = (name: string): number => {
    const f = FUNCTION_SIGNATURES.get(name);
    assert.ok(f, name);
    return variadicOf(f);
  };
  assert.equal(v('rate'), 0);
  assert.equal(v('pi'), 0);
  assert.equal(v('hour'), 1);
  assert.equal(v('round'), 1);
  assert.equal(v('label_join'), -1);
  assert.equal(v('sort_by_label'), -1);
  assert.equal(v('histogram_quantiles'), 9);
  assert.equal(v('info'), 1);
});

test('the JSON of every node kind is plain data (survives a JSON round trip)', () => {
  const q =
    'sum by (job) (rate(x{a="b"}[5m] offset 1m)) / on(job) group_left max_over_time(topk(1, -y @ 10)[10m:1m]) + count_values("v", z) > bool 1';
  const value = exprToJson(parseExpr(q));
  assert.deepEqual(JSON.parse(JSON.stringify(value)), value);
});
