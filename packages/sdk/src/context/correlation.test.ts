import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { AsyncResource } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getCorrelation, runWithCorrelation } from './index.js';
import { getCorrelationState, runWithCorrelationField } from './correlation.js';

test('outside any context there are no fields', () => {
  assert.equal(getCorrelation(), undefined);
});

test('runWithCorrelation returns what fn returns, sync and async', async () => {
  assert.equal(
    runWithCorrelation({ request_id: 'r1' }, () => 42),
    42,
  );
  const value = await runWithCorrelation({ request_id: 'r2' }, async () => {
    await sleep(1);
    return getCorrelation()?.request_id;
  });
  assert.equal(value, 'r2');
  assert.equal(getCorrelation(), undefined);
});

test('an exception from fn propagates and the context ends', () => {
  assert.throws(
    () =>
      runWithCorrelation({ request_id: 'r' }, () => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(getCorrelation(), undefined);
});

test('nested calls merge with the outer fields; inner values win', () => {
  runWithCorrelation({ request_id: 'outer', tenant: 'acme' }, () => {
    runWithCorrelation({ request_id: 'inner', job: 7 }, () => {
      assert.deepEqual({ ...getCorrelation() }, { tenant: 'acme', request_id: 'inner', job: 7 });
      const state = getCorrelationState()!;
      assert.equal(state.json, ',"tenant":"acme","request_id":"inner","job":7');
    });
    assert.deepEqual({ ...getCorrelation() }, { request_id: 'outer', tenant: 'acme' });
  });
});

test('fields are frozen and pre-serialised as JSON', () => {
  runWithCorrelation({ request_id: 'a"b\\c\n', ok: true, n: Number.NaN }, () => {
    const fields = getCorrelation()!;
    assert.ok(Object.isFrozen(fields));
    const state = getCorrelationState()!;
    assert.deepEqual(JSON.parse(`{${state.json.slice(1)}}`), {
      request_id: 'a"b\\c\n',
      ok: true,
      n: null,
    });
  });
});

test('trace keys are left out of the no-trace fragment', () => {
  runWithCorrelation({ request_id: 'r', trace_id: 't', span_id: 's' }, () => {
    assert.equal(getCorrelationState()!.jsonNoTrace, ',"request_id":"r"');
  });
});

test('non-primitive values and reserved names are dropped, never thrown', () => {
  const hostile = { request_id: 'r', obj: { a: 1 }, fn: () => 1, level: 'x', time: 1, msg: 'm' };
  runWithCorrelation(hostile as never, () => {
    assert.deepEqual({ ...getCorrelation() }, { request_id: 'r' });
  });
  // Not an object at all (a JavaScript caller's mistake): fn still runs.
  assert.deepEqual(
    runWithCorrelation(null as never, () => ({ ...getCorrelation() })),
    {},
  );
});

test('fields follow timers, promises and emitters through async work', async () => {
  const seen: (string | undefined)[] = [];
  const emitter = new EventEmitter();
  let bound: (() => void) | undefined;
  await runWithCorrelation({ request_id: 'req-1' }, async () => {
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        seen.push(getCorrelation()?.request_id as string);
        resolve();
      }, 1),
    );
    await Promise.resolve().then(() => seen.push(getCorrelation()?.request_id as string));
    emitter.on('sync', () => seen.push(getCorrelation()?.request_id as string));
    emitter.emit('sync');
    bound = AsyncResource.bind(() => seen.push(getCorrelation()?.request_id as string));
  });
  // Emitted outside: a listener runs in the emitter's context, unless bound.
  emitter.emit('sync');
  bound!();
  assert.deepEqual(seen, ['req-1', 'req-1', 'req-1', undefined, 'req-1']);
});

test('concurrent contexts do not leak into each other', async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      runWithCorrelation({ request_id: `r${i}` }, async () => {
        await sleep(i % 3);
        await Promise.resolve();
        return getCorrelation()?.request_id;
      }),
    ),
  );
  assert.deepEqual(
    results,
    Array.from({ length: 20 }, (_, i) => `r${i}`),
  );
});

test('runWithCorrelationField gives the same fields and fragments as runWithCorrelation', () => {
  const viaField = runWithCorrelationField('request_id', 'r-"1', () => getCorrelationState());
  const viaObject = runWithCorrelation({ request_id: 'r-"1' }, () => getCorrelationState());
  for (const key of ['keys', 'parts', 'json', 'jsonNoTrace', 'fields'] as const) {
    assert.deepEqual(viaField![key], viaObject![key], key);
  }
  assert.ok(Object.isFrozen(viaField!.fields));
  // Nested inside other fields it merges like runWithCorrelation.
  runWithCorrelation({ tenant: 'acme', request_id: 'outer' }, () => {
    const inner = runWithCorrelationField('request_id', 'inner', () => getCorrelation());
    assert.deepEqual(inner, { tenant: 'acme', request_id: 'inner' });
  });
});
