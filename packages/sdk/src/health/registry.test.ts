import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isVigilError } from '@vigil/model';
import { setDiagnosticSink } from '../diag.js';
import { Counter, Registry } from '../metrics/index.js';
import { HealthRegistry, MAX_ERROR_LENGTH } from './index.js';
import { describeError } from './registry.js';
import type { HealthLogger } from './index.js';
import { sleep } from './testdata/http-client.js';

function invalidCode(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => isVigilError(err, 'HEALTH_CHECK_INVALID'));
}

/** A check that stays pending until `release()` is called. */
function gate(): {
  check: (signal: AbortSignal) => Promise<void>;
  release: () => void;
  calls: number;
  signals: AbortSignal[];
} {
  let release = (): void => {};
  const state = {
    calls: 0,
    signals: [] as AbortSignal[],
    check: (signal: AbortSignal) => {
      state.calls++;
      state.signals.push(signal);
      return new Promise<void>((resolve) => (release = resolve));
    },
    release: () => release(),
  };
  return state;
}

function recordingLogger(): HealthLogger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  return {
    lines,
    info: (_f, m) => lines.push(['info', m]),
    warn: (_f, m) => lines.push(['warn', m]),
    error: (_f, m) => lines.push(['error', m]),
  };
}

describe('HealthRegistry.register validation', () => {
  test('rejects bad names, checks, timeouts and flags with HEALTH_CHECK_INVALID', () => {
    const h = new HealthRegistry({ version: '1' });
    const ok = () => true;
    invalidCode(() => h.register({ name: '', check: ok }));
    invalidCode(() => h.register({ name: '   ', check: ok }));
    invalidCode(() => h.register({ name: 42 as any, check: ok }));
    invalidCode(() => h.register({ name: 'db', check: 'SELECT 1' as any }));
    invalidCode(() => h.register({ name: 'db', check: ok, timeoutMs: 0 }));
    invalidCode(() => h.register({ name: 'db', check: ok, timeoutMs: -5 }));
    invalidCode(() => h.register({ name: 'db', check: ok, timeoutMs: Number.NaN }));
    invalidCode(() => h.register({ name: 'db', check: ok, timeoutMs: Infinity }));
    invalidCode(() => h.register({ name: 'db', check: ok, timeoutMs: 2 ** 31 }));
    invalidCode(() => h.register({ name: 'db', check: ok, critical: 'yes' as any }));
    invalidCode(() => h.register(undefined as any));
    h.register({ name: 'db', check: ok });
    invalidCode(() => h.register({ name: 'db', check: ok }));
    assert.deepEqual(h.names, ['db']);
  });

  test('rejects bad registry options', () => {
    invalidCode(() => new HealthRegistry(undefined as any));
    invalidCode(() => new HealthRegistry({} as any));
    invalidCode(() => new HealthRegistry({ version: '1', cacheTtlMs: -1 }));
    invalidCode(() => new HealthRegistry({ version: '1', cacheTtlMs: Number.NaN }));
  });

  test('unregister removes a check and reports whether it existed', async () => {
    const h = new HealthRegistry({ version: '1' });
    h.register({ name: 'a', check: () => {} });
    h.register({ name: 'b', check: () => {} });
    assert.equal(h.unregister('a'), true);
    assert.equal(h.unregister('a'), false);
    assert.deepEqual(Object.keys((await h.check()).dependencies), ['b']);
  });
});

