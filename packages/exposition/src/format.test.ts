import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  escapeHelp,
  escapeLabelValue,
  formatBoundValue,
  formatSampleValue,
  negotiateFormat,
} from './format.js';

test('negotiation follows the Accept header Prometheus sends', () => {
  // Prometheus 2.x and 3.x default scrape Accept headers.
  assert.equal(
    negotiateFormat(
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    ),
    'openmetrics',
  );
  assert.equal(negotiateFormat('text/plain;version=0.0.4;q=1,*/*;q=0.1'), 'text');
  assert.equal(negotiateFormat(undefined), 'text');
  assert.equal(negotiateFormat(''), 'text');
  assert.equal(negotiateFormat('*/*'), 'text');
  assert.equal(negotiateFormat('application/openmetrics-text'), 'openmetrics');
  assert.equal(negotiateFormat('application/openmetrics-text; version=2.0.0'), 'text');
  assert.equal(negotiateFormat('application/openmetrics-text;q=0'), 'text');
  assert.equal(negotiateFormat('text/plain;q=0.9, application/openmetrics-text;q=0.5'), 'text');
  assert.equal(negotiateFormat(';;;,,,=q;q=x'), 'text');
});

test('escaping of label values and HELP text', () => {
  assert.equal(escapeLabelValue('plain'), 'plain');
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.equal(escapeHelp('a"b\\c\nd', 'text'), 'a"b\\\\c\\nd');
  assert.equal(escapeHelp('a"b\\c\nd', 'openmetrics'), 'a\\"b\\\\c\\nd');
});

test('numbers', () => {
  assert.equal(formatSampleValue(NaN), 'NaN');
  assert.equal(formatSampleValue(Infinity), '+Inf');
  assert.equal(formatSampleValue(-Infinity), '-Inf');
  assert.equal(formatSampleValue(0.1), '0.1');
  assert.equal(formatSampleValue(-0), '0');
  assert.equal(formatBoundValue(1, 'openmetrics'), '1.0');
  assert.equal(formatBoundValue(1, 'text'), '1');
  assert.equal(formatBoundValue(0.005, 'openmetrics'), '0.005');
  assert.equal(formatBoundValue(Infinity, 'openmetrics'), '+Inf');
  assert.equal(formatBoundValue(1e21, 'openmetrics'), '1e+21');
});

test('le and quantile values in the canonical form of the OpenMetrics specification', () => {
  // "Canonical Numbers": Go's %g rendering, with ".0" appended when there is no '.' or exponent.
  const om: [number, string][] = [
    [0, '0.0'],
    [-0, '0.0'],
    [0.001, '0.001'],
    [0.002, '0.002'],
    [0.01, '0.01'],
    [0.1, '0.1'],
    [0.9, '0.9'],
    [0.95, '0.95'],
    [0.99, '0.99'],
    [0.999, '0.999'],
    [1, '1.0'],
    [1.7, '1.7'],
    [10, '10.0'],
    [1e-10, '1e-10'],
    [1e-9, '1e-09'],
    [1e-5, '1e-05'],
    [1.5e-5, '1.5e-05'],
    [0.0001, '0.0001'],
    [100000, '100000.0'],
    [123456, '123456.0'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [1e10, '1e+10'],
    [1e23, '1e+23'],
    [1.1e23, '1.1e+23'],
    [-2.5, '-2.5'],
    [-1e6, '-1e+06'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [NaN, 'NaN'],
    [-Infinity, '-Inf'],
  ];
  for (const [value, text] of om) {
    assert.equal(formatBoundValue(value, 'openmetrics'), text, String(value));
    assert.equal(Number(text.replace('Inf', 'Infinity')), value === 0 ? 0 : value, text);
  }
  assert.equal(formatBoundValue(1e6, 'text'), '1e+06');
  assert.equal(formatBoundValue(0.005, 'text'), '0.005');
  assert.equal(formatBoundValue(2.5, 'text'), '2.5');
  assert.equal(formatBoundValue(10, 'text'), '10');
  assert.equal(formatBoundValue(+Infinity, 'text'), '+Inf');
});
