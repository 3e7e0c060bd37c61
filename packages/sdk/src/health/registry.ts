/**
 * The health registry: named dependency checks, run concurrently with a
 * timeout each, cached briefly, and folded into one report that `/health`,
 * `/readyz` and the health metrics are built from.
 */
import { performance } from 'node:perf_hooks';
import { ErrorCodes, VigilError } from '@vigil/model';
import { diagError, diagWarn } from '../diag.js';
import type { Registry } from '../metrics/index.js';
import { HealthMetrics } from './metrics.js';

/**
 * A dependency check. It passes by returning (any value, sync or async) and
 * fails by throwing, rejecting, or not settling within its timeout.
 *
 * `signal` aborts when the check has timed out: a check that can cancel its
 * work (a query, a fetch) should pass it on, so an abandoned attempt stops
 * holding a connection. The registry never starts a check again while an
 * earlier, timed-out attempt of the same check is still unsettled.
 */
export type HealthCheckFunction = (signal: AbortSignal) => unknown;

/** What {@link HealthRegistry.register} accepts. */
export interface HealthCheckOptions {
  /** Unique, non-empty name; becomes the key in the report and the `dependency` label. */
  name: string;
  /** The check itself. */
  check: HealthCheckFunction;
  /** How long the check may take, in milliseconds, before it counts as failed. Default 2000. */
  timeoutMs?: number;
  /**
   * Whether the service cannot serve without this dependency. A failing
   * critical dependency makes the service `unhealthy` and not ready; a
   * failing non-critical one only makes it `degraded`. Default true.
   */
  critical?: boolean;
}

/** Overall health: `degraded` means only non-critical dependencies are down. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** The state of one dependency in a {@link HealthReport}. */
export interface DependencyReport {
  readonly status: 'up' | 'down';
  /** How long the check took (or until it timed out), in milliseconds. */
  readonly latency_ms: number;
  readonly critical: boolean;
  /** Why the check failed: one line, at most {@link MAX_ERROR_LENGTH} characters, never a stack. */
  readonly error?: string;
}

/** The body of `/health`. Reports are frozen: several callers may share one. */
export interface HealthReport {
  readonly status: HealthStatus;
  /** When the checks finished, ISO-8601. */
  readonly timestamp: string;
  /** The service version given to the registry. */
  readonly version: string;
  /** Whole seconds since the process started. */
  readonly uptime_seconds: number;
  readonly dependencies: Readonly<Record<string, DependencyReport>>;
}

/** The body of `/readyz`. */
export interface ReadinessReport {
  /** `ready` only when every critical dependency is up and no shutdown has begun. */
  readonly status: 'ready' | 'not_ready' | 'shutting_down';
  readonly timestamp: string;
  /** Names of the critical dependencies that are down (empty when ready or shutting down). */
  readonly failing: readonly string[];
}

/** The body of `/livez`. */
export interface LivenessReport {
  readonly status: 'ok';
  readonly timestamp: string;
  readonly uptime_seconds: number;
}

/**
 * Where the health code logs. A pino logger satisfies it; so does any object
 * with these three methods.
 */
export interface HealthLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Options of {@link HealthRegistry}. */
export interface HealthRegistryOptions {
  /** The service version reported in every {@link HealthReport}. */
  version: string;
  /**
   * How long a finished report is served from cache, in milliseconds.
   * Default 1000; 0 disables the cache (concurrent callers still share one run).
   */
  cacheTtlMs?: number;
  /**
   * A metrics registry to export dependency state to (see
   * `HealthMetricNames` for the names). Without one, no metrics are kept.
   */
  registry?: Registry;
  /** Logs dependency state changes (down at warn, recovered at info). */
  logger?: HealthLogger;
  /** Wall clock in epoch milliseconds, for the cache and timestamps; tests replace it. */
  now?: () => number;
}

/** Longest error message a report carries; longer ones are cut and end in `…`. */
export const MAX_ERROR_LENGTH = 200;

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_CACHE_TTL_MS = 1000;
/** setTimeout fires at once for larger delays, so they are refused. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface ForcedDown {
  readonly message: string;
  readonly onApplied: (() => void) | undefined;
}

interface Entry {
  readonly name: string;
  readonly check: HealthCheckFunction;
  readonly timeoutMs: number;
  readonly critical: boolean;
  /** The attempt that timed out and has not settled yet, if any. */
  abandoned: { readonly settled: Promise<void>; readonly startedAt: number } | undefined;
  /** Whether the last finished run found it up; undefined before the first run. */
  lastUp: boolean | undefined;
}

