import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonString } from './json-string.js';

test('jsonString writes what JSON.stringify writes', () => {
  const cases = [
    '',
    'plain',
    '/api/users/7',
    'a"b',
    'back\\slash',
    'tab\tnew\nline\u0000',
    '\u007f\u0080é€',
    '😀',
    '\ud800 lone high',
    'lone low \udc00',
    '\u2028\u2029',
    'x'.repeat(10_000),
  ];
  for (const text of cases)
    assert.equal(jsonString(text), JSON.stringify(text), JSON.stringify(text));
  assert.equal(jsonString(undefined), 'null');
});
