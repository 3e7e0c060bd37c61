import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isVigilError } from '@vigil/model';
import { Counter, Gauge, Registry } from '../metrics/index.js';
import { resetDiagnosticsOnce, setDiagnosticSink } from '../diag.js';
import {
  collectProcessMetrics,
  DEFAULT_GC_DURATION_BUCKETS,
  PROCESS_METRIC_NAMES,
  watchResources,
} from './index.js';
import { oncePerTurn } from './event-loop.js';
import { parseMaxFds, parseProcStatus } from './proc-fs.js';
import { busyBlock, labelSetsOf, typeOf, valueOf } from './testdata/scrape.js';

const LINUX = process.platform === 'linux';
const LINUX_ONLY = new Set([
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'process_max_fds',
]);

const EXPECTED_TYPES: Record<string, string> = {
  process_cpu_user_seconds_total: 'counter',
  process_cpu_system_seconds_total: 'counter',
  process_cpu_seconds_total: 'counter',
  process_start_time_seconds: 'gauge',
  process_resident_memory_bytes: 'gauge',
  process_virtual_memory_bytes: 'gauge',
  process_heap_bytes: 'gauge',
  process_open_fds: 'gauge',
  process_max_fds: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  nodejs_eventloop_lag_min_seconds: 'gauge',
  nodejs_eventloop_lag_max_seconds: 'gauge',
  nodejs_eventloop_lag_mean_seconds: 'gauge',
  nodejs_eventloop_lag_stddev_seconds: 'gauge',
  nodejs_eventloop_lag_p50_seconds: 'gauge',
  nodejs_eventloop_lag_p90_seconds: 'gauge',
  nodejs_eventloop_lag_p99_seconds: 'gauge',
  nodejs_eventloop_utilization_ratio: 'gauge',
  nodejs_active_handles: 'gauge',
  nodejs_active_handles_total: 'gauge',
  nodejs_active_requests: 'gauge',
  nodejs_active_requests_total: 'gauge',
  nodejs_active_resources: 'gauge',
  nodejs_active_resources_total: 'gauge',
  nodejs_heap_size_total_bytes: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
  nodejs_external_memory_bytes: 'gauge',
  nodejs_heap_space_size_total_bytes: 'gauge',
  nodejs_heap_space_size_used_bytes: 'gauge',
  nodejs_heap_space_size_available_bytes: 'gauge',
  nodejs_version_info: 'gauge',
  nodejs_gc_duration_seconds: 'histogram',
};

/** A registry with process metrics; stops them when the test ends. */
function withMetrics(
  t: { after(fn: () => void): void },
  options: Parameters<typeof collectProcessMetrics>[0] = {},
): { registry: Registry; handle: ReturnType<typeof collectProcessMetrics> } {
  const registry = options.registry ?? new Registry();
  // activeTotals on, so that the tests cover every metric there is.
  const handle = collectProcessMetrics({ activeTotals: true, ...options, registry });
  t.after(() => handle.stop());
  return { registry, handle };
}

/** Forces a full GC: exposes `gc` at run time (the test runner passes no flags). */
function forceGc(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
}

/**
 * Scrapes until `ready(text)` holds (GC entries reach observers
 * asynchronously, later on a loaded machine), at most `timeoutMs`.
 */
async function scrapeUntil(
  registry: Registry,
  ready: (text: string) => boolean,
  timeoutMs = 3000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await registry.metrics();
    if (ready(text) || Date.now() > deadline) return text;
    await sleep(10);
  }
}

function must(value: number | undefined, what: string): number {
  assert.notEqual(value, undefined, `${what} missing from the scrape`);
  return value!;
}

