/**
 * Resource watch: samples memory, heap, event-loop lag and file descriptors
 * on a timer, logs once when one of them goes over its threshold and once
 * when it comes back, and exposes the state as gauges:
 *
 * - `vigil_resource_pressure{resource}`: 1 while the resource is over its
 *   threshold, 0 otherwise.
 * - `vigil_resource_threshold{resource}`: the threshold, in the resource's
 *   unit (bytes, ratio or seconds, as the resource name says).
 *
 * Resources (label values): `rss_bytes`, `heap_used_ratio` (V8 heap in use
 * over the heap size limit), `event_loop_lag_p99_seconds` (99th percentile of
 * event-loop delay over the sampling interval) and `open_fds_ratio` (open
 * file descriptors over the soft limit; Linux only).
 *
 * Hysteresis: a resource enters pressure when a sample is strictly above the
 * threshold, and leaves it only when a sample is at or below
 * `threshold × (1 − hysteresisRatio)` (default 10 % below the threshold).
 * Samples in between change nothing, so a value hovering around the
 * threshold yields one WARN, not a stream of WARN/INFO pairs.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { ErrorCodes, VigilError } from '@vigil/model';
import { Gauge, defaultRegistry } from '../metrics/index.js';
import type { Registry } from '../metrics/index.js';
import { diagWarn, diagWarnOnce } from '../diag.js';
import { LagMonitor } from './event-loop.js';
import { countOpenFds, hasProcFs, readMaxFds } from './proc-fs.js';

/** Names of the watched resources, as they appear in the `resource` label and in logs. */
export type ResourceName =
  'rss_bytes' | 'heap_used_ratio' | 'event_loop_lag_p99_seconds' | 'open_fds_ratio';

/** Unit of a resource's value and threshold. */
export type ResourceUnit = 'bytes' | 'ratio' | 'seconds';

/** One sample of every resource; a missing value means "not available here". */
export interface ResourceSample {
  /** Resident set size, in bytes. */
  rssBytes?: number;
  /** V8 heap in use over the heap size limit (0..1). */
  heapUsedRatio?: number;
  /** 99th percentile of event-loop delay since the previous sample, in seconds. */
  eventLoopLagP99Seconds?: number;
  /** Open file descriptors over the soft limit (0..1). */
  openFdsRatio?: number;
}

/** Takes one {@link ResourceSample}; synchronous, called on the watch timer. */
export type ResourceSampler = () => ResourceSample;

/** Thresholds per resource; `false` turns a resource off. Values as in {@link ResourceSample}. */
export interface ResourceThresholds {
  /** Default: 90 % of the memory limit (the cgroup limit if any, else total RAM). */
  rssBytes?: number | false;
  /** Default 0.9 (of `heap_size_limit`, see `--max-old-space-size`). Must be in (0, 1]. */
  heapUsedRatio?: number | false;
  /** Default 0.25 s. */
  eventLoopLagP99Seconds?: number | false;
  /** Default 0.8 (of the soft limit on open files). Must be in (0, 1]. */
  openFdsRatio?: number | false;
}

/** A pino-like logger: pino, `console`-backed adapters, test recorders. */
export interface ResourceLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

/** Options of {@link watchResources}. */
export interface WatchResourcesOptions {
  /** Sampling interval in ms (default 10,000). The timer never keeps the process alive. */
  intervalMs?: number;
  /** Thresholds; omitted ones take their defaults (see {@link defaultResourceThresholds}). */
  thresholds?: ResourceThresholds;
  /**
   * How far below the threshold a value must fall to count as recovered, as
   * a fraction of the threshold (default 0.1; 0 disables the band). In [0, 1).
   */
  hysteresisRatio?: number;
  /**
   * Where WARN and INFO go. Default: WARNs go to the SDK diagnostics, and
   * recovery INFOs are dropped (diagnostics have no info level).
   */
  logger?: ResourceLogger;
  /** Registry of the two gauges (default: the default registry; `false` for none). */
  registry?: Registry | false;
  /** Replaces the built-in sampler (for tests, or other sources of the same figures). */
  sample?: ResourceSampler;
}

