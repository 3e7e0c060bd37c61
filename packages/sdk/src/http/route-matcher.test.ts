import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '@vigil/model';
import { compileRoutes } from './route-matcher.js';
import { isSaneRequestId, resolveRequestId, MAX_REQUEST_ID_LENGTH } from './request-id.js';

test('compileRoutes: static beats :param beats *, trailing slashes ignored', () => {
  const match = compileRoutes([
    '/',
    '/api/users/:id',
    '/api/users/me',
    '/api/users/:id/orders/:orderId',
    '/files/*',
    '/files/readme',
  ]);
  const cases: [string, string | undefined][] = [
    ['/', '/'],
    ['/api/users/42', '/api/users/:id'],
    ['/api/users/42/', '/api/users/:id'],
    ['/api/users/me', '/api/users/me'],
    ['/api/users/7/orders/9', '/api/users/:id/orders/:orderId'],
    ['/api/users/7/orders', undefined],
    ['/api/users', undefined],
    ['/api/users/', undefined],
    ['/api/users//orders/1', undefined],
    ['/files/a/b/c.txt', '/files/*'],
    ['/files/readme', '/files/readme'],
    ['/files', undefined],
    ['/nothing', undefined],
    ['//', undefined],
    ['', '/'],
  ];
  for (const [path, expected] of cases) assert.equal(match(path), expected, path);
});

test('compileRoutes: backtracks from a static branch to a parameter', () => {
  const match = compileRoutes(['/a/b/c', '/a/:x/d']);
  assert.equal(match('/a/b/d'), '/a/:x/d');
  assert.equal(match('/a/b/c'), '/a/b/c');
});

test('compileRoutes: bad templates fail with CONFIG_INVALID', () => {
  for (const bad of ['api/users', '/a/*/b', '/a/:', 42 as unknown as string]) {
    assert.throws(
      () => compileRoutes([bad]),
      (err: unknown) =>
        isVigilError(err) && err.code === 'CONFIG_INVALID' && /Route template/.test(err.message),
    );
  }
});

test('request ids: sane ones kept, anything else replaced by a UUID', () => {
  assert.equal(isSaneRequestId('abc-DEF_1.2:3/4+5=6'), true);
  assert.equal(isSaneRequestId('a'.repeat(MAX_REQUEST_ID_LENGTH)), true);
  for (const bad of [
    '',
    'a'.repeat(MAX_REQUEST_ID_LENGTH + 1),
    'a b',
    'a\nb',
    'a"b',
    'é',
    'a\u0000',
  ]) {
    assert.equal(isSaneRequestId(bad), false, JSON.stringify(bad));
  }
  assert.equal(resolveRequestId('req-1'), 'req-1');
  assert.match(resolveRequestId(['req-1', 'req-2']), /^[0-9a-f-]{36}$/);
  assert.match(resolveRequestId(undefined), /^[0-9a-f-]{36}$/);
  assert.notEqual(resolveRequestId(undefined), resolveRequestId(undefined));
});
