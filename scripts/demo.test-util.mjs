// Helpers for the tests that run the demo launcher (scripts/start.mjs) as a
// child process: start it, wait for it, query its server, stop it and check
// that nothing is left behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitFor } from '@vigil/testing';

export const root = new URL('..', import.meta.url).pathname;

/** Starts the launcher; `output()` is what it printed so far (stdout and stderr). */
export function launch(env) {
  const child = spawn(process.execPath, ['scripts/start.mjs', '--fast'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (c) => (text += c.toString('utf8')));
  child.stderr.on('data', (c) => (text += c.toString('utf8')));
  // 'close', not 'exit': only then has everything the launcher wrote been read.
  const exited = new Promise((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => text, exited };
}

export async function waitForStart(run) {
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

export async function api(serverUrl, path, params = {}) {
  const url = new URL(`${serverUrl}${path}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const body = await (await globalThis.fetch(url)).json();
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data;
}

export function portIsFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export function processExists(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code !== 'ESRCH';
  }
}

export async function stopAndCheck(run, dir, ports) {
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

/**
 * Free ports and the environment for one demo on its own data directory:
 * `{ env, ports: [server, ...three instances], serverUrl }`.
 */
export async function demoEnvironment(dir, peakRate = 30) {
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const [serverPort, ...servicePorts] = ports;
  return {
    env: {
      VIGIL_DEMO_DIR: dir,
      VIGIL_DEMO_SERVER_PORT: String(serverPort),
      VIGIL_DEMO_PORTS: servicePorts.join(','),
      VIGIL_DEMO_RATE: String(peakRate),
    },
    ports,
    servicePorts,
    serverUrl: `http://127.0.0.1:${serverPort}`,
  };
}

/** Kills whatever of the demo is still running (a test's `after` hook) and removes `dir`. */
export function cleanUp(runs, dir, removeDir = dir) {
  for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL');
  try {
    const { processes } = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'));
    for (const p of processes) if (processExists(p.pid)) process.kill(p.pid, 'SIGKILL');
  } catch {
    // no demo.json: nothing was started
  }
  rmSync(removeDir, { recursive: true, force: true });
}

/** Waits until both demo SLOs have data; resolves to their statuses. */
export function waitForSloData(serverUrl) {
  return waitFor(
    'both SLOs to have data',
    async () => {
      const { slos } = await api(serverUrl, '/api/v1/slos');
      const ok = slos.filter((s) => s.dataState === 'ok' && s.events.total > 0);
      return ok.length === 2 ? slos : undefined;
    },
    30_000,
    500,
  );
}
