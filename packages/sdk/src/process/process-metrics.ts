/**
 * Process and Node.js runtime metrics under prom-client's default names,
 * types and label sets, so that the existing "Node.js" Grafana dashboards
 * (and alerts written for prom-client) work unchanged against a Vigil
 * registry.
 *
 * Every value is computed at scrape time by the metric's `collect` callback,
 * from cheap in-process sources (`process.cpuUsage()`, `process.memoryUsage()`,
 * V8 heap statistics, a few microseconds of `/proc/self` reads on Linux).
 * Nothing runs between scrapes except two Node facilities that cost nothing
 * while idle: an event-loop delay monitor and a `gc` performance observer.
 */
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import v8 from 'node:v8';
import { ErrorCodes, VigilError } from '@vigil/model';
import { Counter, Gauge, Histogram, defaultRegistry } from '../metrics/index.js';
import type { Registry } from '../metrics/index.js';
import type { Metric } from '../metrics/metric.js';
import { seriesTimeToEpochMs } from '../metrics/series.js';
import type { SeriesBase } from '../metrics/series.js';
import { diagWarnOnce } from '../diag.js';
import { LagMonitor, measureImmediateLag, oncePerTurn } from './event-loop.js';
import type { LagSnapshot } from './event-loop.js';
import { countOpenFds, hasProcFs, readMaxFds, readProcStatus } from './proc-fs.js';

type AnyMetric = Metric<string, SeriesBase>;

/** Buckets of `nodejs_gc_duration_seconds`, in seconds: prom-client's defaults. */
export const DEFAULT_GC_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.01, 0.1, 1, 2, 5,
]);

/** Default resolution of the event-loop delay monitor, in ms (prom-client's default). */
export const DEFAULT_EVENT_LOOP_MONITORING_PRECISION_MS = 10;

/**
 * Every metric name {@link collectProcessMetrics} can register, before the
 * prefix. `process_virtual_memory_bytes`, `process_heap_bytes`,
 * `process_open_fds` and `process_max_fds` exist only where `/proc/self` can
 * be read (Linux); the three `nodejs_active_*_total` gauges only with
 * `activeTotals: true`.
 */
export const PROCESS_METRIC_NAMES: readonly string[] = Object.freeze([
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'process_max_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_eventloop_utilization_ratio',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  'nodejs_version_info',
  'nodejs_gc_duration_seconds',
]);

/** Options of {@link collectProcessMetrics}. */
export interface ProcessMetricsOptions {
  /** Where to register (default: the default registry). */
  registry?: Registry;
  /** Prepended to every metric name, e.g. `"myapp_"` (default none). */
  prefix?: string;
  /** Buckets of `nodejs_gc_duration_seconds`, in seconds (default {@link DEFAULT_GC_DURATION_BUCKETS}). */
  gcDurationBuckets?: readonly number[];
  /**
   * Sampling interval of the event-loop delay monitor behind the
   * `nodejs_eventloop_lag_*` statistics, in ms (integer >= 1, default 10).
   * Delays shorter than this are not seen.
   */
  eventLoopMonitoringPrecisionMs?: number;
  /**
   * Whether to expose the gauges `nodejs_active_handles_total`,
   * `nodejs_active_requests_total` and `nodejs_active_resources_total`
   * (default false). prom-client has them and some dashboards query them by
   * name, but a `_total` suffix on a gauge breaks the naming rule (it marks
   * counters) and `promtool check metrics` rejects the exposition, so they
   * are off unless asked for; `sum(nodejs_active_handles)` gives the same.
   */
  activeTotals?: boolean;
}

/** What {@link collectProcessMetrics} returns. */
export interface ProcessMetricsHandle {
  /** Names of the metrics this call registered or reused, prefix included. */
  readonly metricNames: readonly string[];
  /**
   * Releases this handle. When every handle of the registry (and prefix) is
   * released, the event-loop delay monitor and the GC observer are
   * disconnected; the metrics stay registered, the GC histogram and the lag
   * statistics stop changing, the other values are still computed at scrape
   * time. Calling `collectProcessMetrics` again reconnects them. Idempotent.
   */
  stop(): void;
}

