import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PooledRandomIdGenerator } from './id-generator.js';

test('trace and span ids are lowercase hex of W3C length, never all zero, and distinct', () => {
  const ids = new PooledRandomIdGenerator();
  const traces = new Set<string>();
  const spans = new Set<string>();
  // Several pool refills, with trace and span ids interleaved.
  for (let i = 0; i < 20_000; i++) {
    const traceId = ids.generateTraceId();
    const spanId = ids.generateSpanId();
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.match(spanId, /^[0-9a-f]{16}$/);
    assert.notEqual(traceId, '0'.repeat(32));
    assert.notEqual(spanId, '0'.repeat(16));
    traces.add(traceId);
    spans.add(spanId);
  }
  assert.equal(traces.size, 20_000);
  assert.equal(spans.size, 20_000);
});

test('every hex digit is about equally likely in every position', () => {
  const ids = new PooledRandomIdGenerator();
  const n = 16_000;
  const counts = Array.from({ length: 32 }, () => new Array<number>(16).fill(0));
  for (let i = 0; i < n; i++) {
    const id = ids.generateTraceId();
    for (let p = 0; p < 32; p++) counts[p]![parseInt(id[p]!, 16)]!++;
  }
  // Expected 1000 per digit and position; a bias of a fixed digit or a
  // constant position (the failure this guards against) is off by far more
  // than the 6 standard deviations (about 190) allowed here.
  for (const position of counts) {
    for (const count of position) assert.ok(Math.abs(count - n / 16) < 190, `count ${count}`);
  }
});

test('two generators do not repeat each other', () => {
  const a = new PooledRandomIdGenerator();
  const b = new PooledRandomIdGenerator();
  assert.notEqual(a.generateTraceId(), b.generateTraceId());
});
