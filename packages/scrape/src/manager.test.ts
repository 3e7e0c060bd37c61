import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { MemoryStorage } from '@vigil/storage';
import { Counter, Histogram, Registry } from '@vigil/sdk';
import { waitFor } from '@vigil/testing';
import { parseScrapeConfigs } from './config.js';
import { ScrapeManager } from './manager.js';
import { DEFAULT_SCRAPE_USER_AGENT, SCRAPE_ACCEPT_HEADER } from './http-scrape.js';
import { TestTarget, dump, seriesNamed, serve } from './test-helpers.test.util.js';
import type { StoredSeries } from './test-helpers.test.util.js';

const INTERVAL = '100ms';

function job(target: TestTarget, extra: Record<string, unknown> = {}, name = 'app'): unknown {
  return {
    job_name: name,
    scrape_interval: INTERVAL,
    scrape_timeout: '80ms',
    static_configs: [{ targets: [target.address], labels: { env: 'test' } }],
    ...extra,
  };
}

function setup(raw: unknown[]): {
  storage: MemoryStorage;
  manager: ScrapeManager;
  apply: () => Promise<void>;
} {
  const storage = new MemoryStorage();
  const manager = new ScrapeManager({ appendable: storage });
  return {
    storage,
    manager,
    apply: () => manager.applyConfig(parseScrapeConfigs(raw, { source: 'test.yml' })),
  };
}

/** Waits until `up` of the single target has at least `n` samples. */
async function scrapes(storage: MemoryStorage, n: number): Promise<StoredSeries> {
  let up: StoredSeries | undefined;
  await waitFor(
    `${n} scrapes`,
    () => {
      up = seriesNamed(dump(storage), 'up')[0];
      return up !== undefined && up.samples.length >= n ? true : undefined;
    },
    5000,
    20,
  );
  return up!;
}

const TEXT_BODY = `# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",method="get"} 10
http_requests_total{code="500",method="get"} 2
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.5"} 1
latency_seconds_bucket{le="1"} 3
latency_seconds_bucket{le="+Inf"} 4
latency_seconds_sum 2.5
latency_seconds_count 4
# TYPE rpc summary
rpc{quantile="0"} 0.1
rpc{quantile="1"} 0.9
rpc_sum 1
rpc_count 2
`;

const targets: TestTarget[] = [];
after(async () => {
  for (const t of targets) await t.stop();
});
async function startTarget(
  handler: ConstructorParameters<typeof TestTarget>[0],
): Promise<TestTarget> {
  const t = await new TestTarget(handler).start();
  targets.push(t);
  return t;
}

