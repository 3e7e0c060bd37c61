import assert from 'node:assert/strict';
import http from 'node:http';
import { after, afterEach, before, describe, test } from 'node:test';
import { HealthRegistry, healthHandlers } from '../health/index.js';
import { Registry } from '../metrics/index.js';
import { FaultInjector, MAX_FAULT_ADMIN_BODY_BYTES } from './index.js';
import type { FaultInjectorOptions } from './index.js';
import { close, listen, recordingLogger, request, sampleValue, sleep } from './testdata/helpers.js';
import type { LogLine, RequestOptions } from './testdata/helpers.js';

const TOKEN = 'test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const PREFIX = '/_vigil/faults';
const DEV = Object.freeze({ NODE_ENV: 'development' });

/**
 * One real server for the whole file, wired the way the HTTP core will be:
 * the admin endpoint first, then the health routes, then `decide` before the
 * application handler. Each test swaps in its own injector.
 */
let injector: FaultInjector;
let health: HealthRegistry;
let routeHealth: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
let registry: Registry;
let lines: LogLine[];
/** Requests where handleAdmin returned false but had touched the response. */
const touched: string[] = [];

const server = http.createServer((req, res) => {
  if (injector.handleAdmin(req, res)) return;
  if (res.headersSent || res.getHeaderNames().length > 0) touched.push(req.url ?? '');
  if (routeHealth(req, res)) return;
  const url = req.url ?? '/';
  const path = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
  const route = path.startsWith('/api/users/') ? '/api/users/:id' : undefined;
  const decision = injector.decide(req.method ?? 'GET', path, route);
  const app = (): void => {
    res.statusCode = path.startsWith('/api/') ? 200 : 404;
    res.end(res.statusCode === 200 ? 'app ok' : 'app: no such route');
  };
  if (decision === undefined) return app();
  res.setHeader('x-faults', decision.faultIds.join(','));
  setTimeout(() => {
    if (decision.errorStatus === undefined) return app();
    res.statusCode = decision.errorStatus;
    res.end('injected');
  }, decision.delayMs);
});
let port = 0;

function use(options: FaultInjectorOptions = {}): FaultInjector {
  injector?.close();
  registry = new Registry();
  health = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
  health.register({ name: 'database', check: () => {} });
  routeHealth = healthHandlers(health).routeHealth;
  const recorded = recordingLogger();
  lines = recorded.lines;
  injector = new FaultInjector({
    enabled: true,
    adminToken: TOKEN,
    env: DEV,
    registry,
    health,
    logger: recorded.logger,
    ...options,
  });
  return injector;
}

function admin(path: string, options: RequestOptions = {}) {
  return request(port, path, { ...options, headers: { ...AUTH, ...options.headers } });
}

function post(spec: unknown, path = PREFIX) {
  return admin(path, { method: 'POST', body: JSON.stringify(spec) });
}

before(async () => {
  port = await listen(server);
});
after(async () => {
  injector.close();
  await close(server);
});
afterEach(() => {
  assert.deepEqual(touched.splice(0), [], 'handleAdmin returned false but touched the response');
});

