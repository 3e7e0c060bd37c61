import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { isVigilError } from '@vigil/model';
import { Gauge, Registry } from '../metrics/index.js';
import { resetDiagnosticsOnce, setDiagnosticSink } from '../diag.js';
import {
  defaultResourceThresholds,
  memoryLimitBytes,
  ResourceMetricNames,
  watchResources,
} from './index.js';
import type {
  ResourceLogger,
  ResourceSample,
  ResourceStatus,
  WatchResourcesOptions,
} from './index.js';
import { busyBlock, labelSetsOf, valueOf } from './testdata/scrape.js';

interface Logged {
  level: 'warn' | 'info';
  fields: Record<string, unknown>;
  msg: string;
}

function recorder(): ResourceLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  return {
    lines,
    warn: (fields, msg) => void lines.push({ level: 'warn', fields, msg }),
    info: (fields, msg) => void lines.push({ level: 'info', fields, msg }),
  };
}

/** A watch driven by hand: `set()` the next sample, then `check()`. */
function driven(
  t: { after(fn: () => void): void },
  options: Omit<WatchResourcesOptions, 'sample' | 'logger' | 'registry'> & {
    registry?: Registry;
  } = {},
) {
  let next: ResourceSample = {};
  const logger = recorder();
  const registry = options.registry ?? new Registry();
  const watch = watchResources({
    intervalMs: 3_600_000,
    ...options,
    registry,
    logger,
    sample: () => next,
  });
  t.after(() => watch.stop());
  return {
    watch,
    logger,
    registry,
    step: (sample: ResourceSample): ResourceStatus[] => {
      next = sample;
      return watch.check();
    },
  };
}

async function pressure(registry: Registry, resource: string): Promise<number | undefined> {
  return valueOf(await registry.metrics(), ResourceMetricNames.pressure, { resource });
}

