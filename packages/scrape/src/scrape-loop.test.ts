import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MemoryStorage } from '@vigil/storage';
import { Registry } from '@vigil/sdk';
import { freePort, waitFor } from '@vigil/testing';
import { parseScrapeConfigs } from './config.js';
import { ScrapeManager } from './manager.js';
import { normalizeBoundLabel } from './scrape-loop.js';
import { TestTarget, dump, seriesNamed, serve } from './test-helpers.test.util.js';
import type { Handler, StoredSeries } from './test-helpers.test.util.js';

const targets: TestTarget[] = [];
after(async () => {
  for (const t of targets) await t.stop();
});
async function startTarget(handler: Handler): Promise<TestTarget> {
  const t = await new TestTarget(handler).start();
  targets.push(t);
  return t;
}

function job(address: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    job_name: 'j',
    scrape_interval: '100ms',
    scrape_timeout: '80ms',
    static_configs: [{ targets: [address] }],
    ...extra,
  };
}

async function run(
  jobs: Record<string, unknown>[],
  scrapes: number,
  registry?: Registry,
): Promise<{ all: Map<string, StoredSeries>; manager: ScrapeManager; storage: MemoryStorage }> {
  const storage = new MemoryStorage();
  const manager = new ScrapeManager({ appendable: storage, registry });
  await manager.applyConfig(parseScrapeConfigs(jobs, { source: 't.yml' }));
  await waitFor(
    `${scrapes} scrapes`,
    () => {
      const ups = seriesNamed(dump(storage), 'up');
      return ups.length === jobs.length && ups.every((u) => u.samples.length >= scrapes)
        ? true
        : undefined;
    },
    5000,
    20,
  );
  return { all: dump(storage), manager, storage };
}