describe('who gets an admin endpoint', () => {
  test('a disabled injector does not serve it, even with a token: the path is unknown', async () => {
    use({ enabled: false });
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await admin(PREFIX, { method });
      assert.equal(res.status, 404);
      assert.equal(res.body, 'app: no such route');
    }
    assert.equal(injector.adminEnabled, false);
  });

  test('production lockout: the variable alone never enables the endpoint', async () => {
    use({
      enabled: undefined,
      env: { NODE_ENV: 'production', VIGIL_FAULTS_ENABLED: 'true', VIGIL_FAULTS_TOKEN: TOKEN },
      adminToken: undefined,
    });
    assert.equal(injector.enabled, false);
    assert.equal((await admin(PREFIX)).body, 'app: no such route');
    use({
      enabled: undefined,
      allowInProduction: true,
      env: { NODE_ENV: 'production', VIGIL_FAULTS_ENABLED: 'true', VIGIL_FAULTS_TOKEN: TOKEN },
      adminToken: undefined,
    });
    assert.equal((await admin(PREFIX)).status, 200);
  });

  test('enabled without a token: faults in code work, the endpoint is not served', async () => {
    use({ adminToken: undefined });
    assert.equal(injector.enabled, true);
    assert.equal(injector.adminEnabled, false);
    assert.equal((await admin(PREFIX)).body, 'app: no such route');
    injector.add({ kind: 'error', status: 418 });
    assert.equal((await request(port, '/api/x')).status, 418);
  });

  test('a token shorter than 16 characters leaves the endpoint off, with a warning', async () => {
    use({ adminToken: 'short-token-123' });
    assert.equal(injector.adminEnabled, false);
    assert.ok(lines.some((l) => l.code === 'CONFIG_INVALID' && /shorter than 16/.test(l.msg)));
    assert.equal(
      (await admin(PREFIX, { headers: { authorization: 'Bearer short-token-123' } })).status,
      404,
    );
  });

  test('the token may come from VIGIL_FAULTS_TOKEN', async () => {
    use({ adminToken: undefined, env: { VIGIL_FAULTS_TOKEN: TOKEN } });
    assert.equal((await admin(PREFIX)).status, 200);
  });

  test('another prefix, and paths that only look like it', async () => {
    use({ adminPrefix: '/ops/faults' });
    assert.equal(injector.adminPrefix, '/ops/faults');
    assert.equal((await admin('/ops/faults')).status, 200);
    assert.equal((await admin('/ops/faults?verbose=1')).status, 200);
    assert.equal((await admin(PREFIX)).body, 'app: no such route');
    assert.equal((await admin('/ops/faultsX')).body, 'app: no such route');
    assert.equal((await admin('/ops')).body, 'app: no such route');
  });
});

describe('bearer token', () => {
  test('missing, wrong, or another scheme → 401 with a JSON error', async () => {
    use();
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${'x'.repeat(TOKEN.length)}` },
      { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` },
      { authorization: `Bearer ${TOKEN} extra` },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await request(port, PREFIX, { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="vigil-faults"');
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.json.error.code, 'FAULT_ADMIN_UNAUTHORIZED');
      assert.match(res.json.error.message, /Authorization: Bearer <token>/);
    }
    // Refusals are logged, but not one line each.
    const refusals = lines.filter((l) => l.code === 'FAULT_ADMIN_UNAUTHORIZED');
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0]!.remote_address, '127.0.0.1');
  });

  test('unauthenticated writes change nothing; the body is not read', async () => {
    use();
    const spec = JSON.stringify({ kind: 'error', status: 500 });
    assert.equal((await request(port, PREFIX, { method: 'POST', body: spec })).status, 401);
    assert.equal(
      (
        await request(port, PREFIX, {
          method: 'POST',
          body: Buffer.alloc(10 * MAX_FAULT_ADMIN_BODY_BYTES, 0x20),
        })
      ).status,
      401,
    );
    injector.add({ kind: 'latency', delayMs: 1, id: 'keep' });
    assert.equal((await request(port, PREFIX, { method: 'DELETE' })).status, 401);
    assert.equal((await request(port, `${PREFIX}/keep`, { method: 'DELETE' })).status, 401);
    assert.deepEqual(
      injector.list().map((f) => f.id),
      ['keep'],
    );
  });

  test('the scheme is case-insensitive', async () => {
    use();
    const res = await request(port, PREFIX, { headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
  });
});