/** Shared state of one (registry, prefix) pair: the metrics and what feeds them. */
class ProcessMetricsState {
  readonly metrics: AnyMetric[] = [];
  refs = 0;
  private readonly lag: LagMonitor;
  private readonly gc: Histogram<'kind'>;
  private gcObserver: PerformanceObserver | undefined;
  private running = false;
  private readonly prefix: string;
  private eluLast: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(prefix: string, options: ProcessMetricsOptions) {
    this.prefix = prefix;
    this.lag = new LagMonitor(
      options.eventLoopMonitoringPrecisionMs ?? DEFAULT_EVENT_LOOP_MONITORING_PRECISION_MS,
    );
    const add = <M extends AnyMetric>(metric: M): M => {
      this.metrics.push(metric);
      return metric;
    };
    const gauge = <L extends string = never>(
      name: string,
      help: string,
      update: (g: Gauge<L>) => void,
      labelNames?: readonly L[],
    ): Gauge<L> => {
      const full = prefix + name;
      return add(
        new Gauge<L>({
          name: full,
          help,
          ...(labelNames ? { labelNames } : {}),
          registry: false,
          collect() {
            guarded(full, () => update(this));
          },
        }),
      );
    };
    const startMs = Date.now() - Math.round(process.uptime() * 1000);
    const counter = (name: string, help: string, read: () => number): void => {
      const full = prefix + name;
      const created = add(
        new Counter({
          name: full,
          help,
          registry: false,
          collect() {
            guarded(full, () => {
              // Counters only go up: add the growth since the last scrape.
              const delta = finite(read(), full) - this.get();
              if (delta > 0) this.inc(delta);
            });
          },
        }),
      );
      // CPU time counts from process start: say so in OpenMetrics' `_created`.
      created.labels().createdAt = startMs - seriesTimeToEpochMs(0);
    };

    // CPU. One process.cpuUsage() per scrape feeds all three counters.
    const cpu = oncePerTurn(() => process.cpuUsage());
    counter(
      'process_cpu_user_seconds_total',
      'User CPU time spent by the process, in seconds.',
      () => cpu().user / 1e6,
    );
    counter(
      'process_cpu_system_seconds_total',
      'System (kernel) CPU time spent by the process, in seconds.',
      () => cpu().system / 1e6,
    );
    counter(
      'process_cpu_seconds_total',
      'User and system CPU time spent by the process, in seconds.',
      () => (cpu().user + cpu().system) / 1e6,
    );

    const startSeconds = startMs / 1000;
    gauge(
      'process_start_time_seconds',
      'Start time of the process, in seconds since the Unix epoch.',
      (g) => g.set(startSeconds),
    );
    gauge('process_resident_memory_bytes', 'Resident memory size of the process, in bytes.', (g) =>
      g.set(process.memoryUsage.rss()),
    );

    if (hasProcFs()) {
      const status = oncePerTurn(readProcStatus);
      gauge(
        'process_virtual_memory_bytes',
        'Virtual memory size of the process (VmSize), in bytes.',
        (g) => g.set(finite(status().virtualBytes, 'VmSize')),
      );
      gauge(
        'process_heap_bytes',
        'Size of the data segment of the process (VmData), in bytes.',
        (g) => g.set(finite(status().dataBytes, 'VmData')),
      );
      gauge('process_open_fds', 'Number of open file descriptors.', (g) => g.set(countOpenFds()));
      gauge(
        'process_max_fds',
        'Maximum number of open file descriptors (soft limit, ulimit -n).',
        (g) => {
          const max = readMaxFds();
          if (Number.isNaN(max)) throw new Error('no "Max open files" line in /proc/self/limits');
          g.set(max);
        },
      );
    }

    // Event-loop lag: the setImmediate delay measured during the scrape, and
    // delay statistics of the monitor since the previous scrape.
    const lagName = prefix + 'nodejs_eventloop_lag_seconds';
    add(
      new Gauge({
        name: lagName,
        help: 'Event-loop lag: how long a setImmediate callback waited during the scrape, in seconds.',
        registry: false,
        collect() {
          // Measure from a microtask, once every other collect of this scrape
          // has run: their own work is then not counted as lag, and the
          // pending Immediate is not counted by nodejs_active_resources.
          return Promise.resolve()
            .then(measureImmediateLag)
            .then(
              (seconds) => this.set(seconds),
              (err: unknown) => reportFailure(lagName, err),
            );
        },
      }),
    );
    const lagWindow = oncePerTurn(() => this.lag.take());
    const lagStats: Array<[string, string, keyof LagStatFields]> = [
      ['min', 'The minimum recorded event-loop delay', 'min'],
      ['max', 'The maximum recorded event-loop delay', 'max'],
      ['mean', 'The mean of the recorded event-loop delays', 'mean'],
      ['stddev', 'The standard deviation of the recorded event-loop delays', 'stddev'],
      ['p50', 'The 50th percentile of the recorded event-loop delays', 'p50'],
      ['p90', 'The 90th percentile of the recorded event-loop delays', 'p90'],
      ['p99', 'The 99th percentile of the recorded event-loop delays', 'p99'],
    ];
    for (const [suffix, help, field] of lagStats) {
      gauge(
        `nodejs_eventloop_lag_${suffix}_seconds`,
        `${help} since the previous scrape, in seconds.`,
        (g) => {
          const window = lagWindow();
          // No sample in the window (scrapes closer than the resolution):
          // keep the previous value rather than expose a meaningless one.
          if (window !== undefined) g.set(window[field]);
        },
      );
    }

    gauge(
      'nodejs_eventloop_utilization_ratio',
      'Share of time the event loop was busy (not idle waiting for I/O) between the previous ' +
        'scrape of this registry and this one, from 0 to 1.',
      (g) => {
        const now = performance.eventLoopUtilization();
        const window = performance.eventLoopUtilization(now, this.eluLast);
        this.eluLast = now;
        if (Number.isFinite(window.utilization)) g.set(window.utilization);
      },
    );

    // Active handles, requests and resources.
    const activeTotals = options.activeTotals ?? false;
    const internal = process as unknown as InternalProcess;
    const handleSource = internal._getActiveHandles;
    if (typeof handleSource === 'function') {
      const handles = oncePerTurn(() => handleSource.call(process));
      gauge(
        'nodejs_active_handles',
        'Number of active libuv handles, by handle type (the class name of the handle object).',
        (g) => setByType(g, countByConstructor(handles())),
        ['type'] as const,
      );
      if (activeTotals) {
        gauge('nodejs_active_handles_total', 'Total number of active handles.', (g) =>
          g.set(handles().length),
        );
      }
    }
    const requestSource = internal._getActiveRequests;
    if (typeof requestSource === 'function') {
      const requests = oncePerTurn(() => requestSource.call(process));
      gauge(
        'nodejs_active_requests',
        'Number of active libuv requests, by request type (the class name of the request object).',
        (g) => setByType(g, countByConstructor(requests())),
        ['type'] as const,
      );
      if (activeTotals) {
        gauge('nodejs_active_requests_total', 'Total number of active requests.', (g) =>
          g.set(requests().length),
        );
      }
    }
    if (typeof process.getActiveResourcesInfo === 'function') {
      const resources = oncePerTurn(() => process.getActiveResourcesInfo());
      gauge(
        'nodejs_active_resources',
        'Number of active resources keeping the event loop alive, by async resource type.',
        (g) => setByType(g, countStrings(resources())),
        ['type'] as const,
      );
      if (activeTotals) {
        gauge('nodejs_active_resources_total', 'Total number of active resources.', (g) =>
          g.set(resources().length),
        );
      }
    }

    // Memory as V8 sees it.
    const memory = oncePerTurn(() => process.memoryUsage());
    gauge('nodejs_heap_size_total_bytes', 'V8 heap size (total allocated), in bytes.', (g) =>
      g.set(memory().heapTotal),
    );
    gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', (g) =>
      g.set(memory().heapUsed),
    );
    gauge(
      'nodejs_external_memory_bytes',
      'Memory of C++ objects bound to JavaScript objects managed by V8, in bytes.',
      (g) => g.set(memory().external),
    );
    const spaces = oncePerTurn(() => v8.getHeapSpaceStatistics());
    const spaceGauge = (
      which: 'total' | 'used' | 'available',
      read: (s: v8.HeapSpaceInfo) => number,
    ): void => {
      gauge(
        `nodejs_heap_space_size_${which}_bytes`,
        `V8 heap space size ${which}, by space, in bytes.`,
        (g) => {
          for (const s of spaces()) g.set({ space: s.space_name.replace(/_space$/, '') }, read(s));
        },
        ['space'] as const,
      );
    };
    spaceGauge('total', (s) => s.space_size);
    spaceGauge('used', (s) => s.space_used_size);
    spaceGauge('available', (s) => s.space_available_size);