describe('HealthRegistry.check', () => {
  test('all up: healthy report in the documented shape', async () => {
    const h = new HealthRegistry({ version: '2.3.4' });
    h.register({ name: 'db', check: () => Promise.resolve('pong') });
    h.register({ name: 'cache', check: () => undefined, critical: false });
    const report = await h.check();
    assert.deepEqual(Object.keys(report).sort(), [
      'dependencies',
      'status',
      'timestamp',
      'uptime_seconds',
      'version',
    ]);
    assert.equal(report.status, 'healthy');
    assert.equal(report.version, '2.3.4');
    assert.equal(new Date(report.timestamp).toISOString(), report.timestamp);
    assert.ok(Number.isInteger(report.uptime_seconds) && report.uptime_seconds >= 0);
    assert.deepEqual(Object.keys(report.dependencies), ['db', 'cache']);
    const db = report.dependencies.db!;
    assert.deepEqual(Object.keys(db).sort(), ['critical', 'latency_ms', 'status']);
    assert.equal(db.status, 'up');
    assert.equal(db.critical, true);
    assert.equal(report.dependencies.cache!.critical, false);
    assert.ok(db.latency_ms >= 0 && db.latency_ms < 1000);
    assert.ok(Object.isFrozen(report) && Object.isFrozen(report.dependencies));
  });

  test('no checks registered: healthy with no dependencies', async () => {
    const report = await new HealthRegistry({ version: '1' }).check();
    assert.equal(report.status, 'healthy');
    assert.deepEqual(report.dependencies, {});
  });

  test('a failing non-critical dependency degrades; a failing critical one makes it unhealthy', async () => {
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
    h.register({ name: 'db', check: () => {} });
    h.register({
      name: 'search',
      critical: false,
      check: () => {
        throw new Error('search cluster is red');
      },
    });
    let report = await h.check();
    assert.equal(report.status, 'degraded');
    assert.deepEqual(report.dependencies.search, {
      status: 'down',
      latency_ms: report.dependencies.search!.latency_ms,
      critical: false,
      error: 'search cluster is red',
    });
    h.register({
      name: 'queue',
      check: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:5672')),
    });
    report = await h.check();
    assert.equal(report.status, 'unhealthy');
    assert.equal(report.dependencies.queue!.error, 'ECONNREFUSED 127.0.0.1:5672');
    assert.equal(report.dependencies.db!.status, 'up');
  });

  test('error messages are one line, truncated, without stacks', async () => {
    const h = new HealthRegistry({ version: '1' });
    const long = new Error('x'.repeat(5000));
    const multiline = new Error('connection lost\n    at Socket.onEnd (net.js:1:1)\n    at foo');
    h.register({ name: 'long', check: () => Promise.reject(long) });
    h.register({ name: 'multi', check: () => Promise.reject(multiline) });
    h.register({
      name: 'string',
      check: () => {
        throw 'plain string'; // eslint-disable-line @typescript-eslint/only-throw-error
      },
    });
    h.register({
      name: 'empty',
      check: () => Promise.reject(Object.assign(new Error(''), { code: 'ECONNRESET' })),
    });
    h.register({
      name: 'aggregate',
      check: () =>
        Promise.reject(new AggregateError([new Error('v4 refused'), new Error('v6 refused')], '')),
    });
    const deps = (await h.check()).dependencies;
    assert.equal(deps.long!.error!.length, MAX_ERROR_LENGTH);
    assert.ok(deps.long!.error!.endsWith('…'));
    assert.equal(deps.multi!.error, 'connection lost');
    assert.equal(deps.string!.error, 'plain string');
    assert.equal(deps.empty!.error, 'ECONNRESET');
    assert.equal(deps.aggregate!.error, 'v4 refused; v6 refused');
    for (const dep of Object.values(deps)) {
      assert.ok(!dep.error!.includes('\n') && !dep.error!.includes(' at '), dep.error);
    }
  });

  test('describeError copes with hostile values', () => {
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    assert.equal(describeError(hostile), 'check failed with a value that cannot be described');
    assert.equal(describeError(undefined), 'non-error value thrown: undefined');
    assert.equal(describeError(new Error('\n')), 'check failed');
  });

  test('checks run concurrently', async () => {
    const h = new HealthRegistry({ version: '1' });
    for (const name of ['a', 'b', 'c', 'd']) h.register({ name, check: () => sleep(100) });
    const started = performance.now();
    const report = await h.check();
    const elapsed = performance.now() - started;
    assert.equal(report.status, 'healthy');
    assert.ok(elapsed < 300, `four 100 ms checks took ${elapsed} ms`);
  });

  test('a check that never settles times out, is aborted, and is not piled up', async () => {
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
    const stuck = gate();
    h.register({ name: 'db', check: stuck.check, timeoutMs: 50 });
    const started = performance.now();
    const first = await h.check();
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 45 && elapsed < 1000, `timed out after ${elapsed} ms`);
    assert.equal(first.status, 'unhealthy');
    assert.equal(first.dependencies.db!.status, 'down');
    assert.equal(first.dependencies.db!.error, 'timed out after 50 ms');
    assert.ok(first.dependencies.db!.latency_ms >= 45);
    assert.equal(stuck.signals[0]!.aborted, true);
    assert.ok(isVigilError(stuck.signals[0]!.reason, 'HEALTH_CHECK_TIMEOUT'));

    // While the abandoned attempt hangs, the check is not started again.
    const second = await h.check();
    assert.equal(stuck.calls, 1);
    assert.equal(second.dependencies.db!.status, 'down');
    assert.match(second.dependencies.db!.error!, /still running/);

    // Its late result is ignored: the reports already given stay as they were.
    stuck.release();
    await sleep(0);
    assert.equal(first.dependencies.db!.status, 'down');
    // Once it settled, the next run starts the check again.
    const third = h.check();
    assert.equal(stuck.calls, 2);
    stuck.release();
    assert.equal((await third).status, 'healthy');
  });

  test('a late rejection of a timed-out check is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const h = new HealthRegistry({ version: '1' });
      h.register({
        name: 'late',
        timeoutMs: 20,
        check: () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 60)),
      });
      assert.equal((await h.check()).dependencies.late!.error, 'timed out after 20 ms');
      await sleep(100);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('HealthRegistry caching and stampede protection', () => {
  test('concurrent callers share one run: 100 callers, one call per check', async () => {
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
    let calls = 0;
    h.register({
      name: 'db',
      check: async () => {
        calls++;
        await sleep(30);
      },
    });
    const reports = await Promise.all(Array.from({ length: 100 }, () => h.check()));
    assert.equal(calls, 1);
    assert.ok(reports.every((r) => r === reports[0]));
  });

  test('a finished report is served from cache for cacheTtlMs', async () => {
    let clock = 1_000_000;
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 1000, now: () => clock });
    let calls = 0;
    h.register({ name: 'db', check: () => void calls++ });
    const first = await h.check();
    clock += 999;
    assert.equal(await h.check(), first);
    assert.equal(calls, 1);
    clock += 1;
    const second = await h.check();
    assert.notEqual(second, first);
    assert.equal(calls, 2);
    assert.equal(second.timestamp, new Date(clock).toISOString());
  });

  test('register and unregister invalidate the cache', async () => {
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 60_000 });
    h.register({ name: 'a', check: () => {} });
    await h.check();
    h.register({ name: 'b', check: () => {} });
    assert.deepEqual(Object.keys((await h.check()).dependencies), ['a', 'b']);
    h.unregister('a');
    assert.deepEqual(Object.keys((await h.check()).dependencies), ['b']);
  });
});

