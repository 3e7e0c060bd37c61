import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { isVigilError } from '@vigil/model';
import { setDiagnosticSink } from '../diag.js';
import { HealthRegistry } from '../health/index.js';
import { Counter, Gauge, Registry } from '../metrics/index.js';
import { FaultInjector, MAX_ACTIVE_FAULTS, MAX_FAULT_DELAY_MS } from './index.js';
import type { FaultInjectorOptions } from './index.js';
import { LEVEL, recordingLogger, sampleValue, seededRandom, sleep } from './testdata/helpers.js';

const DEV = Object.freeze({ NODE_ENV: 'development' });
const PROD = Object.freeze({ NODE_ENV: 'production' });

const injectors: FaultInjector[] = [];
afterEach(() => {
  for (const injector of injectors.splice(0)) injector.close();
  setDiagnosticSink(undefined);
});

/** An enabled injector on a fresh registry, with a recording logger; closed after the test. */
function make(options: FaultInjectorOptions = {}) {
  const registry = new Registry();
  const { logger, lines } = recordingLogger();
  const injector = new FaultInjector({ enabled: true, env: DEV, registry, logger, ...options });
  injectors.push(injector);
  return { injector, registry, lines };
}

/** A stub random source returning `values` in turn (then repeating the last). */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

describe('enabling: off by default, never by accident in production', () => {
  const cases: Array<[string, FaultInjectorOptions, boolean]> = [
    ['nothing set', { env: DEV }, false],
    ['no NODE_ENV, nothing set', { env: {} }, false],
    ['VIGIL_FAULTS_ENABLED=true', { env: { ...DEV, VIGIL_FAULTS_ENABLED: 'true' } }, true],
    ['VIGIL_FAULTS_ENABLED= TRUE ', { env: { VIGIL_FAULTS_ENABLED: ' TRUE ' } }, true],
    ['VIGIL_FAULTS_ENABLED=1 (not "true")', { env: { VIGIL_FAULTS_ENABLED: '1' } }, false],
    ['VIGIL_FAULTS_ENABLED=false', { env: { VIGIL_FAULTS_ENABLED: 'false' } }, false],
    ['option enabled', { enabled: true, env: DEV }, true],
    [
      'option enabled: false beats the variable',
      { enabled: false, env: { VIGIL_FAULTS_ENABLED: 'true' } },
      false,
    ],
    ['production, variable only', { env: { ...PROD, VIGIL_FAULTS_ENABLED: 'true' } }, false],
    ['production, option enabled only', { enabled: true, env: PROD }, false],
    [
      'production, allowInProduction without enabling',
      { allowInProduction: true, env: PROD },
      false,
    ],
    [
      'production, option enabled + allowInProduction',
      { enabled: true, allowInProduction: true, env: PROD },
      true,
    ],
    [
      'production, variable + allowInProduction in code',
      { allowInProduction: true, env: { ...PROD, VIGIL_FAULTS_ENABLED: 'true' } },
      true,
    ],
  ];
  for (const [name, options, enabled] of cases) {
    test(`${name} → ${enabled ? 'enabled' : 'disabled'}`, () => {
      const { logger } = recordingLogger();
      const injector = new FaultInjector({ registry: new Registry(), logger, ...options });
      injectors.push(injector);
      assert.equal(injector.enabled, enabled);
      assert.equal(injector.disabledReason === undefined, enabled);
    });
  }

  test('a production lockout is logged, with the way out', () => {
    const { logger, lines } = recordingLogger();
    const injector = new FaultInjector({ enabled: true, env: PROD, logger });
    assert.equal(injector.enabled, false);
    assert.match(injector.disabledReason!, /NODE_ENV=production/);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, LEVEL.warn);
    assert.equal(lines[0]!.code, 'FAULT_INJECTION_DISABLED');
    assert.match(lines[0]!.msg, /allowInProduction: true/);
  });

  test('an unrecognised VIGIL_FAULTS_ENABLED value is reported and leaves it off', () => {
    const { logger, lines } = recordingLogger();
    const injector = new FaultInjector({ env: { VIGIL_FAULTS_ENABLED: 'yes' }, logger });
    assert.equal(injector.enabled, false);
    assert.equal(lines[0]!.code, 'CONFIG_INVALID');
    assert.match(lines[0]!.msg, /VIGIL_FAULTS_ENABLED must be "true" or "false", got "yes"/);
  });

  test('the default environment is process.env', () => {
    // The test runner does not set VIGIL_FAULTS_ENABLED.
    assert.equal(process.env.VIGIL_FAULTS_ENABLED, undefined);
    assert.equal(new FaultInjector({ registry: new Registry() }).enabled, false);
  });

  test('a disabled injector is inert: no decision, add refused, no metric registered', async () => {
    const registry = new Registry();
    const injector = new FaultInjector({ env: DEV, registry });
    assert.equal(injector.decide('GET', '/'), undefined);
    assert.throws(
      () => injector.add({ kind: 'error', status: 500 }),
      (err: unknown) =>
        isVigilError(err, 'FAULT_INJECTION_DISABLED') && /not enabled/.test(err.message),
    );
    assert.deepEqual(injector.list(), []);
    assert.equal(await registry.metrics(), '');
  });

  test('wrong option types are CONFIG_INVALID', () => {
    const bad: unknown[] = [
      null,
      { enabled: 'yes' },
      { allowInProduction: 1 },
      { adminToken: 1234567890123456 },
      { adminPrefix: 'faults' },
      { adminPrefix: '/' },
      { adminPrefix: '/faults/' },
      { adminPrefix: '/a b' },
      { adminPrefix: '/x?y' },
      { random: 0.5 },
      { now: 'now' },
      { injectionLogIntervalMs: -1 },
      { health: {} },
      { health: null },
      { registry: {} },
      { registry: null },
      { logger: null },
      { logger: console.log },
      { env: 'production' },
    ];
    for (const options of bad) {
      assert.throws(
        () => new FaultInjector(options as FaultInjectorOptions),
        (err: unknown) => isVigilError(err, 'CONFIG_INVALID'),
        JSON.stringify(options),
      );
    }
  });
});

