import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultInjector, HealthRegistry, createLogger, Registry } from '@vigil/sdk';
import { OtlpReceiver, requireTool, runWithInput, waitFor } from '@vigil/testing';
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
    const logger = createLogger({
      service: 'user-service',
      version: 'test',
      level: 'debug',
      destination: { write: (line: string) => void logLines.push(JSON.parse(line)) },
    });
    const registry = new Registry();
    store = openUserStore(join(dir, 'users.db'), { registry, logger });
    service = createUserService({
      store,
      logger,
      registry,
      health: new HealthRegistry({ version: 'test', registry }),
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
    assert.match(text, /^db_queries_total\{system="sqlite",operation="SELECT",status="ok"\} \d+$/m);
    assert.match(
      text,
      /^db_query_duration_seconds_count\{system="sqlite",operation="SELECT"\} \d+$/m,
    );
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
    assert.match(
      metrics,
      /^db_queries_total\{system="sqlite",operation="SELECT",status="error"\} [1-9]\d*$/m,
    );
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

/** Starts `main.js` with `env`; resolves with its base URL once it prints it. */
async function startMain(
  env: Record<string, string>,
): Promise<{ base: string; stop(): Promise<number | null>; output(): string }> {
  const child = spawn(process.execPath, [new URL('./main.js', import.meta.url).pathname], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 15_000);
    const poll = setInterval(() => {
      const m = /metrics\s+(http:\/\/\S+)\/metrics/.exec(output);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(m[1]!);
      }
    }, 20);
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    base,
    output: () => output,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

test('two instances form one distributed trace: front → client span → back → SQLite', async (t) => {
  const receiver = await OtlpReceiver.start();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-trace-'));
  t.after(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const tracing = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace(/\/v1\/traces$/, ''),
    OTEL_BSP_SCHEDULE_DELAY: '50',
  };
  const back = await startMain({
    ...tracing,
    OTEL_SERVICE_NAME: 'users-back',
    USERS_DB: join(dir, 'back.db'),
  });
  t.after(() => back.stop());
  const front = await startMain({
    ...tracing,
    OTEL_SERVICE_NAME: 'users-front',
    USERS_DB: join(dir, 'front.db'),
    PEER_URL: back.base,
  });
  t.after(() => front.stop());

  const res = await fetch(`${front.base}/api/users/3/summary`, {
    headers: { traceparent: '00-5b8aa5a2d2c872e8321cf37308d69df2-051581bf3cb55c13-01' },
  });
  assert.equal(res.status, 200, front.output());
  const summary = (await res.json()) as { name: string; served_by: string };
  assert.equal(summary.name, 'Alan Turing');
  assert.equal(summary.served_by, back.base);

  const traceId = '5b8aa5a2d2c872e8321cf37308d69df2';
  // Startup queries export spans of their own: wait for the four of this trace.
  const inTrace = await waitFor(
    'the four spans of the trace',
    () => {
      const found = receiver.spans.filter((s) => s.traceId === traceId);
      return found.length >= 4 ? found : undefined;
    },
    10_000,
    50,
  );
  const frontServer = inTrace.find((s) => s.name === 'GET /api/users/:id/summary');
  const client = inTrace.find(
    (s) => s.name === 'GET' && s.resource['service.name'] === 'users-front',
  );
  const backServer = inTrace.find((s) => s.name === 'GET /api/users/:id');
  const query = inTrace.find(
    (s) =>
      s.resource['service.name'] === 'users-back' && s.attributes['db.system.name'] === 'sqlite',
  );
  assert.ok(
    frontServer && client && backServer && query,
    JSON.stringify(inTrace.map((s) => [s.name, s.resource['service.name']])),
  );
  assert.equal(frontServer.resource['service.name'], 'users-front');
  assert.equal(
    frontServer.parentSpanId,
    '051581bf3cb55c13',
    'the caller’s traceparent is honoured',
  );
  assert.equal(client.parentSpanId, frontServer.spanId);
  assert.equal(backServer.resource['service.name'], 'users-back');
  assert.equal(backServer.parentSpanId, client.spanId, 'the back server continues the client span');
  assert.equal(query.parentSpanId, backServer.spanId);
  assert.equal(query.attributes['db.operation.name'], 'SELECT');
  assert.equal(client.attributes['http.response.status_code'], 200);

  // The back instance's logs carry the same trace id.
  assert.equal(await back.stop(), 0);
  const backLines = back
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(
    backLines.some(
      (l) =>
        l.msg === 'request completed' && l.trace_id === traceId && l.route === '/api/users/:id',
    ),
    back.output(),
  );
});

test('fault injection through the admin endpoint: practice errors, a failed dependency, all marked', async (t) => {
  const token = 'gameday-token-0123456789';
  const dir = mkdtempSync(join(tmpdir(), 'vigil-faults-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const registry = new Registry();
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'user-service',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  const health = new HealthRegistry({ version: 'test', registry, cacheTtlMs: 0 });
  const faults = new FaultInjector({
    enabled: true,
    adminToken: token,
    health,
    logger,
    registry,
    env: {},
  });
  const store = openUserStore(join(dir, 'users.db'), { registry, logger });
  const service = createUserService({ store, logger, registry, health, faults });
  const base = await service.listen(0, '127.0.0.1');
  t.after(async () => {
    faults.close();
    await new Promise((r) => service.server.close(r));
    store.close();
  });
  const admin = `${base}/_vigil/faults`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  const add = async (spec: object): Promise<void> => {
    const res = await fetch(admin, { method: 'POST', headers, body: JSON.stringify(spec) });
    assert.equal(res.status, 201, await res.text());
  };
  await add({ id: 'users-errors', kind: 'error', status: 500, rate: 1, route: '/api/users/:id' });
  const failed = await fetch(`${base}/api/users/1`);
  assert.equal(failed.status, 500);
  assert.equal(failed.headers.get('x-vigil-fault'), 'users-errors');
  await failed.arrayBuffer();
  const summary = await fetch(`${base}/api/users/1/summary`);
  assert.equal(summary.status, 502, 'the summary route fails because its peer call does');
  await summary.arrayBuffer();

  await add({
    id: 'sqlite-down',
    kind: 'dependency',
    dependency: 'sqlite',
    message: 'practice outage',
  });
  const health503 = await fetch(`${base}/health`);
  assert.equal(health503.status, 503);
  const report = (await health503.json()) as { dependencies: Record<string, { error?: string }> };
  assert.match(report.dependencies.sqlite?.error ?? '', /practice outage/);

  const cleared = await fetch(admin, { method: 'DELETE', headers });
  assert.equal(cleared.status, 200);
  await cleared.arrayBuffer();
  assert.equal((await fetch(`${base}/health`)).status, 200);
  assert.equal((await fetch(`${base}/api/users/1`)).status, 200);

  const text = await registry.metrics();
  assert.match(text, /^vigil_faults_injected_total\{kind="error",fault="users-errors"\} 2$/m);
  assert.match(
    text,
    /^vigil_faults_injected_total\{kind="dependency",fault="sqlite-down"\} [1-9]/m,
  );
  assert.match(
    text,
    /^http_requests_total\{method="GET",route="\/api\/users\/:id",status="500"\} 2$/m,
  );
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(
    lines.some((l) => l.status === 500 && Array.isArray(l.faults)),
    'access log marks faults',
  );
});

test('fault injection stays off in production even when the environment asks for it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-prod-'));
  const main = await startMain({
    NODE_ENV: 'production',
    VIGIL_FAULTS_ENABLED: 'true',
    VIGIL_FAULTS_TOKEN: 'gameday-token-0123456789',
    USERS_DB: join(dir, 'users.db'),
  });
  try {
    assert.match(main.output(), /faults\s+off/);
    const res = await fetch(`${main.base}/_vigil/faults`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer gameday-token-0123456789',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ kind: 'error', status: 500, rate: 1 }),
    });
    assert.equal(res.status, 404, 'the admin endpoint does not exist');
    await res.arrayBuffer();
  } finally {
    assert.equal(await main.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});
