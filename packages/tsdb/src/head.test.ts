import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newLabelMatcher } from '@vigil/model';
import type { LabelMatcher, MatchType } from '@vigil/model';
import { labelValue } from '@vigil/storage';
import { seededRandom } from '@vigil/testing';
import { Head, HeadSeries, difference, intersect, seriesKey, unionAll } from './head.js';

test('postings set operations on ascending lists', () => {
  assert.deepEqual(intersect([1, 3, 5, 7], [2, 3, 4, 7, 9]), [3, 7]);
  assert.deepEqual(intersect([], [1]), []);
  assert.deepEqual(difference([1, 2, 3, 4, 5], [2, 4, 6]), [1, 3, 5]);
  assert.deepEqual(difference([1, 2], []), [1, 2]);
  assert.deepEqual(unionAll([[1, 5], [2, 5, 9], [], [0]]), [0, 1, 2, 5, 9]);
  assert.deepEqual(unionAll([]), []);
});

/** A head with series whose labels are drawn at random, built as the store builds it. */
function randomHead(seed: number, n: number): { head: Head; labels: string[][] } {
  const rand = seededRandom(seed);
  const head = new Head();
  const labels: string[][] = [];
  for (let i = 0; i < n; i++) {
    const l = ['__name__', `m${Math.floor(rand() * 3)}`];
    if (rand() < 0.7) l.push('env', ['prod', 'dev', 'prod-eu'][Math.floor(rand() * 3)]!);
    if (rand() < 0.5) l.push('job', `j${Math.floor(rand() * 4)}`);
    const pairs: number[] = [];
    for (let k = 0; k < l.length; k += 2) {
      let id = head.pairId(l[k]!, l[k + 1]!);
      if (id === 0) {
        id = head.nextPairId;
        head.addPair(id, l[k]!, l[k + 1]!);
      }
      pairs.push(id);
    }
    const s = new HeadSeries(head.nextRef, head.internLabels(l), seriesKey(l));
    head.addSeries(s, pairs, true);
    labels.push(l);
  }
  return { head, labels };
}

test('select agrees with matching every series one by one (seeded random matchers)', () => {
  const { head, labels } = randomHead(5, 300);
  const rand = seededRandom(9);
  const types: MatchType[] = ['=', '!=', '=~', '!~'];
  const values: Record<string, string[]> = {
    __name__: ['m0', 'm1', 'm9', 'm.*', 'm[01]', ''],
    env: ['prod', 'dev', 'prod.*', '', 'prod|', '.*', '.+'],
    job: ['j1', 'j2|j3', '', 'j.*', 'x'],
    nope: ['', 'a', '.*'],
  };
  for (let round = 0; round < 500; round++) {
    const ms: LabelMatcher[] = [];
    const k = Math.floor(rand() * 3);
    for (let j = 0; j < k; j++) {
      const name = Object.keys(values)[Math.floor(rand() * 4)]!;
      const vs = values[name]!;
      ms.push(
        newLabelMatcher(types[Math.floor(rand() * 4)]!, name, vs[Math.floor(rand() * vs.length)]!),
      );
    }
    const want: number[] = [];
    labels.forEach((l, i) => {
      if (ms.every((m) => m.matches(labelValue(l, m.name)))) want.push(i + 1);
    });
    const got = head.select(ms);
    assert.deepEqual(got, want, ms.map((m) => `${m.name}${m.type}"${m.value}"`).join(','));
  }
});

test('removed series leave the postings and the lookup maps; ids are not reused', () => {
  const { head } = randomHead(6, 50);
  const before = head.select([]);
  head.removeSeries(new Set([3, 10, 11]));
  const after = head.select([]);
  assert.deepEqual(
    after,
    before.filter((r) => r !== 3 && r !== 10 && r !== 11),
  );
  assert.equal(head.seriesCount, 47);
  assert.equal(head.get(3), undefined);
  assert.equal(head.nextRef, 51);
  for (const list of head.postings) if (list !== undefined) assert.ok(!list.includes(10));
});

test('interned labels equal the labels they were made from', () => {
  const { head } = randomHead(7, 20);
  const s1 = head.get(1)!;
  const copy = head.internLabels(s1.labels.map((x) => (' ' + x).slice(1)));
  assert.deepEqual(copy, s1.labels);
});
