import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '@vigil/testing';
import { BucketRing } from './ring.js';

/** A plain reference: every bucket in a map, windows summed bucket by bucket. */
class Reference {
  readonly buckets = new Map<number, [number, number, number]>();
  newestMs = -Infinity;
  constructor(
    readonly bucketMs: number,
    readonly capacity: number,
  ) {}
  add(fromMs: number, toMs: number, bad: number, total: number, covered: number): void {
    const b = this.bucketMs;
    this.newestMs = Math.max(this.newestMs, toMs);
    for (let k = Math.floor(fromMs / b); k * b < toMs; k++) {
      const w = (Math.min(toMs, (k + 1) * b) - Math.max(fromMs, k * b)) / (toMs - fromMs);
      const v = this.buckets.get(k) ?? [0, 0, 0];
      v[0] += bad * w;
      v[1] += total * w;
      v[2] += covered * w;
      this.buckets.set(k, v);
    }
  }
  sum(fromMs: number, toMs: number): [number, number, number] {
    const b = this.bucketMs;
    const newestKey = Math.floor((this.newestMs - 1) / b);
    const out: [number, number, number] = [0, 0, 0];
    for (const [k, v] of this.buckets) {
      if (k <= newestKey - this.capacity) continue; // fell out of the ring
      const start = k * b;
      const dataEnd = Math.min((k + 1) * b, this.newestMs);
      const inside = Math.min(toMs, dataEnd) - Math.max(fromMs, start);
      if (inside <= 0) continue;
      const w = Math.min(1, inside / (dataEnd - start));
      out[0] += v[0] * w;
      out[1] += v[1] * w;
      out[2] += v[2] * w;
    }
    return out;
  }
}

describe('BucketRing', () => {
  test('window sums by running sums equal bucket-by-bucket sums (seeded random adds and windows)', () => {
    const rnd = seededRandom(6);
    const bucketMs = 60_000;
    const capacity = 50;
    const ring = new BucketRing(bucketMs, capacity);
    const ref = new Reference(bucketMs, capacity);
    let t = 1_000_000 * bucketMs;
    for (let i = 0; i < 400; i++) {
      const from = t;
      // Spans from 10 s to 7 minutes, sometimes a jump (gap), rarely longer than the ring.
      t +=
        Math.round(10_000 + rnd() * 410_000) +
        (rnd() < 0.05 ? Math.round(rnd() * 80 * bucketMs) : 0);
      const bad = rnd() * 10;
      const total = bad + rnd() * 1000;
      ring.add(from, t, bad, total, (t - from) / 1000);
      ref.add(from, t, bad, total, (t - from) / 1000);
      for (let j = 0; j < 5; j++) {
        const len = Math.round(rnd() * 70 * bucketMs);
        const to = t - Math.round(rnd() * 3 * bucketMs);
        const got = ring.sum(to - len, to);
        const want = ref.sum(to - len, to);
        for (const [g, w, name] of [
          [got.bad, want[0], 'bad'],
          [got.total, want[1], 'total'],
          [got.covered, want[2], 'covered'],
        ] as const) {
          assert.ok(
            Math.abs(g - w) <= 1e-6 * Math.max(1, Math.abs(w)),
            `step ${i}: ${name} over (${to - len}, ${to}]: ring ${g}, reference ${w}`,
          );
        }
      }
    }
  });

  test('exclusions drop their share; buckets() lists slices oldest first', () => {
    const ring = new BucketRing(60_000, 10);
    // 100 events over 5 minutes, the middle minute excluded: 80 remain.
    ring.add(0, 300_000, 10, 100, 300, [{ startMs: 120_000, endMs: 180_000 }]);
    const s = ring.sum(0, 300_000);
    assert.ok(Math.abs(s.total - 80) < 1e-9 && Math.abs(s.bad - 8) < 1e-9);
    const slices = [...ring.buckets(0, 300_000)].map((b) => b.total);
    assert.deepEqual(slices, [20, 20, 0, 20, 20]);
  });
});
