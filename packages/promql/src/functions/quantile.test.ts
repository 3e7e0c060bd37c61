import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/testing';
import { bucketFraction, bucketQuantile, sampleQuantile, sortNaNFirst } from './quantile.js';

test('sortNaNFirst orders ascending with NaN first, for short and long inputs', () => {
  const random = seededRandom(7);
  for (let round = 0; round < 300; round++) {
    const n = Math.floor(random() * 100);
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = random();
      values.push(
        r < 0.1 ? NaN : r < 0.15 ? Infinity : r < 0.2 ? -Infinity : Math.round((r - 0.5) * 50),
      );
    }
    const sorted = [...values];
    sortNaNFirst(sorted);
    const nans = values.filter(Number.isNaN).length;
    assert.ok(sorted.slice(0, nans).every(Number.isNaN));
    const rest = sorted.slice(nans);
    for (let i = 1; i < rest.length; i++) assert.ok(rest[i - 1]! <= rest[i]!);
    assert.deepEqual(
      rest,
      values.filter((v) => !Number.isNaN(v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
});

test('sampleQuantile: interpolation and special φ', () => {
  assert.equal(sampleQuantile(0.5, []), NaN);
  assert.equal(sampleQuantile(NaN, [1]), NaN);
  assert.equal(sampleQuantile(-0.1, [1]), -Infinity);
  assert.equal(sampleQuantile(1.1, [1]), Infinity);
  assert.equal(sampleQuantile(0.8, [0, 1, 4]), 2.8000000000000003);
  assert.equal(sampleQuantile(0.5, [4, 1, 0]), 1);
});

test('bucketQuantile reports the repaired range; bucketFraction needs +Inf', () => {
  const r = bucketQuantile(0.5, [
    { upperBound: 0.1, count: 20 },
    { upperBound: 1, count: 10 },
    { upperBound: 10, count: 50 },
    { upperBound: 100, count: 40 },
    { upperBound: Infinity, count: 80 },
  ]);
  assert.equal(r.forcedMonotonic, true);
  assert.equal(r.minBucket, 1);
  assert.equal(r.maxBucket, 100);
  assert.equal(r.maxDiff, 10);
  // Differences of floating-point noise are absorbed without the info.
  const p = bucketQuantile(0.5, [
    { upperBound: 1, count: 10 },
    { upperBound: 2, count: 10 - 1e-14 },
    { upperBound: Infinity, count: 20 },
  ]);
  assert.equal(p.forcedMonotonic, false);
  assert.equal(p.fixedPrecision, true);
  assert.equal(p.value, 1);
  assert.ok(Number.isNaN(bucketFraction(0, 1, [])));
  assert.ok(Number.isNaN(bucketFraction(0, 1, [{ upperBound: 1, count: 1 }])));
});
