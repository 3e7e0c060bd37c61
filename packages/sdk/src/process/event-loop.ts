import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Event-loop delay statistics over one window, in seconds. */
export interface LagSnapshot {
  min: number;
  max: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
  /** Number of delay samples in the window. */
  count: number;
}

/**
 * An event-loop delay monitor (`perf_hooks.monitorEventLoopDelay`): a libuv
 * timer fires every `resolutionMs` and records how late it ran. The timer is
 * unreferenced by Node, so it never keeps the process alive; `stop()`
 * disables it all the same. Single-threaded use only.
 */
export class LagMonitor {
  private histogram: IntervalHistogram | undefined;
  private readonly resolutionMs: number;

  constructor(resolutionMs: number) {
    this.resolutionMs = resolutionMs;
  }

  /** Starts sampling (again) with an empty window. */
  start(): void {
    this.histogram ??= monitorEventLoopDelay({ resolution: this.resolutionMs });
    this.histogram.reset();
    this.histogram.enable();
  }

  /** Stops sampling; the window keeps what it recorded. */
  stop(): void {
    this.histogram?.disable();
  }

  /**
   * The statistics of the window since the previous `take()` (or `start()`),
   * then starts a new window. Undefined when the window holds no sample
   * (monitor stopped, or windows shorter than the resolution).
   *
   * Node starts measuring afresh after a reset: the first timer interval of
   * each window is not recorded, so a stall that begins within one
   * resolution of a `take()` goes unseen. prom-client has the same blind spot.
   */
  take(): LagSnapshot | undefined {
    const h = this.histogram;
    if (h === undefined || h.count === 0) return undefined;
    const snapshot: LagSnapshot = {
      min: h.min / 1e9,
      max: h.max / 1e9,
      mean: h.mean / 1e9,
      stddev: h.stddev / 1e9,
      p50: h.percentile(50) / 1e9,
      p90: h.percentile(90) / 1e9,
      p99: h.percentile(99) / 1e9,
      count: h.count,
    };
    h.reset();
    return snapshot;
  }
}

/**
 * Measures how long a `setImmediate` callback waits to run: the event-loop
 * lag as seen right now, in seconds (what prom-client's
 * `nodejs_eventloop_lag_seconds` measures).
 */
export function measureImmediateLag(): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    setImmediate(() => resolve(Number(process.hrtime.bigint() - start) / 1e9));
  });
}

/**
 * Wraps `read` so that it runs at most once per synchronous run of code: the
 * first call computes, later calls in the same turn get the same value, and
 * the cache is dropped at the next microtask. A registry runs every metric's
 * `collect` in one turn, so gauges fed by one source (one `process.cpuUsage()`,
 * one read of `/proc/self/status`) expose one consistent snapshot per scrape.
 */
export function oncePerTurn<T>(read: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => {
    if (cached === undefined) {
      cached = { value: read() };
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
}