/**
 * Holds the service's dependency checks and answers "is this service
 * healthy, and is it ready for traffic?".
 *
 * Any number of callers may call {@link check}, {@link readiness} and
 * {@link liveness} concurrently: while a run is in flight every caller gets
 * the same promise, and a finished report is served from cache for
 * `cacheTtlMs`, so a burst of probes costs the dependencies one round of
 * checks. `check()` never rejects.
 */
export class HealthRegistry {
  readonly #version: string;
  readonly #cacheTtlMs: number;
  readonly #logger: HealthLogger | undefined;
  readonly #now: () => number;
  readonly #metrics: HealthMetrics | undefined;
  #removeCollectHook: (() => void) | undefined;
  readonly #entries = new Map<string, Entry>();
  #inFlight: Promise<HealthReport> | undefined;
  #cached: { report: HealthReport; at: number; generation: number } | undefined;
  /** Overrides of {@link forceDown}, by check name, oldest first. */
  readonly #forced = new Map<string, ForcedDown[]>();
  /** Bumped by register/unregister/forceDown so a cached report of another set of checks is not served. */
  #generation = 0;
  #shuttingDown = false;

  constructor(options: HealthRegistryOptions) {
    // Checked at run time too: the options may come from untyped config.
    const opts = options as Partial<HealthRegistryOptions> | undefined;
    if (opts === undefined || opts === null || typeof opts !== 'object') {
      throw invalid('HealthRegistry needs an options object with at least { version }.');
    }
    if (typeof opts.version !== 'string') {
      throw invalid('HealthRegistry option "version" must be a string (the service version).');
    }
    const ttl = opts.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
      throw invalid(
        `HealthRegistry option "cacheTtlMs" must be a finite number >= 0 (milliseconds), got ${String(ttl)}.`,
      );
    }
    this.#version = opts.version;
    this.#cacheTtlMs = ttl;
    this.#logger = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.#metrics = opts.registry === undefined ? undefined : HealthMetrics.for(opts.registry);
    // Scrapes run the (cached, shared) checks, so the dependency gauges are
    // current even when nobody has called /health yet.
    this.#removeCollectHook = opts.registry?.addCollectHook(async () => {
      await this.check();
    });
  }

  /** Stops refreshing the health metrics at scrape time (the checks stay registered). */
  detachMetrics(): void {
    this.#removeCollectHook?.();
    this.#removeCollectHook = undefined;
  }

  /**
   * Adds a dependency check. Throws a {@link VigilError} with code
   * `HEALTH_CHECK_INVALID` for an empty or duplicate name, a check that is
   * not a function, or a timeout that is not a positive number of
   * milliseconds (at most 2^31-1). Takes effect at the next run.
   */
  register(options: HealthCheckOptions): void {
    const opts = options as Partial<HealthCheckOptions> | undefined;
    if (opts === undefined || opts === null || typeof opts !== 'object') {
      throw invalid('register() needs { name, check, timeoutMs?, critical? }.');
    }
    const { name, check } = opts;
    if (typeof name !== 'string' || name.trim() === '') {
      throw invalid('A health check needs a non-empty name (for example "database").');
    }
    if (this.#entries.has(name)) {
      throw invalid(
        `A health check named "${name}" is already registered; unregister it first or pick another name.`,
        { name },
      );
    }
    if (typeof check !== 'function') {
      throw invalid(
        `Health check "${name}": "check" must be a function that returns, or resolves, when the dependency is up.`,
        { name },
      );
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (
      typeof timeoutMs !== 'number' ||
      !Number.isFinite(timeoutMs) ||
      timeoutMs <= 0 ||
      timeoutMs > MAX_TIMER_MS
    ) {
      throw invalid(
        `Health check "${name}": "timeoutMs" must be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${String(timeoutMs)}.`,
        { name },
      );
    }
    const critical = opts.critical ?? true;
    if (typeof critical !== 'boolean') {
      throw invalid(`Health check "${name}": "critical" must be true or false.`, { name });
    }
    this.#entries.set(name, {
      name,
      check,
      timeoutMs,
      critical,
      abandoned: undefined,
      lastUp: undefined,
    });
    this.#generation++;
  }

  /**
   * Removes a check (and its metric series). Returns false when no check had
   * that name. A run already in flight still reports it.
   */
  unregister(name: string): boolean {
    const entry = this.#entries.get(name);
    if (entry === undefined) return false;
    this.#entries.delete(name);
    this.#generation++;
    this.#safeMetrics((m) => m.forget(name, entry.critical));
    return true;
  }

  /**
   * Makes the check `name` report `down` with `message` (cut like any check
   * error), without running it, until the returned function is called; that
   * function is idempotent. Meant for fault injection (game days) and tests.
   *
   * Overrides stack: the check stays down until every one is released and
   * reports the newest message. They are kept by name, so an override
   * survives {@link unregister} and a later {@link register} of the same
   * name. `onApplied` is called each time a run reports the check down
   * because of this override (for counting); it must not throw (a throw is
   * reported and ignored). Takes effect at the next run: the cached report
   * is dropped. A run already in flight is not changed.
   *
   * @throws VigilError `HEALTH_CHECK_INVALID` when no check has that name or
   *   `message` is not a string.
   */
  forceDown(name: string, message: string, onApplied?: () => void): () => void {
    if (!this.#entries.has(name)) {
      throw invalid(
        `forceDown(): no health check named ${JSON.stringify(name)}; registered: ${this.names.join(', ') || 'none'}.`,
        { name },
      );
    }
    if (typeof message !== 'string') {
      throw invalid('forceDown(): "message" must be a string saying why the check fails.', {
        name,
      });
    }
    const override: ForcedDown = { message, onApplied };
    const list = this.#forced.get(name) ?? [];
    list.push(override);
    this.#forced.set(name, list);
    this.#generation++;
    return () => {
      const current = this.#forced.get(name);
      const at = current?.indexOf(override) ?? -1;
      if (current === undefined || at < 0) return;
      current.splice(at, 1);
      if (current.length === 0) this.#forced.delete(name);
      this.#generation++;
    };
  }

  /** Names of the registered checks, in registration order. */
  get names(): string[] {
    return [...this.#entries.keys()];
  }

  /** True once {@link markShuttingDown} was called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Makes readiness fail from now on (the process is going away). Idempotent. */
  markShuttingDown(): void {
    this.#shuttingDown = true;
  }

  /**
   * Runs every check (or returns the cached report, or joins the run in
   * flight) and resolves to the report. Never rejects.
   */
  check(): Promise<HealthReport> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const cached = this.#cached;
    if (
      cached !== undefined &&
      cached.generation === this.#generation &&
      this.#now() - cached.at < this.#cacheTtlMs
    ) {
      return Promise.resolve(cached.report);
    }
    const generation = this.#generation;
    const run = this.#runAll().then((report) => {
      this.#cached = { report, at: this.#now(), generation };
      return report;
    });
    const shared = run.finally(() => {
      if (this.#inFlight === shared) this.#inFlight = undefined;
    });
    this.#inFlight = shared;
    return shared;
  }

  /**
   * Whether the service should receive traffic: not shutting down and every
   * critical dependency up. Answers at once, without running checks, once a
   * shutdown has begun. Never rejects.
   */
  async readiness(): Promise<ReadinessReport> {
    if (this.#shuttingDown) return this.#shuttingDownReport();
    const report = await this.check();
    if (this.#shuttingDown) return this.#shuttingDownReport();
    const failing = Object.entries(report.dependencies)
      .filter(([, dep]) => dep.critical && dep.status === 'down')
      .map(([name]) => name);
    return Object.freeze({
      status: failing.length === 0 ? 'ready' : 'not_ready',
      timestamp: new Date(this.#now()).toISOString(),
      failing: Object.freeze(failing),
    });
  }

  /** The process is up and answering; runs no checks. */
  liveness(): LivenessReport {
    return Object.freeze({
      status: 'ok',
      timestamp: new Date(this.#now()).toISOString(),
      uptime_seconds: uptimeSeconds(),
    });
  }

  #shuttingDownReport(): ReadinessReport {
    return Object.freeze({
      status: 'shutting_down',
      timestamp: new Date(this.#now()).toISOString(),
      failing: Object.freeze([]),
    });
  }

  async #runAll(): Promise<HealthReport> {
    const entries = [...this.#entries.values()];
    const results = await Promise.all(entries.map((entry) => this.#runOne(entry)));
    const dependencies: Record<string, DependencyReport> = {};
    let status: HealthStatus = 'healthy';
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const result = results[i]!;
      dependencies[entry.name] = result;
      if (result.status === 'down') status = entry.critical ? 'unhealthy' : worse(status);
      this.#logTransition(entry, result);
    }
    const report: HealthReport = Object.freeze({
      status,
      timestamp: new Date(this.#now()).toISOString(),
      version: this.#version,
      uptime_seconds: uptimeSeconds(),
      dependencies: Object.freeze(dependencies),
    });
    this.#safeMetrics((m) => m.record(report));
    return report;
  }

  async #runOne(entry: Entry): Promise<DependencyReport> {
    const { critical } = entry;
    const forced = this.#forced.get(entry.name);
    if (forced !== undefined && forced.length > 0) {
      const override = forced[forced.length - 1]!;
      if (override.onApplied !== undefined) {
        try {
          override.onApplied();
        } catch (err) {
          diagError({ error: describeError(err) }, 'a forceDown() onApplied callback threw');
        }
      }
      return Object.freeze({
        status: 'down',
        latency_ms: 0,
        critical,
        error: describeError(override.message),
      });
    }
    if (entry.abandoned !== undefined) {
      // The last attempt timed out and is still running: starting another
      // one would pile work onto a dependency that is already stuck.
      // Its latency is how long it has been stuck.
      const stuckMs = elapsedMs(entry.abandoned.startedAt);
      return Object.freeze({
        status: 'down',
        latency_ms: stuckMs,
        critical,
        error: `previous attempt timed out and is still running after ${Math.round(stuckMs)} ms; not started again until it settles`,
      });
    }
    const startedAt = performance.now();
    const controller = new AbortController();
    const attempt = new Promise<unknown>((resolve) => resolve(entry.check(controller.signal)));
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(
          new VigilError(ErrorCodes.HEALTH_CHECK_TIMEOUT, `timed out after ${entry.timeoutMs} ms`, {
            details: { name: entry.name, timeoutMs: entry.timeoutMs },
          }),
        );
      }, entry.timeoutMs);
      // Not unref'd: a caller awaiting check() must get its answer even when
      // nothing else keeps the process alive. The timer is cleared on settle.
    });
    try {
      await Promise.race([attempt, timeout]);
      return Object.freeze({ status: 'up', latency_ms: elapsedMs(startedAt), critical });
    } catch (err) {
      if (timedOut) {
        const settled = attempt.then(noop, noop).then(() => {
          if (entry.abandoned?.settled === settled) entry.abandoned = undefined;
        });
        entry.abandoned = { settled, startedAt };
        controller.abort(err);
      }
      return Object.freeze({
        status: 'down',
        latency_ms: elapsedMs(startedAt),
        critical,
        error: describeError(err),
      });
    } finally {
      clearTimeout(timer);
    }
  }

  #logTransition(entry: Entry, result: DependencyReport): void {
    const up = result.status === 'up';
    const previous = entry.lastUp;
    entry.lastUp = up;
    const logger = this.#logger;
    if (logger === undefined || previous === up || (previous === undefined && up)) return;
    const fields = {
      dependency: entry.name,
      critical: entry.critical,
      latency_ms: result.latency_ms,
      ...(result.error === undefined ? {} : { error: result.error }),
    };
    try {
      if (up) logger.info(fields, `health check "${entry.name}" recovered`);
      else logger.warn(fields, `health check "${entry.name}" failed: ${result.error ?? 'down'}`);
    } catch (err) {
      diagWarn({ error: describeError(err) }, 'the health logger threw; state change not logged');
    }
  }

  #safeMetrics(fn: (metrics: HealthMetrics) => void): void {
    if (this.#metrics === undefined) return;
    try {
      fn(this.#metrics);
    } catch (err) {
      diagError({ error: describeError(err) }, 'updating the health metrics failed');
    }
  }
}

