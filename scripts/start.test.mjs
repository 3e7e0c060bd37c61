// The demo launcher (scripts/start.mjs) end to end: `--fast` on free ports and
// a temporary data directory. It must start a vigil server, three users
// instances and the traffic, show both SLOs with data and the three targets
// up, stop everything on SIGINT with exit code 0 (ports free, no process
// left), and on a second start over the same directory still answer for the
// first run's data. Needs the build (`npm test` does it first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitFor } from '@vigil/testing';

const root = new URL('..', import.meta.url).pathname;

/** Starts the launcher; `output()` is what it printed so far (stdout and stderr). */
function launch(env) {
  const child = spawn(process.execPath, ['scripts/start.mjs', '--fast'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (c) => (text += c.toString('utf8')));
  child.stderr.on('data', (c) => (text += c.toString('utf8')));
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => text, exited };
}

async function waitForStart(run) {
  await waitFor(
    'the demo to print that it runs',
    () => {
      if (run.child.exitCode !== null) {
        throw new Error(`the launcher exited early (${run.child.exitCode}):\n${run.output()}`);
      }
      return run.output().includes('Vigil demo is running') ? true : undefined;
    },
    60_000,
    100,
  );
}

async function api(serverUrl, path, params = {}) {
  const url = new URL(`${serverUrl}${path}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const body = await (await globalThis.fetch(url)).json();
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data;
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function processExists(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code !== 'ESRCH';
  }
}

async function stopAndCheck(run, dir, ports) {
  const { processes } = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'));
  assert.deepEqual(
    processes.map((p) => p.name),
    ['users-0', 'users-1', 'users-2', 'vigil', 'traffic'],
  );
  run.child.kill('SIGINT');
  const result = await Promise.race([
    run.exited,
    sleep(20_000, undefined, { ref: false }).then(() => ({ code: 'timeout' })),
  ]);
  assert.deepEqual(result, { code: 0, signal: null }, run.output());
  for (const port of ports) assert.ok(await portIsFree(port), `port ${port} is free again`);
  for (const p of processes) assert.ok(!processExists(p.pid), `${p.name} (${p.pid}) has ended`);
  assert.match(run.output(), /traffic: stopped after \d+ request\(s\)/);
}

test('npm start -- --fast runs the whole loop, stops cleanly and keeps its data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-demo-'));
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const [serverPort, ...servicePorts] = ports;
  const env = {
    VIGIL_DEMO_DIR: dir,
    VIGIL_DEMO_SERVER_PORT: String(serverPort),
    VIGIL_DEMO_PORTS: servicePorts.join(','),
    VIGIL_DEMO_RATE: '30',
  };
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const runs = [];
  t.after(() => {
    // Whatever happened, nothing outlives the test.
    for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    try {
      const { processes } = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'));
      for (const p of processes) if (processExists(p.pid)) process.kill(p.pid, 'SIGKILL');
    } catch {
      // no demo.json: nothing was started
    }
    rmSync(dir, { recursive: true, force: true });
  });

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
  const slos = await waitFor(
    'both SLOs to have data',
    async () => {
      const { slos } = await api(serverUrl, '/api/v1/slos');
      const ok = slos.filter((s) => s.dataState === 'ok' && s.events.total > 0);
      return ok.length === 2 ? slos : undefined;
    },
    30_000,
    500,
  );
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
