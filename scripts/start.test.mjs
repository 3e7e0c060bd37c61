// The demo launcher (scripts/start.mjs) end to end: `--fast` on free ports and
// a temporary data directory. It must start a vigil server, three users
// instances and the traffic, show both SLOs with data and the three targets
// up, stop everything on SIGINT with exit code 0 (ports free, no process
// left), and on a second start over the same directory still answer for the
// first run's data. Needs the build (`npm test` does it first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  api,
  cleanUp,
  demoEnvironment,
  launch,
  stopAndCheck,
  waitForSloData,
  waitForStart,
} from './demo.test-util.mjs';

test('npm start -- --fast runs the whole loop, stops cleanly and keeps its data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-demo-'));
  const { env, ports, servicePorts, serverUrl } = await demoEnvironment(dir);
  const runs = [];
  // Whatever happened, nothing outlives the test.
  t.after(() => cleanUp(runs, dir));

  const first = launch(env);
  runs.push(first);
  await waitForStart(first);
  const printed = first.output();
  assert.match(printed, /time scale 60x: 30d windows last 12h — demo only/);
  assert.match(printed, /FAST MODE \(demo only\): time scale 60x/);
  assert.match(printed, /gameday run examples\/gamedays\/error-spike\.yaml/);
  const demo = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'));
  assert.deepEqual(
    demo.instances,
    servicePorts.map((p) => `http://127.0.0.1:${p}`),
  );
  assert.equal(demo.server, serverUrl);
  assert.equal(demo.timeScale, 60);
  assert.match(demo.token, /^[A-Za-z0-9_-]{32}$/);

  // Fault injection is on, behind the token.
  for (const url of demo.instances) {
    const denied = await globalThis.fetch(`${url}/_vigil/faults`);
    await denied.arrayBuffer();
    assert.equal(denied.status, 401, url);
    const allowed = await globalThis.fetch(`${url}/_vigil/faults`, {
      headers: { authorization: `Bearer ${demo.token}` },
    });
    await allowed.arrayBuffer();
    assert.equal(allowed.status, 200, url);
  }

  // Both SLOs have data: the traffic flows and the engine counts it.
  const slos = await waitForSloData(serverUrl);
  assert.deepEqual(slos.map((s) => s.id).sort(), [
    'user-service-availability',
    'user-service-latency',
  ]);
  // Scaled: a 30-day window lasts 12 hours.
  for (const s of slos) assert.deepEqual(s.window, { kind: 'rolling', durationMs: 43_200_000 });

  // The three instances are scraped and up.
  const up = await api(serverUrl, '/api/v1/query', { query: 'up{job="user-service"}' });
  assert.deepEqual(
    up.result.map((r) => [r.metric.instance, r.value[1]]).sort(),
    servicePorts.map((p) => [`127.0.0.1:${p}`, '1']).sort(),
  );
  // Traffic reaches every instance, peer summaries included.
  const routes = await api(serverUrl, '/api/v1/query', {
    query: 'sum by (instance, route) (http_requests_total{job="user-service"})',
  });
  const seen = new Set(routes.result.map((r) => `${r.metric.instance} ${r.metric.route}`));
  for (const p of servicePorts) {
    assert.ok(seen.has(`127.0.0.1:${p} /api/users/:id`), [...seen].join(', '));
  }
  assert.ok(
    [...seen].some((s) => s.endsWith('/api/users/:id/summary')),
    [...seen].join(', '),
  );
  const firstRunAtSeconds = Number(up.result[0].value[0]);

  await stopAndCheck(first, dir, ports);

  // A second start reuses the data directory: the first run's samples are still there.
  const second = launch(env);
  runs.push(second);
  await waitForStart(second);
  const before = await api(serverUrl, '/api/v1/query', {
    query: 'up{job="user-service"}',
    time: String(firstRunAtSeconds),
  });
  assert.equal(before.result.length, 3, JSON.stringify(before));
  const counted = await api(serverUrl, '/api/v1/query', {
    query: 'sum(http_requests_total{job="user-service"})',
    time: String(firstRunAtSeconds),
  });
  assert.ok(Number(counted.result[0]?.value[1]) > 0, JSON.stringify(counted));
  await stopAndCheck(second, dir, ports);
});
