import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newLabelMatcher } from '@vigil/model';
import type { MatchType } from '@vigil/model';
import type { Expr, VectorSelector } from '../parser/ast.js';
import { absentLabels } from './index.js';

const POS = { start: 0, end: 1 };

function selector(
  name: string | undefined,
  matchers: [MatchType, string, string][],
): VectorSelector {
  const all = matchers.map(([type, n, v]) => newLabelMatcher(type, n, v));
  if (name !== undefined) all.unshift(newLabelMatcher('=', '__name__', name));
  return {
    type: 'VectorSelector',
    name,
    matchers: all,
    offset: undefined,
    at: undefined,
    modifier: undefined,
    pos: POS,
  };
}

test('absent labels: equality matchers except __name__', () => {
  assert.deepEqual(absentLabels(selector('nonexistent', [])), []);
  assert.deepEqual(
    absentLabels(
      selector('nonexistent', [
        ['=', 'job', 'testjob'],
        ['=', 'instance', 'testinstance'],
        ['=~', 'method', '.x'],
      ]),
    ),
    ['instance', 'testinstance', 'job', 'testjob'],
  );
});

test('absent labels: a label matched twice is left out (order matters, as upstream)', () => {
  assert.deepEqual(
    absentLabels(
      selector('nonexistent', [
        ['=', 'job', 'testjob'],
        ['=', 'job', 'testjob2'],
        ['=', 'foo', 'bar'],
      ]),
    ),
    ['foo', 'bar'],
  );
  assert.deepEqual(
    absentLabels(
      selector('x', [
        ['=', 'job', 'a'],
        ['=~', 'job', 'b'],
      ]),
    ),
    [],
  );
  assert.deepEqual(
    absentLabels(
      selector('x', [
        ['=~', 'job', 'b'],
        ['=', 'job', 'a'],
      ]),
    ),
    ['job', 'a'],
  );
  // An empty value means "no such label".
  assert.deepEqual(absentLabels(selector('x', [['=', 'job', '']])), []);
  assert.deepEqual(
    absentLabels(
      selector(undefined, [
        ['=', '__name__', 'x'],
        ['=', 'a', 'b'],
      ]),
    ),
    ['a', 'b'],
  );
});

test('absent labels: range selectors count, anything else gives none', () => {
  const vs = selector('x', [['=', 'a', 'b']]);
  const range: Expr = {
    type: 'MatrixSelector',
    vector: vs,
    range: { kind: 'literal', ms: 60000 },
    modifier: undefined,
    pos: POS,
  };
  assert.deepEqual(absentLabels(range), ['a', 'b']);
  assert.deepEqual(absentLabels({ type: 'ParenExpr', expr: vs, pos: POS }), []);
  assert.deepEqual(absentLabels({ type: 'NumberLiteral', value: 1, pos: POS }), []);
});