describe('decide', () => {
  test('returns undefined when no fault is active', () => {
    const { injector } = make();
    assert.equal(injector.decide('GET', '/api/users/1', '/api/users/:id'), undefined);
    const id = injector.add({ kind: 'latency', delayMs: 10 }).id;
    assert.ok(injector.decide('GET', '/'));
    injector.remove(id);
    assert.equal(injector.decide('GET', '/'), undefined);
  });

  test('a fixed latency fault delays every request', () => {
    const { injector } = make();
    injector.add({ kind: 'latency', delayMs: 250, id: 'slow' });
    const decision = injector.decide('GET', '/anything');
    assert.deepEqual(decision, { delayMs: 250, faultIds: ['slow'] });
    assert.ok(Object.isFrozen(decision));
    assert.equal('errorStatus' in decision, false);
  });

  test('an error fault answers its status; latency and error combine', () => {
    const { injector } = make();
    injector.add({ kind: 'error', status: 503, id: 'boom' });
    assert.deepEqual(injector.decide('POST', '/x'), {
      delayMs: 0,
      errorStatus: 503,
      faultIds: ['boom'],
    });
    injector.add({ kind: 'latency', delayMs: 100, id: 'slow' });
    assert.deepEqual(injector.decide('POST', '/x'), {
      delayMs: 100,
      errorStatus: 503,
      faultIds: ['boom', 'slow'],
    });
  });

  test('latencies add up, capped at MAX_FAULT_DELAY_MS; the first error fault wins', () => {
    const { injector } = make();
    injector.add({ kind: 'latency', delayMs: 40_000, id: 'a' });
    injector.add({ kind: 'latency', delayMs: 30_000, id: 'b' });
    injector.add({ kind: 'error', status: 500, id: 'e1' });
    injector.add({ kind: 'error', status: 502, id: 'e2' });
    assert.deepEqual(injector.decide('GET', '/'), {
      delayMs: MAX_FAULT_DELAY_MS,
      errorStatus: 500,
      faultIds: ['a', 'b', 'e1'],
    });
  });

  test('method scope is case-insensitive', () => {
    const { injector } = make();
    injector.add({ kind: 'error', status: 500, method: 'post' });
    assert.equal(injector.decide('GET', '/x'), undefined);
    assert.equal(injector.decide('POST', '/x')?.errorStatus, 500);
    assert.equal(injector.decide('post', '/x')?.errorStatus, 500);
  });

  test('route scope: the route template when known, else the raw path', () => {
    const { injector } = make();
    injector.add({ kind: 'error', status: 500, route: '/api/users/:id', method: 'GET' });
    // Raw path only.
    assert.equal(injector.decide('GET', '/api/users/42')?.errorStatus, 500);
    assert.equal(injector.decide('GET', '/api/users'), undefined);
    assert.equal(injector.decide('GET', '/api/orders/42'), undefined);
    // Route template known.
    assert.equal(injector.decide('GET', '/api/users/42', '/api/users/:userId')?.errorStatus, 500);
    assert.equal(injector.decide('GET', '/api/users/me', '/api/users/me'), undefined);
    assert.equal(injector.decide('DELETE', '/api/users/42', '/api/users/:id'), undefined);
  });

  test('route wildcard scope', () => {
    const { injector } = make();
    injector.add({ kind: 'latency', delayMs: 5, route: '/api/*' });
    assert.equal(injector.decide('GET', '/api/users/1/posts')?.delayMs, 5);
    assert.equal(injector.decide('GET', '/api/users/1', '/api/users/:id')?.delayMs, 5);
    assert.equal(injector.decide('GET', '/health', '/health'), undefined);
  });

  test('rate: deterministic with a seeded random source', () => {
    const run = (seed: number): boolean[] => {
      const { injector } = make({ random: seededRandom(seed) });
      injector.add({ kind: 'error', status: 500, rate: 0.25 });
      const hits: boolean[] = [];
      for (let i = 0; i < 2000; i++) hits.push(injector.decide('GET', '/') !== undefined);
      return hits;
    };
    const first = run(42);
    assert.deepEqual(run(42), first, 'same seed, same requests failed');
    assert.notDeepEqual(run(7), first);
    // Exactly the draws below 0.25 fail.
    const random = seededRandom(42);
    const expected = first.map(() => random() < 0.25);
    assert.deepEqual(first, expected);
    const failed = first.filter(Boolean).length;
    assert.ok(failed > 400 && failed < 600, `about a quarter failed, got ${failed}`);
  });

  test('rate: a draw at or above the rate spares the request', () => {
    const { injector } = make({ random: sequence(0.5, 0.49, 0.999) });
    injector.add({ kind: 'latency', delayMs: 10, rate: 0.5 });
    assert.equal(injector.decide('GET', '/'), undefined);
    assert.equal(injector.decide('GET', '/')?.delayMs, 10);
    assert.equal(injector.decide('GET', '/'), undefined);
  });

  test('uniform latency spans [minMs, maxMs], rounded to whole ms', () => {
    const { injector } = make({ random: sequence(0, 0.5, 0.9999999) });
    injector.add({ kind: 'latency', distribution: { type: 'uniform', minMs: 100, maxMs: 200 } });
    assert.equal(injector.decide('GET', '/')?.delayMs, 100);
    assert.equal(injector.decide('GET', '/')?.delayMs, 150);
    assert.equal(injector.decide('GET', '/')?.delayMs, 200);
  });

  test('normal latency: mean at the median draw, never negative', () => {
    // u2 = 0.25 makes cos(2πu2) = 0: the draw is the mean.
    const { injector } = make({ random: sequence(0.5, 0.25, 0.999999, 0.5) });
    injector.add({ kind: 'latency', distribution: { type: 'normal', meanMs: 100, stddevMs: 50 } });
    assert.equal(injector.decide('GET', '/')?.delayMs, 100);
    // u1 → 1 - 0.999999, cos(π) = -1: about mean - 5.3 sd, clamped to 0.
    assert.equal(injector.decide('GET', '/')?.delayMs, 0);
  });

  test('exponential latency: mean·ln 2 at the median draw, capped at MAX_FAULT_DELAY_MS', () => {
    const { injector } = make({ random: sequence(0.5, 0.9999999999) });
    injector.add({ kind: 'latency', distribution: { type: 'exponential', meanMs: 10_000 } });
    assert.equal(injector.decide('GET', '/')?.delayMs, Math.round(10_000 * Math.LN2));
    assert.equal(injector.decide('GET', '/')?.delayMs, MAX_FAULT_DELAY_MS);
  });

  test('seeded distributions stay within bounds', () => {
    const { injector } = make({ random: seededRandom(1) });
    injector.add({ kind: 'latency', distribution: { type: 'uniform', minMs: 20, maxMs: 30 } });
    for (let i = 0; i < 1000; i++) {
      const d = injector.decide('GET', '/')!.delayMs;
      assert.ok(d >= 20 && d <= 30 && Number.isInteger(d), String(d));
    }
  });

  test('never throws into the request path', () => {
    const diag: string[] = [];
    setDiagnosticSink({ warn: (_f, m) => diag.push(m), error: (_f, m) => diag.push(m) });
    const { injector } = make({
      random: () => {
        throw new Error('entropy exhausted');
      },
    });
    injector.add({ kind: 'error', status: 500, rate: 0.5 });
    assert.equal(injector.decide('GET', '/'), undefined);
    assert.match(diag.join('\n'), /failed to decide/);
  });
});

