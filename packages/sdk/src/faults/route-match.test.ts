import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_ROUTE_TEMPLATE_LENGTH, compileRouteTemplate, matchesRoute } from './route-match.js';
import type { RouteMatcher } from './route-match.js';

function compiled(template: string): RouteMatcher {
  const m = compileRouteTemplate(template);
  assert.notEqual(typeof m, 'string', `expected ${template} to compile: ${JSON.stringify(m)}`);
  return m as RouteMatcher;
}

describe('compileRouteTemplate', () => {
  test('accepts literals, :params and a final *', () => {
    for (const t of ['/', '/api', '/api/users/:id', '/api/*', '/*', '/a/:b/c/:d_2', '/api/']) {
      compiled(t);
    }
    assert.equal(compiled('/api/users').literal, true);
    assert.equal(compiled('/api/users/:id').literal, false);
    assert.equal(compiled('/api/*').literal, false);
  });

  test('refuses malformed templates with a reason', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /start with "\/"/],
      ['api/users', /start with "\/"/],
      ['/api//users', /empty segment/],
      ['/api/*/users', /last segment/],
      ['/api/us*', /stand alone/],
      ['/api/a:b', /stand alone/],
      ['/api/:', /invalid parameter/],
      ['/api/:1d', /invalid parameter/],
      ['/api/users?x=1', /"\?"/],
      ['/api/us ers', /spaces/],
      ['/api/\u0000', /control/],
      [`/${'a'.repeat(MAX_ROUTE_TEMPLATE_LENGTH)}`, /at most/],
    ];
    for (const [template, reason] of bad) {
      const result = compileRouteTemplate(template);
      assert.equal(typeof result, 'string', template);
      assert.match(result as string, reason, template);
    }
  });
});

describe('matchesRoute against the raw path (no route template known)', () => {
  test(':param is exactly one non-empty segment', () => {
    const m = compiled('/api/users/:id');
    assert.equal(matchesRoute(m, '/api/users/42'), true);
    assert.equal(matchesRoute(m, '/api/users/42/'), true);
    assert.equal(matchesRoute(m, '/api/users'), false);
    assert.equal(matchesRoute(m, '/api/users/'), false);
    assert.equal(matchesRoute(m, '/api/users/42/posts'), false);
    assert.equal(matchesRoute(m, '/api/Users/42'), false);
  });

  test('* is the rest of the path, possibly empty', () => {
    const m = compiled('/api/*');
    assert.equal(matchesRoute(m, '/api'), true);
    assert.equal(matchesRoute(m, '/api/users/42/posts'), true);
    assert.equal(matchesRoute(m, '/apix'), false);
    assert.equal(matchesRoute(m, '/other/api'), false);
    assert.equal(matchesRoute(compiled('/*'), '/'), true);
    assert.equal(matchesRoute(compiled('/*'), '/anything/at/all'), true);
  });

  test('the root template matches only the root', () => {
    const m = compiled('/');
    assert.equal(matchesRoute(m, '/'), true);
    assert.equal(matchesRoute(m, '/x'), false);
  });
});

describe('matchesRoute against the route template', () => {
  test('params match params whatever their names, not static segments', () => {
    const m = compiled('/api/users/:id');
    assert.equal(matchesRoute(m, '/api/users/42', '/api/users/:id'), true);
    assert.equal(matchesRoute(m, '/api/users/42', '/api/users/:userId'), true);
    assert.equal(matchesRoute(m, '/api/users/me', '/api/users/me'), false);
    assert.equal(matchesRoute(m, '/api/users/42/posts', '/api/users/:id/posts'), false);
  });

  test('* matches the rest of the route', () => {
    const m = compiled('/api/*');
    assert.equal(matchesRoute(m, '/api/users/42', '/api/users/:id'), true);
    assert.equal(matchesRoute(m, '/health', '/health'), false);
  });

  test('a literal template is an exact path: compared with the raw path and the route', () => {
    const m = compiled('/api/users/42');
    assert.equal(matchesRoute(m, '/api/users/42', '/api/users/:id'), true);
    assert.equal(matchesRoute(m, '/api/users/43', '/api/users/:id'), false);
    const health = compiled('/health');
    assert.equal(matchesRoute(health, '/mounted/health', '/health'), true);
  });
});
