import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/model';
import { MAX_CAUSE_DEPTH, serializeError } from './index.js';
import type { SerializedError } from './index.js';

test('type, message, stack and code', () => {
  const err = Object.assign(new TypeError('bad input'), { code: 'E_BAD', statusCode: 400 });
  const s = serializeError(err) as SerializedError;
  assert.equal(s.type, 'TypeError');
  assert.equal(s.message, 'bad input');
  assert.match(s.stack!, /^TypeError: bad input\n\s+at /);
  assert.equal(s.code, 'E_BAD');
  assert.equal(s.statusCode, 400);
  const v = serializeError(new VigilError('CONFIG_INVALID', 'nope')) as SerializedError;
  assert.equal(v.type, 'VigilError');
  assert.equal(v.code, 'CONFIG_INVALID');
});

test('a 3-deep cause chain is kept as nested objects', () => {
  const root = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const db = new Error('query failed', { cause: root });
  const repo = new RangeError('load user failed', { cause: db });
  const top = new VigilError('CONFIG_INVALID', 'request failed', { cause: repo });
  const s = serializeError(top) as SerializedError;
  const c1 = s.cause as SerializedError;
  const c2 = c1.cause as SerializedError;
  const c3 = c2.cause as SerializedError;
  assert.equal(s.message, 'request failed');
  assert.equal(c1.type, 'RangeError');
  assert.equal(c1.message, 'load user failed');
  assert.equal(c2.message, 'query failed');
  assert.equal(c3.message, 'connect ECONNREFUSED');
  assert.equal(c3.code, 'ECONNREFUSED');
  assert.equal(c3.cause, undefined);
  assert.ok(c3.stack);
});

test('a cyclic cause chain terminates with a circular marker', () => {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  const s = serializeError(a) as SerializedError;
  const sb = s.cause as SerializedError;
  const again = sb.cause as SerializedError;
  assert.equal(sb.message, 'b');
  assert.deepEqual(again, { type: 'Error', message: 'a', circular: true });
  assert.doesNotThrow(() => JSON.stringify(s));
  // A self-cause too.
  const self = new Error('self');
  (self as { cause?: unknown }).cause = self;
  assert.equal(((serializeError(self) as SerializedError).cause as SerializedError).circular, true);
});

test('a very long chain is cut at MAX_CAUSE_DEPTH', () => {
  let err = new Error('e0');
  for (let i = 1; i <= 50; i++) err = new Error(`e${i}`, { cause: err });
  let s = serializeError(err) as SerializedError;
  let depth = 0;
  while (s.cause !== undefined) {
    s = s.cause as SerializedError;
    depth++;
  }
  assert.equal(depth, MAX_CAUSE_DEPTH + 1);
  assert.equal(s.truncated, true);
  assert.equal(s.stack, undefined);
});

test('non-error causes, aggregate errors and non-errors', () => {
  const s = serializeError(new Error('x', { cause: 'timeout' })) as SerializedError;
  assert.equal(s.cause, 'timeout');
  const obj = serializeError(new Error('x', { cause: { reason: 'r', nested: { a: 1 } } }));
  assert.deepEqual((obj as SerializedError).cause, { type: 'Object', message: '', reason: 'r' });
  const agg = serializeError(new AggregateError([new Error('one'), new Error('two')], 'many'));
  assert.deepEqual(
    (agg as SerializedError).errors!.map((e) => (e as SerializedError).message),
    ['one', 'two'],
  );
  assert.equal(serializeError('just a string'), 'just a string');
  const plain = { a: 1 };
  assert.equal(serializeError(plain), plain);
});

test('object-valued properties are left out; throwing getters do not escape', () => {
  const err = Object.assign(new Error('http'), {
    config: { headers: { Authorization: 'Bearer s3cr3t' } },
    status: 502,
  });
  const s = serializeError(err) as SerializedError;
  assert.equal(s.config, undefined);
  assert.equal(s.status, 502);
  const evil = new Error('evil');
  Object.defineProperty(evil, 'boom', {
    enumerable: true,
    get() {
      throw new Error('getter');
    },
  });
  assert.deepEqual(serializeError(evil), { type: 'Error', message: 'unserialisable error' });
});