describe('add, remove, list', () => {
  test('lists active faults with their state; remove and clear', () => {
    let now = 1_700_000_000_000;
    const { injector } = make({ now: () => now });
    const added = injector.add({
      kind: 'error',
      status: 500,
      id: 'e',
      description: 'checkout errors',
      durationMs: 60_000,
    });
    assert.deepEqual(added, {
      kind: 'error',
      id: 'e',
      description: 'checkout errors',
      durationMs: 60_000,
      status: 500,
      addedAt: now,
      expiresAt: now + 60_000,
      injectedCount: 0,
    });
    now += 1000;
    injector.decide('GET', '/');
    injector.add({ kind: 'latency', delayMs: 1 });
    const list = injector.list();
    assert.equal(list.length, 2);
    assert.equal(list[0]!.injectedCount, 1);
    assert.match(list[1]!.id, /^f-[0-9a-f]{8}$/);
    assert.equal(injector.get('e')?.id, 'e');
    assert.equal(injector.remove('e'), true);
    assert.equal(injector.remove('e'), false);
    assert.equal(injector.get('e'), undefined);
    assert.equal(injector.clear(), 1);
    assert.deepEqual(injector.list(), []);
  });

  test('a taken id is FAULT_ID_CONFLICT; the limit is FAULT_LIMIT_REACHED', () => {
    const { injector } = make();
    injector.add({ kind: 'latency', delayMs: 1, id: 'same' });
    assert.throws(
      () => injector.add({ kind: 'error', status: 500, id: 'same' }),
      (err: unknown) => isVigilError(err, 'FAULT_ID_CONFLICT'),
    );
    for (let i = 1; i < MAX_ACTIVE_FAULTS; i++) injector.add({ kind: 'latency', delayMs: 1 });
    assert.throws(
      () => injector.add({ kind: 'latency', delayMs: 1 }),
      (err: unknown) => isVigilError(err, 'FAULT_LIMIT_REACHED'),
    );
  });

  test('a bad spec is FAULT_SPEC_INVALID and adds nothing', () => {
    const { injector } = make();
    assert.throws(
      () => injector.add({ kind: 'error', status: 200 }),
      (err: unknown) => isVigilError(err, 'FAULT_SPEC_INVALID'),
    );
    assert.deepEqual(injector.list(), []);
    assert.equal(injector.decide('GET', '/'), undefined);
  });

  test('faults expire on their own after durationMs', async () => {
    const { injector, registry, lines } = make();
    injector.add({ kind: 'error', status: 503, id: 'short', durationMs: 30 });
    injector.add({ kind: 'latency', delayMs: 5, id: 'long' });
    assert.deepEqual(injector.decide('GET', '/')?.faultIds, ['short', 'long']);
    await sleep(80);
    assert.deepEqual(injector.decide('GET', '/')?.faultIds, ['long']);
    assert.deepEqual(
      injector.list().map((f) => f.id),
      ['long'],
    );
    const expired = lines.find((l) => l.reason === 'expired');
    assert.equal(expired?.fault, 'short');
    assert.equal(expired?.level, LEVEL.info);
    const text = await registry.metrics();
    assert.equal(sampleValue(text, 'vigil_faults_active{kind="error"}'), 0);
    assert.equal(sampleValue(text, 'vigil_faults_active{kind="latency"}'), 1);
  });

  test('an expired fault stops applying at once, even before its timer runs', () => {
    let now = 1_000_000;
    const { injector } = make({ now: () => now });
    injector.add({ kind: 'error', status: 500, id: 'x', durationMs: 10_000 });
    now += 9_999;
    assert.ok(injector.decide('GET', '/'));
    now += 1;
    assert.equal(injector.decide('GET', '/'), undefined);
    assert.deepEqual(injector.list(), []);
  });

  test('close removes every fault, stops the timers and turns the injector off', () => {
    const { injector } = make();
    injector.add({ kind: 'error', status: 500, durationMs: 60_000 });
    injector.close();
    injector.close();
    assert.equal(injector.enabled, false);
    assert.equal(injector.disabledReason, 'closed');
    assert.equal(injector.decide('GET', '/'), undefined);
    assert.deepEqual(injector.list(), []);
    assert.throws(
      () => injector.add({ kind: 'latency', delayMs: 1 }),
      (err: unknown) => isVigilError(err, 'FAULT_INJECTION_DISABLED') && /closed/.test(err.message),
    );
  });
});

