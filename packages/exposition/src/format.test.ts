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