describe('collectProcessMetrics', () => {
  test('every metric is in a real scrape with the right TYPE', async (t) => {
    const { registry, handle } = withMetrics(t);
    assert.deepEqual(Object.keys(EXPECTED_TYPES).sort(), [...PROCESS_METRIC_NAMES].sort());
    const text = await registry.metrics();
    for (const [name, type] of Object.entries(EXPECTED_TYPES)) {
      if (!LINUX && LINUX_ONLY.has(name)) {
        assert.equal(typeOf(text, name), undefined, `${name} should be absent off Linux`);
        continue;
      }
      assert.equal(typeOf(text, name), type, `TYPE of ${name}`);
      assert.ok(handle.metricNames.includes(name), `${name} in handle.metricNames`);
    }
  });

  test('values are plausible', async (t) => {
    const { registry } = withMetrics(t);
    const text = await registry.metrics();
    const nowSeconds = Date.now() / 1000;

    assert.ok(must(valueOf(text, 'process_resident_memory_bytes'), 'rss') > 1e6);
    const start = must(valueOf(text, 'process_start_time_seconds'), 'start time');
    assert.ok(start <= nowSeconds, 'start time not in the future');
    assert.ok(Math.abs(start - (nowSeconds - process.uptime())) < 2, 'start time = now - uptime');

    const user = must(valueOf(text, 'process_cpu_user_seconds_total'), 'user cpu');
    const system = must(valueOf(text, 'process_cpu_system_seconds_total'), 'system cpu');
    const total = must(valueOf(text, 'process_cpu_seconds_total'), 'cpu total');
    assert.ok(user > 0 && system >= 0);
    // One cpuUsage() snapshot per scrape feeds all three counters.
    assert.ok(Math.abs(total - (user + system)) < 1e-6, `${total} = ${user} + ${system}`);

    const heapTotal = must(valueOf(text, 'nodejs_heap_size_total_bytes'), 'heap total');
    const heapUsed = must(valueOf(text, 'nodejs_heap_size_used_bytes'), 'heap used');
    assert.ok(heapUsed > 0 && heapUsed <= heapTotal);
    assert.ok(must(valueOf(text, 'nodejs_external_memory_bytes'), 'external') > 0);
    assert.ok(
      must(valueOf(text, 'nodejs_heap_space_size_used_bytes', { space: 'old' }), 'old space') > 0,
    );
    for (const which of ['total', 'used', 'available']) {
      const spaces = labelSetsOf(text, `nodejs_heap_space_size_${which}_bytes`);
      assert.ok(spaces.length >= 3, `${which}: ${spaces.join(' ')}`);
      assert.ok(spaces.every((s) => /^space="[a-z_]+"$/.test(s) && !s.includes('_space"')));
    }

    const [major, minor, patch] = process.versions.node.split('.');
    assert.equal(
      valueOf(text, 'nodejs_version_info', {
        version: `v${process.versions.node}`,
        major: major!,
        minor: minor!,
        patch: patch!,
      }),
      1,
    );
    assert.deepEqual(labelSetsOf(text, 'nodejs_version_info'), [
      `version="${process.version}",major="${major}",minor="${minor}",patch="${patch}"`,
    ]);

    const lag = must(valueOf(text, 'nodejs_eventloop_lag_seconds'), 'lag');
    assert.ok(lag >= 0 && lag < 1, `lag ${lag}`);
    const elu = must(valueOf(text, 'nodejs_eventloop_utilization_ratio'), 'elu');
    assert.ok(elu >= 0 && elu <= 1, `elu ${elu}`);

    if (LINUX) {
      const open = must(valueOf(text, 'process_open_fds'), 'open fds');
      const max = must(valueOf(text, 'process_max_fds'), 'max fds');
      assert.ok(open > 0 && open < max, `open ${open}, max ${max}`);
      assert.ok(must(valueOf(text, 'process_virtual_memory_bytes'), 'vsize') > 1e6);
      assert.ok(must(valueOf(text, 'process_heap_bytes'), 'heap (VmData)') > 1e6);
    }
  });

  test('OpenMetrics: CPU counters are families with _created at process start', async (t) => {
    const { registry } = withMetrics(t);
    const text = await registry.metrics({ format: 'openmetrics' });
    assert.ok(text.endsWith('# EOF\n'));
    const start = must(valueOf(text, 'process_start_time_seconds'), 'start');
    for (const family of ['process_cpu_user_seconds', 'process_cpu_seconds']) {
      assert.equal(typeOf(text, family), 'counter');
      assert.ok(valueOf(text, `${family}_total`)! > 0);
      assert.ok(Math.abs(valueOf(text, `${family}_created`)! - start) < 0.01, family);
    }
  });

  test('counters only go up between scrapes', async (t) => {
    const { registry } = withMetrics(t);
    const first = await registry.metrics();
    busyBlock(20);
    const second = await registry.metrics();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_cpu_system_seconds_total',
      'process_cpu_seconds_total',
    ]) {
      assert.ok(must(valueOf(second, name), name) >= must(valueOf(first, name), name), name);
    }
    assert.ok(
      valueOf(second, 'process_cpu_seconds_total')! -
        valueOf(first, 'process_cpu_seconds_total')! >=
        0.01,
      'a 20 ms busy block shows up as CPU time',
    );
  });

  test('active handles, requests and resources are counted by type', async (t) => {
    const { registry } = withMetrics(t);
    const keepAlive = setInterval(() => {}, 60_000);
    t.after(() => clearInterval(keepAlive));
    const text = await registry.metrics();
    const resources = labelSetsOf(text, 'nodejs_active_resources');
    assert.ok(resources.includes('type="Timeout"'), resources.join(' '));
    const sumResources = resources.reduce(
      (sum, labels) =>
        sum + valueOf(text, 'nodejs_active_resources', { type: labels.slice(6, -1) })!,
      0,
    );
    assert.equal(sumResources, valueOf(text, 'nodejs_active_resources_total'));
    assert.ok(must(valueOf(text, 'nodejs_active_handles_total'), 'handles total') >= 0);
    assert.ok(must(valueOf(text, 'nodejs_active_requests_total'), 'requests total') >= 0);

    // Types that went away disappear at the next scrape.
    clearInterval(keepAlive);
    const later = await registry.metrics();
    assert.ok(!labelSetsOf(later, 'nodejs_active_resources').includes('type="Timeout"'));
  });

  test('the GC histogram gets observations after a forced GC, with the default buckets', async (t) => {
    const { registry } = withMetrics(t);
    forceGc();
    const text = await scrapeUntil(
      registry,
      (x) => valueOf(x, 'nodejs_gc_duration_seconds_count', { kind: 'major' }) !== undefined,
    );
    assert.ok(
      must(valueOf(text, 'nodejs_gc_duration_seconds_count', { kind: 'major' }), 'major count') >=
        1,
    );
    assert.ok(valueOf(text, 'nodejs_gc_duration_seconds_sum', { kind: 'major' })! > 0);
    const les = labelSetsOf(text, 'nodejs_gc_duration_seconds_bucket')
      .filter((l) => l.startsWith('kind="major"'))
      .map((l) => l.slice('kind="major",le="'.length, -1));
    assert.deepEqual(les, [...DEFAULT_GC_DURATION_BUCKETS.map(String), '+Inf']);
    for (const labels of labelSetsOf(text, 'nodejs_gc_duration_seconds_count')) {
      assert.match(labels, /^kind="(major|minor|incremental|weakcb)"$/);
    }
  });

  test('custom GC buckets and prefix apply', async (t) => {
    const { registry, handle } = withMetrics(t, { prefix: 'app_', gcDurationBuckets: [0.5, 1] });
    assert.ok(handle.metricNames.every((n) => n.startsWith('app_')));
    forceGc();
    const text = await scrapeUntil(
      registry,
      (x) => valueOf(x, 'app_nodejs_gc_duration_seconds_count', { kind: 'major' }) !== undefined,
    );
    assert.equal(typeOf(text, 'app_process_cpu_seconds_total'), 'counter');
    assert.equal(typeOf(text, 'process_cpu_seconds_total'), undefined);
    assert.ok(valueOf(text, 'app_nodejs_gc_duration_seconds_bucket', { le: '0.5' })! >= 1);
    assert.equal(
      valueOf(text, 'app_nodejs_gc_duration_seconds_bucket', { le: '0.001' }),
      undefined,
    );
  });

  test('event-loop lag statistics reflect a 50 ms busy block, then reset', async (t) => {
    const { registry } = withMetrics(t, { eventLoopMonitoringPrecisionMs: 10 });
    await sleep(30);
    await registry.metrics(); // starts a fresh window
    // Node drops the first delay interval after each reset; let it pass.
    await sleep(30);
    busyBlock(50);
    await sleep(30); // let the monitor's timer record the late tick
    const text = await registry.metrics();
    const max = must(valueOf(text, 'nodejs_eventloop_lag_max_seconds'), 'lag max');
    const p99 = must(valueOf(text, 'nodejs_eventloop_lag_p99_seconds'), 'lag p99');
    const min = must(valueOf(text, 'nodejs_eventloop_lag_min_seconds'), 'lag min');
    const mean = must(valueOf(text, 'nodejs_eventloop_lag_mean_seconds'), 'lag mean');
    assert.ok(max >= 0.045, `max ${max}`);
    assert.ok(p99 >= 0.045, `p99 ${p99}`);
    assert.ok(min <= mean && mean <= max, `${min} <= ${mean} <= ${max}`);
    assert.ok(must(valueOf(text, 'nodejs_eventloop_utilization_ratio'), 'elu') > 0.2);

    // The window was reset by that scrape: a quiet interval does not show the block.
    await sleep(60);
    const quiet = await registry.metrics();
    assert.ok(valueOf(quiet, 'nodejs_eventloop_lag_max_seconds')! < max);
  });

  test('calling twice on one registry reuses the metrics and does not throw', async (t) => {
    const registry = new Registry();
    const first = collectProcessMetrics({ registry });
    const second = collectProcessMetrics({ registry });
    t.after(() => {
      first.stop();
      second.stop();
    });
    assert.deepEqual(second.metricNames, first.metricNames);
    const text = await registry.metrics();
    for (const name of first.metricNames) {
      assert.equal(text.split(`# TYPE ${name} `).length, 2, `${name} exposed once`);
    }
    // A second prefix on the same registry is a second, separate set.
    const prefixed = collectProcessMetrics({ registry, prefix: 'other_' });
    t.after(() => prefixed.stop());
    assert.equal(typeOf(await registry.metrics(), 'other_process_cpu_seconds_total'), 'counter');
  });

  test('metrics come back after registry.clear() on the next call', async (t) => {
    const registry = new Registry();
    const first = collectProcessMetrics({ registry });
    t.after(() => first.stop());
    registry.clear();
    assert.equal(typeOf(await registry.metrics(), 'process_cpu_seconds_total'), undefined);
    const again = collectProcessMetrics({ registry });
    t.after(() => again.stop());
    assert.equal(typeOf(await registry.metrics(), 'process_cpu_seconds_total'), 'counter');
  });

  test('a name taken by another metric is skipped with one diagnostic, not thrown', async (t) => {
    const warnings: Array<Record<string, unknown>> = [];
    resetDiagnosticsOnce();
    setDiagnosticSink({ warn: (f) => void warnings.push(f), error: (f) => void warnings.push(f) });
    t.after(() => setDiagnosticSink(undefined));
    const registry = new Registry();
    const mine = new Gauge({ name: 'nodejs_version_info', help: 'Mine.', registry });
    mine.set(42);
    new Counter({ name: 'process_cpu_seconds', help: 'Also mine.', registry });
    const handle = collectProcessMetrics({ registry });
    t.after(() => handle.stop());
    assert.ok(!handle.metricNames.includes('nodejs_version_info'));
    assert.ok(!handle.metricNames.includes('process_cpu_seconds_total'));
    const text = await registry.metrics();
    assert.equal(valueOf(text, 'nodejs_version_info'), 42);
    assert.equal(typeOf(text, 'process_resident_memory_bytes'), 'gauge');
    const clashes = warnings.filter((w) => w.code === 'METRIC_ALREADY_REGISTERED');
    assert.deepEqual(clashes.map((w) => w.metric).sort(), [
      'nodejs_version_info',
      'process_cpu_seconds_total',
    ]);
  });

  test('rejects invalid options', () => {
    const bad: unknown[] = [
      { eventLoopMonitoringPrecisionMs: 0 },
      { eventLoopMonitoringPrecisionMs: 1.5 },
      { prefix: 3 },
      { activeTotals: 'yes' },
      { gcDurationBuckets: 'fast' },
    ];
    for (const options of bad) {
      assert.throws(
        () => collectProcessMetrics({ registry: new Registry(), ...(options as object) }),
        (err: unknown) => isVigilError(err, 'METRIC_OPTIONS_INVALID'),
        JSON.stringify(options),
      );
    }
    assert.throws(
      () => collectProcessMetrics({ registry: new Registry(), gcDurationBuckets: [2, 1] }),
      (err: unknown) => isVigilError(err, 'HISTOGRAM_BUCKETS_INVALID'),
    );
    assert.throws(
      () => collectProcessMetrics({ registry: new Registry(), prefix: 'bad-prefix' }),
      (err: unknown) => isVigilError(err, 'METRIC_NAME_INVALID'),
    );
  });

  test('stop() leaves no active resources behind and is idempotent', async () => {
    // Immediates come and go with the test runner's own work; the rest must match.
    const resources = (): string[] =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r !== 'Immediate')
        .sort();
    const before = resources();
    const registry = new Registry();
    const a = collectProcessMetrics({ registry });
    const b = collectProcessMetrics({ registry });
    const watch = watchResources({ registry, intervalMs: 5 });
    await registry.metrics();
    await sleep(20);
    a.stop();
    a.stop();
    b.stop();
    watch.stop();
    watch.stop();
    await sleep(5);
    assert.deepEqual(resources(), before);
    // Scrapes after stop() still work.
    assert.equal(typeOf(await registry.metrics(), 'process_cpu_seconds_total'), 'counter');
  });

  test('after the last stop() the GC observer and delay monitor are disconnected; a new call reconnects them', async () => {
    const registry = new Registry();
    const gcCount = (text: string): number =>
      valueOf(text, 'nodejs_gc_duration_seconds_count', { kind: 'major' }) ?? 0;
    const a = collectProcessMetrics({ registry });
    const b = collectProcessMetrics({ registry });
    a.stop();
    forceGc(); // b still holds the observer
    const seen = gcCount(await scrapeUntil(registry, (x) => gcCount(x) >= 1));
    assert.ok(seen >= 1);
    b.stop();
    await sleep(20);
    await registry.metrics();
    const lagBefore = valueOf(await registry.metrics(), 'nodejs_eventloop_lag_max_seconds');
    forceGc();
    busyBlock(30);
    await sleep(100);
    const after = await registry.metrics();
    assert.equal(gcCount(after), seen, 'no GC observed after stop()');
    assert.equal(valueOf(after, 'nodejs_eventloop_lag_max_seconds'), lagBefore, 'lag frozen');

    const c = collectProcessMetrics({ registry });
    try {
      forceGc();
      const text = await scrapeUntil(registry, (x) => gcCount(x) > seen);
      assert.ok(gcCount(text) > seen, 'observed again after a new call');
    } finally {
      c.stop();
    }
  });

  for (const mode of ['stop', 'nostop'] as const) {
    test(`a process using them exits by itself (${mode})`, async () => {
      const script = fileURLToPath(new URL('./testdata/exit-check.js', import.meta.url));
      const child = spawn(process.execPath, [script, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const started = Date.now();
      const code = await new Promise<number | null>((resolve) => {
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.on('exit', (c) => {
          clearTimeout(killer);
          resolve(c);
        });
      });
      assert.equal(code, 0, `exit code; stderr: ${err}`);
      assert.equal(out, 'scraped\n');
      assert.ok(Date.now() - started < 5000, 'exited promptly');
    });
  }
});

