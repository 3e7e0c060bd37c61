import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { HealthRegistry, healthHandlers } from './index.js';
import { close, listen, request } from './testdata/http-client.js';

/**
 * One real server on 127.0.0.1 for the whole file; each test swaps in its own
 * health registry through `current`.
 */
let current: HealthRegistry;
let routeHealth: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
const server = http.createServer((req, res) => {
  if (routeHealth(req, res)) return;
  res.statusCode = 404;
  res.end('app route');
});
let port = 0;

function use(health: HealthRegistry): HealthRegistry {
  current = health;
  routeHealth = healthHandlers(current).routeHealth;
  return health;
}

before(async () => {
  port = await listen(server);
});
after(() => close(server));
beforeEach(() => {
  use(new HealthRegistry({ version: '9.9.9', cacheTtlMs: 0 }));
});

function json(body: string): any {
  return JSON.parse(body);
}

describe('GET /health', () => {
  test('healthy: 200, JSON report, no-store', async () => {
    current.register({ name: 'db', check: () => {} });
    const res = await request(port, '/health');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body));
    const body = json(res.body);
    assert.equal(body.status, 'healthy');
    assert.equal(body.version, '9.9.9');
    assert.equal(typeof body.timestamp, 'string');
    assert.equal(typeof body.uptime_seconds, 'number');
    assert.deepEqual(Object.keys(body.dependencies.db).sort(), [
      'critical',
      'latency_ms',
      'status',
    ]);
    assert.equal(body.dependencies.db.status, 'up');
  });

  test('degraded: 200 with the failing non-critical dependency and its error', async () => {
    current.register({ name: 'db', check: () => {} });
    current.register({
      name: 'search',
      critical: false,
      check: () => Promise.reject(new Error('cluster red')),
    });
    const res = await request(port, '/health');
    assert.equal(res.status, 200);
    const body = json(res.body);
    assert.equal(body.status, 'degraded');
    assert.deepEqual(
      { ...body.dependencies.search, latency_ms: 0 },
      { status: 'down', latency_ms: 0, critical: false, error: 'cluster red' },
    );
  });

  test('unhealthy: 503', async () => {
    current.register({ name: 'db', check: () => Promise.reject(new Error('ECONNREFUSED')) });
    const res = await request(port, '/health');
    assert.equal(res.status, 503);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(json(res.body).status, 'unhealthy');
    assert.equal(json(res.body).dependencies.db.error, 'ECONNREFUSED');
  });

  test('a check that never resolves: 503 after its timeout, not a hung probe', async () => {
    current.register({ name: 'db', timeoutMs: 100, check: () => new Promise(() => {}) });
    const started = performance.now();
    const res = await request(port, '/health');
    const elapsed = performance.now() - started;
    assert.equal(res.status, 503);
    assert.equal(json(res.body).dependencies.db.error, 'timed out after 100 ms');
    assert.ok(elapsed >= 95 && elapsed < 1500, `answered after ${elapsed} ms`);
  });

  test('HEAD: same status and headers, no body', async () => {
    current.register({ name: 'db', check: () => Promise.reject(new Error('down')) });
    const res = await request(port, '/health', { method: 'HEAD' });
    assert.equal(res.status, 503);
    assert.equal(res.body, '');
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.ok(Number(res.headers['content-length']) > 0);
  });

  test('other methods: 405 with Allow', async () => {
    for (const path of ['/health', '/livez', '/readyz']) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const res = await request(port, path, { method });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.allow, 'GET, HEAD');
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.match(json(res.body).error, /not allowed/);
      }
    }
  });

  test('100 probes at once run the database check once', async () => {
    // No cache: every probe arrives while the one run is in flight, because
    // the check finishes only once the server has received all 100 requests.
    let calls = 0;
    let received = 0;
    let allReceived = (): void => {};
    const arrived = new Promise<void>((resolve) => (allReceived = resolve));
    const onRequest = (): void => {
      if (++received === 100) allReceived();
    };
    server.on('request', onRequest);
    use(new HealthRegistry({ version: '1', cacheTtlMs: 0 }));
    current.register({
      name: 'db',
      timeoutMs: 10_000,
      check: async () => {
        calls++;
        await arrived;
      },
    });
    try {
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => request(port, '/health')),
      );
      assert.ok(responses.every((r) => r.status === 200));
      assert.equal(calls, 1);
      const timestamps = new Set(responses.map((r) => String(json(r.body).timestamp)));
      assert.equal(timestamps.size, 1, 'all share one report');
    } finally {
      server.off('request', onRequest);
    }
  });

  test('within cacheTtlMs, later probes get the cached report', async () => {
    let calls = 0;
    use(new HealthRegistry({ version: '1', cacheTtlMs: 60_000 }));
    current.register({ name: 'db', check: () => void calls++ });
    const first = await request(port, '/health');
    const second = await request(port, '/health');
    assert.equal(calls, 1);
    assert.equal(json(first.body).timestamp, json(second.body).timestamp);
  });
});

describe('GET /livez and /readyz', () => {
  test('livez is 200 even when dependencies are down, and runs no checks', async () => {
    let calls = 0;
    current.register({
      name: 'db',
      check: () => {
        calls++;
        throw new Error('down');
      },
    });
    const res = await request(port, '/livez');
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = json(res.body);
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.uptime_seconds, 'number');
    assert.equal(calls, 0);
  });

  test('readyz: 200 when critical dependencies are up, non-critical ones do not matter', async () => {
    current.register({ name: 'db', check: () => {} });
    current.register({
      name: 'search',
      critical: false,
      check: () => Promise.reject(new Error('x')),
    });
    const res = await request(port, '/readyz');
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(json(res.body).status, 'ready');
    assert.deepEqual(json(res.body).failing, []);
  });

  test('readyz: 503 naming the critical dependencies that are down', async () => {
    current.register({ name: 'db', check: () => Promise.reject(new Error('x')) });
    current.register({ name: 'cache', check: () => {} });
    const res = await request(port, '/readyz');
    assert.equal(res.status, 503);
    assert.deepEqual(json(res.body), {
      status: 'not_ready',
      timestamp: json(res.body).timestamp,
      failing: ['db'],
    });
  });

  test('readyz during shutdown: 503 at once; livez stays 200', async () => {
    current.register({ name: 'db', check: () => {} });
    assert.equal((await request(port, '/readyz')).status, 200);
    current.markShuttingDown();
    const res = await request(port, '/readyz');
    assert.equal(res.status, 503);
    assert.equal(json(res.body).status, 'shutting_down');
    assert.equal((await request(port, '/readyz', { method: 'HEAD' })).status, 503);
    assert.equal((await request(port, '/livez')).status, 200);
  });
});

describe('routeHealth', () => {
  test('answers the three paths with any query string and leaves the rest alone', async () => {
    assert.equal((await request(port, '/health?verbose=1')).status, 200);
    assert.equal((await request(port, '/livez?x')).status, 200);
    assert.equal((await request(port, '/readyz?')).status, 200);
    for (const path of ['/', '/healthz', '/health/', '/health/db', '/users', '/livez/x']) {
      const res = await request(port, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body, 'app route');
    }
  });

  test('the handlers can also be mounted one by one', async () => {
    const { readyz } = healthHandlers(current);
    const own = http.createServer((req, res) => readyz(req, res));
    const ownPort = await listen(own);
    try {
      const res = await request(ownPort, '/anything');
      assert.equal(res.status, 200);
      assert.equal(json(res.body).status, 'ready');
    } finally {
      await close(own);
    }
  });
});
