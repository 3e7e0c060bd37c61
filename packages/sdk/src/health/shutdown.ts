/**
 * Graceful shutdown of a `node:http` server: fail readiness, stop accepting,
 * drain in-flight requests until a deadline, run shutdown hooks, log one
 * summary line and exit.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ErrorCodes, VigilError } from '@vigil/model';
import { describeError } from './registry.js';
import type { HealthLogger, HealthRegistry } from './registry.js';

/**
 * Work to do once requests have drained (close pools, flush exporters).
 * `signal` aborts when the hooks' time is up.
 */
export type ShutdownHook = (signal: AbortSignal) => unknown;

/** Options of {@link installGracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** The server to drain. Install before it starts accepting, so every request is tracked. */
  server: Server;
  /** Marked shutting down at once, so `/readyz` answers 503 from the first moment. */
  health?: HealthRegistry;
  /**
   * How long in-flight requests may take to finish, in milliseconds, counted
   * from the signal. Requests still running then are cut. Default 10000.
   */
  drainTimeoutMs?: number;
  /**
   * The hooks run in whatever remains of `drainTimeoutMs`, but never in less
   * than this many milliseconds, so a drain that used up the deadline still
   * lets them close pools. Default 1000.
   */
  hookGraceMs?: number;
  /** Where the start and summary lines go. Default: pino-style JSON lines on stdout. */
  logger?: HealthLogger;
  /** Hooks run one after another, in order, after the drain. */
  onShutdown?: ShutdownHook | readonly ShutdownHook[];
  /** Signals that start the shutdown. Default `['SIGTERM', 'SIGINT']`; `[]` for none. */
  signals?: readonly NodeJS.Signals[];
  /** Ends the process; tests replace it. Default `process.exit`. */
  exit?: (code: number) => void;
}

/** What happened during a shutdown; also the fields of the summary log line. */
export interface ShutdownSummary {
  /** The signal name, or the reason given to `shutdown()`. */
  readonly reason: string;
  /** Requests that finished during the drain (in flight at the signal, or arriving on open connections). */
  readonly drained: number;
  /** Requests still running at the deadline, whose connections were destroyed. */
  readonly cut: number;
  /** Hooks that threw, rejected, timed out or got no time to run. */
  readonly hooksFailed: number;
  /** Milliseconds from the signal to the exit. */
  readonly elapsedMs: number;
  /** 0 when everything drained and every hook passed, else 1. */
  readonly exitCode: 0 | 1;
}

/** What {@link installGracefulShutdown} returns. */
export interface GracefulShutdown {
  /**
   * Runs the shutdown as a signal would, ending in `exit`. Idempotent:
   * later calls return the same promise. Never rejects.
   */
  shutdown(reason?: string): Promise<ShutdownSummary>;
  /** Removes the signal and server listeners (a shutdown under way continues). */
  dispose(): void;
  /** Requests currently in flight. */
  readonly inFlight: number;
  /** True once the shutdown has begun. */
  readonly shuttingDown: boolean;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const DEFAULT_HOOK_GRACE_MS = 1000;
const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long the exit waits for the logger to flush. */
const FLUSH_TIMEOUT_MS = 500;

/**
 * Makes `server` shut down gracefully on `signals`. The sequence:
 *
 * 1. readiness fails at once (`health.markShuttingDown()`);
 * 2. the server stops accepting connections; idle keep-alive connections are
 *    closed, and responses not yet started get `Connection: close`;
 * 3. in-flight requests drain until `drainTimeoutMs` after the signal;
 * 4. connections still open then are destroyed (their requests are "cut");
 * 5. the `onShutdown` hooks run, bounded by the deadline (see `hookGraceMs`);
 * 6. one log line reports drained and cut requests, failed hooks and elapsed
 *    milliseconds, and the process exits with 0, or 1 if a request was cut
 *    or a hook failed.
 *
 * A second signal during the shutdown logs a line and exits with 1 at once.
 * In-flight requests are counted from `request` to the response's `close`;
 * upgraded connections (WebSockets) are not requests and are destroyed with
 * the rest once the drain ends. Throws a {@link VigilError} with code
 * `SHUTDOWN_OPTIONS_INVALID` for invalid options; never throws afterwards.
 *
 * Install once per server, at start-up, before it listens. The returned
 * `shutdown()` may be called from anywhere, any number of times.
 */
export function installGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const opts = validate(options);
  const { server, health, drainTimeoutMs, hookGraceMs, hooks, signals, exit } = opts;
  const logger = opts.logger ?? stdoutLogger;
  const exitSafely = (code: number): void => {
    try {
      exit(code);
    } catch (err) {
      log(
        logger,
        'error',
        { error: describeError(err) },
        `exit(${code}) threw: ${describeError(err)}`,
      );
    }
  };

