import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelsToRecord } from '@vigil/storage';
import { parseScrapeConfigs } from './config.js';
import { buildTargets, scrapeOffsetMs } from './target.js';

function targetsOf(job: Record<string, unknown>) {
  const [config] = parseScrapeConfigs([{ job_name: 'j', scrape_interval: '15s', ...job }], {
    source: 't',
  });
  return buildTargets(config!);
}

describe('buildTargets', () => {
  test('labels as Prometheus builds them', () => {
    const { targets, dropped } = targetsOf({
      params: { module: ['m1', 'm2'] },
      static_configs: [{ targets: ['a:1', 'b:2'], labels: { team: 't' } }],
    });
    assert.equal(dropped.length, 0);
    assert.equal(targets.length, 2);
    const [a] = targets;
    assert.deepEqual(labelsToRecord(a!.labels), { instance: 'a:1', job: 'j', team: 't' });
    assert.deepEqual(labelsToRecord(a!.discoveredLabels), {
      __address__: 'a:1',
      __metrics_path__: '/metrics',
      __param_module: 'm1',
      __scheme__: 'http',
      __scrape_interval__: '15s',
      __scrape_timeout__: '10s',
      job: 'j',
      team: 't',
    });
    assert.equal(a!.scrapeUrl, 'http://a:1/metrics?module=m1&module=m2');
    assert.equal(a!.scrapeIntervalMs, 15_000);
  });

  test('relabelling rewrites the address, params, interval and instance, and drops targets', () => {
    const { targets, dropped } = targetsOf({
      static_configs: [{ targets: ['example.org', 'skip:1'] }],
      relabel_configs: [
        { source_labels: ['__address__'], regex: 'skip:.*', action: 'drop' },
        { source_labels: ['__address__'], target_label: '__param_target' },
        { target_label: '__address__', replacement: 'prober:9115' },
        { source_labels: ['__param_target'], target_label: 'instance' },
        { target_label: '__scrape_interval__', replacement: '30s' },
        { target_label: '__tmp_x', replacement: 'gone' },
        { target_label: '__meta_y', replacement: 'gone' },
      ],
    });
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]!.reason, 'relabelling');
    assert.equal(targets.length, 1);
    const [t] = targets;
    assert.equal(t!.scrapeUrl, 'http://prober:9115/metrics?target=example.org');
    assert.deepEqual(labelsToRecord(t!.labels), { instance: 'example.org', job: 'j' });
    assert.equal(t!.scrapeIntervalMs, 30_000);
    assert.equal(labelsToRecord(t!.internalLabels)['__meta_y'], undefined);
    assert.equal(labelsToRecord(t!.internalLabels)['__tmp_x'], 'gone');
  });

  test('a static job label wins over the job name; duplicates merge; bad addresses are dropped', () => {
    const { targets, dropped } = targetsOf({
      static_configs: [
        { targets: ['a:1', 'a:1'], labels: { job: 'custom' } },
        { targets: ['a:1'], labels: { job: 'custom' } },
      ],
      relabel_configs: [],
    });
    assert.equal(targets.length, 1);
    assert.equal(labelsToRecord(targets[0]!.labels)['job'], 'custom');
    assert.equal(dropped.length, 0);
    const bad = targetsOf({
      static_configs: [{ targets: ['a:1'] }],
      relabel_configs: [{ target_label: '__address__', replacement: 'x/y' }],
    });
    assert.equal(bad.targets.length, 0);
    assert.match(bad.dropped[0]!.reason, /not a valid host:port/);
    const slow = targetsOf({
      static_configs: [{ targets: ['a:1'] }],
      relabel_configs: [{ target_label: '__scrape_timeout__', replacement: '1m' }],
    });
    assert.equal(slow.targets.length, 0);
  });

  test('offsets are deterministic and within the interval', () => {
    const { targets } = targetsOf({ static_configs: [{ targets: ['a:1', 'b:1', 'c:1'] }] });
    const offsets = targets.map((t) => scrapeOffsetMs(t, 15_000, 0));
    assert.deepEqual(
      offsets,
      targets.map((t) => scrapeOffsetMs(t, 15_000, 0)),
    );
    for (const o of offsets) assert.ok(o >= 0 && o < 15_000);
    assert.equal(new Set(offsets).size, 3);
    assert.notDeepEqual(
      offsets,
      targets.map((t) => scrapeOffsetMs(t, 15_000, 12345)),
    );
  });
});