    const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
    gauge(
      'nodejs_version_info',
      'Node.js version: always 1, the version is in the labels.',
      (g) => g.set({ version: process.version, major, minor, patch }, 1),
      ['version', 'major', 'minor', 'patch'] as const,
    );

    this.gc = add(
      new Histogram({
        name: prefix + 'nodejs_gc_duration_seconds',
        help: 'Garbage collection pause duration, by kind (major, minor, incremental or weakcb), in seconds.',
        labelNames: ['kind'] as const,
        buckets: options.gcDurationBuckets ?? DEFAULT_GC_DURATION_BUCKETS,
        registry: false,
      }),
    );
  }

  /** Connects the event-loop delay monitor and the GC observer (if not already). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.eluLast = performance.eventLoopUtilization();
    try {
      this.lag.start();
    } catch (err) {
      reportFailure(this.prefix + 'nodejs_eventloop_lag_seconds', err);
    }
    const gc = this.gc;
    const observer = new PerformanceObserver((list) => {
      try {
        for (const entry of list.getEntries()) {
          const detail = (entry as { detail?: { kind?: unknown } | null }).detail;
          const kind = GC_KINDS.get(Number(detail?.kind)) ?? 'unknown';
          gc.observe({ kind }, entry.duration / 1000);
        }
      } catch (err) {
        reportFailure(gc.name, err);
      }
    });
    try {
      observer.observe({ entryTypes: ['gc'] });
      this.gcObserver = observer;
    } catch (err) {
      reportFailure(gc.name, err);
    }
  }

  /** Disconnects the monitor and the observer. */
  stop(): void {
    this.running = false;
    this.lag.stop();
    this.gcObserver?.disconnect();
    this.gcObserver = undefined;
  }
}

