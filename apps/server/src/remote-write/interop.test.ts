/**
 * Interop with the real Prometheus (Debian's `prometheus` binary): it scrapes
 * a small target we serve, remote-writes to two receivers of ours, one
 * backed by a MemoryStorage and one by the real TSDB, and what each received
 * must equal what Prometheus stored,
 * sample for sample, including a staleness marker for a series that
 * disappears from the target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStaleNaN } from '@vigil/model';
import { MemoryStorage, labelsToRecord } from '@vigil/storage';
import type { Appendable, Queryable } from '@vigil/storage';
import { Registry } from '@vigil/sdk';
import { openTsdb } from '@vigil/tsdb';
import { close, listen, requireTool, startPrometheus, waitFor } from '@vigil/testing';
import { createServerApp } from '../http/app.js';

interface Received {
  labels: Record<string, string>;
  timestamps: number[];
  values: number[];
  staleAt: number[];
}

function received(storage: Queryable): Map<string, Received> {
  const out = new Map<string, Received>();
  const q = storage.querier(0, Number.MAX_SAFE_INTEGER);
  const set = q.select([]);
  while (set.next()) {
    const s = set.at();
    const r: Received = {
      labels: labelsToRecord(s.labels),
      timestamps: [],
      values: [],
      staleAt: [],
    };
    const it = s.iterator();
    while (it.next()) {
      const v = it.value();
      if (isStaleNaN(v)) r.staleAt.push(it.timestampMs());
      else {
        r.timestamps.push(it.timestampMs());
        r.values.push(v);
      }
    }
    out.set(JSON.stringify(r.labels), r);
  }
  q.close();
  return out;
}

function key(labels: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) sorted[name] = labels[name]!;
  return JSON.stringify(sorted);
}

interface PromVectorResult {
  status: string;
  data: {
    resultType: string;
    result: Array<{
      metric: Record<string, string>;
      values?: Array<[number, string]>;
      value?: [number, string];
    }>;
  };
}

async function promQuery(url: string, query: string, timeMs: number): Promise<PromVectorResult> {
  const res = await fetch(
    `${url}/api/v1/query?query=${encodeURIComponent(query)}&time=${timeMs / 1000}`,
  );
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as PromVectorResult;
}

test(
  'real Prometheus remote-writes to Vigil exactly what it stored, staleness markers included',
  { timeout: 60_000 },
  async (t) => {
    const binary = requireTool('prometheus', 'prometheus', (m) => t.skip(m));
    if (binary === undefined) return;

    // The target: a counter, a gauge with awkward decimals, and a series that vanishes after 3 scrapes.
    let scrapes = 0;
    const target = createServer((req, res) => {
      scrapes++;
      const n = scrapes;
      let text =
        '# TYPE interop_requests_total counter\n' +
        `interop_requests_total{path="/a"} ${1.5 * n}\n` +
        `interop_requests_total{path="/b ☃"} ${n * 1e-9}\n` +
        '# TYPE interop_temperature gauge\n' +
        `interop_temperature{room="kitchen"} ${Math.PI * n}\n`;
      if (n <= 3) text += '# TYPE interop_vanishing gauge\ninterop_vanishing 42\n';
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(text);
    });
    const targetPort = await listen(target);
    t.after(() => close(target));

    const dir = mkdtempSync(join(tmpdir(), 'vigil-interop-'));
    const tsdb = openTsdb(dir, { retentionMs: 0 });
    t.after(() => {
      tsdb.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const backends: Array<{
      name: string;
      storage: Appendable & Queryable;
      registry: Registry;
      url: string;
    }> = [];
    for (const [name, storage] of [
      ['memory', new MemoryStorage()],
      ['tsdb', tsdb],
    ] as const) {
      const registry = new Registry();
      const app = createServerApp({ appendable: storage, registry });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      t.after(() => app.close());
      backends.push({ name, storage, registry, url });
    }

    const prometheus = await startPrometheus(
      binary,
      `
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: interop
    static_configs:
      - targets: ['127.0.0.1:${targetPort}']
remote_write:
${backends
  .map(
    (b) => `  - url: ${b.url}/api/v1/write
    queue_config:
      batch_send_deadline: 500ms
      min_backoff: 50ms
      max_backoff: 500ms
    metadata_config:
      send_interval: 2s
`,
  )
  .join('')}`,
    );
    t.after(() => prometheus.stop());

    const vanishingKey = key({
      __name__: 'interop_vanishing',
      instance: `127.0.0.1:${targetPort}`,
      job: 'interop',
    });
    // Wait for the staleness marker of the vanishing series, and a few samples after it.
    await waitFor(
      'the staleness marker and three later scrapes to arrive',
      () => {
        for (const backend of backends) {
          const got = received(backend.storage);
          const vanishing = got.get(vanishingKey);
          const up = got.get(
            key({ __name__: 'up', instance: `127.0.0.1:${targetPort}`, job: 'interop' }),
          );
          if (vanishing === undefined || vanishing.staleAt.length === 0 || up === undefined)
            return undefined;
          if (up.timestamps.filter((ts) => ts > vanishing.staleAt[0]!).length < 3) return undefined;
        }
        return true;
      },
      30_000,
      200,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nPrometheus log:\n${prometheus.logs()}`);
    });

    for (const backend of backends) {
      const got = received(backend.storage);
      // The cut-off: every live series has been received up to at least this time.
      let cutoff = Infinity;
      for (const [k, r] of got)
        if (k !== vanishingKey) cutoff = Math.min(cutoff, r.timestamps.at(-1)!);

      const names = [...got.values()].map((r) => r.labels.__name__).sort();
      for (const name of [
        'interop_requests_total',
        'interop_temperature',
        'interop_vanishing',
        'scrape_duration_seconds',
        'scrape_samples_post_metric_relabeling',
        'scrape_samples_scraped',
        'scrape_series_added',
        'up',
      ]) {
        assert.ok(
          names.includes(name),
          `${backend.name} received ${name} (got ${names.join(', ')})`,
        );
      }

      const stored = await promQuery(prometheus.url, '{job="interop"}[10m]', cutoff);
      assert.equal(stored.data.resultType, 'matrix');
      assert.equal(stored.data.result.length, got.size, 'the same series');
      let compared = 0;
      for (const series of stored.data.result) {
        const mine = got.get(key(series.metric));
        assert.ok(mine !== undefined, `received ${JSON.stringify(series.metric)}`);
        const theirTs = series.values!.map(([ts]) => Math.round(ts * 1000));
        const theirValues = series.values!.map(([, v]) => Number(v));
        const upTo = mine.timestamps.filter((ts) => ts <= cutoff).length;
        assert.deepEqual(
          mine.timestamps.slice(0, upTo),
          theirTs,
          `${backend.name}: timestamps of ${JSON.stringify(series.metric)}`,
        );
        assert.deepEqual(
          mine.values.slice(0, upTo),
          theirValues,
          `${backend.name}: values of ${JSON.stringify(series.metric)}`,
        );
        compared += upTo;
        // Only the vanishing series went stale.
        if (key(series.metric) !== vanishingKey) assert.deepEqual(mine.staleAt, []);
      }
      assert.ok(compared >= 8 * 3, `compared ${compared} samples`);

      // The staleness marker: one, right after the last real sample, and Prometheus agrees the series is stale then.
      const vanishing = got.get(vanishingKey)!;
      assert.equal(vanishing.staleAt.length, 1);
      assert.deepEqual(vanishing.values, [42, 42, 42]);
      const staleAt = vanishing.staleAt[0]!;
      assert.ok(staleAt > vanishing.timestamps.at(-1)!);
      const before = await promQuery(prometheus.url, 'interop_vanishing', staleAt - 1);
      assert.equal(before.data.result.length, 1);
      assert.equal(before.data.result[0]!.value![1], '42');
      const after = await promQuery(prometheus.url, 'interop_vanishing', staleAt);
      assert.equal(after.data.result.length, 0, 'Prometheus sees the series stale at the marker');

      const metrics = await backend.registry.metrics();
      assert.doesNotMatch(
        metrics,
        /vigil_remote_write_requests_rejected_total\{/,
        'no request was rejected',
      );
      assert.match(metrics, /vigil_remote_write_requests_total [1-9]/);
    }
  },
);
