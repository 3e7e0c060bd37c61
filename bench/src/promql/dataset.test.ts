import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LE_BOUNDS, SERIES_PER_ROUTE, formatSeconds, generateDataset } from './dataset.js';
import type { DatasetOptions } from './dataset.js';

const options: DatasetOptions = {
  seed: 11,
  instances: 3,
  routes: 4,
  startMs: 1_764_000_000_000,
  durationMs: 2 * 3_600_000,
  intervalMs: 15_000,
};

test('the same seed gives the same data; another seed other data', () => {
  const a = generateDataset(options);
  const b = generateDataset(options);
  const c = generateDataset({ ...options, seed: 12 });
  assert.deepEqual(a.values, b.values);
  assert.deepEqual(a.timestampsMs, b.timestampsMs);
  assert.notDeepEqual(a.values, c.values);
});

test('series: 25 per target and route, labels sorted and unique, text matches labels', () => {
  const d = generateDataset(options);
  assert.equal(SERIES_PER_ROUTE, 25);
  assert.equal(d.series.length, 3 * 4 * 25);
  assert.equal(d.samplesPerSeries, 480);
  const seen = new Set<string>();
  for (const s of d.series) {
    assert.equal(s.labels[0], '__name__');
    for (let i = 2; i + 2 < s.labels.length; i += 2) {
      assert.ok(s.labels[i]! < s.labels[i + 2]!, `labels of ${s.text} are sorted`);
    }
    assert.ok(!seen.has(s.text), `${s.text} is unique`);
    seen.add(s.text);
    assert.ok(s.text.startsWith(`${s.labels[1]}{`));
    assert.ok(s.text.includes(`instance="${d.instanceNames[s.instance]}"`));
  }
});

test('timestamps: off the query grid, increasing, and exact when read back as seconds × 1000', () => {
  const d = generateDataset(options);
  const n = d.samplesPerSeries;
  for (let inst = 0; inst < options.instances; inst++) {
    for (let k = 0; k < n; k++) {
      const t = d.timestampsMs[inst * n + k]!;
      assert.ok(Number.isInteger(t));
      assert.notEqual((t - options.startMs) % options.intervalMs, 0);
      assert.ok(t > options.startMs && t < options.startMs + options.durationMs);
      if (k > 0) assert.ok(t > d.timestampsMs[inst * n + k - 1]!);
      const back = Number(formatSeconds(t)) * 1000;
      assert.equal(Math.trunc(back), t);
      assert.equal(Math.round(back), t);
    }
  }
  assert.equal(formatSeconds(1_764_000_000_007), '1764000000.007');
  assert.equal(formatSeconds(1_764_000_000_070), '1764000000.070');
  assert.equal(formatSeconds(1_764_000_000_700), '1764000000.700');
});

test('histograms are cumulative, +Inf equals _count, counters only fall at a restart', () => {
  const d = generateDataset(options);
  const n = d.samplesPerSeries;
  const restartTimes = new Set(d.restarts.map((r) => `${r.instance}@${r.atMs}`));
  assert.ok(d.restarts.length >= 1);
  let resets = 0;
  for (let block = 0; block < d.series.length; block += SERIES_PER_ROUTE) {
    const inst = d.series[block]!.instance;
    for (let k = 0; k < n; k++) {
      const at = (i: number): number => d.values[(block + i) * n + k]!;
      for (let b = 1; b < LE_BOUNDS.length; b++) assert.ok(at(b - 1) <= at(b));
      assert.equal(at(LE_BOUNDS.length - 1), at(LE_BOUNDS.length + 1)); // +Inf == _count
    }
    // Every counter of the block (buckets, sum, count, statuses) never falls but at a restart.
    for (let i = 0; i < SERIES_PER_ROUTE - 1; i++) {
      for (let k = 1; k < n; k++) {
        const prev = d.values[(block + i) * n + k - 1]!;
        const cur = d.values[(block + i) * n + k]!;
        if (cur < prev) {
          const t = d.timestampsMs[inst * n + k]!;
          assert.ok(restartTimes.has(`${d.instanceNames[inst]}@${t}`), `fall at ${t} is a restart`);
          resets++;
        }
      }
    }
  }
  assert.ok(resets > 0, 'the restarts show as counter resets');
});
