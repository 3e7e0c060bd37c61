import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExpr } from '../parser/parser.js';
import { pinAtTimestamp, pinQueryPrinted, pinQueryText } from './pin-at.js';

void test('pinQueryText: @ on every selector and subquery without one, before offset', () => {
  const cases: [string, string][] = [
    ['foo', 'foo @ 60.000'],
    ['foo{a="}"}', 'foo{a="}"} @ 60.000'],
    ['foo offset 5m', 'foo @ 60.000 offset 5m'],
    ['foo @ 10', 'foo @ 10'],
    ['rate(foo[5m])', 'rate(foo[5m] @ 60.000)'],
    ['rate(foo[5m] offset 1m)', 'rate(foo[5m] @ 60.000 offset 1m)'],
    ['rate(foo[5m] @ 5 offset 1m)', 'rate(foo[5m] @ 5 offset 1m)'],
    ['max_over_time(sum(x)[5m:1m])', 'max_over_time(sum(x)[5m:1m] @ 60.000)'],
    ['(foo)[5m:] @ 100', '(foo)[5m:] @ 100'],
    [
      'sum_over_time(rate(x[1m])[5m:] offset 1m) + y',
      'sum_over_time(rate(x[1m])[5m:] @ 60.000 offset 1m) + y @ 60.000',
    ],
    ['topk(2, a) / on(b) c + 1', 'topk(2, a @ 60.000) / on(b) c @ 60.000 + 1'],
    ['foo @ start()', 'foo @ start()'],
  ];
  for (const [query, want] of cases) {
    const got = pinQueryText(query, 60_000);
    assert.equal(got, want, query);
    parseExpr(got, { experimental: true });
  }
  assert.equal(pinQueryText('foo', 1500), 'foo @ 1.500');
});

void test('pinAtTimestamp: the AST form', () => {
  const pinned = pinAtTimestamp(
    parseExpr('rate(foo[5m]) + bar @ 3 + sum_over_time(x[1m:])', {}),
    60_000,
  );
  const seen: string[] = [];
  const walk = (e: unknown): void => {
    if (typeof e !== 'object' || e === null) return;
    const n = e as Record<string, unknown>;
    if (n['type'] === 'VectorSelector' || n['type'] === 'SubqueryExpr') {
      const at = n['at'] as { ms?: number } | undefined;
      seen.push(`${String(n['type'])}:${at?.ms ?? 'none'}`);
    }
    for (const v of Object.values(n)) if (typeof v === 'object') walk(v);
  };
  walk(pinned);
  assert.deepEqual(seen.sort(), [
    'SubqueryExpr:60000',
    'VectorSelector:3000',
    'VectorSelector:60000',
    'VectorSelector:none', // inside the subquery
  ]);
});

void test('pinQueryPrinted: canonical form, @ before offset, subquery insides untouched', () => {
  assert.equal(
    pinQueryPrinted('sum by(job)(rate(foo{b="1",a="2"}[5m] offset 1m))', 60_000),
    'sum by (job) (rate(foo{a="2",b="1"}[5m] @ 60.000 offset 1m))',
  );
  assert.equal(
    pinQueryPrinted('max_over_time(sum(x)[5m:1m]) + y @ 3', 60_000),
    'max_over_time(sum(x)[5m:1m] @ 60.000) + y @ 3.000',
  );
});
