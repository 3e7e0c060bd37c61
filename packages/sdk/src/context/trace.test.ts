import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resetDiagnosticsOnce, setDiagnosticSink } from '../diag.js';
import { currentTraceIds, setTraceContextProvider } from './index.js';

test('no provider: no trace ids', () => {
  setTraceContextProvider(undefined);
  assert.equal(currentTraceIds(), undefined);
});

test('the provider answer is returned as is', () => {
  const ids = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };
  setTraceContextProvider(() => ids);
  try {
    assert.equal(currentTraceIds(), ids);
    setTraceContextProvider(() => undefined);
    assert.equal(currentTraceIds(), undefined);
  } finally {
    setTraceContextProvider(undefined);
  }
});

test('a throwing provider yields undefined and one diagnostic', () => {
  const warnings: Record<string, unknown>[] = [];
  resetDiagnosticsOnce();
  setDiagnosticSink({ warn: (fields) => warnings.push(fields), error: () => {} });
  setTraceContextProvider(() => {
    throw new Error('provider broke');
  });
  try {
    assert.equal(currentTraceIds(), undefined);
    assert.equal(currentTraceIds(), undefined);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.code, 'CONFIG_INVALID');
  } finally {
    setTraceContextProvider(undefined);
    setDiagnosticSink(undefined);
  }
});

test('malformed answers are ignored', () => {
  for (const answer of [null, 42, 'x', {}, { trace_id: 1, span_id: 's' }, { trace_id: 't' }]) {
    setTraceContextProvider(() => answer as never);
    assert.equal(currentTraceIds(), undefined, JSON.stringify(answer));
  }
  setTraceContextProvider(undefined);
});
