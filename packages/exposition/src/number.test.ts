import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIntegerTimestamp, parseNumber, parseNumberText } from './number.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

function value(text: string): number | undefined {
  const b = bytes(text);
  return parseNumber(b, 0, b.length, true, 0);
}

function seconds(text: string): number | undefined {
  const b = bytes(text);
  return parseNumber(b, 0, b.length, false, 3);
}

test('float spellings Prometheus accepts', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['-0', -0],
    ['+1', 1],
    ['007', 7],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['5.', 5],
    ['-.5e1', -5],
    ['5.e3', 5000],
    ['1e5', 1e5],
    ['1E+05', 1e5],
    ['1e-05', 1e-5],
    ['2.4451e-05', 2.4451e-5],
    ['4.20072246e+06', 4.20072246e6],
    ['1.6970193488127086e+09', 1.6970193488127086e9],
    ['0.1', 0.1],
    ['0.005', 0.005],
    ['171.27856428800016', Number('171.27856428800016')],
    ['123456789012345678901234567890', 1.2345678901234568e29],
    ['0.000000000000000000000000001', 1e-27],
    ['1e-400', 0],
    ['1.7976931348623157e308', 1.7976931348623157e308],
    ['9007199254740993', 9007199254740992],
    ['Inf', Infinity],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['inf', Infinity],
    ['INFINITY', Infinity],
    ['-infinity', -Infinity],
    ['NaN', NaN],
    ['nan', NaN],
    ['NAN', NaN],
  ];
  for (const [text, expected] of cases) {
    assert.deepEqual(value(text), expected, text);
    // Agrees with JavaScript's own conversion wherever JavaScript accepts the spelling.
    const js = Number(text);
    if (!Number.isNaN(js) && Number.isFinite(js)) assert.equal(value(text), js, text);
  }
});

test('spellings Prometheus rejects', () => {
  for (const text of [
    '',
    '+',
    '-',
    '.',
    'e5',
    '.e5',
    '1e',
    '1e+',
    '1.2.3',
    '1_000',
    '0x10',
    '0x1p-3',
    '1f',
    ' 1',
    '1 ',
    '+nan',
    '-NaN',
    'infin',
    'Infinityy',
    'true',
    '1e400',
    '-1e400',
    '１',
  ]) {
    assert.equal(value(text), undefined, JSON.stringify(text));
  }
});

test('OpenMetrics timestamps become exact milliseconds', () => {
  assert.equal(seconds('1520879607.789'), 1520879607789);
  assert.equal(seconds('1520879607'), 1520879607000);
  assert.equal(seconds('-1.5'), -1500);
  assert.equal(seconds('1.5e3'), 1500000);
  assert.equal(seconds('1604676851.123456789'), 1604676851123.4568);
  assert.equal(seconds('NaN'), undefined);
  assert.equal(seconds('+Inf'), undefined);
});

test('text-format timestamps are digits only and exact', () => {
  const ts = (text: string): number | undefined => {
    const b = bytes(text);
    return parseIntegerTimestamp(b, 0, b.length);
  };
  assert.equal(ts('1395066363000'), 1395066363000);
  assert.equal(ts('0'), 0);
  assert.equal(ts('0000000000000000001'), 1);
  assert.equal(ts('9007199254740991'), 9007199254740991);
  assert.equal(ts('9007199254740992'), undefined);
  assert.equal(ts('-1'), undefined);
  assert.equal(ts('+1'), undefined);
  assert.equal(ts('1.5'), undefined);
  assert.equal(ts(''), undefined);
});

test('parseNumberText for the writer', () => {
  assert.equal(parseNumberText('1.0'), 1);
  assert.equal(parseNumberText('+Inf'), Infinity);
  assert.equal(parseNumberText('x'), undefined);
});
