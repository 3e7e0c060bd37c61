import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newLabelMatcher } from '@vigil/model';
import { requireTool } from '@vigil/testing';
import { generateDataset } from './dataset.js';
import { BLOCK_MS, createBlocks, startPrometheusOn, writeOpenMetrics } from './prometheus-side.js';
import { answerFromJson, answerFromQuerier } from './results.js';
import { loadTsdb } from './vigil-side.js';

const START_MS = 1_764_000_000_000;

test('promtool and the Appender load the same samples, exactly as generated', async (t) => {
  const prometheus = requireTool('prometheus', 'prometheus', (m) => t.skip(m));
  const promtool = requireTool('promtool', 'prometheus', (m) => t.skip(m));
  if (prometheus === undefined || promtool === undefined) return;
  const dataset = generateDataset({
    seed: 3,
    instances: 2,
    routes: 1,
    startMs: START_MS,
    durationMs: 3 * 3_600_000, // two block windows, the second half full
    intervalMs: 15_000,
  });
  const n = dataset.samplesPerSeries;
  const work = mkdtempSync(join(tmpdir(), 'vigil-promql-loaders-'));
  const promDir = join(work, 'prometheus');
  mkdirSync(promDir);
  let server: Awaited<ReturnType<typeof startPrometheusOn>> | undefined;
  const { tsdb } = await loadTsdb(dataset, join(work, 'vigil'));
  try {
    for (let from = START_MS; from < START_MS + 3 * 3_600_000; from += BLOCK_MS) {
      const file = join(work, `${from}.om`);
      const bytes = writeOpenMetrics(dataset, from, from + BLOCK_MS, file);
      const text = readFileSync(file, 'utf8');
      assert.equal(Buffer.byteLength(text), bytes);
      assert.ok(text.endsWith('\n# EOF\n'));
      await createBlocks(promtool, file, promDir);
    }
    server = await startPrometheusOn(prometheus, promDir, work);
    const endS = (START_MS + 3 * 3_600_000) / 1000;
    const res = await fetch(
      `${server.url}/api/v1/query?${new URLSearchParams({ query: '{job="api"}[3h]', time: String(endS) }).toString()}`,
    );
    const theirs = answerFromJson(await res.text());
    const ours = answerFromQuerier(
      tsdb,
      [newLabelMatcher('=', 'job', 'api')],
      START_MS,
      START_MS + 3 * 3_600_000,
    );
    assert.equal(theirs.series.size, dataset.series.length);
    assert.equal(ours.series.size, dataset.series.length);
    for (const [i, s] of dataset.series.entries()) {
      const pairs: [string, string][] = [];
      for (let j = 0; j < s.labels.length; j += 2) pairs.push([s.labels[j]!, s.labels[j + 1]!]);
      const key = pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
      const expectedT = dataset.timestampsMs.subarray(s.instance * n, (s.instance + 1) * n);
      const expectedV = dataset.values.subarray(i * n, (i + 1) * n);
      for (const [who, answer] of [
        ['prometheus', theirs],
        ['vigil', ours],
      ] as const) {
        const got = answer.series.get(key);
        assert.ok(got, `${who} has ${key}`);
        assert.deepEqual(got.t, Float64Array.from(expectedT), `${who} timestamps of ${key}`);
        assert.deepEqual(got.v, Float64Array.from(expectedV), `${who} values of ${key}`);
      }
    }
  } finally {
    await server?.stop();
    tsdb.close();
    rmSync(work, { recursive: true, force: true });
  }
});