type LagStatFields = Omit<LagSnapshot, 'count'>;

/** Node internals prom-client also relies on; absent in some runtimes. */
interface InternalProcess {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
}

const GC_KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

const states = new WeakMap<Registry, Map<string, ProcessMetricsState>>();

/**
 * Registers the process and runtime metrics in a registry (see
 * {@link PROCESS_METRIC_NAMES}): CPU, memory, file descriptors, start time,
 * event-loop lag and utilisation, active handles/requests/resources, V8 heap
 * and heap spaces, the Node.js version and GC pause durations. Names, types
 * and labels are prom-client's defaults; CPU times are counters.
 *
 * Calling it again for the same registry and prefix reuses the metrics
 * already there (the first call's options apply) and returns another handle.
 * A name already taken by some other metric is skipped with one diagnostic
 * warning. Values are computed at scrape time and never throw: a source that
 * fails is reported once through the SDK diagnostics and the metric keeps its
 * previous value.
 *
 * `nodejs_eventloop_utilization_ratio` covers the window from the previous
 * scrape of this registry to the current one (from this call, for the first
 * scrape); with several scrapers the windows interleave. The
 * `nodejs_eventloop_lag_{min,max,...}_seconds` statistics cover the same
 * kind of window: the monitor is reset at each scrape, as prom-client does.
 *
 * Throws `METRIC_OPTIONS_INVALID` (or `HISTOGRAM_BUCKETS_INVALID`, or
 * `METRIC_NAME_INVALID` for a bad prefix) on invalid options. Call from the
 * main thread of the process or of a worker; not reentrant.
 */