describe('metrics', () => {
  test('vigil_faults_injected_total{kind,fault} and vigil_faults_active{kind}', async () => {
    const { injector, registry } = make({ random: sequence(0.1, 0.9) });
    let text = await registry.metrics();
    for (const kind of ['latency', 'error', 'dependency']) {
      assert.equal(sampleValue(text, `vigil_faults_active{kind="${kind}"}`), 0);
    }
    injector.add({ kind: 'error', status: 500, id: 'e', rate: 0.5 });
    injector.add({ kind: 'latency', delayMs: 10, id: 'l', method: 'GET' });
    injector.decide('GET', '/'); // e fires (0.1), l fires
    injector.decide('GET', '/'); // e spared (0.9), l fires
    injector.decide('POST', '/'); // e spared, l out of scope
    text = await registry.metrics();
    assert.equal(sampleValue(text, 'vigil_faults_injected_total{kind="error",fault="e"}'), 1);
    assert.equal(sampleValue(text, 'vigil_faults_injected_total{kind="latency",fault="l"}'), 2);
    assert.equal(sampleValue(text, 'vigil_faults_active{kind="error"}'), 1);
    assert.equal(sampleValue(text, 'vigil_faults_active{kind="latency"}'), 1);
    injector.remove('e');
    text = await registry.metrics();
    assert.equal(sampleValue(text, 'vigil_faults_active{kind="error"}'), 0);
    // The count stays, so a practice incident can be told apart afterwards.
    assert.equal(sampleValue(text, 'vigil_faults_injected_total{kind="error",fault="e"}'), 1);
  });

  test('injectors on one registry share the metrics', async () => {
    const registry = new Registry();
    const a = new FaultInjector({
      enabled: true,
      env: DEV,
      registry,
      logger: recordingLogger().logger,
    });
    const b = new FaultInjector({
      enabled: true,
      env: DEV,
      registry,
      logger: recordingLogger().logger,
    });
    injectors.push(a, b);
    a.add({ kind: 'error', status: 500, id: 'ea' });
    b.add({ kind: 'error', status: 500, id: 'eb' });
    a.decide('GET', '/');
    b.decide('GET', '/');
    const text = await registry.metrics();
    assert.equal(sampleValue(text, 'vigil_faults_active{kind="error"}'), 2);
    assert.equal(sampleValue(text, 'vigil_faults_injected_total{kind="error",fault="ea"}'), 1);
    assert.equal(sampleValue(text, 'vigil_faults_injected_total{kind="error",fault="eb"}'), 1);
  });

  test('an existing counter of the name is reused', async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'vigil_faults_injected_total',
      help: 'pre-registered',
      labelNames: ['kind', 'fault'] as const,
      registry,
    });
    const { injector } = make({ registry });
    injector.add({ kind: 'latency', delayMs: 1, id: 'l' });
    injector.decide('GET', '/');
    assert.equal(counter.get({ kind: 'latency', fault: 'l' }), 1);
    assert.match(await registry.metrics(), /# HELP vigil_faults_injected_total pre-registered/);
  });

  test('a clashing metric of the name is left alone; injection still works and says so', () => {
    const diag: string[] = [];
    setDiagnosticSink({ warn: (_f, m) => diag.push(m), error: (_f, m) => diag.push(m) });
    const registry = new Registry();
    new Gauge({ name: 'vigil_faults_injected_total', help: 'not ours', registry });
    new Counter({ name: 'vigil_faults_active', help: 'not ours either', registry });
    const { injector } = make({ registry });
    injector.add({ kind: 'error', status: 500 });
    assert.equal(injector.decide('GET', '/')?.errorStatus, 500);
    assert.equal(diag.filter((m) => /could not be registered/.test(m)).length, 2);
  });
});