  const active = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let phase: 'serving' | 'draining' | 'finishing' = 'serving';
  let drained = 0;
  let onIdle: (() => void) | undefined;
  let startedAt = 0;
  let running: Promise<ShutdownSummary> | undefined;

  const closeIdle = (): void => {
    server.closeIdleConnections();
  };

  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
    active.add(res);
    // A request on a connection kept open during the drain: serve it, then close.
    if (phase !== 'serving' && !res.headersSent) res.setHeader('Connection', 'close');
    res.once('close', () => {
      if (!active.delete(res) || phase !== 'draining') return;
      drained++;
      // A response that had started before the signal left its connection keep-alive.
      setImmediate(closeIdle);
      if (active.size === 0) onIdle?.();
    });
  };

  const run = async (reason: string): Promise<ShutdownSummary> => {
    startedAt = performance.now();
    const deadline = startedAt + drainTimeoutMs;
    phase = 'draining';
    health?.markShuttingDown();
    const inFlightAtSignal = active.size;
    for (const res of active) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    server.close(noop); // stops accepting; its error (not listening) does not matter here
    closeIdle();
    log(
      logger,
      'info',
      { reason, in_flight: inFlightAtSignal, drain_timeout_ms: drainTimeoutMs },
      `shutdown started (${reason}): stopped accepting connections; draining ` +
        `${plural(inFlightAtSignal, 'in-flight request')} for up to ${drainTimeoutMs} ms`,
    );

    await waitUntilIdle(deadline);
    phase = 'finishing';
    const cut = active.size;
    active.clear();
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections(); // also those accepted before installation

    const hooksFailed = await runHooks(
      hooks,
      Math.max(deadline - performance.now(), hookGraceMs),
      logger,
    );

    const elapsedMs = Math.round(performance.now() - startedAt);
    const exitCode: 0 | 1 = cut > 0 || hooksFailed > 0 ? 1 : 0;
    const summary: ShutdownSummary = Object.freeze({
      reason,
      drained,
      cut,
      hooksFailed,
      elapsedMs,
      exitCode,
    });
    const what =
      cut > 0
        ? `the ${drainTimeoutMs} ms drain deadline cut ${plural(cut, 'request')}, ${drained} drained`
        : `drained ${plural(drained, 'request')}, none cut`;
    const hooksText =
      hooks.length === 0
        ? ''
        : hooksFailed > 0
          ? `, ${hooksFailed} of ${plural(hooks.length, 'shutdown hook')} failed`
          : `, ${plural(hooks.length, 'shutdown hook')} ran`;
    log(
      logger,
      exitCode === 0 ? 'info' : 'warn',
      {
        reason,
        drained,
        cut,
        hooks_failed: hooksFailed,
        elapsed_ms: elapsedMs,
        exit_code: exitCode,
      },
      `shutdown (${reason}) finished in ${elapsedMs} ms: ${what}${hooksText}; exiting with ${exitCode}`,
    );
    await flush(logger);
    exitSafely(exitCode);
    return summary;
  };

  const waitUntilIdle = (deadline: number): Promise<void> => {
    if (active.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          onIdle = undefined;
          resolve();
        },
        Math.max(0, deadline - performance.now()),
      );
      onIdle = () => {
        clearTimeout(timer);
        onIdle = undefined;
        resolve();
      };
    });
  };

  const shutdown = (reason = 'shutdown requested'): Promise<ShutdownSummary> => {
    running ??= run(String(reason)).catch(async (err: unknown) => {
      // Not expected; still leave the process the way a shutdown should.
      log(
        logger,
        'error',
        { reason, error: describeError(err) },
        `shutdown failed: ${describeError(err)}; exiting with 1`,
      );
      await flush(logger);
      exitSafely(1);
      return Object.freeze({
        reason: String(reason),
        drained,
        cut: active.size,
        hooksFailed: 0,
        elapsedMs: Math.round(performance.now() - startedAt),
        exitCode: 1 as const,
      });
    });
    return running;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (running === undefined) {
      void shutdown(signal);
      return;
    }
    const elapsedMs = Math.round(performance.now() - startedAt);
    log(
      logger,
      'warn',
      { reason: signal, in_flight: active.size, elapsed_ms: elapsedMs, exit_code: 1 },
      `received ${signal} again ${elapsedMs} ms into the shutdown: exiting with 1 now, ` +
        `abandoning ${plural(active.size, 'in-flight request')}`,
    );
    void flush(logger).then(() => exitSafely(1));
  };

  server.prependListener('connection', onConnection);
  server.prependListener('request', onRequest);
  for (const signal of signals) process.on(signal, onSignal);

  return {
    shutdown,
    dispose(): void {
      for (const signal of signals) process.removeListener(signal, onSignal);
      server.removeListener('connection', onConnection);
      server.removeListener('request', onRequest);
    },
    get inFlight(): number {
      return active.size;
    },
    get shuttingDown(): boolean {
      return running !== undefined;
    },
  };
}