export function collectProcessMetrics(options: ProcessMetricsOptions = {}): ProcessMetricsHandle {
  validate(options);
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? '';
  let byPrefix = states.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    states.set(registry, byPrefix);
  }
  let state = byPrefix.get(prefix);
  if (state === undefined) {
    state = new ProcessMetricsState(prefix, options);
    byPrefix.set(prefix, state);
  }
  const registered: string[] = [];
  for (const metric of state.metrics) {
    if (register(registry, metric)) registered.push(metric.name);
  }
  state.refs++;
  state.start();
  const shared = state;
  let stopped = false;
  return {
    metricNames: Object.freeze(registered),
    stop() {
      if (stopped) return;
      stopped = true;
      if (--shared.refs === 0) shared.stop();
    },
  };
}

/** Registers `metric` unless it is already there; false when another metric holds the name. */
function register(registry: Registry, metric: AnyMetric): boolean {
  if (registry.getSingleMetric(metric.name) === metric) return true;
  try {
    registry.registerMetric(metric);
    return true;
  } catch (err) {
    diagWarnOnce(
      `process-metrics-clash:${metric.name}`,
      { code: ErrorCodes.METRIC_ALREADY_REGISTERED, metric: metric.name, err },
      `Process metric "${metric.name}" was not registered: another metric already uses the ` +
        `name. Remove that metric, or pass a prefix to collectProcessMetrics.`,
    );
    return false;
  }
}

function validate(options: ProcessMetricsOptions): void {
  const fail = (message: string): never => {
    throw new VigilError(ErrorCodes.METRIC_OPTIONS_INVALID, `collectProcessMetrics: ${message}`);
  };
  if (typeof options !== 'object' || options === null) fail('options must be an object.');
  if (options.prefix !== undefined && typeof options.prefix !== 'string') {
    fail('prefix must be a string such as "myapp_".');
  }
  const precision = options.eventLoopMonitoringPrecisionMs;
  if (precision !== undefined && !(Number.isInteger(precision) && precision >= 1)) {
    fail(`eventLoopMonitoringPrecisionMs must be an integer >= 1, got ${String(precision)}.`);
  }
  if (options.activeTotals !== undefined && typeof options.activeTotals !== 'boolean') {
    fail('activeTotals must be a boolean.');
  }
  if (options.gcDurationBuckets !== undefined && !Array.isArray(options.gcDurationBuckets)) {
    fail('gcDurationBuckets must be an array of increasing numbers of seconds.');
  }
}

function guarded(metric: string, update: () => void): void {
  try {
    update();
  } catch (err) {
    reportFailure(metric, err);
  }
}

function reportFailure(metric: string, err: unknown): void {
  diagWarnOnce(
    `process-metrics:${metric}`,
    { code: ErrorCodes.COLLECT_FAILED, metric, err },
    `Process metric "${metric}" could not be read, so its previous value is exposed; later ` +
      `failures of this metric are not reported.`,
  );
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new Error(`${what} is not a finite number: ${value}`);
  return value;
}

function countByConstructor(items: readonly unknown[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const ctor = (item as { constructor?: { name?: unknown } }).constructor;
    const name = ctor && typeof ctor.name === 'string' && ctor.name !== '' ? ctor.name : undefined;
    if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

function countStrings(items: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** Replaces every series of a `{type}` gauge: types gone since the last scrape disappear. */
function setByType(g: Gauge<'type'>, counts: ReadonlyMap<string, number>): void {
  g.reset();
  for (const [type, count] of counts) g.set({ type }, count);
}
