import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kahanInc, parseGoFloat } from './numeric.js';

test('parseGoFloat accepts what strconv.ParseFloat accepts', () => {
  const ok: [string, number][] = [
    ['0', 0],
    ['.2', 0.2],
    ['1e0', 1],
    ['2.0e-1', 0.2],
    ['-0.1', -0.1],
    ['+1', 1],
    ['1.', 1],
    ['+Inf', Infinity],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
    ['0x1p-2', 0.25],
    ['0x1.8p1', 3],
    ['-0X10P0', -16],
  ];
  for (const [text, want] of ok) assert.equal(parseGoFloat(text), want, text);
  assert.ok(Number.isNaN(parseGoFloat('NaN')!));
  assert.ok(Number.isNaN(parseGoFloat('nan')!));
  for (const bad of [
    '',
    ' 1',
    '1 ',
    'Hello World',
    '1e400',
    '+nan',
    '0x10',
    '1_000',
    '.',
    'e5',
    '--1',
  ]) {
    assert.equal(parseGoFloat(bad), undefined, JSON.stringify(bad));
  }
});

test('kahanInc compensates rounding and resets on overflow', () => {
  let sum = 0;
  let c = 0;
  for (const v of [1e100, 1, -1e100]) [sum, c] = kahanInc(v, sum, c);
  assert.equal(sum + c, 1);
  assert.deepEqual(kahanInc(Infinity, 1, 0.5), [Infinity, 0]);
});
