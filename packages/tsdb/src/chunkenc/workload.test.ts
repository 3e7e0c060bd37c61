import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelsKey, labelValue, validateSeriesLabels } from '@vigil/storage';
import { ScrapeWorkload } from './workload.js';
import { XOR_CHUNK_TARGET_SAMPLES, XorChunkEncoder } from './xor.js';

function bitsHex(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('hex');
}

describe('ScrapeWorkload', () => {
  test('the same seed gives the same series and samples, another seed other values', () => {
    const a = new ScrapeWorkload({ seed: 9, nodeTargets: 2, httpTargets: 2, jitterMs: 3 });
    const b = new ScrapeWorkload({ seed: 9, nodeTargets: 2, httpTargets: 2, jitterMs: 3 });
    const c = new ScrapeWorkload({ seed: 10, nodeTargets: 2, httpTargets: 2, jitterMs: 3 });
    assert.deepEqual(a.series, b.series);
    const sa = a.samplesPerSeries(30);
    const sb = b.samplesPerSeries(30);
    const sc = c.samplesPerSeries(30);
    let differ = 0;
    for (let i = 0; i < sa.length; i++) {
      assert.equal(bitsHex(sa[i]!.timestamps), bitsHex(sb[i]!.timestamps));
      assert.equal(bitsHex(sa[i]!.values), bitsHex(sb[i]!.values));
      if (bitsHex(sa[i]!.values) !== bitsHex(sc[i]!.values)) differ++;
    }
    assert.ok(differ > sa.length / 3, `${differ} of ${sa.length} series differ`);
  });

  test('every series names its kind; every kind occurs', () => {
    const w = new ScrapeWorkload({ nodeTargets: 1, httpTargets: 1 });
    const kinds = new Set(w.series.map((s) => s.kind));
    assert.deepEqual([...kinds].sort(), [
      'constant',
      'hist-bucket',
      'hist-count',
      'hist-sum',
      'int-counter',
      'noisy-gauge',
      'rare-counter',
      'rounded-gauge',
      'small-gauge',
      'sum-counter',
      'tick-counter',
      'walk-gauge',
    ]);
    const up = w.series.find((s) => s.labels.includes('up'));
    assert.equal(up?.kind, 'constant');
  });

  test('series have valid, unique labels and a realistic mix', () => {
    const w = new ScrapeWorkload({ nodeTargets: 3, httpTargets: 2 });
    const keys = new Set<string>();
    const jobs = new Map<string, number>();
    for (const s of w.series) {
      validateSeriesLabels(s.labels);
      keys.add(labelsKey(s.labels));
      const job = labelValue(s.labels, 'job');
      jobs.set(job, (jobs.get(job) ?? 0) + 1);
      assert.ok(s.target >= 0 && s.target < 5);
    }
    assert.equal(keys.size, w.numSeries);
    assert.equal(w.numSeries, w.series.length);
    // Node exporters expose several hundred series, a service a few hundred.
    const perNode = jobs.get('node')! / 3;
    const perApp = jobs.get('app')! / 2;
    assert.ok(perNode > 500 && perNode < 2000, `node ${perNode}`);
    assert.ok(perApp > 100 && perApp < 1000, `app ${perApp}`);
  });

  test('aligned timestamps are exactly one interval apart; jittered stay near their slot', () => {
    const aligned = new ScrapeWorkload({ nodeTargets: 1, httpTargets: 1, intervalMs: 10_000 });
    const samples = aligned.samplesPerSeries(50);
    for (const s of samples) {
      for (let k = 1; k < 50; k++) {
        assert.equal(s.timestamps[k]! - s.timestamps[k - 1]!, 10_000);
      }
      assert.ok(Number.isSafeInteger(s.timestamps[0]!));
    }
    const jittered = new ScrapeWorkload({ nodeTargets: 1, httpTargets: 1, jitterMs: 4 });
    const js = jittered.samplesPerSeries(200);
    let offSlot = 0;
    for (const s of js) {
      for (let k = 1; k < 200; k++) {
        const gap = s.timestamps[k]! - s.timestamps[k - 1]!;
        assert.ok(gap >= 15_000 - 8 && gap <= 15_000 + 8, `gap ${gap}`);
        assert.ok(Number.isInteger(s.timestamps[k]!));
        if (gap !== 15_000) offSlot++;
      }
    }
    assert.ok(offSlot > 0);
  });

  test('counters never decrease and histograms stay consistent', () => {
    const w = new ScrapeWorkload({ seed: 3, nodeTargets: 1, httpTargets: 1 });
    const samples = w.samplesPerSeries(120);
    w.series.forEach((s, i) => {
      const values = samples[i]!.values;
      const name = labelValue(s.labels, '__name__');
      for (const v of values) assert.ok(Number.isFinite(v), name);
      if (name.endsWith('_total') || name.endsWith('_bucket') || name.endsWith('_count')) {
        for (let k = 1; k < values.length; k++) {
          assert.ok(values[k]! >= values[k - 1]!, `${name} decreased`);
        }
      }
    });
    // Every histogram: buckets cumulative in `le`, `_count` equals `+Inf`.
    let histograms = 0;
    for (const s of w.series) {
      if (labelValue(s.labels, '__name__') !== 'http_request_duration_seconds_count') continue;
      histograms++;
      const route = labelValue(s.labels, 'route');
      const method = labelValue(s.labels, 'method');
      const buckets = w.series
        .map((b, i) => ({ b, i }))
        .filter(
          ({ b }) =>
            labelValue(b.labels, '__name__') === 'http_request_duration_seconds_bucket' &&
            labelValue(b.labels, 'route') === route &&
            labelValue(b.labels, 'method') === method,
        );
      assert.equal(buckets.length, 12);
      const count = samples[w.series.indexOf(s)]!.values;
      let grew = 0;
      for (let k = 0; k < 120; k++) {
        if (k > 0) {
          // Requests of a scrape count in their bucket and all above.
          for (let j = 1; j < buckets.length; j++) {
            const upper = samples[buckets[j]!.i]!.values;
            const lower = samples[buckets[j - 1]!.i]!.values;
            assert.ok(upper[k]! - upper[k - 1]! >= lower[k]! - lower[k - 1]!);
          }
          if (count[k]! > count[k - 1]!) grew++;
        }
        for (let j = 1; j < buckets.length; j++) {
          assert.ok(samples[buckets[j]!.i]!.values[k]! >= samples[buckets[j - 1]!.i]!.values[k]!);
        }
        const inf = buckets.find(({ b }) => labelValue(b.labels, 'le') === '+Inf')!;
        assert.equal(samples[inf.i]!.values[k], count[k]);
      }
      if (route !== '/health') assert.ok(grew > 60, `${route} ${method} grew ${grew} times`);
    }
    assert.ok(histograms > 10);
  });

  test('full XOR chunks of the workload stay compact (guards the format against regressions)', () => {
    // Deterministic: the workload and the encoder are. Measured when
    // written: 1.951 bytes/sample aligned, 2.776 with +-5 ms of jitter.
    const perSample = (jitterMs: number): number => {
      const w = new ScrapeWorkload({ seed: 1, nodeTargets: 1, httpTargets: 1, jitterMs });
      let bytes = 0;
      let samples = 0;
      for (const s of w.samplesPerSeries(XOR_CHUNK_TARGET_SAMPLES)) {
        const enc = new XorChunkEncoder();
        for (let i = 0; i < XOR_CHUNK_TARGET_SAMPLES; i++)
          enc.append(s.timestamps[i]!, s.values[i]!);
        bytes += enc.sizeBytes;
        samples += enc.numSamples;
      }
      return bytes / samples;
    };
    const aligned = perSample(0);
    const jittered = perSample(5);
    assert.ok(aligned > 1.85 && aligned < 2, `aligned ${aligned}`);
    assert.ok(jittered > 2.65 && jittered < 2.85, `jittered ${jittered}`);
  });
});
