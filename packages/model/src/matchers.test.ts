import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileAnchoredRegex, matchesEmpty, newLabelMatcher } from './matchers.js';
import type { MatchType } from './matchers.js';
import { isVigilError } from './errors.js';

const matches = (type: MatchType, re: string, value: string): boolean =>
  newLabelMatcher(type, 'l', re).matches(value);

test('compileAnchoredRegex keeps capture groups, anchors fully and rejects bad syntax', () => {
  const re = compileAnchoredRegex('source-(?P<kind>[a-z]+)-(\\d+)');
  const m = re.exec('source-value-10');
  assert.ok(m !== null);
  assert.equal(m[1], 'value');
  assert.equal(m[2], '10');
  assert.equal(m.groups?.['kind'], 'value');
  assert.equal(re.exec('xsource-value-10'), null);
  assert.throws(() => compileAnchoredRegex('a)|(b'), SyntaxError);
  assert.throws(() => compileAnchoredRegex('(.*'), SyntaxError);
});

describe('label matchers', () => {
  test('keeps type, name and value as given', () => {
    const m = newLabelMatcher('=~', 'job', 'api|web');
    assert.equal(m.type, '=~');
    assert.equal(m.name, 'job');
    assert.equal(m.value, 'api|web');
  });

  test('= and != compare exactly', () => {
    assert.ok(matches('=', 'api', 'api'));
    assert.ok(!matches('=', 'api', 'API'));
    assert.ok(!matches('=', 'api', 'api '));
    assert.ok(!matches('=', 'api', 'ap'));
    assert.ok(!matches('=', 'a.i', 'api'), '= is not a regex');
    assert.ok(matches('!=', 'api', 'web'));
    assert.ok(!matches('!=', 'api', 'api'));
  });

  test('the empty string stands for a missing label', () => {
    assert.ok(matches('=', '', ''), '{env=""} selects series without env');
    assert.ok(!matches('=', '', 'prod'));
    assert.ok(!matches('!=', '', ''), '{env!=""} selects series with env');
    assert.ok(matches('!=', '', 'prod'));
    assert.ok(matches('!=', 'prod', ''), 'a missing label is != any value');
    assert.ok(matches('=~', '', ''));
    assert.ok(matches('=~', '.*', ''));
    assert.ok(!matches('=~', '.+', ''));
    assert.ok(matches('=~', 'prod|', ''));
    assert.ok(!matches('!~', '.*', ''));
    assert.ok(matches('!~', '.+', ''));
    assert.ok(matchesEmpty(newLabelMatcher('=~', 'l', 'a|')));
    assert.ok(matchesEmpty(newLabelMatcher('!=', 'l', 'a')));
    assert.ok(!matchesEmpty(newLabelMatcher('=', 'l', 'a')));
    assert.ok(!matchesEmpty(newLabelMatcher('=~', 'l', 'a+')));
  });

  test('regular expressions are fully anchored', () => {
    assert.ok(matches('=~', 'api', 'api'));
    assert.ok(!matches('=~', 'api', 'api-v2'), 'no prefix match');
    assert.ok(!matches('=~', 'api', 'my-api'), 'no suffix match');
    assert.ok(!matches('=~', 'pi', 'api'));
    assert.ok(matches('=~', 'api.*', 'api-v2'));
    assert.ok(matches('=~', '.*api', 'my-api'));
    // The anchors wrap the whole alternation, not its first and last branch.
    assert.ok(matches('=~', 'api|web', 'web'));
    assert.ok(!matches('=~', 'api|web', 'api-v2'));
    assert.ok(!matches('=~', 'api|web', 'my-web'));
    assert.ok(!matches('!~', 'api', 'api'));
    assert.ok(matches('!~', 'api', 'api-v2'));
    assert.ok(matches('!~', 'api|web', 'webapp'));
    // Anchors written by the user are harmless.
    assert.ok(matches('=~', '^api$', 'api'));
  });

  test('a value cannot escape the anchoring group', () => {
    for (const sneaky of ['a)|(b', 'a)|.*|(b', ')(', 'x)']) {
      assert.throws(
        () => newLabelMatcher('=~', 'l', sneaky),
        (e) => isVigilError(e, 'MATCHER_INVALID'),
        sneaky,
      );
    }
  });

  test('. matches a newline and whole code points', () => {
    assert.ok(matches('=~', 'a.b', 'a\nb'));
    assert.ok(matches('=~', '.*', 'line1\nline2\r\n'));
    assert.ok(matches('=~', '.', 'é'));
    assert.ok(matches('=~', '.', '😀'), 'one astral code point');
    assert.ok(!matches('=~', '..', '😀'));
    assert.ok(matches('!~', '.', '\n') === false);
  });

  test('regex features: classes, repetition, groups, case', () => {
    assert.ok(matches('=~', '[a-c]:80', 'b:80'));
    assert.ok(!matches('=~', '[a-c]:80', 'd:80'));
    assert.ok(matches('=~', '[^a-c]+', 'xyz'));
    assert.ok(matches('=~', '\\d{3}', '404'));
    assert.ok(!matches('=~', '\\d{3}', '40'));
    assert.ok(matches('=~', '5\\d{2,}', '5000'));
    assert.ok(matches('=~', '(GET|POST) /api/.*', 'POST /api/users'));
    assert.ok(matches('=~', '\\w+\\s\\w+', 'hello world'));
    assert.ok(!matches('=~', 'get', 'GET'), 'case-sensitive by default');
    assert.ok(matches('=~', '(?i)get', 'GET'), 'a leading (?i) ignores case');
    assert.ok(matches('=~', '(?is)a.b', 'A\nB'));
    assert.ok(matches('=~', '(?P<method>GET|PUT)', 'PUT'), 'RE2 named groups');
  });

  test('RE2 escapes and literals mean what they mean in Prometheus', () => {
    assert.ok(matches('=~', 'a\\.b', 'a.b'));
    assert.ok(!matches('=~', 'a\\.b', 'axb'));
    assert.ok(matches('=~', '\\/api\\/v1', '/api/v1'));
    assert.ok(matches('=~', 'a\\-b', 'a-b'));
    assert.ok(matches('=~', 'a\\:b\\_c', 'a:b_c'));
    assert.ok(matches('=~', '[\\-+]1', '-1'));
    assert.ok(matches('=~', '[a\\-z]', '-'));
    assert.ok(!matches('=~', '[a\\-z]', 'm'), 'an escaped - is no range');
    assert.ok(matches('=~', 'a\\\\b', 'a\\b'));
    assert.ok(matches('=~', '\\{\\}', '{}'));
    assert.ok(matches('=~', '{}', '{}'), 'braces without a repetition are literal');
    assert.ok(matches('=~', 'a{', 'a{'));
    assert.ok(matches('=~', 'a{x}', 'a{x}'));
    assert.ok(matches('=~', '{.*}', '{"k":"v"}'));
    assert.ok(matches('=~', 'a]', 'a]'));
    assert.ok(matches('=~', '[]a]+', ']a]'), 'a ] first in a class is literal');
    assert.ok(matches('=~', '[^]]', 'x'));
    assert.ok(!matches('=~', '[^]]', ']'));
  });

  test('invalid regular expressions throw MATCHER_INVALID', () => {
    for (const bad of [
      '(',
      'a[',
      '*a',
      'a**',
      '(?<',
      '\\',
      'a\\z',
      '\\Aa',
      '\\Qa.b\\E',
      '[[:alpha:]]',
      '(?m)a',
      '(?U)a+',
      '\\pL',
    ]) {
      assert.throws(
        () => newLabelMatcher('=~', 'l', bad),
        (e) => isVigilError(e, 'MATCHER_INVALID') && e.message.includes('l=~'),
        bad,
      );
      assert.throws(
        () => newLabelMatcher('!~', 'l', bad),
        (e) => isVigilError(e, 'MATCHER_INVALID'),
        bad,
      );
    }
    // = and != never compile their value.
    assert.ok(newLabelMatcher('=', 'l', '(').matches('('));
    assert.ok(newLabelMatcher('!=', 'l', '(').matches('x'));
  });

  test('an unknown type throws MATCHER_INVALID', () => {
    for (const type of ['==', '~', '', '=!']) {
      assert.throws(
        () => newLabelMatcher(type as MatchType, 'l', 'x'),
        (e) => isVigilError(e, 'MATCHER_INVALID'),
        type,
      );
    }
  });

  test('a matcher can be reused; test() keeps no state between calls', () => {
    const m = newLabelMatcher('=~', 'l', 'a+');
    for (let i = 0; i < 5; i++) {
      assert.ok(m.matches('aaa'));
      assert.ok(!m.matches('b'));
    }
  });
  test('case-insensitive groups and mid-expression (?i) fold only their scope, as RE2 does', () => {
    const cases: [string, string, boolean][] = [
      ['(?i:PRO).*', 'production', true],
      ['.*?(?i:PRO).*', 'PrOduction', true],
      ['((?i)PRO).*', 'proD', true],
      ['((?i)PRO)d', 'proD', false],
      ['(?i:[a-c]x)', 'BX', true],
      ['(?i:[a-c]x)', 'DX', false],
      ['a(?i)b', 'aB', true],
      ['A(?i)b', 'aB', false],
      ['(?i:a)(?-i:b)', 'Ab', true],
      ['(?i:a)(?-i:b)', 'AB', false],
    ];
    for (const [re, value, want] of cases) {
      assert.equal(newLabelMatcher('=~', 'l', re).matches(value), want, `${re} on ${value}`);
    }
  });
});
