import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STALE_NAN } from '@vigil/model';
import type { QueryValue } from '../value.js';
import {
  checkAnnotations,
  checkFailure,
  compareResult,
  floatsEqual,
  labelIdentity,
  seriesLabelsIdentity,
} from './compare.js';
import { parseTestScript } from './script.js';
import type { EvalCommand } from './script.js';

function evalOf(text: string): EvalCommand {
  const ev = parseTestScript(text, 't.test').commands.find((c) => c.type === 'eval');
  assert.ok(ev !== undefined && ev.type === 'eval');
  return ev;
}

function vector(...samples: [string[], number][]): QueryValue {
  return {
    type: 'vector',
    samples: samples.map(([labels, value]) => ({ labels, timestampMs: 0, value })),
  };
}

type Point = [number, number | 'stale'];

/** A matrix; `'stale'` puts a staleness marker straight into the Float64Array (plain arrays lose its bits). */
function matrix(...series: [string[], Point[]][]): QueryValue {
  return {
    type: 'matrix',
    series: series.map(([labels, points]) => {
      const values = new Float64Array(points.length);
      points.forEach(([, v], i) => {
        values[i] = v === 'stale' ? STALE_NAN : v;
      });
      return { labels, timestampsMs: Float64Array.from(points.map(([t]) => t)), values };
    }),
  };
}

void test('floats: the epsilon rule', () => {
  assert.ok(floatsEqual(1, 1));
  assert.ok(floatsEqual(NaN, NaN));
  assert.ok(floatsEqual(1, 1 + 1.9e-6), 'relative difference below 1e-6 (diff/sum)');
  assert.ok(!floatsEqual(1, 1 + 2.1e-6));
  assert.ok(floatsEqual(1e300, 1e300 * (1 + 1e-7)));
  assert.ok(floatsEqual(Number.MAX_VALUE, Number.MAX_VALUE * (1 - 1e-7)), 'sum overflows to Inf');
  assert.ok(!floatsEqual(0, 1e-300), 'against 0 the comparison is effectively exact');
  assert.ok(floatsEqual(0, Number.MIN_VALUE), 'below 1e-6 x smallest normal');
  assert.ok(floatsEqual(0, -0));
  assert.ok(!floatsEqual(1e-310, 2e-310), 'subnormals: absolute rule');
  assert.ok(floatsEqual(1e-310, 1e-310 + 1e-320));
  assert.ok(floatsEqual(Infinity, Infinity));
  assert.ok(!floatsEqual(Infinity, -Infinity));
  assert.ok(!floatsEqual(Infinity, Number.MAX_VALUE));
  assert.ok(!floatsEqual(NaN, 1));
  assert.ok(!floatsEqual(1, NaN));
});

void test('floats: a staleness marker only equals a staleness marker', () => {
  const stale = Float64Array.of(STALE_NAN);
  assert.ok(floatsEqual(stale[0]!, stale[0]!));
  assert.ok(!floatsEqual(stale[0]!, NaN));
  assert.ok(!floatsEqual(NaN, stale[0]!));
});

void test('label identity: empty values equal absent labels, order ignored', () => {
  assert.equal(
    labelIdentity([
      ['b', '2'],
      ['a', '1'],
      ['c', ''],
    ]),
    labelIdentity([
      ['a', '1'],
      ['b', '2'],
    ]),
  );
  assert.equal(
    seriesLabelsIdentity(['__name__', 'x', 'a', '1']),
    labelIdentity([
      ['__name__', 'x'],
      ['a', '1'],
    ]),
  );
  assert.notEqual(labelIdentity([['__name__', 'x']]), labelIdentity([]));
});