async function runHooks(
  hooks: readonly ShutdownHook[],
  budgetMs: number,
  logger: HealthLogger,
): Promise<number> {
  if (hooks.length === 0) return 0;
  const end = performance.now() + budgetMs;
  const controller = new AbortController();
  let failed = 0;
  for (let i = 0; i < hooks.length; i++) {
    const hook = hooks[i]!;
    const name = hook.name || `#${i + 1}`;
    const left = end - performance.now();
    if (left <= 0) {
      const skipped = hooks.length - i;
      failed += skipped;
      log(
        logger,
        'error',
        { hooks_skipped: skipped },
        `shutdown hooks ran out of time: ${plural(skipped, 'hook')} not run`,
      );
      break;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<unknown>((resolve) => resolve(hook(controller.signal))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`did not finish within ${Math.round(left)} ms`)),
            left,
          );
        }),
      ]);
    } catch (err) {
      failed++;
      log(
        logger,
        'error',
        { hook: name, error: describeError(err) },
        `shutdown hook ${name} failed: ${describeError(err)}`,
      );
      if (performance.now() >= end) controller.abort();
    } finally {
      clearTimeout(timer);
    }
  }
  controller.abort();
  return failed;
}

interface ValidOptions {
  server: Server;
  health: HealthRegistry | undefined;
  drainTimeoutMs: number;
  hookGraceMs: number;
  hooks: readonly ShutdownHook[];
  signals: readonly NodeJS.Signals[];
  exit: (code: number) => void;
  logger: HealthLogger | undefined;
}

