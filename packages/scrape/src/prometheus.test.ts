/**
 * Cross-checks against Debian's real Prometheus: the same scrape config
 * (target relabelling, metric relabelling, honor_labels) and the same target,
 * scraped by both; target labels, dropped targets and stored series must agree.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryStorage } from '@vigil/storage';
import { requireTool, startPrometheus, waitFor } from '@vigil/testing';
import type { PrometheusPeer } from '@vigil/testing';
import { parseScrapeConfigs } from './config.js';
import { ScrapeManager } from './manager.js';
import { TestTarget, dump, serve } from './test-helpers.test.util.js';

const BODY = `# TYPE http_requests_total counter
http_requests_total{code="200",job="inner",instance="elsewhere"} 5
http_requests_total{code="500",job="x",exported_job="taken"} 1
tmp_gauge{x="1",tmp_a="gone"} 2
drop_me 3
mixed_case{v="HeLLo World"} 1
`;

interface ApiTarget {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapeUrl: string;
  health: string;
  lastError: string;
}

function sortRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe('cross-check with a real Prometheus', () => {
  let prometheus: PrometheusPeer | undefined;
  let skipped: string | undefined;
  let target: TestTarget;
  let jobs: unknown[];

  before(async () => {
    const binary = requireTool('prometheus', 'prometheus', (m) => (skipped = m));
    if (binary === undefined) return;
    target = await new TestTarget(serve(BODY)).start();
    const addr = target.address;
    jobs = [
      {
        job_name: 'xcheck',
        scrape_interval: '1s',
        scrape_timeout: '1s',
        static_configs: [
          {
            targets: [addr, `localhost:${target.port}`, 'drop.example:80'],
            labels: { __tmp_zone: 'eu-west', Team: 'Core' },
          },
        ],
        relabel_configs: [
          { source_labels: ['__address__'], regex: 'drop\\..*', action: 'drop' },
          { source_labels: ['__address__'], target_label: 'shard', modulus: 4, action: 'hashmod' },
          { regex: '__tmp_(.+)', action: 'labelmap' },
          { source_labels: ['Team'], target_label: 'team', action: 'lowercase' },
          { regex: 'Team', action: 'labeldrop' },
          {
            source_labels: ['__address__'],
            regex: '(?P<host>[^:]+):(?P<port>\\d+)',
            target_label: 'host',
            replacement: '${host}',
          },
          { source_labels: ['zone', 'team'], separator: '/', target_label: 'cell' },
          { source_labels: ['team'], target_label: 'team', action: 'keepequal' },
        ],
        metric_relabel_configs: [
          { source_labels: ['__name__'], regex: 'drop_.*', action: 'drop' },
          { regex: 'tmp_.*', action: 'labeldrop' },
          { source_labels: ['v'], target_label: 'v_upper', action: 'uppercase' },
          {
            source_labels: ['v'],
            regex: '(\\w+) (\\w+)',
            target_label: 'v_swapped',
            replacement: '$2 $1',
          },
        ],
      },
      {
        job_name: 'honored',
        honor_labels: true,
        scrape_interval: '1s',
        scrape_timeout: '1s',
        static_configs: [{ targets: [addr] }],
      },
    ];
    // JSON is YAML.
    prometheus = await startPrometheus(binary, JSON.stringify({ scrape_configs: jobs }));
  });

  after(async () => {
    await prometheus?.stop();
    await target?.stop();
  });

  test('target labels, dropped targets and scraped series agree', async (t) => {
    if (skipped) return t.skip(skipped);
    const storage = new MemoryStorage();
    const manager = new ScrapeManager({ appendable: storage });
    // The same config, scraped faster by us.
    const ours = parseScrapeConfigs(
      (jobs as Record<string, unknown>[]).map((j) => ({
        ...j,
        scrape_interval: '200ms',
        scrape_timeout: '150ms',
      })),
      { source: 'xcheck.yml' },
    );
    await manager.applyConfig(ours);
    const api = await waitFor(
      'Prometheus scraped every target',
      async () => {
        const res = await fetch(`${prometheus!.url}/api/v1/targets`);
        const body = (await res.json()) as {
          data: {
            activeTargets: ApiTarget[];
            droppedTargets: { discoveredLabels: Record<string, string> }[];
          };
        };
        const active = body.data.activeTargets;
        return active.length === 3 && active.every((a) => a.health === 'up')
          ? body.data
          : undefined;
      },
      20_000,
      250,
    );
    await waitFor(
      'we scraped every target',
      () => (manager.targets().every((x) => x.health === 'up') ? true : undefined),
      5000,
      20,
    );
    const mine = manager.targets();
    assert.equal(mine.length, 3);
    for (const theirs of api.activeTargets) {
      const m = mine.find(
        (x) => x.scrapeUrl === theirs.scrapeUrl && x.job === theirs.labels['job'],
      );
      assert.ok(m, `no target ${theirs.scrapeUrl}`);
      assert.deepEqual(
        sortRecord({ ...m.labels }),
        sortRecord(theirs.labels),
        `labels of ${theirs.scrapeUrl}`,
      );
      // Prometheus 2.42 reports the scrape interval of its own config; ours runs faster.
      const theirDiscovered = { ...theirs.discoveredLabels };
      const myDiscovered = { ...m.discoveredLabels };
      for (const l of ['__scrape_interval__', '__scrape_timeout__']) {
        delete theirDiscovered[l];
        delete myDiscovered[l];
      }
      assert.deepEqual(sortRecord(myDiscovered), sortRecord(theirDiscovered));
    }
    const theirDropped = api.droppedTargets.map((d) => d.discoveredLabels['__address__']).sort();
    const myDropped = manager
      .droppedTargets()
      .map((d) => d.discoveredLabels['__address__'])
      .sort();
    assert.deepEqual(myDropped, theirDropped);

    // Series: what Prometheus stored versus what we stored.
    const res = await fetch(
      `${prometheus!.url}/api/v1/series?match[]=${encodeURIComponent('{job=~".+"}')}`,
    );
    const theirSeries = ((await res.json()) as { data: Record<string, string>[] }).data
      .map((s) => JSON.stringify(sortRecord(s)))
      .sort();
    await manager.stop();
    const mySeries = [...dump(storage).values()]
      .map((s) => JSON.stringify(sortRecord(s.labels)))
      .sort();
    assert.deepEqual(mySeries, theirSeries);
    assert.ok(theirSeries.some((s) => s.includes('"exported_exported_job":"x"')));
    assert.ok(theirSeries.some((s) => s.includes('"v_swapped":"World HeLLo"')));
  });
});