void test('instant vectors: every series expected and returned, values compared', () => {
  const ev = evalOf('eval instant at 1m foo\n  foo{a="1", b=""} 1\n  {a="2"} 2\n');
  assert.equal(
    compareResult(ev, vector([['a', '2'], 2], [['__name__', 'foo', 'a', '1'], 1])),
    undefined,
  );
  assert.match(
    compareResult(ev, vector([['__name__', 'foo', 'a', '1'], 1])) ?? '',
    /expected series \{a="2"\} not returned/,
  );
  assert.match(
    compareResult(
      ev,
      vector([['__name__', 'foo', 'a', '1'], 1], [['a', '2'], 2], [['a', '3'], 3]),
    ) ?? '',
    /unexpected series \{a="3"\}/,
  );
  const diff =
    compareResult(ev, vector([['__name__', 'foo', 'a', '1'], 1.1], [['a', '2'], 2])) ?? '';
  assert.match(diff, /foo\{a="1"\}: expected 1, got 1.1/);
  assert.match(diff, /expected: series:\n {4}foo\{a="1"\} 1@60000/);
  assert.match(diff, /got: vector:/);
  assert.match(compareResult(ev, { type: 'scalar', timestampMs: 0, value: 1 }) ?? '', /no scalar/);
});

void test('instant vectors: the name is part of the identity', () => {
  const ev = evalOf('eval instant at 1m foo\n  {a="1"} 1\n');
  assert.match(compareResult(ev, vector([['__name__', 'foo', 'a', '1'], 1])) ?? '', /unexpected/);
});

void test('empty expectations: an empty vector or matrix only', () => {
  const ev = evalOf('eval instant at 1m foo\n');
  assert.equal(compareResult(ev, vector()), undefined);
  assert.match(compareResult(ev, vector([['a', '1'], 1])) ?? '', /unexpected series/);
  const rev = evalOf('eval range from 0 to 1m step 1m foo\n');
  assert.equal(compareResult(rev, matrix()), undefined);
});

void test('ordered: instant results must come in the listed order', () => {
  const ev = evalOf('eval instant at 1m sort(foo)\n  expect ordered\n  {a="1"} 1\n  {a="2"} 2\n');
  assert.equal(compareResult(ev, vector([['a', '1'], 1], [['a', '2'], 2])), undefined);
  assert.match(compareResult(ev, vector([['a', '2'], 2], [['a', '1'], 1])) ?? '', /expect ordered/);
  const unordered = evalOf('eval instant at 1m foo\n  {a="1"} 1\n  {a="2"} 2\n');
  assert.equal(compareResult(unordered, vector([['a', '2'], 2], [['a', '1'], 1])), undefined);
});

void test('scalars and strings', () => {
  const ev = evalOf('eval instant at 1m 1+1\n  2\n');
  assert.equal(compareResult(ev, { type: 'scalar', timestampMs: 60_000, value: 2 }), undefined);
  assert.match(
    compareResult(ev, { type: 'scalar', timestampMs: 0, value: 3 }) ?? '',
    /scalar differs/,
  );
  assert.match(compareResult(ev, vector([[], 2])) ?? '', /expected a scalar/);
  const sev = evalOf('eval instant at 1m "x"\n  expect string "x"\n');
  assert.equal(compareResult(sev, { type: 'string', timestampMs: 0, value: 'x' }), undefined);
  assert.match(compareResult(sev, { type: 'string', timestampMs: 0, value: 'y' }) ?? '', /differs/);
});

