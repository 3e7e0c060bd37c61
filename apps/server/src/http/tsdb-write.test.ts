import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STALE_NAN, isStaleNaN } from '@vigil/model';
import { labelsToRecord } from '@vigil/storage';
import { Registry } from '@vigil/sdk';
import { openTsdb } from '@vigil/tsdb';
import type { Tsdb } from '@vigil/tsdb';
import { createServerApp } from './app.js';
import { encodeWriteRequest } from '../remote-write/protobuf.js';
import { snappyCompress } from '../remote-write/snappy.js';

const HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };

function read(
  db: Tsdb,
): Array<{ labels: Record<string, string>; samples: Array<[number, number | 'stale']> }> {
  const q = db.querier(0, 1e13);
  const set = q.select([]);
  const out = [];
  while (set.next()) {
    const s = set.at();
    const it = s.iterator();
    const samples: Array<[number, number | 'stale']> = [];
    while (it.next())
      samples.push([it.timestampMs(), isStaleNaN(it.value()) ? 'stale' : it.value()]);
    out.push({ labels: labelsToRecord(s.labels), samples });
  }
  q.close();
  return out;
}

test('remote write into the real TSDB: all or nothing, staleness markers survive a reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rw-tsdb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let db = openTsdb(dir, { maintenanceIntervalMs: 0, retentionMs: 0 });
  const app = createServerApp({ appendable: db, registry: new Registry() });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const post = (series: Parameters<typeof encodeWriteRequest>[0]) =>
    fetch(`${url}/api/v1/write`, {
      method: 'POST',
      headers: HEADERS,
      body: snappyCompress(encodeWriteRequest(series)),
    });

  let res = await post([
    {
      labels: ['__name__', 'a', 'job', 'j'],
      timestamps: [1000, 2000, 3000],
      values: Float64Array.of(1, 2, STALE_NAN),
    },
    { labels: ['__name__', 'b'], timestamps: [1000], values: Float64Array.of(0.25) },
  ]);
  assert.equal(res.status, 204, await res.text());
  // Out of order against stored data: 400 and the good series of the same request is not written.
  res = await post([
    { labels: ['__name__', 'c'], timestamps: [5000], values: Float64Array.of(1) },
    { labels: ['__name__', 'a', 'job', 'j'], timestamps: [2500], values: Float64Array.of(9) },
  ]);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /Sample at 2500 .*refused/);
  await app.close();
  db.close();
  // Closed storage answers 503 (retryable), not 400.
  const closedApp = createServerApp({ appendable: db, registry: new Registry() });
  const closedUrl = await closedApp.listen({ host: '127.0.0.1', port: 0 });
  res = await fetch(`${closedUrl}/api/v1/write`, {
    method: 'POST',
    headers: HEADERS,
    body: snappyCompress(
      encodeWriteRequest([
        { labels: ['__name__', 'z'], timestamps: [1], values: Float64Array.of(1) },
      ]),
    ),
  });
  assert.equal(res.status, 503);
  await closedApp.close();

  db = openTsdb(dir, { maintenanceIntervalMs: 0, retentionMs: 0 });
  t.after(() => db.close());
  assert.deepEqual(read(db), [
    {
      labels: { __name__: 'a', job: 'j' },
      samples: [
        [1000, 1],
        [2000, 2],
        [3000, 'stale'],
      ],
    },
    { labels: { __name__: 'b' }, samples: [[1000, 0.25]] },
  ]);
});