/** State of one watched resource. */
export interface ResourceStatus {
  resource: ResourceName;
  unit: ResourceUnit;
  /** Over this (strictly), the resource is under pressure. */
  threshold: number;
  /** At or below this, a resource under pressure has recovered. */
  recoverAt: number;
  /** Latest sampled value; undefined before the first sample or when unavailable. */
  value: number | undefined;
  /** Whether the resource is under pressure. */
  over: boolean;
  /** When `over` last changed, in ms since the epoch; undefined if it never did. */
  changedAt: number | undefined;
}

/** What {@link watchResources} returns. */
export interface ResourceWatch {
  /** Takes one sample now, updates states, logs and gauges, and returns the states. */
  check(): ResourceStatus[];
  /** The current states, without sampling. */
  status(): ResourceStatus[];
  /** Stops the timer and the built-in sampler's monitor. Gauges keep their last values. Idempotent. */
  stop(): void;
}

/** Default {@link WatchResourcesOptions.hysteresisRatio}. */
export const DEFAULT_HYSTERESIS_RATIO = 0.1;
/** Default {@link WatchResourcesOptions.intervalMs}. */
export const DEFAULT_RESOURCE_WATCH_INTERVAL_MS = 10_000;

/** Metric names of the resource watch. */
export const ResourceMetricNames = {
  pressure: 'vigil_resource_pressure',
  threshold: 'vigil_resource_threshold',
} as const;

interface ResourceDef {
  key: keyof ResourceSample & keyof ResourceThresholds;
  resource: ResourceName;
  unit: ResourceUnit;
  isRatio: boolean;
}

const RESOURCES: readonly ResourceDef[] = [
  { key: 'rssBytes', resource: 'rss_bytes', unit: 'bytes', isRatio: false },
  { key: 'heapUsedRatio', resource: 'heap_used_ratio', unit: 'ratio', isRatio: true },
  {
    key: 'eventLoopLagP99Seconds',
    resource: 'event_loop_lag_p99_seconds',
    unit: 'seconds',
    isRatio: false,
  },
  { key: 'openFdsRatio', resource: 'open_fds_ratio', unit: 'ratio', isRatio: true },
];

/**
 * The memory the process may use, in bytes: the cgroup (container) limit
 * when there is one, else the machine's total RAM.
 */
export function memoryLimitBytes(): number {
  const total = os.totalmem();
  let constrained: number;
  try {
    constrained = process.constrainedMemory?.() ?? 0;
  } catch {
    constrained = 0;
  }
  // Node reports "no limit" as 0, undefined or 2^64 depending on version.
  return constrained > 0 && constrained < total ? constrained : total;
}

/** The default thresholds, computed for this process (RSS depends on the memory limit). */
export function defaultResourceThresholds(): Required<{
  [K in keyof ResourceThresholds]: number;
}> {
  return {
    rssBytes: Math.floor(memoryLimitBytes() * 0.9),
    heapUsedRatio: 0.9,
    eventLoopLagP99Seconds: 0.25,
    openFdsRatio: 0.8,
  };
}

/**
 * The built-in sampler: RSS from `process.memoryUsage.rss()`, heap from
 * `v8.getHeapStatistics()`, lag from its own event-loop delay monitor (reset
 * at each sample) when `lag` is true, file descriptors from `/proc/self`.
 */
function builtInSampler(lag: boolean): { sample: ResourceSampler; stop(): void } {
  const monitor = lag ? new LagMonitor(10) : undefined;
  monitor?.start();
  const procfs = hasProcFs();
  return {
    sample() {
      const heap = v8.getHeapStatistics();
      const sample: ResourceSample = {
        rssBytes: process.memoryUsage.rss(),
        heapUsedRatio: heap.used_heap_size / heap.heap_size_limit,
      };
      const window = monitor?.take();
      if (window !== undefined) sample.eventLoopLagP99Seconds = window.p99;
      if (procfs) {
        try {
          const max = readMaxFds();
          if (max > 0 && Number.isFinite(max)) sample.openFdsRatio = countOpenFds() / max;
        } catch (err) {
          diagWarnOnce(
            'resource-watch:fds',
            { code: ErrorCodes.COLLECT_FAILED, resource: 'open_fds_ratio', err },
            'Resource watch could not read open file descriptors from /proc/self; ' +
              'open_fds_ratio is not watched meanwhile.',
          );
        }
      }
      return sample;
    },
    stop() {
      monitor?.stop();
    },
  };
}

interface Tracked extends ResourceStatus {
  key: ResourceDef['key'];
}