describe('watchResources', () => {
  test('one WARN on crossing, none while over, one INFO on recovery; gauges follow', async (t) => {
    const { step, logger, registry } = driven(t, {
      thresholds: { heapUsedRatio: 0.8, rssBytes: false, eventLoopLagP99Seconds: false },
    });
    step({ heapUsedRatio: 0.5 });
    assert.equal(logger.lines.length, 0);
    assert.equal(await pressure(registry, 'heap_used_ratio'), 0);

    step({ heapUsedRatio: 0.85 });
    step({ heapUsedRatio: 0.95 });
    step({ heapUsedRatio: 0.9 });
    assert.equal(logger.lines.length, 1);
    const warn = logger.lines[0]!;
    assert.equal(warn.level, 'warn');
    assert.deepEqual(warn.fields, {
      event: 'resource_pressure',
      resource: 'heap_used_ratio',
      value: 0.85,
      threshold: 0.8,
      unit: 'ratio',
    });
    assert.match(warn.msg, /heap_used_ratio is 85\.0 %, over the threshold of 80\.0 %/);
    assert.equal(await pressure(registry, 'heap_used_ratio'), 1);

    const states = step({ heapUsedRatio: 0.5 });
    step({ heapUsedRatio: 0.4 });
    assert.equal(logger.lines.length, 2);
    const info = logger.lines[1]!;
    assert.equal(info.level, 'info');
    assert.equal(info.fields.event, 'resource_recovered');
    assert.equal(info.fields.resource, 'heap_used_ratio');
    assert.equal(info.fields.value, 0.5);
    assert.equal(info.fields.threshold, 0.8);
    assert.equal(info.fields.unit, 'ratio');
    assert.equal(typeof info.fields.overForMs, 'number');
    assert.equal(await pressure(registry, 'heap_used_ratio'), 0);
    const heap = states.find((s) => s.resource === 'heap_used_ratio')!;
    assert.equal(heap.over, false);
    assert.equal(heap.value, 0.5);
    assert.equal(typeof heap.changedAt, 'number');
  });

  test('hysteresis: values hovering around the threshold do not flap', (t) => {
    const { step, logger, watch } = driven(t, {
      thresholds: { eventLoopLagP99Seconds: 0.2 },
    });
    const lag = watch.status().find((s) => s.resource === 'event_loop_lag_p99_seconds')!;
    assert.equal(lag.recoverAt, 0.2 * 0.9);
    for (const value of [0.21, 0.199, 0.201, 0.19, 0.205, 0.181, 0.25, 0.185]) {
      step({ eventLoopLagP99Seconds: value });
    }
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ['warn'],
    );
    step({ eventLoopLagP99Seconds: 0.18 }); // at recoverAt: recovered
    step({ eventLoopLagP99Seconds: 0.19 }); // in the band: stays recovered
    step({ eventLoopLagP99Seconds: 0.2 }); // equal to the threshold: not over
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ['warn', 'info'],
    );
    step({ eventLoopLagP99Seconds: 0.3 });
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ['warn', 'info', 'warn'],
    );
  });

  test('hysteresisRatio 0 recovers at the threshold itself', (t) => {
    const { step, logger } = driven(t, { thresholds: { rssBytes: 1000 }, hysteresisRatio: 0 });
    step({ rssBytes: 1001 });
    step({ rssBytes: 1000 });
    assert.deepEqual(
      logger.lines.map((l) => [l.level, l.fields.unit]),
      [
        ['warn', 'bytes'],
        ['info', 'bytes'],
      ],
    );
  });

  test('resources are independent, and the threshold gauge shows each threshold', async (t) => {
    const { step, logger, registry } = driven(t, {
      thresholds: {
        rssBytes: 1e9,
        heapUsedRatio: 0.7,
        eventLoopLagP99Seconds: 0.1,
        openFdsRatio: 0.5,
      },
    });
    step({ rssBytes: 2e9, heapUsedRatio: 0.1, eventLoopLagP99Seconds: 0.5, openFdsRatio: 0.1 });
    assert.deepEqual(logger.lines.map((l) => l.fields.resource).sort(), [
      'event_loop_lag_p99_seconds',
      'rss_bytes',
    ]);
    const text = await registry.metrics();
    const expected: Record<string, [number, number]> = {
      rss_bytes: [1, 1e9],
      heap_used_ratio: [0, 0.7],
      event_loop_lag_p99_seconds: [1, 0.1],
      open_fds_ratio: [0, 0.5],
    };
    for (const [resource, [p, threshold]] of Object.entries(expected)) {
      assert.equal(valueOf(text, ResourceMetricNames.pressure, { resource }), p, resource);
      assert.equal(valueOf(text, ResourceMetricNames.threshold, { resource }), threshold, resource);
    }
  });

  test('a resource turned off with false has no series and is never logged', async (t) => {
    const { step, logger, registry, watch } = driven(t, { thresholds: { openFdsRatio: false } });
    step({ openFdsRatio: 1 });
    assert.equal(logger.lines.length, 0);
    assert.ok(!watch.status().some((s) => s.resource === 'open_fds_ratio'));
    const sets = labelSetsOf(await registry.metrics(), ResourceMetricNames.pressure);
    assert.ok(!sets.includes('resource="open_fds_ratio"'), sets.join(' '));
    assert.equal(sets.length, 3);
  });

  test('missing values change nothing', (t) => {
    const { step, logger } = driven(t, { thresholds: { heapUsedRatio: 0.5 } });
    step({ heapUsedRatio: 0.9 });
    const states = step({});
    step({ heapUsedRatio: NaN });
    assert.equal(logger.lines.length, 1);
    const heap = states.find((s) => s.resource === 'heap_used_ratio')!;
    assert.equal(heap.value, undefined);
    assert.equal(heap.over, true);
  });

  test('the timer samples every intervalMs until stop()', async () => {
    let calls = 0;
    const watch = watchResources({
      intervalMs: 10,
      registry: false,
      logger: recorder(),
      sample: () => {
        calls++;
        return {};
      },
    });
    await sleep(80);
    watch.stop();
    const atStop = calls;
    assert.ok(atStop >= 2, `sampled ${atStop} times`);
    await sleep(40);
    assert.equal(calls, atStop);
  });

  test('a throwing sampler or logger never reaches the host; reported once', (t) => {
    const warnings: Array<Record<string, unknown>> = [];
    resetDiagnosticsOnce();
    setDiagnosticSink({ warn: (f) => void warnings.push(f), error: (f) => void warnings.push(f) });
    t.after(() => setDiagnosticSink(undefined));
    let fail = true;
    const watch = watchResources({
      registry: false,
      intervalMs: 3_600_000,
      thresholds: { heapUsedRatio: 0.5 },
      logger: {
        warn: () => {
          throw new Error('logger down');
        },
        info: () => {
          throw new Error('logger down');
        },
      },
      sample: () => {
        if (fail) throw new Error('sampler down');
        return { heapUsedRatio: 0.9 };
      },
    });
    t.after(() => watch.stop());
    watch.check();
    watch.check();
    fail = false;
    const states = watch.check();
    assert.equal(states.find((s) => s.resource === 'heap_used_ratio')!.over, true);
    assert.equal(warnings.length, 2, JSON.stringify(warnings));
    assert.ok(warnings.every((w) => w.code === 'COLLECT_FAILED'));
  });

  test('without a logger, WARN goes to the SDK diagnostics', (t) => {
    const warnings: Array<Record<string, unknown>> = [];
    setDiagnosticSink({ warn: (f) => void warnings.push(f), error: (f) => void warnings.push(f) });
    t.after(() => setDiagnosticSink(undefined));
    let value = 0.9;
    const watch = watchResources({
      registry: false,
      intervalMs: 3_600_000,
      thresholds: { heapUsedRatio: 0.5 },
      sample: () => ({ heapUsedRatio: value }),
    });
    t.after(() => watch.stop());
    watch.check();
    value = 0.1;
    watch.check();
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.event, 'resource_pressure');
  });

  test('the built-in sampler gives plausible values', async (t) => {
    const watch = watchResources({ registry: false, intervalMs: 3_600_000, logger: recorder() });
    t.after(() => watch.stop());
    await sleep(40);
    const states = Object.fromEntries(watch.check().map((s) => [s.resource, s]));
    assert.ok(states.rss_bytes!.value! > 1e6);
    const heap = states.heap_used_ratio!.value!;
    assert.ok(heap > 0 && heap < 1, `heap ${heap}`);
    const lag = states.event_loop_lag_p99_seconds!.value!;
    assert.ok(lag > 0 && lag < 1, `lag ${lag}`);
    if (process.platform === 'linux') {
      const fds = states.open_fds_ratio!.value!;
      assert.ok(fds > 0 && fds < 1, `fds ${fds}`);
    }
  });

  test('the built-in sampler sees a real event-loop stall', async (t) => {
    const logger = recorder();
    const watch = watchResources({
      registry: false,
      intervalMs: 3_600_000,
      logger,
      thresholds: { eventLoopLagP99Seconds: 0.03 },
    });
    t.after(() => watch.stop());
    await sleep(20);
    watch.check(); // fresh window
    await sleep(30); // Node drops the first delay interval after each reset
    busyBlock(60);
    await sleep(30);
    watch.check();
    const warn = logger.lines.find((l) => l.fields.resource === 'event_loop_lag_p99_seconds');
    assert.ok(warn, JSON.stringify(logger.lines));
    assert.ok((warn.fields.value as number) >= 0.045);
    // Quiet windows bring it back (a few tries: a loaded machine has hiccups too).
    const recovered = (): boolean =>
      logger.lines.some(
        (l) => l.level === 'info' && l.fields.resource === 'event_loop_lag_p99_seconds',
      );
    for (let i = 0; i < 20 && !recovered(); i++) {
      await sleep(60);
      watch.check();
    }
    assert.ok(recovered(), JSON.stringify(logger.lines));
  });

  test('defaults', () => {
    const defaults = defaultResourceThresholds();
    assert.equal(defaults.rssBytes, Math.floor(memoryLimitBytes() * 0.9));
    assert.deepEqual(
      { ...defaults, rssBytes: 0 },
      { rssBytes: 0, heapUsedRatio: 0.9, eventLoopLagP99Seconds: 0.25, openFdsRatio: 0.8 },
    );
    const watch = watchResources({ registry: false, sample: () => ({}) });
    watch.stop();
    const byName = Object.fromEntries(watch.status().map((s) => [s.resource, s]));
    assert.equal(byName.heap_used_ratio!.threshold, 0.9);
    assert.ok(Math.abs(byName.heap_used_ratio!.recoverAt - 0.81) < 1e-12);
  });

  test('two watches on one registry share the gauges; a foreign metric is tolerated', async (t) => {
    const registry = new Registry();
    const a = driven(t, { registry, thresholds: { rssBytes: 10 } });
    const b = driven(t, { registry, thresholds: { rssBytes: 10 } });
    b.step({ rssBytes: 100 });
    assert.equal(await pressure(registry, 'rss_bytes'), 1);
    a.step({ rssBytes: 1 });
    assert.equal(await pressure(registry, 'rss_bytes'), 1); // a never entered pressure

    const warnings: Array<Record<string, unknown>> = [];
    resetDiagnosticsOnce();
    setDiagnosticSink({ warn: (f) => void warnings.push(f), error: (f) => void warnings.push(f) });
    t.after(() => setDiagnosticSink(undefined));
    const other = new Registry();
    new Gauge({ name: ResourceMetricNames.pressure, help: 'Not ours.', registry: other });
    const c = driven(t, { registry: other });
    assert.doesNotThrow(() => c.step({ rssBytes: 1 }));
    assert.deepEqual(
      warnings.map((w) => [w.code, w.metric]),
      [['METRIC_ALREADY_REGISTERED', ResourceMetricNames.pressure]],
    );
  });

  test('rejects invalid options with CONFIG_INVALID', () => {
    const bad: unknown[] = [
      { intervalMs: 0 },
      { intervalMs: NaN },
      { hysteresisRatio: 1 },
      { hysteresisRatio: -0.1 },
      { thresholds: { heapUsedRatio: 1.5 } },
      { thresholds: { openFdsRatio: 0 } },
      { thresholds: { rssBytes: -1 } },
      { thresholds: { rssBytes: Infinity } },
      { thresholds: { cpu: 0.5 } },
      { thresholds: 'low' },
      { logger: { warn() {} } },
      { sample: 42 },
    ];
    for (const options of bad) {
      assert.throws(
        () => watchResources({ registry: false, ...(options as object) }),
        (err: unknown) => isVigilError(err, 'CONFIG_INVALID'),
        JSON.stringify(options),
      );
    }
  });
});
