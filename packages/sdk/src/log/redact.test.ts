import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '@vigil/model';
import { DEFAULT_REDACT_PATHS } from './index.js';
import { compileRedactPaths, parseRedactPath, redactObject } from './redact.js';

test('paths parse like pino paths; names are lowercased', () => {
  assert.deepEqual(parseRedactPath('req.headers.Authorization'), [
    'req',
    'headers',
    'authorization',
  ]);
  assert.deepEqual(parseRedactPath('req.headers["set-cookie"]'), ['req', 'headers', 'set-cookie']);
  assert.deepEqual(parseRedactPath("a['b.c'].d"), ['a', 'b.c', 'd']);
  assert.deepEqual(parseRedactPath('*.password'), [undefined, 'password']);
  assert.deepEqual(parseRedactPath('users[*].token'), ['users', undefined, 'token']);
  assert.deepEqual(parseRedactPath('["set-cookie"]'), ['set-cookie']);
  assert.deepEqual(parseRedactPath('list[0]'), ['list', '0']);
});

test('malformed paths are CONFIG_INVALID with the path in the message', () => {
  for (const bad of ['', 'a.', 'a..b', 'a[b]', 'a["b"', '.a', 'a]b', 'a["b"]c']) {
    assert.throws(
      () => compileRedactPaths([bad]),
      (err: unknown) =>
        isVigilError(err, 'CONFIG_INVALID') && err.message.includes(JSON.stringify(bad)),
      bad,
    );
  }
});

test('the defaults compile', () => {
  assert.ok(DEFAULT_REDACT_PATHS.includes('*.password'));
  assert.ok(DEFAULT_REDACT_PATHS.includes('req.headers.authorization'));
  assert.doesNotThrow(() => compileRedactPaths(DEFAULT_REDACT_PATHS));
});

test('nothing matched: the same object comes back, untouched', () => {
  const root = compileRedactPaths(DEFAULT_REDACT_PATHS);
  const obj = { user: { id: 1, name: 'n' }, list: [1, 2, { a: 1 }] };
  assert.equal(redactObject(obj, root, 'X'), obj);
});

test('a match copies only the path to it and never mutates the input', () => {
  const root = compileRedactPaths(['*.password']);
  const other = { big: true };
  const obj = { user: { password: 'p', name: 'n' }, other };
  const out = redactObject(obj, root, 'X') as typeof obj;
  assert.deepEqual(out, { user: { password: 'X', name: 'n' }, other });
  assert.equal(out.other, other);
  assert.equal(obj.user.password, 'p');
});

test('literal and wildcard paths combine under the same key', () => {
  const root = compileRedactPaths(['a.b', '*.c', 'a.*.d']);
  const out = redactObject({ a: { b: 1, c: 2, e: { d: 3, f: 4 } }, z: { c: 5, b: 6 } }, root, 'X');
  assert.deepEqual(out, { a: { b: 'X', c: 'X', e: { d: 'X', f: 4 } }, z: { c: 'X', b: 6 } });
});

test('arrays are transparent; arrays in arrays, toJSON objects and typed arrays are not entered', () => {
  const root = compileRedactPaths(['*.token']);
  const date = Object.assign(new Date(0), { token: 'in-date' });
  const out = redactObject(
    { list: [{ token: 't1' }, { token: 't2', x: 1 }, 'str'], deep: [[{ token: 't3' }]], date },
    root,
    'X',
  ) as Record<string, unknown>;
  assert.deepEqual(out.list, [{ token: 'X' }, { token: 'X', x: 1 }, 'str']);
  assert.deepEqual(out.deep, [[{ token: 't3' }]]);
  assert.equal(out.date, date);
});