/**
 * Starts watching resources (see the module notes for names, hysteresis
 * and gauges). Samples every `intervalMs` on an unreferenced timer, so it
 * never keeps the process alive; call `stop()` at shutdown all the same.
 * Logs one structured WARN `{ event: "resource_pressure", resource, value,
 * threshold, unit }` on entering pressure and one INFO
 * `{ event: "resource_recovered", resource, value, threshold, recoverAt,
 * unit, overForMs }` on recovery. Never throws after it has started:
 * sampler and logger failures go to the SDK diagnostics.
 *
 * Several watches on one registry share the two gauges (last sample wins).
 * Throws `CONFIG_INVALID` on invalid options. Single-threaded use only.
 */
export function watchResources(options: WatchResourcesOptions = {}): ResourceWatch {
  const thresholds = resolveThresholds(options);
  const hysteresis = options.hysteresisRatio ?? DEFAULT_HYSTERESIS_RATIO;
  const intervalMs = options.intervalMs ?? DEFAULT_RESOURCE_WATCH_INTERVAL_MS;
  const logger = options.logger;
  const registry = options.registry === undefined ? defaultRegistry : options.registry;

  const tracked: Tracked[] = [];
  for (const def of RESOURCES) {
    const threshold = thresholds[def.key];
    if (threshold === false) continue;
    tracked.push({
      key: def.key,
      resource: def.resource,
      unit: def.unit,
      threshold,
      recoverAt: threshold * (1 - hysteresis),
      value: undefined,
      over: false,
      changedAt: undefined,
    });
  }

  const builtIn =
    options.sample === undefined
      ? builtInSampler(tracked.some((t) => t.key === 'eventLoopLagP99Seconds'))
      : undefined;
  const sampler: ResourceSampler = options.sample ?? builtIn!.sample;

  const pressure = registry === false ? undefined : findOrCreateGauge(registry, 'pressure');
  const thresholdGauge = registry === false ? undefined : findOrCreateGauge(registry, 'threshold');
  for (const t of tracked) {
    pressure?.set({ resource: t.resource }, 0);
    thresholdGauge?.set({ resource: t.resource }, t.threshold);
  }

  const log = (level: 'warn' | 'info', fields: Record<string, unknown>, message: string): void => {
    try {
      if (logger !== undefined) logger[level](fields, message);
      else if (level === 'warn') diagWarn(fields, message);
    } catch (err) {
      diagWarnOnce(
        'resource-watch:logger',
        { code: ErrorCodes.COLLECT_FAILED, err },
        'The resource watch logger threw; resource transitions may be missing from the logs.',
      );
    }
  };

  const snapshot = (): ResourceStatus[] =>
    tracked.map(({ resource, unit, threshold, recoverAt, value, over, changedAt }) => ({
      resource,
      unit,
      threshold,
      recoverAt,
      value,
      over,
      changedAt,
    }));

  const check = (): ResourceStatus[] => {
    let sample: ResourceSample;
    try {
      sample = sampler();
    } catch (err) {
      diagWarnOnce(
        'resource-watch:sample',
        { code: ErrorCodes.COLLECT_FAILED, err },
        'The resource watch sampler threw; resource states are left as they were. Later ' +
          'failures are not reported.',
      );
      return snapshot();
    }
    const now = Date.now();
    for (const t of tracked) {
      const value = typeof sample === 'object' && sample !== null ? sample[t.key] : undefined;
      if (typeof value !== 'number' || Number.isNaN(value)) {
        t.value = undefined;
        continue;
      }
      t.value = value;
      if (!t.over && value > t.threshold) {
        t.over = true;
        t.changedAt = now;
        pressure?.set({ resource: t.resource }, 1);
        log(
          'warn',
          {
            event: 'resource_pressure',
            resource: t.resource,
            value,
            threshold: t.threshold,
            unit: t.unit,
          },
          `Resource pressure: ${t.resource} is ${show(value, t.unit)}, over the threshold of ` +
            `${show(t.threshold, t.unit)}.`,
        );
      } else if (t.over && value <= t.recoverAt) {
        const overForMs = t.changedAt === undefined ? undefined : now - t.changedAt;
        t.over = false;
        t.changedAt = now;
        pressure?.set({ resource: t.resource }, 0);
        log(
          'info',
          {
            event: 'resource_recovered',
            resource: t.resource,
            value,
            threshold: t.threshold,
            recoverAt: t.recoverAt,
            unit: t.unit,
            overForMs,
          },
          `Resource recovered: ${t.resource} is back to ${show(value, t.unit)} ` +
            `(threshold ${show(t.threshold, t.unit)}).`,
        );
      }
    }
    return snapshot();
  };

  const timer = setInterval(check, intervalMs);
  timer.unref();
  let stopped = false;
  return {
    check,
    status: snapshot,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      builtIn?.stop();
    },
  };
}

