import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultInjector, HealthRegistry, createLogger, Registry } from '@vigil/sdk';
import { OtlpReceiver, requireTool, runWithInput } from '@vigil/testing';
import { openUserStore, type UserStore } from './db.js';
import { createUserService, type UserService } from './app.js';

describe('users API over real HTTP', () => {
  let dir: string;
  let store: UserStore;
  let service: UserService;
  let url: string;
  const logLines: Array<Record<string, unknown>> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-users-'));
    store = openUserStore(join(dir, 'users.db'));
    const logger = createLogger({
      service: 'user-service',
      version: 'test',
      level: 'debug',
      destination: { write: (line: string) => void logLines.push(JSON.parse(line)) },
    });
    service = createUserService({
      store,
      logger,
      registry: new Registry(),
      health: new HealthRegistry({ version: 'test' }),
    });
    url = await service.listen(0, '127.0.0.1');
  });

  after(async () => {
    await new Promise((r) => service.server.close(r));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('200 with the user as JSON', async () => {
    const res = await fetch(`${url}/api/users/1`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /application\/json/);
    const user = (await res.json()) as Record<string, unknown>;
    assert.equal(user.id, 1);
    assert.equal(user.name, 'Ada Lovelace');
  });

  test('400 for a non-numeric id, 404 for an unknown one and for unknown routes', async () => {
    for (const [path, status] of [
      ['/api/users/abc', 400],
      ['/api/users/-1', 400],
      ['/api/users/1.5', 400],
      ['/api/users/%00', 400],
      ['/api/users/999999', 404],
      ['/nope', 404],
      [`/random/${'x'.repeat(5000)}`, 404],
    ] as const) {
      const res = await fetch(url + path);
      assert.equal(res.status, status, path.slice(0, 40));
      const body = (await res.json()) as { message: string };
      assert.ok(body.message.length > 0);
    }
  });

  test('request ids: a sane one is echoed, a hostile one replaced, and every log line carries it', async () => {
    const sane = await fetch(`${url}/api/users/2`, { headers: { 'x-request-id': 'req-123.abc' } });
    assert.equal(sane.headers.get('x-request-id'), 'req-123.abc');
    const hostile = await fetch(`${url}/api/users/2`, {
      headers: { 'x-request-id': 'a'.repeat(500) },
    });
    const replaced = hostile.headers.get('x-request-id')!;
    assert.match(replaced, /^[0-9a-f-]{36}$/);
    const lines = logLines.filter((l) => l.msg === 'request completed');
    assert.ok(lines.some((l) => l.request_id === 'req-123.abc' && l.route === '/api/users/:id'));
    assert.ok(lines.some((l) => l.request_id === replaced));
    for (const line of lines) {
      assert.equal(typeof line.request_id, 'string');
      assert.equal(line.service, 'user-service');
      assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
    }
  });

  test('/metrics counts requests by route template, never by raw path, in both formats', async () => {
    await fetch(`${url}/api/users/3`);
    await fetch(`${url}/scan/${Math.random()}`);
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(
      text,
      /^http_requests_total\{method="GET",route="\/api\/users\/:id",status="200"\} \d+$/m,
    );
    assert.match(text, /^http_requests_total\{method="GET",route="unmatched",status="404"\} \d+$/m);
    assert.doesNotMatch(text, /route="\/scan/);
    assert.match(text, /^user_lookup_total\{status="success"\} \d+$/m);
    assert.match(text, /^vigil_health_dependency_up\{dependency="sqlite",critical="true"\} 1$/m);
    const om = await fetch(`${url}/metrics`, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0' },
    });
    assert.match(om.headers.get('content-type')!, /application\/openmetrics-text; version=1.0.0/);
    const omText = await om.text();
    assert.match(omText, /^# TYPE http_requests counter$/m);
    assert.ok(omText.endsWith('# EOF\n'));
  });

  test('promtool check metrics accepts the /metrics text', async (t) => {
    const promtool = requireTool('promtool', 'prometheus', (m) => t.skip(m));
    if (promtool === undefined) return;
    const text = await (await fetch(`${url}/metrics`)).text();
    const result = await runWithInput(promtool, ['check', 'metrics'], text);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  test('health endpoints, then a broken database: 500 for the API and 503 unhealthy', async () => {
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    const report = (await health.json()) as {
      status: string;
      dependencies: Record<string, { status: string }>;
    };
    assert.equal(report.status, 'healthy');
    assert.equal(report.dependencies.sqlite!.status, 'up');
    assert.equal((await fetch(`${url}/livez`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);

    store.close();
    const res = await fetch(`${url}/api/users/1`);
    assert.equal(res.status, 500);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 20)); // the access log is written when the response closes
    assert.ok(
      logLines.some(
        (l) => l.msg === 'request completed' && l.status === 500 && typeof l.err === 'object',
      ),
    );
    await new Promise((r) => setTimeout(r, 1100)); // past the health cache
    const down = await fetch(`${url}/health`);
    assert.equal(down.status, 503);
    const downReport = (await down.json()) as typeof report;
    assert.equal(downReport.status, 'unhealthy');
    assert.equal(downReport.dependencies.sqlite!.status, 'down');
    assert.equal((await fetch(`${url}/readyz`)).status, 503);
    assert.equal((await fetch(`${url}/livez`)).status, 200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(
      metrics,
      /^http_requests_total\{method="GET",route="\/api\/users\/:id",status="500"\} 1$/m,
    );
    assert.match(metrics, /^user_lookup_total\{status="error"\} 1$/m);
    store = openUserStore(join(dir, 'users.db')); // for after()
  });
});

test('the quickstart entry point starts, prints its URLs and stops cleanly on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-main-'));
  const main = new URL('./main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', USERS_DB: join(dir, 'users.db'), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no URL printed:\n${stderr}\n${stdout}`)),
        15_000,
      );
      const poll = setInterval(() => {
        const m = /metrics\s+(http:\/\/\S+)\/metrics/.exec(stderr);
        if (m) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }, 50);
    });
    assert.match(stderr, /health\s+http:\/\/\S+\/health/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^process_resident_memory_bytes \d+/m);
    assert.match(metrics, /^nodejs_eventloop_lag_seconds /m);
    assert.equal((await fetch(`${base}/api/users/1`)).status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stdout + stderr);
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.some((l) => l.msg === 'user-service started'));
    assert.ok(
      lines.some((l) => /shutdown/.test(String(l.msg))),
      stdout,
    );
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a port in use gives a one-line hint and exit status 1, not a stack trace', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-busy-'));
  try {
    const child = spawn(process.execPath, [new URL('./main.js', import.meta.url).pathname], {
      env: { ...process.env, PORT: String(port), USERS_DB: join(dir, 'users.db') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(status, 1);
    assert.match(stderr, /is already in use; start it on another port, e\.g\. PORT=3001 npm start/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  } finally {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