describe('promtool check metrics', () => {
  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  const available = promtool.error === undefined && promtool.status === 0;
  const skip = available
    ? false
    : process.env.CI
      ? false
      : 'promtool not found (install Debian package "prometheus"); skipped outside CI';

  async function fullScrape(activeTotals: boolean | undefined): Promise<string> {
    const registry = new Registry();
    const handle = collectProcessMetrics(
      activeTotals === undefined ? { registry } : { registry, activeTotals },
    );
    const watch = watchResources({ registry, intervalMs: 60_000 });
    try {
      forceGc();
      watch.check();
      return await scrapeUntil(registry, (x) => x.includes('nodejs_gc_duration_seconds_bucket'));
    } finally {
      handle.stop();
      watch.stop();
    }
  }

  function check(text: string): { status: number | null; output: string } {
    const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (result.error) {
      throw new Error(
        `promtool could not run (required when CI is set; install Debian package "prometheus"): ` +
          result.error.message,
        { cause: result.error },
      );
    }
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  test('a full scrape with the default options passes with exit 0', { skip }, async () => {
    const text = await fullScrape(undefined);
    assert.ok(!text.includes('nodejs_active_handles_total'));
    assert.ok(text.includes('nodejs_gc_duration_seconds_bucket'));
    assert.ok(text.includes('vigil_resource_pressure{'));
    const { status, output } = check(text);
    assert.equal(status, 0, output);
  });

  test(
    'with activeTotals the prom-client *_total gauges are the only findings',
    { skip },
    async () => {
      const { status, output } = check(await fullScrape(true));
      const findings = output.trim().split('\n').sort();
      assert.deepEqual(findings, [
        'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
        'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
        'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
      ]);
      assert.notEqual(status, 0);
    },
  );
});

describe('helpers', () => {
  test('parseProcStatus reads VmSize, VmRSS and VmData in bytes', () => {
    const text =
      'Name:\tnode\nVmPeak:\t 2000 kB\nVmSize:\t 1000 kB\nVmRSS:\t  200 kB\nVmData:\t 300 kB\n';
    assert.deepEqual(parseProcStatus(text), {
      virtualBytes: 1000 * 1024,
      residentBytes: 200 * 1024,
      dataBytes: 300 * 1024,
    });
    assert.ok(Number.isNaN(parseProcStatus('Name:\tnode\n').residentBytes));
  });

  test('parseMaxFds reads the soft limit', () => {
    const head = 'Limit                     Soft Limit           Hard Limit           Units     \n';
    assert.equal(
      parseMaxFds(
        head + 'Max open files            1024                 524288               files\n',
      ),
      1024,
    );
    assert.equal(
      parseMaxFds(
        head + 'Max open files            unlimited            unlimited            files\n',
      ),
      Infinity,
    );
    assert.ok(Number.isNaN(parseMaxFds(head)));
  });

  test('oncePerTurn computes once per synchronous turn', async () => {
    let calls = 0;
    const read = oncePerTurn(() => ++calls);
    assert.equal(read(), 1);
    assert.equal(read(), 1);
    await Promise.resolve();
    assert.equal(read(), 2);
  });
});