describe('admin API', () => {
  test('POST adds (201, Location), GET lists, the fault applies, DELETE removes', async () => {
    use();
    const created = await post({
      kind: 'error',
      status: 503,
      id: 'users-down',
      route: '/api/users/:id',
      description: 'game day 3',
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.location, `${PREFIX}/users-down`);
    assert.equal(created.headers['cache-control'], 'no-store');
    assert.equal(created.json.fault.id, 'users-down');
    assert.equal(created.json.fault.injectedCount, 0);
    assert.equal(typeof created.json.fault.addedAt, 'number');

    const hit = await request(port, '/api/users/7');
    assert.equal(hit.status, 503);
    assert.equal(hit.headers['x-faults'], 'users-down');
    assert.equal((await request(port, '/api/orders/7')).status, 200);

    const listed = await admin(PREFIX);
    assert.equal(listed.status, 200);
    assert.equal(listed.json.faults.length, 1);
    assert.equal(listed.json.faults[0].injectedCount, 1);
    assert.equal(listed.json.faults[0].description, 'game day 3');

    const one = await admin(`${PREFIX}/users-down`);
    assert.equal(one.status, 200);
    assert.equal(one.json.fault.route, '/api/users/:id');

    const removed = await admin(`${PREFIX}/users-down`, { method: 'DELETE' });
    assert.equal(removed.status, 200);
    assert.equal(removed.json.removed, 1);
    assert.equal(removed.json.fault.injectedCount, 1);
    assert.equal((await request(port, '/api/users/7')).status, 200);

    const again = await admin(`${PREFIX}/users-down`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(again.json.error.code, 'FAULT_NOT_FOUND');
    assert.equal(again.json.error.details.id, 'users-down');
    assert.equal((await admin(`${PREFIX}/users-down`)).status, 404);

    const added = lines.find((l) => /added/.test(l.msg));
    assert.equal(added?.source, 'admin');
  });

  test('a latency fault delays the request', async () => {
    use();
    assert.equal((await post({ kind: 'latency', delayMs: 120, method: 'GET' })).status, 201);
    const started = performance.now();
    const res = await request(port, '/api/users/1');
    assert.equal(res.status, 200);
    assert.ok(performance.now() - started >= 110, 'delayed by about 120 ms');
  });

  test('DELETE on the collection removes all', async () => {
    use();
    await post({ kind: 'latency', delayMs: 1 });
    await post({ kind: 'error', status: 500 });
    const res = await admin(PREFIX, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { removed: 2 });
    assert.deepEqual((await admin(PREFIX)).json, { faults: [] });
  });

  test('a fault with durationMs expires on its own', async () => {
    use();
    await post({ kind: 'error', status: 500, durationMs: 50 });
    assert.equal((await request(port, '/api/x')).status, 500);
    await sleep(100);
    assert.equal((await request(port, '/api/x')).status, 200);
    assert.deepEqual((await admin(PREFIX)).json, { faults: [] });
  });

  test('a dependency fault fails /health and /readyz until removed', async () => {
    use();
    assert.equal((await request(port, '/readyz')).status, 200);
    const created = await post({
      kind: 'dependency',
      dependency: 'database',
      message: 'too many connections',
      id: 'db',
    });
    assert.equal(created.status, 201);
    const down = await request(port, '/health');
    assert.equal(down.status, 503);
    assert.equal(down.json.dependencies.database.error, 'too many connections (injected fault db)');
    assert.equal((await request(port, '/readyz')).status, 503);
    assert.equal((await admin(`${PREFIX}/db`, { method: 'DELETE' })).status, 200);
    assert.equal((await request(port, '/health')).status, 200);
    const unknown = await post({ kind: 'dependency', dependency: 'redis' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error.code, 'FAULT_SPEC_INVALID');
    assert.match(unknown.json.error.message, /registered: "database"/);
  });

  test('metrics count what the admin-added faults did', async () => {
    use();
    await post({ kind: 'error', status: 502, id: 'e' });
    await request(port, '/api/a');
    await request(port, '/api/b');
    const text = await registry.metrics();
    assert.equal(sampleValue(text, 'vigil_faults_injected_total{kind="error",fault="e"}'), 2);
    assert.equal(sampleValue(text, 'vigil_faults_active{kind="error"}'), 1);
  });

  test('wrong methods → 405 with Allow', async () => {
    use();
    await post({ kind: 'latency', delayMs: 1, id: 'x' });
    for (const [path, method, allow] of [
      [PREFIX, 'PUT', 'GET, POST, DELETE'],
      [PREFIX, 'PATCH', 'GET, POST, DELETE'],
      [`${PREFIX}/x`, 'POST', 'GET, DELETE'],
      [`${PREFIX}/x`, 'PUT', 'GET, DELETE'],
    ] as const) {
      const res = await admin(path, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.allow, allow);
      assert.equal(res.json.error.code, 'FAULT_ADMIN_BAD_METHOD');
    }
  });

  test('unknown admin paths → 404', async () => {
    use();
    for (const path of [`${PREFIX}/a/b`, `${PREFIX}/%E0%A4%A`, `${PREFIX}/nope`]) {
      const res = await admin(path);
      assert.equal(res.status, 404, path);
      assert.equal(res.json.error.code, 'FAULT_NOT_FOUND');
    }
  });

  test('percent-encoded ids', async () => {
    use();
    await post({ kind: 'latency', delayMs: 1, id: 'game-day.3_a' });
    assert.equal((await admin(`${PREFIX}/game-day%2E3_a`, { method: 'DELETE' })).status, 200);
  });
});

describe('hostile input', () => {
  test('invalid JSON, empty body, invalid UTF-8 → 400 FAULT_ADMIN_BAD_REQUEST', async () => {
    use();
    const bodies: Array<[string | Buffer, RegExp]> = [
      ['{"kind": "latency", ', /not valid JSON/],
      ["{'kind':'latency'}", /not valid JSON/],
      ['', /body is empty/],
      ['   \n', /body is empty/],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not valid UTF-8/],
    ];
    for (const [body, message] of bodies) {
      const res = await admin(PREFIX, { method: 'POST', body });
      assert.equal(res.status, 400, String(body));
      assert.equal(res.json.error.code, 'FAULT_ADMIN_BAD_REQUEST');
      assert.match(res.json.error.message, message);
    }
    assert.deepEqual(injector.list(), []);
  });

  test('bad specs → 400 FAULT_SPEC_INVALID naming the field', async () => {
    use();
    const cases: Array<[unknown, string | undefined, RegExp]> = [
      [{ kind: 'latency', delayMs: -50 }, 'delayMs', /must be a number >= 0/],
      [{ kind: 'latency', delayMs: 600_000 }, 'delayMs', /<= 60000/],
      [{ kind: 'error', status: 200 }, 'status', /from 400 to 599.*got 200/],
      [{ kind: 'error', status: 500, sneaky: true }, 'sneaky', /Unknown field "sneaky"/],
      [{ kind: 'error', status: 500, rate: 0 }, 'rate', /> 0/],
      [{ kind: 'error', status: 500, route: 'no-slash' }, 'route', /start with "\/"/],
      [[1, 2, 3], undefined, /must be an object/],
      ['"latency"', undefined, /must be an object/],
      [null, undefined, /must be an object/],
    ];
    for (const [spec, field, message] of cases) {
      const res = await post(spec);
      assert.equal(res.status, 400, JSON.stringify(spec));
      assert.equal(res.json.error.code, 'FAULT_SPEC_INVALID');
      assert.match(res.json.error.message, message);
      assert.equal(res.json.error.details?.field, field);
    }
    assert.deepEqual(injector.list(), []);
  });

  test('a taken id → 409 FAULT_ID_CONFLICT', async () => {
    use();
    assert.equal((await post({ kind: 'latency', delayMs: 1, id: 'dup' })).status, 201);
    const res = await post({ kind: 'error', status: 500, id: 'dup' });
    assert.equal(res.status, 409);
    assert.equal(res.json.error.code, 'FAULT_ID_CONFLICT');
  });

  test('a body over 64 KiB → 413, declared or streamed; exactly 64 KiB is fine', async () => {
    use();
    const spec = JSON.stringify({ kind: 'latency', delayMs: 1 });
    const exact = spec + ' '.repeat(MAX_FAULT_ADMIN_BODY_BYTES - spec.length);
    assert.equal(Buffer.byteLength(exact), MAX_FAULT_ADMIN_BODY_BYTES);
    assert.equal((await admin(PREFIX, { method: 'POST', body: exact })).status, 201);

    const over = `${exact} `;
    const declared = await admin(PREFIX, { method: 'POST', body: over });
    assert.equal(declared.status, 413);
    assert.equal(declared.json.error.code, 'FAULT_ADMIN_BODY_LIMIT');
    assert.equal(declared.json.error.details.limitBytes, MAX_FAULT_ADMIN_BODY_BYTES);

    const streamed = await admin(PREFIX, {
      method: 'POST',
      body: Buffer.alloc(4 * MAX_FAULT_ADMIN_BODY_BYTES, 0x20),
      chunked: true,
    });
    assert.equal(streamed.status, 413);
    assert.equal(streamed.json.error.code, 'FAULT_ADMIN_BODY_LIMIT');
    assert.equal(injector.list().length, 1);
    // The server is still fine.
    assert.equal((await admin(PREFIX)).status, 200);
  });

  test('a client that goes away mid-body leaves nothing behind', async () => {
    use();
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: PREFIX,
        method: 'POST',
        headers: { ...AUTH, 'content-length': 1000 },
      });
      req.on('error', () => resolve());
      req.write('{"kind":"error",');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 30);
    });
    await sleep(30);
    assert.deepEqual(injector.list(), []);
    assert.equal((await admin(PREFIX)).status, 200);
  });
});