describe('HealthRegistry readiness and liveness', () => {
  test('ready only when every critical dependency is up', async () => {
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
    let dbUp = true;
    h.register({
      name: 'db',
      check: () => {
        if (!dbUp) throw new Error('down');
      },
    });
    h.register({ name: 'search', critical: false, check: () => Promise.reject(new Error('red')) });
    assert.deepEqual(
      { ...(await h.readiness()), timestamp: '' },
      {
        status: 'ready',
        timestamp: '',
        failing: [],
      },
    );
    dbUp = false;
    const r = await h.readiness();
    assert.equal(r.status, 'not_ready');
    assert.deepEqual(r.failing, ['db']);
  });

  test('markShuttingDown fails readiness at once, without running checks', async () => {
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
    let calls = 0;
    h.register({ name: 'db', check: () => void calls++ });
    h.markShuttingDown();
    assert.equal(h.shuttingDown, true);
    assert.equal((await h.readiness()).status, 'shutting_down');
    assert.equal(calls, 0);
    assert.equal(h.liveness().status, 'ok');
  });

  test('a shutdown that starts while checks run still fails readiness', async () => {
    const h = new HealthRegistry({ version: '1' });
    const g = gate();
    h.register({ name: 'db', check: g.check });
    const pending = h.readiness();
    h.markShuttingDown();
    g.release();
    assert.equal((await pending).status, 'shutting_down');
  });
});