function validate(options: GracefulShutdownOptions): ValidOptions {
  const opts = options as Partial<GracefulShutdownOptions> | undefined;
  if (opts === undefined || opts === null || typeof opts !== 'object') {
    throw invalid('installGracefulShutdown() needs an options object with at least { server }.');
  }
  const server = opts.server;
  if (
    server === undefined ||
    server === null ||
    typeof server.close !== 'function' ||
    typeof server.closeIdleConnections !== 'function'
  ) {
    throw invalid('installGracefulShutdown(): "server" must be a node:http (or https) Server.');
  }
  const drainTimeoutMs = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  if (!isDelay(drainTimeoutMs) || drainTimeoutMs === 0) {
    throw invalid(
      `installGracefulShutdown(): "drainTimeoutMs" must be a positive number of milliseconds ` +
        `up to ${MAX_TIMER_MS}, got ${String(drainTimeoutMs)}.`,
    );
  }
  const hookGraceMs = opts.hookGraceMs ?? DEFAULT_HOOK_GRACE_MS;
  if (!isDelay(hookGraceMs)) {
    throw invalid(
      `installGracefulShutdown(): "hookGraceMs" must be a number of milliseconds from 0 ` +
        `to ${MAX_TIMER_MS}, got ${String(hookGraceMs)}.`,
    );
  }
  const rawHooks: unknown = opts.onShutdown ?? [];
  const hooks = (Array.isArray(rawHooks) ? [...(rawHooks as unknown[])] : [rawHooks]).map(
    (hook, i) => {
      if (typeof hook !== 'function') {
        throw invalid(
          `installGracefulShutdown(): "onShutdown" must be a function or an array of functions; ` +
            `item ${i} is ${typeof hook}.`,
        );
      }
      return hook as ShutdownHook;
    },
  );
  const signals: unknown = opts.signals ?? DEFAULT_SIGNALS;
  if (!Array.isArray(signals) || signals.some((s) => typeof s !== 'string' || s === '')) {
    throw invalid(
      'installGracefulShutdown(): "signals" must be an array of signal names such as ["SIGTERM"].',
    );
  }
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  if (typeof exit !== 'function') {
    throw invalid('installGracefulShutdown(): "exit" must be a function (code) => void.');
  }
  const health = opts.health;
  if (health !== undefined && typeof health?.markShuttingDown !== 'function') {
    throw invalid('installGracefulShutdown(): "health" must be a HealthRegistry.');
  }
  return {
    server,
    health,
    drainTimeoutMs,
    hookGraceMs,
    hooks,
    signals: [...(signals as NodeJS.Signals[])],
    exit,
    logger: opts.logger,
  };
}

function isDelay(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_TIMER_MS;
}

function invalid(message: string): VigilError {
  return new VigilError(ErrorCodes.SHUTDOWN_OPTIONS_INVALID, message);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** pino's numeric levels, so the default lines parse like pino's. */
const LEVELS = { info: 30, warn: 40, error: 50 } as const;

const stdoutLogger: HealthLogger = {
  info: (fields, message) => writeLine('info', fields, message),
  warn: (fields, message) => writeLine('warn', fields, message),
  error: (fields, message) => writeLine('error', fields, message),
};

function writeLine(level: keyof typeof LEVELS, fields: Record<string, unknown>, msg: string): void {
  process.stdout.write(
    JSON.stringify({ level: LEVELS[level], time: Date.now(), ...fields, msg }) + '\n',
  );
}

function log(
  logger: HealthLogger,
  level: keyof typeof LEVELS,
  fields: Record<string, unknown>,
  message: string,
): void {
  try {
    logger[level](fields, message);
  } catch {
    // A broken logger must not stop the shutdown.
  }
}

/**
 * Waits (briefly) for an asynchronous logger to write out its buffer. pino's
 * default destination answers at once and writes its buffer synchronously
 * at exit instead, so no line is lost, though the last few may come out in
 * a different order (each carries its time).
 */
function flush(logger: HealthLogger): Promise<void> {
  const fn = (logger as { flush?: unknown }).flush;
  if (typeof fn !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    try {
      (fn as (cb: (err?: unknown) => void) => void).call(logger, done);
    } catch {
      done();
    }
  });
}

function noop(): void {}