describe('logging', () => {
  test('added at warn with the spec; removed at info with the counts', () => {
    const { injector, lines } = make();
    lines.length = 0;
    injector.add({ kind: 'error', status: 502, id: 'e', route: '/api/*', method: 'GET' });
    assert.equal(lines[0]!.level, LEVEL.warn);
    assert.equal(lines[0]!.msg, 'Fault e (error) added: status 502 on GET /api/*');
    assert.equal(lines[0]!.source, 'code');
    assert.deepEqual(lines[0]!.spec, {
      kind: 'error',
      id: 'e',
      method: 'GET',
      route: '/api/*',
      status: 502,
    });
    injector.add({ kind: 'latency', delayMs: 5, id: 'l', durationMs: 1000, rate: 0.5 });
    assert.equal(
      lines[1]!.msg,
      'Fault l (latency) added: 5 ms delay on any method any route at rate 0.5 for 1000 ms',
    );
    injector.clear();
    assert.deepEqual(
      lines.slice(2).map((l): unknown[] => [l.level, l.fault, l.reason, l.msg]),
      [
        [LEVEL.info, 'e', 'cleared', 'Fault e (error) cleared after 0 injection(s)'],
        [LEVEL.info, 'l', 'cleared', 'Fault l (latency) cleared after 0 injection(s)'],
      ],
    );
  });

  test('first injection at warn, then at most one line per interval with a count', () => {
    let now = 0;
    const { injector, lines } = make({ now: () => now, injectionLogIntervalMs: 10_000 });
    injector.add({ kind: 'latency', delayMs: 1, id: 'l' });
    lines.length = 0;
    injector.decide('GET', '/a', '/a');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, LEVEL.warn);
    assert.equal(lines[0]!.fault_injection, true);
    assert.equal(lines[0]!.component, 'vigil.faults');
    assert.deepEqual(
      [lines[0]!.fault, lines[0]!.kind, lines[0]!.method, lines[0]!.path, lines[0]!.route],
      ['l', 'latency', 'GET', '/a', '/a'],
    );
    for (let i = 0; i < 500; i++) {
      now += 10;
      injector.decide('GET', '/a');
    }
    assert.equal(lines.length, 1, 'no flood within the interval');
    now = 10_000;
    injector.decide('GET', '/a');
    assert.equal(lines.length, 2);
    assert.equal(lines[1]!.level, LEVEL.info);
    assert.equal(lines[1]!.injected, 501);
    assert.equal(lines[1]!.injected_total, 502);
    now += 1;
    injector.decide('GET', '/a');
    injector.remove('l');
    const removed = lines.at(-1)!;
    assert.equal(removed.reason, 'removed');
    assert.equal(removed.injected, 1);
    assert.equal(removed.injected_total, 503);
  });

  test('without a logger, enabling and adding go to the SDK diagnostics', () => {
    const diag: string[] = [];
    setDiagnosticSink({ warn: (_f, m) => diag.push(m), error: (_f, m) => diag.push(m) });
    const injector = new FaultInjector({ enabled: true, env: DEV, registry: new Registry() });
    injectors.push(injector);
    injector.add({ kind: 'latency', delayMs: 1, id: 'l' });
    injector.decide('GET', '/');
    assert.match(diag[0]!, /Fault injection is enabled \(no admin endpoint/);
    assert.match(diag[1]!, /Fault l \(latency\) added/);
    assert.match(diag[2]!, /injected for the first time/);
  });
});

