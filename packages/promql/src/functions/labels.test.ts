import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '@vigil/model';
import { labelsFromRecord, labelsToRecord } from '@vigil/storage';
import { FUNCTIONS } from './index.js';
import { expandTemplate, setLabel } from './labels.js';
import type { LabelFunction } from './types.js';
import { context } from './test-helpers.test.js';

function fn(name: string): LabelFunction {
  const f = FUNCTIONS.get(name);
  assert.ok(f !== undefined && f.kind === 'labels', `${name} is a label function`);
  return f;
}

const M1 = labelsFromRecord({
  __name__: 'testmetric',
  src: 'source-value-10',
  dst: 'original-destination-value',
});

function replace(labels: readonly string[], args: string[]): Record<string, string> {
  return labelsToRecord(fn('label_replace').compute(labels, args, context(0)));
}

test('label_replace: full match, groups, unmatched and missing sources', () => {
  assert.deepEqual(replace(M1, ['dst', 'destination-value-$1', 'src', 'source-value-(.*)']), {
    __name__: 'testmetric',
    src: 'source-value-10',
    dst: 'destination-value-10',
  });
  // Not a substring match.
  assert.equal(
    replace(M1, ['dst', 'destination-value-$1', 'src', 'value-(.*)'])['dst'],
    'original-destination-value',
  );
  assert.equal(
    replace(M1, ['dst', '$1-value-$2', 'src', '(.*)-value-(.*)'])['dst'],
    'source-value-10',
  );
  assert.equal(
    replace(M1, ['dst', 'value-$1', 'nonexistent-src', 'source-value-(.*)'])['dst'],
    'original-destination-value',
  );
  assert.equal(replace(M1, ['dst', 'value-$1', 'nonexistent-src', '(.*)'])['dst'], 'value-');
  assert.equal(
    replace(M1, ['dst', 'value-$1', 'src', 'non-matching-regex'])['dst'],
    'original-destination-value',
  );
  // An empty result removes the label.
  assert.deepEqual(replace(M1, ['dst', '', 'dst', '.*']), {
    __name__: 'testmetric',
    src: 'source-value-10',
  });
  // A new label is inserted in order; __name__ can be set.
  assert.deepEqual(fn('label_replace').compute(M1, ['a', 'x', 'src', '.*'], context(0)), [
    '__name__',
    'testmetric',
    'a',
    'x',
    'dst',
    'original-destination-value',
    'src',
    'source-value-10',
  ]);
  assert.equal(
    replace(M1, ['__name__', 'renamed_$1', 'src', 'source-value-(\\d+)'])['__name__'],
    'renamed_10',
  );
  // RE2 syntax: named groups, `.` matches a newline.
  assert.equal(replace(M1, ['dst', '${num}', 'src', 'source-value-(?P<num>\\d+)'])['dst'], '10');
  const nl = labelsFromRecord({ src: 'a\nb' });
  assert.equal(replace(nl, ['dst', 'ok', 'src', 'a.b'])['dst'], 'ok');
});

test('label_replace: invalid regex and destination name fail with upstream text', () => {
  const f = fn('label_replace');
  assert.throws(
    () => f.compute(M1, ['dst', 'value-$1', 'src', '(.*'], context(0)),
    (err: unknown) =>
      isVigilError(err) &&
      err.code === 'PROMQL_EXECUTION' &&
      err.message === 'invalid regular expression in label_replace(): (.*',
  );
  assert.throws(
    () => f.validate?.(['dst', 'value-$1', 'src', '(.*']),
    /invalid regular expression in label_replace\(\): \(\.\*/,
  );
  for (const dst of ['', '\uDCFF']) {
    assert.throws(
      () => f.compute(M1, [dst, '', 'src', '(.*)'], context(0)),
      (err: unknown) =>
        isVigilError(err) &&
        err.message === `invalid destination label name in label_replace(): ${dst}`,
    );
  }
  // UTF-8 label names are valid in Prometheus 3.
  assert.equal(replace(M1, ['dst.with-dots', 'x', 'src', '.*'])['dst.with-dots'], 'x');
});

test('template expansion follows Go Regexp.Expand', () => {
  const m = /^(?<word>a)(b)?(c)$/.exec('ac')!;
  assert.equal(expandTemplate('$1|$2|$3|$word|${1}x|$1x|$$|$|${word', m), 'a||c|a|ax||$|$|${word');
  // `$01` is the (missing) group named "01"; `$10` a missing group.
  assert.equal(expandTemplate('$01 $10 ${3}', m), '  c');
  assert.equal(expandTemplate('no refs', m), 'no refs');
});

test('label_join joins source values, missing ones as empty', () => {
  const labels = labelsFromRecord({
    __name__: 'testmetric',
    src: 'a',
    src1: 'b',
    src2: 'c',
    dst: 'original-destination-value',
  });
  const join = (args: string[]): Record<string, string> =>
    labelsToRecord(fn('label_join').compute(labels, args, context(0)));
  assert.equal(join(['dst', '-', 'src', 'src1', 'src2'])['dst'], 'a-b-c');
  assert.equal(join(['dst', '-', 'src', 'src3', 'src1'])['dst'], 'a--b');
  assert.equal(join(['dst', '', 'emptysrc', 'emptysrc1', 'emptysrc2'])['dst'], undefined);
  assert.equal(join(['dst', ', '])['dst'], undefined);
  assert.equal(join(['new', ', ', 'src', 'src1'])['new'], 'a, b');
  assert.throws(
    () => fn('label_join').compute(labels, ['', '-', 'src'], context(0)),
    /invalid destination label name in label_join\(\): $/,
  );
  assert.throws(
    () => fn('label_join').compute(labels, ['dst', '-', ''], context(0)),
    /invalid source label name in label_join\(\): $/,
  );
});

test('setLabel keeps names sorted and removes on empty value', () => {
  const l = labelsFromRecord({ b: '2', d: '4' });
  assert.deepEqual(setLabel(l, 'a', '1'), ['a', '1', 'b', '2', 'd', '4']);
  assert.deepEqual(setLabel(l, 'c', '3'), ['b', '2', 'c', '3', 'd', '4']);
  assert.deepEqual(setLabel(l, 'e', '5'), ['b', '2', 'd', '4', 'e', '5']);
  assert.deepEqual(setLabel(l, 'b', 'x'), ['b', 'x', 'd', '4']);
  assert.deepEqual(setLabel(l, 'b', ''), ['d', '4']);
  assert.deepEqual(setLabel(l, 'z', ''), ['b', '2', 'd', '4']);
});