describe('HealthRegistry logging', () => {
  test('logs state changes only: down at warn, recovery at info', async () => {
    const logger = recordingLogger();
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0, logger });
    let up = true;
    h.register({
      name: 'db',
      check: () => {
        if (!up) throw new Error('refused');
      },
    });
    await h.check();
    await h.check();
    assert.deepEqual(logger.lines, []);
    up = false;
    await h.check();
    await h.check();
    up = true;
    await h.check();
    assert.deepEqual(logger.lines, [
      ['warn', 'health check "db" failed: refused'],
      ['info', 'health check "db" recovered'],
    ]);
  });

  test('a throwing logger does not break checks', async () => {
    const bad: HealthLogger = {
      info: () => {
        throw new Error('x');
      },
      warn: () => {
        throw new Error('x');
      },
      error: () => {
        throw new Error('x');
      },
    };
    const h = new HealthRegistry({ version: '1', logger: bad });
    h.register({ name: 'db', check: () => Promise.reject(new Error('down')) });
    const diagnostics: string[] = [];
    setDiagnosticSink({
      warn: (_f, m) => void diagnostics.push(m),
      error: (_f, m) => void diagnostics.push(m),
    });
    try {
      assert.equal((await h.check()).status, 'unhealthy');
    } finally {
      setDiagnosticSink(undefined);
    }
    assert.deepEqual(diagnostics, ['the health logger threw; state change not logged']);
  });
});