describe('scrape loop details', () => {
  test('sends bearer tokens, basic auth, custom headers and params', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-scrape-'));
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const urls: string[] = [];
    const target = await startTarget((req, res) => {
      urls.push(req.url ?? '');
      serve('a 1\n')(req, res);
    });
    const { manager } = await run(
      [
        job(target.address, {
          job_name: 'bearer',
          bearer_token: 's3cret',
          params: { module: ['m'] },
          http_headers: { 'X-Tenant': { values: ['t1'] } },
          metrics_path: '/probe',
        }),
        job(target.address, { job_name: 'basic', basic_auth: { username: 'u', password: 'p' } }),
        job(target.address, {
          job_name: 'file',
          authorization: { type: 'Token', credentials_file: join(dir, 'token') },
          enable_compression: false,
        }),
      ],
      1,
    );
    await manager.stop();
    rmSync(dir, { recursive: true, force: true });
    const auth = new Set(target.requests.map((h) => h['authorization']));
    assert.ok(auth.has('Bearer s3cret'));
    assert.ok(auth.has('Basic ' + Buffer.from('u:p').toString('base64')));
    assert.ok(auth.has('Token from-file'));
    assert.ok(target.requests.some((h) => h['x-tenant'] === 't1'));
    assert.ok(target.requests.some((h) => h['accept-encoding'] === 'identity'));
    assert.ok(urls.includes('/probe?module=m'));
  });

  test('honor_timestamps: explicit timestamps kept when true, replaced by the tick when false', async () => {
    const target = await startTarget(serve('with_ts 1 1700000000123\nplain 2\n'));
    const honored = await run([job(target.address)], 2);
    await honored.manager.stop();
    const ts = honored.all.get(`with_ts{instance="${target.address}",job="j"}`)!;
    assert.equal(ts.samples[0]!.t, 1700000000123);
    assert.equal(
      ts.samples.length,
      1,
      'the same sample again is not stored twice, and no staleness marker',
    );
    const ignored = await run([job(target.address, { honor_timestamps: false })], 2);
    await ignored.manager.stop();
    const up = seriesNamed(ignored.all, 'up')[0]!;
    const t2 = ignored.all.get(`with_ts{instance="${target.address}",job="j"}`)!;
    assert.equal(t2.samples[0]!.t, up.samples[0]!.t);
  });

  test('out-of-order and duplicate samples are counted and skipped, not fatal', async () => {
    let n = 0;
    const target = await startTarget((req, res) => {
      n++;
      // Explicit timestamps going backwards, and one series exposed twice.
      serve(`back 1 ${1700000000000 - n}\ntwice 1\ntwice 2\nok 1\n`)(req, res);
    });
    const registry = new Registry();
    const { all, manager } = await run([job(target.address)], 3, registry);
    const t = manager.targets()[0]!;
    const text = await registry.metrics();
    await manager.stop();
    assert.equal(t.health, 'up');
    assert.equal(all.get(`back{instance="${target.address}",job="j"}`)!.samples.length, 1);
    const twice = all.get(`twice{instance="${target.address}",job="j"}`)!;
    assert.ok(
      twice.samples.filter((s) => !s.stale).every((s) => s.v === 1),
      'the first value wins',
    );
    assert.match(
      text,
      /vigil_scrape_rejected_samples_total\{job="j",reason="out_of_order"\} [1-9]/,
    );
    assert.match(text, /vigil_scrape_rejected_samples_total\{job="j",reason="duplicate"\} [1-9]/);
    assert.match(text, /vigil_scrape_scrapes_total\{job="j"\} [3-9]/);
    assert.match(text, /vigil_scrape_targets\{job="j",health="up"\} 1/);
  });

  test('label limits fail the scrape with Prometheus-like messages; failures are counted by reason', async () => {
    const target = await startTarget(serve('m{a="1",b="2",c="3"} 1\n'));
    const registry = new Registry();
    const { manager } = await run(
      [
        job(target.address, { job_name: 'count', label_limit: 3 }),
        job(target.address, { job_name: 'name', label_name_length_limit: 4 }),
        job(target.address, { job_name: 'value', label_value_length_limit: 1, sample_limit: 10 }),
      ],
      1,
      registry,
    );
    const byJob = new Map(manager.targets().map((t) => [t.job, t]));
    await manager.stop();
    assert.match(
      byJob.get('count')!.lastError,
      /label_limit exceeded \(metric: m, number of labels: 6, limit: 3\)/,
    );
    assert.match(byJob.get('name')!.lastError, /label_name_length_limit exceeded/);
    assert.match(byJob.get('value')!.lastError, /label_value_length_limit exceeded.*"127/);
    assert.match(
      await registry.metrics(),
      /vigil_scrape_failures_total\{job="count",reason="label_limit"\} [1-9]/,
    );
  });

  test('an unreachable target is down with the network error', async () => {
    const port = await freePort();
    const { manager, all } = await run([job(`127.0.0.1:${port}`)], 1);
    const t = manager.targets()[0]!;
    await manager.stop();
    assert.equal(t.health, 'down');
    assert.match(t.lastError, /request failed: connect ECONNREFUSED/);
    assert.equal(seriesNamed(all, 'up')[0]!.samples[0]!.v, 0);
  });

  test('empty label values are dropped; a relabel that removes __name__ fails the scrape', async () => {
    const target = await startTarget(serve('m{a="",b="x"} 1\n'));
    const ok = await run([job(target.address)], 1);
    await ok.manager.stop();
    assert.ok(ok.all.has(`m{b="x",instance="${target.address}",job="j"}`));
    const bad = await run(
      [
        job(target.address, {
          metric_relabel_configs: [{ regex: '__name__', action: 'labeldrop' }],
        }),
      ],
      1,
    );
    const t = bad.manager.targets()[0]!;
    await bad.manager.stop();
    assert.match(t.lastError, /no metric name after metric relabelling/);
  });

  test('a job whose config changes keeps its series: what the new config drops goes stale once', async () => {
    const target = await startTarget(serve('a 1\nb 2\n'));
    const storage = new MemoryStorage();
    const manager = new ScrapeManager({ appendable: storage });
    await manager.applyConfig(parseScrapeConfigs([job(target.address)], { source: 't' }));
    const upCount = (): number => seriesNamed(dump(storage), 'up')[0]?.samples.length ?? 0;
    await waitFor('2 scrapes', () => (upCount() >= 2 ? true : undefined), 5000, 20);
    await manager.applyConfig(
      parseScrapeConfigs(
        [
          job(target.address, {
            metric_relabel_configs: [{ source_labels: ['__name__'], regex: 'b', action: 'drop' }],
          }),
        ],
        { source: 't' },
      ),
    );
    const before = upCount();
    await waitFor('2 more scrapes', () => (upCount() >= before + 2 ? true : undefined), 5000, 20);
    const all = dump(storage);
    const a = all.get(`a{instance="${target.address}",job="j"}`)!;
    const b = all.get(`b{instance="${target.address}",job="j"}`)!;
    assert.equal(
      a.samples.some((s) => s.stale),
      false,
      'a never went stale',
    );
    assert.equal(b.samples.filter((s) => s.stale).length, 1);
    assert.equal(b.samples.at(-1)!.stale, true);
    const up = seriesNamed(all, 'up')[0]!;
    assert.equal(
      up.samples.some((s) => s.stale),
      false,
    );
    const ts = up.samples.map((s) => s.t);
    for (let i = 1; i < ts.length; i++) assert.equal((ts[i]! - ts[0]!) % 100, 0, 'still aligned');
    await manager.stop();
  });

  test('bad bodies fail as a whole: nothing of a partly valid exposition is stored', async () => {
    const partly = await startTarget(serve('ok 1\nalso_ok{a="b"} 2\nbroken{a="b" 3\n'));
    const badGzip = await startTarget((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end('definitely not gzip');
    });
    const badUtf8 = await startTarget((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(
        Buffer.concat([Buffer.from('v{a="'), Buffer.from([0xff, 0xfe]), Buffer.from('"} 1\n')]),
      );
    });
    const registry = new Registry();
    const { all, manager } = await run(
      [
        job(partly.address, { job_name: 'partly' }),
        job(badGzip.address, { job_name: 'gzip' }),
        job(badUtf8.address, { job_name: 'utf8' }),
      ],
      1,
      registry,
    );
    const byJob = new Map(manager.targets().map((t) => [t.job, t]));
    const text = await registry.metrics();
    await manager.stop();
    assert.match(byJob.get('partly')!.lastError, /line 3/);
    assert.match(
      byJob.get('gzip')!.lastError,
      /reading the response failed: incorrect header check/,
    );
    assert.match(byJob.get('utf8')!.lastError, /UTF-8/);
    assert.equal(seriesNamed(all, 'ok').length, 0);
    assert.equal(seriesNamed(all, 'also_ok').length, 0);
    assert.match(text, /vigil_scrape_failures_total\{job="partly",reason="parse"\} [1-9]/);
    assert.match(text, /vigil_scrape_failures_total\{job="gzip",reason="decompression"\} [1-9]/);
  });

  test('le and quantile values are written as Prometheus 3 stores them', () => {
    const cases: [string, string][] = [
      ['1', '1.0'],
      ['0', '0.0'],
      ['0.5', '0.5'],
      ['+Inf', '+Inf'],
      ['Inf', '+Inf'],
      ['-inf', '-Inf'],
      ['1e3', '1000.0'],
      ['1000000', '1e+06'],
      ['0.00001', '1e-05'],
      ['2.50', '2.5'],
      ['abc', 'abc'],
      ['', ''],
    ];
    for (const [input, output] of cases) assert.equal(normalizeBoundLabel(input), output, input);
  });
});