/**
 * One line describing `err`, safe to show on a health endpoint: the message
 * (or the error code when the message is empty), never a stack, cut to
 * {@link MAX_ERROR_LENGTH} characters.
 */
export function describeError(err: unknown): string {
  let text: string;
  try {
    if (err instanceof Error) {
      text = err.message;
      if (text === '' && err instanceof AggregateError) {
        text = (err.errors as unknown[])
          .slice(0, 3)
          .map((e) => (e instanceof Error ? e.message : String(e)))
          .join('; ');
      }
      if (text === '') {
        const code = (err as { code?: unknown }).code;
        text = typeof code === 'string' ? code : err.name;
      }
    } else if (typeof err === 'string') {
      text = err;
    } else {
      text = `non-error value thrown: ${String(err)}`;
    }
  } catch {
    text = 'check failed with a value that cannot be described';
  }
  const line = (text.split(/\r?\n/, 1)[0] ?? '').trim() || 'check failed';
  return line.length <= MAX_ERROR_LENGTH ? line : `${line.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}

function worse(status: HealthStatus): HealthStatus {
  return status === 'unhealthy' ? 'unhealthy' : 'degraded';
}

function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000;
}

function uptimeSeconds(): number {
  return Math.floor(process.uptime());
}

function invalid(message: string, details?: Record<string, unknown>): VigilError {
  return new VigilError(
    ErrorCodes.HEALTH_CHECK_INVALID,
    message,
    details === undefined ? undefined : { details },
  );
}

function noop(): void {}