describe('ScrapeManager', () => {
  test('metadata(): TYPE/HELP/UNIT per family from the last scrape, untyped as unknown, families without metadata left out', async () => {
    const body =
      TEXT_BODY + '# HELP no_type Only help.\nno_type 1\n# TYPE plain untyped\nplain 2\nbare 3\n';
    const a = await startTarget(serve(body));
    const b = await startTarget(
      serve(
        '# HELP http_requests_total Other help.\n# TYPE http_requests_total counter\nhttp_requests_total 1\n',
      ),
    );
    const { storage, manager, apply } = setup([job(a), job(b, {}, 'other')]);
    assert.deepEqual(manager.metadata(), new Map());
    await apply();
    await waitFor(
      'both targets scraped',
      () => {
        const ups = seriesNamed(dump(storage), 'up');
        return ups.length === 2 && ups.every((u) => u.samples.length > 0) ? true : undefined;
      },
      5000,
      20,
    );
    const md = manager.metadata();
    await manager.stop();
    assert.deepEqual(Object.fromEntries(md), {
      http_requests_total: [
        { type: 'counter', help: 'Requests.', unit: '' },
        { type: 'counter', help: 'Other help.', unit: '' },
      ],
      latency_seconds: [{ type: 'histogram', help: '', unit: '' }],
      rpc: [{ type: 'summary', help: '', unit: '' }],
      no_type: [{ type: 'unknown', help: 'Only help.', unit: '' }],
    });
  });

  test('scrapes a text target: values, target labels, le/quantile normalised, aligned timestamps, synthetic series', async () => {
    const target = await startTarget(serve(TEXT_BODY));
    const { storage, manager, apply } = setup([job(target)]);
    await apply();
    const up = await scrapes(storage, 3);
    await manager.stop({ writeStalenessMarkers: true });
    const all = dump(storage);
    const base = { job: 'app', instance: target.address, env: 'test' };
    const req = all.get(
      `http_requests_total{code="200",env="test",instance="${target.address}",job="app",method="get"}`,
    );
    assert.ok(req, [...all.keys()].join('\n'));
    assert.equal(req.samples[0]!.v, 10);
    assert.ok(
      all.has(`latency_seconds_bucket{env="test",instance="${target.address}",job="app",le="1.0"}`),
    );
    assert.ok(
      all.has(`latency_seconds_bucket{env="test",instance="${target.address}",job="app",le="0.5"}`),
    );
    assert.ok(
      all.has(
        `latency_seconds_bucket{env="test",instance="${target.address}",job="app",le="+Inf"}`,
      ),
    );
    assert.ok(all.has(`rpc{env="test",instance="${target.address}",job="app",quantile="0.0"}`));
    assert.ok(all.has(`rpc{env="test",instance="${target.address}",job="app",quantile="1.0"}`));
    assert.deepEqual(up.samples.length >= 3, true);
    assert.deepEqual(seriesNamed(all, 'up')[0]!.labels, { __name__: 'up', ...base });
    // Timestamps are the scheduled ticks: a fixed phase, multiples of the interval apart.
    const live = up.samples.filter((s) => !s.stale);
    const phase = live[0]!.t % 100;
    for (const s of live) {
      assert.equal(s.t % 100, phase);
      assert.equal(s.v, 1);
    }
    for (const name of [
      'scrape_duration_seconds',
      'scrape_samples_scraped',
      'scrape_samples_post_metric_relabeling',
      'scrape_series_added',
    ]) {
      const s = seriesNamed(all, name)[0];
      assert.ok(s, name);
      assert.deepEqual(s.labels, { __name__: name, ...base });
    }
    const scraped = seriesNamed(all, 'scrape_samples_scraped')[0]!.samples;
    assert.equal(scraped[0]!.v, 11);
    const added = seriesNamed(all, 'scrape_series_added')[0]!.samples;
    assert.equal(added[0]!.v, 11);
    assert.equal(added[1]!.v, 0);
    // Samples of one scrape share the tick's timestamp.
    assert.deepEqual(
      req.samples.filter((s) => !s.stale).map((s) => s.t),
      live.slice(0, req.samples.filter((s) => !s.stale).length).map((s) => s.t),
    );
    // Stopping writes staleness markers for every series, synthetic ones included.
    for (const [id, s] of all) assert.equal(s.samples.at(-1)!.stale, true, id);
    // Request headers as Prometheus sends them.
    const h = target.requests[0]!;
    assert.equal(h['accept'], SCRAPE_ACCEPT_HEADER);
    assert.equal(h['accept-encoding'], 'gzip');
    assert.equal(h['user-agent'], DEFAULT_SCRAPE_USER_AGENT);
    assert.equal(h['x-prometheus-scrape-timeout-seconds'], '0.08');
  });

  test('reports target health and counts', async () => {
    const target = await startTarget(serve(TEXT_BODY));
    const { storage, manager, apply } = setup([job(target)]);
    await apply();
    assert.equal(manager.targets()[0]!.health, 'unknown');
    await scrapes(storage, 2);
    const [t] = manager.targets();
    await manager.stop();
    assert.ok(t);
    assert.equal(t.health, 'up');
    assert.equal(t.lastError, '');
    assert.equal(t.job, 'app');
    assert.equal(t.scrapeUrl, `http://${target.address}/metrics`);
    assert.deepEqual(t.labels, { env: 'test', instance: target.address, job: 'app' });
    assert.deepEqual(t.discoveredLabels, {
      __address__: target.address,
      __metrics_path__: '/metrics',
      __scheme__: 'http',
      __scrape_interval__: '100ms',
      __scrape_timeout__: '80ms',
      env: 'test',
      job: 'app',
    });
    assert.equal(t.scrapeIntervalMs, 100);
    assert.equal(t.scrapeTimeoutMs, 80);
    assert.equal(t.lastSamplesScraped, 11);
    assert.ok(t.lastScrapeMs > 0 && t.lastScrapeDurationSeconds > 0);
  });

  test('OpenMetrics with gzip, and honor_labels false renames conflicting labels to exported_*', async () => {
    const body = gzipSync(
      '# TYPE jobs counter\njobs_total{job="batch",instance="x"} 5\n# TYPE h histogram\nh_bucket{le="1.0"} 1\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n# EOF\n',
    );
    const target = await startTarget((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/openmetrics-text; version=1.0.0; charset=utf-8',
        'content-encoding': 'gzip',
      });
      res.end(body);
    });
    const { storage, manager, apply } = setup([job(target)]);
    await apply();
    await scrapes(storage, 1);
    await manager.stop();
    const all = dump(storage);
    const s = all.get(
      `jobs_total{env="test",exported_instance="x",exported_job="batch",instance="${target.address}",job="app"}`,
    );
    assert.ok(s, [...all.keys()].join('\n'));
    assert.equal(s.samples[0]!.v, 5);
    assert.ok(all.has(`h_bucket{env="test",instance="${target.address}",job="app",le="1.0"}`));
  });

  test('honor_labels true keeps the exposed labels', async () => {
    const target = await startTarget(serve('jobs_total{job="batch",instance="x"} 5\n'));
    const { storage, manager, apply } = setup([job(target, { honor_labels: true })]);
    await apply();
    await scrapes(storage, 1);
    await manager.stop();
    const all = dump(storage);
    assert.ok(
      all.has('jobs_total{env="test",instance="x",job="batch"}'),
      [...all.keys()].join('\n'),
    );
    // A plain stop is a shutdown: like Prometheus, no staleness markers.
    for (const [id, series] of all)
      assert.equal(
        series.samples.some((x) => x.stale),
        false,
        id,
      );
  });

  test('a series that disappears gets a staleness marker at the next scrape; a failing target gets up=0 and markers for all', async () => {
    let phase = 0;
    const target = await startTarget((_req, res) => {
      if (phase === 2) {
        res.writeHead(500);
        res.end('boom');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(phase === 0 ? 'a 1\nb 2\n' : 'a 1\n');
    });
    const { storage, manager, apply } = setup([job(target)]);
    await apply();
    await scrapes(storage, 2);
    phase = 1;
    let up = await scrapes(storage, seriesNamed(dump(storage), 'up')[0]!.samples.length + 2);
    phase = 2;
    up = await scrapes(storage, up.samples.length + 2);
    const health = manager.targets()[0]!;
    await manager.stop();
    const all = dump(storage);
    const a = all.get(`a{env="test",instance="${target.address}",job="app"}`)!;
    const b = all.get(`b{env="test",instance="${target.address}",job="app"}`)!;
    // b went stale exactly once, at the first scrape without it, and then had nothing.
    const bStale = b.samples.filter((s) => s.stale);
    assert.equal(bStale.length, 1);
    assert.equal(b.samples.at(-1)!.stale, true);
    const upAtStale = up.samples.find((s) => s.t === bStale[0]!.t);
    assert.ok(upAtStale, 'the marker carries the timestamp of a scrape');
    assert.equal(upAtStale.v, 1);
    // a went stale when the target failed, at that scrape's time, where up became 0.
    const aStale = a.samples.filter((s) => s.stale);
    assert.equal(aStale.length, 1);
    const upAtFailure = up.samples.find((s) => s.t === aStale[0]!.t);
    assert.ok(upAtFailure);
    assert.equal(upAtFailure.v, 0);
    assert.equal(up.samples.filter((s) => !s.stale).at(-1)!.v, 0);
    assert.equal(health.health, 'down');
    assert.match(health.lastError, /HTTP status 500/);
  });

  test('sample_limit fails the scrape, rolls the batch back and says so', async () => {
    const target = await startTarget(serve('a 1\nb 2\nc 3\n'));
    const { storage, manager, apply } = setup([job(target, { sample_limit: 2 })]);
    await apply();
    await scrapes(storage, 2);
    const t = manager.targets()[0]!;
    await manager.stop();
    const all = dump(storage);
    assert.equal(seriesNamed(all, 'a').length, 0, 'nothing of the rolled-back batch is stored');
    assert.equal(t.health, 'down');
    assert.match(t.lastError, /sample limit exceeded.*sample_limit is 2/);
    assert.ok(
      seriesNamed(all, 'up')[0]!
        .samples.filter((s) => !s.stale)
        .every((s) => s.v === 0),
    );
    assert.equal(seriesNamed(all, 'scrape_samples_scraped')[0]!.samples[0]!.v, 3);
  });

  test('body_size_limit fails the scrape without reading the whole body', async () => {
    const line = 'x'.repeat(100) + ' 1\n';
    let written = 0;
    const target = await startTarget((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const pump = (): void => {
        while (written < 50_000_000) {
          written += line.length;
          if (!res.write(line.repeat(100))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => undefined);
      pump();
    });
    const { storage, manager, apply } = setup([
      job(target, { body_size_limit: '64KB', scrape_interval: '200ms', scrape_timeout: '150ms' }),
    ]);
    await apply();
    await scrapes(storage, 1);
    const t = manager.targets()[0]!;
    await manager.stop();
    assert.equal(t.health, 'down');
    assert.match(t.lastError, /body size limit exceeded/);
    assert.ok(written < 50_000_000, 'the server was cut off');
  });

  test('body_size_limit counts decompressed bytes (a gzip bomb fails)', async () => {
    // Comment lines: cheap to parse, so the limit, not the timeout, ends the scrape.
    const bomb = gzipSync(Buffer.from(('# ' + 'x'.repeat(1022) + '\n').repeat(16 * 1024)));
    assert.ok(bomb.length < 100 * 1024);
    const target = await startTarget((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    const { storage, manager, apply } = setup([job(target, { body_size_limit: '1MB' })]);
    await apply();
    await scrapes(storage, 1);
    const t = manager.targets()[0]!;
    await manager.stop();
    assert.equal(t.health, 'down');
    assert.match(t.lastError, /body size limit exceeded.*1048576 bytes/);
    assert.equal(seriesNamed(dump(storage), 'a').length, 0);
  });

  test('a slow target times out; garbage fails with a parse error', async () => {
    const slow = await startTarget((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('a 1\n');
      }, 300);
    });
    const garbage = await startTarget(serve('this is { not metrics\n'));
    const { storage, manager, apply } = setup([job(slow, {}, 'slow'), job(garbage, {}, 'garbage')]);
    await apply();
    await waitFor(
      'both down',
      () => (manager.targets().every((t) => t.health === 'down') ? true : undefined),
      5000,
      20,
    );
    const [g, s] = manager.targets();
    await manager.stop();
    assert.match(s!.lastError, /timed out/);
    assert.match(g!.lastError, /line 1/);
    assert.equal(seriesNamed(dump(storage), 'a').length, 0);
  });

  test('metric_relabel_configs drop and rewrite series', async () => {
    const target = await startTarget(serve('keep_me{x="1"} 1\ndrop_me 2\n'));
    const { storage, manager, apply } = setup([
      job(target, {
        metric_relabel_configs: [
          { source_labels: ['__name__'], regex: 'drop_.*', action: 'drop' },
          { source_labels: ['x'], target_label: 'y', replacement: 'v$1' },
        ],
      }),
    ]);
    await apply();
    await scrapes(storage, 1);
    await manager.stop();
    const all = dump(storage);
    assert.ok(all.has(`keep_me{env="test",instance="${target.address}",job="app",x="1",y="v1"}`));
    assert.equal(seriesNamed(all, 'drop_me').length, 0);
    assert.equal(seriesNamed(all, 'scrape_samples_post_metric_relabeling')[0]!.samples[0]!.v, 1);
    assert.equal(seriesNamed(all, 'scrape_samples_scraped')[0]!.samples[0]!.v, 2);
  });

  test('scrapes a real @vigil/sdk Registry and its staleness markers keep their bits', async () => {
    const registry = new Registry();
    const c = new Counter({
      name: 'orders_total',
      help: 'Orders.',
      labelNames: ['kind'],
      registry,
    });
    const h = new Histogram({ name: 'op_seconds', help: 'Ops.', registry, buckets: [0.1, 1] });
    c.inc({ kind: 'a' }, 3);
    h.observe(0.5);
    const target = await startTarget((req, res) => {
      const format = registry.negotiate(req.headers['accept']);
      void registry.metrics({ format }).then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType(format) });
        res.end(text);
      });
    });
    const { storage, manager, apply } = setup([job(target)]);
    await apply();
    await scrapes(storage, 1);
    await manager.stop({ writeStalenessMarkers: true });
    const all = dump(storage);
    const orders = all.get(
      `orders_total{env="test",instance="${target.address}",job="app",kind="a"}`,
    );
    assert.ok(orders, [...all.keys()].join('\n'));
    assert.equal(orders.samples[0]!.v, 3);
    assert.ok(
      all.has(`op_seconds_bucket{env="test",instance="${target.address}",job="app",le="0.1"}`),
    );
    assert.ok(
      all.has(`op_seconds_bucket{env="test",instance="${target.address}",job="app",le="1.0"}`),
    );
    assert.equal(orders.samples.at(-1)!.stale, true);
  });

  test('applyConfig keeps unchanged targets, starts new ones and stops removed ones with staleness markers', async () => {
    const t1 = await startTarget(serve('one 1\n'));
    const t2 = await startTarget(serve('two 2\n'));
    const storage = new MemoryStorage();
    const manager = new ScrapeManager({ appendable: storage });
    await manager.applyConfig(parseScrapeConfigs([job(t1)], { source: 't' }));
    await scrapes(storage, 1);
    const first = manager.targets()[0]!.lastScrapeMs;
    await manager.applyConfig(
      parseScrapeConfigs([job(t1, {}, 'app'), job(t2, {}, 'other')], { source: 't' }),
    );
    assert.equal(manager.targets()[0]!.lastScrapeMs >= first, true, 'kept its state');
    assert.equal(manager.targets()[0]!.health, 'up');
    await waitFor(
      'other scraped',
      () => (manager.targets().every((t) => t.health === 'up') ? true : undefined),
      5000,
      20,
    );
    await manager.applyConfig(parseScrapeConfigs([job(t2, {}, 'other')], { source: 't' }));
    const all = dump(storage);
    const one = all.get(`one{env="test",instance="${t1.address}",job="app"}`)!;
    assert.equal(one.samples.at(-1)!.stale, true);
    assert.equal(manager.targets().length, 1);
    await manager.stop();
  });
});