void test('range evals: points at start + i*step, "_" means none, sorted matrix', () => {
  const ev = evalOf(
    'eval range from 0 to 3m step 1m foo\n  foo{a="1"} 1 _ 3\n  foo{a="2"} _x2 5 stale\n',
  );
  const a: [string[], Point[]] = [
    ['__name__', 'foo', 'a', '1'],
    [
      [0, 1],
      [120_000, 3],
    ],
  ];
  const b: [string[], Point[]] = [
    ['__name__', 'foo', 'a', '2'],
    [
      [120_000, 5],
      [180_000, 'stale'],
    ],
  ];
  assert.equal(compareResult(ev, matrix(a, b)), undefined);
  assert.match(compareResult(ev, matrix(b, a)) ?? '', /not sorted/);
  assert.match(
    compareResult(
      ev,
      matrix(
        [
          a[0],
          [
            [0, 1],
            [60_000, 2],
            [120_000, 3],
          ],
        ],
        b,
      ),
    ) ?? '',
    /expected 2 points, got 3/,
  );
  assert.match(
    compareResult(
      ev,
      matrix(
        [
          a[0],
          [
            [0, 1],
            [180_000, 3],
          ],
        ],
        b,
      ),
    ) ?? '',
    /point 1 at 180000, expected at 120000/,
  );
  assert.match(
    compareResult(
      ev,
      matrix(a, [
        b[0],
        [
          [120_000, 5],
          [180_000, NaN],
        ],
      ]),
    ) ?? '',
    /expected stale, got NaN/,
  );
  assert.match(compareResult(ev, vector()) ?? '', /not a matrix/);
});

void test('instant evals: a matrix needs "expect range vector"', () => {
  const ev = evalOf('eval instant at 1m foo[1m]\n  foo 1\n');
  assert.match(
    compareResult(ev, matrix([['__name__', 'foo'], [[60_000, 1]]])) ?? '',
    /range result on instant/,
  );
  const rv = evalOf(
    'eval instant at 1m foo[1m]\n  expect range vector from 30s to 1m step 30s\n  foo 1 2\n',
  );
  assert.equal(
    compareResult(
      rv,
      matrix([
        ['__name__', 'foo'],
        [
          [30_000, 1],
          [60_000, 2],
        ],
      ]),
    ),
    undefined,
  );
});

void test('annotations: declared lines must match, every annotation must be matched', () => {
  const w = 'PromQL warning: metric might not be a counter (1:6)';
  const w2 = 'PromQL warning: other (1:1)';
  assert.equal(checkAnnotations('warn', undefined, false, [w]), undefined, 'unchecked');
  assert.equal(checkAnnotations('warn', undefined, true, []), undefined);
  assert.match(checkAnnotations('warn', undefined, true, [w]) ?? '', /expected no warn/);
  assert.equal(checkAnnotations('warn', [{ line: 1 }], false, [w, w2]), undefined);
  assert.match(checkAnnotations('warn', [{ line: 1 }], false, []) ?? '', /got none/);
  assert.equal(checkAnnotations('warn', [{ line: 1, message: w }], false, [w]), undefined);
  assert.match(
    checkAnnotations('warn', [{ line: 1, message: w }], false, [w, w2]) ?? '',
    /unexpected warn annotation: PromQL warning: other/,
  );
  assert.match(
    checkAnnotations(
      'warn',
      [{ line: 3, message: 'PromQL warning: metric might not be a counter' }],
      false,
      [w],
    ) ?? '',
    /line 3/,
    'msg: compares the whole text, position included',
  );
  assert.equal(
    checkAnnotations('info', [{ line: 1, regex: /counter \([0-9]+:[0-9]+\)/ }], false, [w]),
    undefined,
    'regex: is unanchored',
  );
});

void test('expected failures', () => {
  const ev = evalOf('eval instant at 0 foo\n  expect fail msg: Parameter value is NaN\n');
  assert.equal(checkFailure(ev, 'Parameter value is NaN'), undefined);
  assert.match(checkFailure(ev, 'Parameter value is NaN (1:1)') ?? '', /expected error/);
  const re = evalOf('eval instant at 0 foo\n  expect fail regex: same label ?set\n');
  assert.equal(checkFailure(re, 'vector cannot contain metrics with the same labelset'), undefined);
  const any = evalOf('eval instant at 0 foo\n  expect fail\n');
  assert.equal(checkFailure(any, 'whatever'), undefined);
  const none = evalOf('eval instant at 0 foo\n');
  assert.match(checkFailure(none, 'boom') ?? '', /query failed: boom/);
});