describe('dependency faults', () => {
  function withHealth() {
    const health = new HealthRegistry({ version: '1', cacheTtlMs: 60_000 });
    let realChecks = 0;
    health.register({ name: 'database', check: () => void realChecks++ });
    health.register({ name: 'cache', check: () => {}, critical: false });
    const made = make({ health });
    return { ...made, health, realChecks: () => realChecks };
  }

  test('the check fails with the message while the fault is active, and recovers', async () => {
    const { injector, health, registry, realChecks } = withHealth();
    assert.equal((await health.check()).status, 'healthy');
    injector.add({
      kind: 'dependency',
      dependency: 'database',
      message: 'connection refused',
      id: 'db',
    });
    // The cached healthy report is not served: the fault applies at once.
    const down = await health.check();
    assert.equal(down.status, 'unhealthy');
    assert.equal(down.dependencies.database!.status, 'down');
    assert.equal(down.dependencies.database!.error, 'connection refused (injected fault db)');
    assert.equal(down.dependencies.cache!.status, 'up');
    assert.deepEqual((await health.readiness()).failing, ['database']);
    assert.equal(realChecks(), 1, 'the real check is not run while the fault is active');
    assert.deepEqual(
      injector.decide('GET', '/'),
      undefined,
      'a dependency fault does not touch requests',
    );
    assert.equal(injector.remove('db'), true);
    const up = await health.check();
    assert.equal(up.status, 'healthy');
    assert.equal(realChecks(), 2);
    const text = await registry.metrics();
    assert.equal(
      sampleValue(text, 'vigil_faults_injected_total{kind="dependency",fault="db"}'),
      1,
      'one failed check run',
    );
    assert.equal(sampleValue(text, 'vigil_faults_active{kind="dependency"}'), 0);
  });

  test('a non-critical dependency makes the service degraded; default message', async () => {
    const { injector, health } = withHealth();
    injector.add({ kind: 'dependency', dependency: 'cache', id: 'c' });
    const report = await health.check();
    assert.equal(report.status, 'degraded');
    assert.equal(report.dependencies.cache!.error, 'dependency unavailable (injected fault c)');
  });

  test('expiry and close release the health check', async () => {
    const { injector, health } = withHealth();
    injector.add({ kind: 'dependency', dependency: 'database', durationMs: 30 });
    assert.equal((await health.check()).status, 'unhealthy');
    await sleep(80);
    assert.equal((await health.check()).status, 'healthy');
    injector.add({ kind: 'dependency', dependency: 'database' });
    assert.equal((await health.check()).status, 'unhealthy');
    injector.close();
    assert.equal((await health.check()).status, 'healthy');
  });

  test('refused without a health registry, or for an unknown check', () => {
    const { injector } = make();
    assert.throws(
      () => injector.add({ kind: 'dependency', dependency: 'database' }),
      (err: unknown) =>
        isVigilError(err, 'FAULT_SPEC_INVALID') && /pass \{ health \}/.test(err.message),
    );
    const { injector: withOne } = withHealth();
    assert.throws(
      () => withOne.add({ kind: 'dependency', dependency: 'redis' }),
      (err: unknown) =>
        isVigilError(err, 'FAULT_SPEC_INVALID') &&
        /No health check named "redis"; registered: "database", "cache"/.test(err.message),
    );
    assert.deepEqual(withOne.list(), []);
  });
});