function resolveThresholds(
  options: WatchResourcesOptions,
): Record<ResourceDef['key'], number | false> {
  const fail = (message: string): never => {
    throw new VigilError(ErrorCodes.CONFIG_INVALID, `watchResources: ${message}`);
  };
  if (typeof options !== 'object' || options === null) fail('options must be an object.');
  const { intervalMs, hysteresisRatio, thresholds = {}, logger, sample } = options;
  if (intervalMs !== undefined && !(Number.isFinite(intervalMs) && intervalMs >= 1)) {
    fail(`intervalMs must be a number of milliseconds >= 1, got ${String(intervalMs)}.`);
  }
  if (
    hysteresisRatio !== undefined &&
    !(typeof hysteresisRatio === 'number' && hysteresisRatio >= 0 && hysteresisRatio < 1)
  ) {
    fail(`hysteresisRatio must be in [0, 1), got ${String(hysteresisRatio)}.`);
  }
  if (
    logger !== undefined &&
    (typeof logger !== 'object' ||
      logger === null ||
      typeof logger.warn !== 'function' ||
      typeof logger.info !== 'function')
  ) {
    fail('logger must have warn(fields, message) and info(fields, message) methods (pino does).');
  }
  if (sample !== undefined && typeof sample !== 'function') {
    fail('sample must be a function returning a ResourceSample.');
  }
  if (typeof thresholds !== 'object' || thresholds === null) {
    fail('thresholds must be an object such as { heapUsedRatio: 0.85 }.');
  }
  for (const key of Object.keys(thresholds)) {
    if (!RESOURCES.some((d) => d.key === key)) {
      fail(
        `thresholds.${key} is not a known resource; use ${RESOURCES.map((d) => d.key).join(', ')}.`,
      );
    }
  }
  const defaults = defaultResourceThresholds();
  const out = {} as Record<ResourceDef['key'], number | false>;
  for (const def of RESOURCES) {
    const given = thresholds[def.key];
    if (given === undefined) {
      out[def.key] = defaults[def.key];
      continue;
    }
    if (given === false) {
      out[def.key] = false;
      continue;
    }
    const valid =
      typeof given === 'number' &&
      Number.isFinite(given) &&
      given > 0 &&
      (!def.isRatio || given <= 1);
    if (!valid) {
      fail(
        `thresholds.${def.key} must be ${def.isRatio ? 'a ratio in (0, 1]' : `a positive number of ${def.unit}`} ` +
          `or false to turn it off, got ${String(given)}.`,
      );
    }
    out[def.key] = given;
  }
  return out;
}

function findOrCreateGauge(
  registry: Registry,
  which: keyof typeof ResourceMetricNames,
): Gauge<'resource'> | undefined {
  const name = ResourceMetricNames[which];
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) {
    const help =
      which === 'pressure'
        ? 'Whether a watched resource is over its threshold (1) or not (0).'
        : 'Threshold of a watched resource, in the unit its name ends with (bytes, ratio, seconds).';
    return new Gauge({ name, help, labelNames: ['resource'] as const, registry });
  }
  if (
    existing instanceof Gauge &&
    existing.labelNames.length === 1 &&
    existing.labelNames[0] === 'resource'
  ) {
    return existing as Gauge<'resource'>;
  }
  diagWarnOnce(
    `resource-watch:clash:${name}`,
    { code: ErrorCodes.METRIC_ALREADY_REGISTERED, metric: name },
    `Metric "${name}" is already registered with another type or labels; the resource watch ` +
      `runs without it. Rename the other metric or give the watch its own registry.`,
  );
  return undefined;
}

function show(value: number, unit: ResourceUnit): string {
  switch (unit) {
    case 'bytes':
      return `${(value / 1048576).toFixed(1)} MiB`;
    case 'ratio':
      return `${(value * 100).toFixed(1)} %`;
    case 'seconds':
      return `${(value * 1000).toFixed(1)} ms`;
  }
}
