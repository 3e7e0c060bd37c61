import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoF, formatGoG, formatGoShortest } from './go-float.js';

test('formatGoG and formatGoF print as Go (%g, %f)', () => {
  const g: [number, string][] = [
    [0, '0'],
    [-0.1, '-0.1'],
    [2, '2'],
    [1.01, '1.01'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e21, '1e+21'],
    [1.5e-300, '1.5e-300'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  for (const [v, want] of g) assert.equal(formatGoG(v), want);
  assert.equal(formatGoF(0.5), '0.500000');
  assert.equal(formatGoF(-1), '-1.000000');
  assert.equal(formatGoF(Infinity), '+Inf');
  assert.equal(formatGoF(NaN), 'NaN');
});

test("formatGoG keeps negative zero; Sloth's objective and budget literals", () => {
  assert.equal(formatGoG(-0), '-0');
  assert.equal(formatGoG(99.9 / 100), '0.9990000000000001');
  assert.equal(formatGoG((100 - 99.9) / 100), '0.0009999999999999432');
  assert.equal(formatGoG((100 - 99.999) / 100), '1.0000000000047748e-05');
  assert.equal(formatGoG(1.5e-7), '1.5e-07');
});

test("formatGoShortest prints the shortest positional decimal (strconv 'f', -1)", () => {
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [95, '95'],
    [99.9, '99.9'],
    [1e-7, '0.0000001'],
    [-2.5e-8, '-0.000000025'],
    [1.5e21, '1500000000000000000000'],
    [123.456, '123.456'],
    [NaN, 'NaN'],
    [-Infinity, '-Inf'],
  ];
  for (const [v, want] of cases) assert.equal(formatGoShortest(v), want, String(v));
  assert.equal(formatGoF(1.23456789, 3), '1.235');
});