describe('HealthRegistry metrics', () => {
  test('exports dependency up, check duration and status gauges', async () => {
    const registry = new Registry();
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0, registry });
    h.register({ name: 'db', check: () => sleep(20) });
    h.register({ name: 'search', critical: false, check: () => Promise.reject(new Error('red')) });
    await h.check();
    const text = await registry.metrics();
    assert.match(text, /^vigil_health_dependency_up\{dependency="db",critical="true"\} 1$/m);
    assert.match(text, /^vigil_health_dependency_up\{dependency="search",critical="false"\} 0$/m);
    assert.match(text, /^vigil_health_status\{status="healthy"\} 0$/m);
    assert.match(text, /^vigil_health_status\{status="degraded"\} 1$/m);
    assert.match(text, /^vigil_health_status\{status="unhealthy"\} 0$/m);
    const duration = /^vigil_health_check_duration_seconds\{dependency="db"\} (\S+)$/m.exec(text);
    assert.ok(duration, text);
    const seconds = Number(duration[1]);
    assert.ok(seconds >= 0.015 && seconds < 1, `duration ${seconds}`);
    assert.match(text, /^# TYPE vigil_health_dependency_up gauge$/m);

    h.unregister('search');
    await h.check();
    const after = await registry.metrics();
    assert.doesNotMatch(after, /dependency="search"/);
    assert.match(after, /^vigil_health_status\{status="healthy"\} 1$/m);
  });

  test('two health registries share one metrics registry without double registration', async () => {
    const registry = new Registry();
    const a = new HealthRegistry({ version: '1', registry });
    const b = new HealthRegistry({ version: '1', registry });
    a.register({ name: 'db', check: () => {} });
    b.register({ name: 'cache', critical: false, check: () => {} });
    await Promise.all([a.check(), b.check()]);
    const text = await registry.metrics();
    assert.match(text, /^vigil_health_dependency_up\{dependency="db",critical="true"\} 1$/m);
    assert.match(text, /^vigil_health_dependency_up\{dependency="cache",critical="false"\} 1$/m);
    assert.equal(text.match(/^# TYPE vigil_health_status gauge$/gm)?.length, 1);
  });

  test('a clashing metric of another type is refused with METRIC_ALREADY_REGISTERED', () => {
    const registry = new Registry();
    new Counter({ name: 'vigil_health_status', help: 'not a gauge', registry });
    assert.throws(
      () => new HealthRegistry({ version: '1', registry }),
      (err: unknown) => isVigilError(err, 'METRIC_ALREADY_REGISTERED'),
    );
  });
});

describe('HealthRegistry.forceDown', () => {
  test('refuses an unknown check or a message that is not a string', () => {
    const h = new HealthRegistry({ version: '1' });
    h.register({ name: 'db', check: () => {} });
    invalidCode(() => h.forceDown('redis', 'down'));
    invalidCode(() => h.forceDown('db', 42 as any));
  });

  test('reports the check down with the message, without running it, until released', async () => {
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 60_000 });
    let runs = 0;
    h.register({ name: 'db', check: () => void runs++ });
    assert.equal((await h.check()).status, 'healthy');
    const release = h.forceDown('db', 'connection refused\nat line 2');
    // The cached healthy report is dropped at once.
    const down = await h.check();
    assert.equal(down.status, 'unhealthy');
    assert.deepEqual(down.dependencies.db, {
      status: 'down',
      latency_ms: 0,
      critical: true,
      error: 'connection refused',
    });
    assert.equal((await h.readiness()).status, 'not_ready');
    assert.equal(runs, 1);
    release();
    release();
    assert.equal((await h.check()).status, 'healthy');
    assert.equal(runs, 2);
  });

  test('overrides stack: the newest message, down until every one is released', async () => {
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
    h.register({ name: 'db', check: () => {} });
    const first = h.forceDown('db', 'first');
    const second = h.forceDown('db', 'second');
    assert.equal((await h.check()).dependencies.db!.error, 'second');
    second();
    assert.equal((await h.check()).dependencies.db!.error, 'first');
    first();
    assert.equal((await h.check()).dependencies.db!.status, 'up');
  });

  test('onApplied is called once per run that the override decides; a throw is contained', async () => {
    const diag: string[] = [];
    setDiagnosticSink({ warn: (_f, m) => diag.push(m), error: (_f, m) => diag.push(m) });
    try {
      const h = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
      h.register({ name: 'db', check: () => {} });
      let applied = 0;
      const release = h.forceDown('db', 'down', () => applied++);
      await h.check();
      await h.check();
      assert.equal(applied, 2);
      release();
      await h.check();
      assert.equal(applied, 2);
      h.forceDown('db', 'down', () => {
        throw new Error('counter broke');
      });
      assert.equal((await h.check()).dependencies.db!.status, 'down');
      assert.match(diag.join('\n'), /onApplied callback threw/);
    } finally {
      setDiagnosticSink(undefined);
    }
  });

  test('is kept by name across unregister and register', async () => {
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0 });
    h.register({ name: 'db', check: () => {} });
    const release = h.forceDown('db', 'down');
    h.unregister('db');
    h.register({ name: 'db', check: () => {} });
    assert.equal((await h.check()).dependencies.db!.status, 'down');
    release();
    assert.equal((await h.check()).dependencies.db!.status, 'up');
  });

  test('state changes are logged and exported like real failures', async () => {
    const logger = recordingLogger();
    const registry = new Registry();
    const h = new HealthRegistry({ version: '1', cacheTtlMs: 0, logger, registry });
    h.register({ name: 'db', check: () => {} });
    await h.check();
    const release = h.forceDown('db', 'injected');
    await h.check();
    assert.match(
      await registry.metrics(),
      /^vigil_health_dependency_up\{dependency="db",critical="true"\} 0$/m,
    );
    release();
    await h.check();
    assert.deepEqual(logger.lines, [
      ['warn', 'health check "db" failed: injected'],
      ['info', 'health check "db" recovered'],
    ]);
  });
});
