/**
 * `init()` and `shutdown()`: the whole SDK from one options object.
 */
import { ErrorCodes, VigilError } from '@vigil/model';
import { diagWarn, setDiagnosticSink } from '../diag.js';
import { HealthRegistry } from '../health/index.js';
import { createLogger, flushLogger } from '../log/index.js';
import type { Logger, LoggerOptions } from '../log/index.js';
import { defaultRegistry } from '../metrics/index.js';
import type { Registry } from '../metrics/index.js';
import { collectProcessMetrics } from '../process/index.js';
import type { ProcessMetricsHandle, ProcessMetricsOptions } from '../process/index.js';
import {
  DEFAULT_SERVICE_NAME,
  parseResourceAttributes,
  resolveTracingConfig,
  startTracing,
} from '../tracing/index.js';
import type { TracingHandle, TracingOptions } from '../tracing/index.js';
import { currentRuntime, setRuntime } from './state.js';
import type { SdkRuntime } from './state.js';

/** Options of {@link init}. Every field is optional; the environment fills the gaps. */
export interface InitOptions {
  /**
   * `service.name`: the `service` field of log lines and the trace resource.
   * Default: `OTEL_SERVICE_NAME`, then `service.name` in
   * `OTEL_RESOURCE_ATTRIBUTES`, then `unknown_service:node`.
   */
  serviceName?: string;
  /**
   * `service.version`. Default: `service.version` in `OTEL_RESOURCE_ATTRIBUTES`,
   * then `npm_package_version` (set by `npm start`), then `unknown`.
   */
  version?: string;
  /** `service.instance.id` on spans. Default: from the environment, else a random UUID per process. */
  instanceId?: string;
  /**
   * The logger: options for a new one (level from `LOG_LEVEL` unless given),
   * or a logger of your own (from `createLogger`). Default: a new JSON logger
   * to standard output with SDK diagnostics routed through it.
   */
  logger?: Omit<LoggerOptions, 'service' | 'version' | 'env'> | Logger;
  /** Registry for every SDK metric. Default: the default registry. */
  registry?: Registry;
  /** Process and Node.js runtime metrics (default on); options, or false for none. */
  processMetrics?: boolean | Omit<ProcessMetricsOptions, 'registry'>;
  /**
   * Tracing over OTLP/HTTP (default on; see `startTracing` for the options
   * and `OTEL_*` variables); false for none. Also off when
   * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
   */
  tracing?: boolean | Omit<TracingOptions, 'serviceName' | 'serviceVersion' | 'registry' | 'env'>;
  /** Options of the health registry behind `/health`, `/livez`, `/readyz`. */
  health?: { cacheTtlMs?: number };
  /** Environment read instead of `process.env` (for tests). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What {@link init} returns: the parts it set up. */
export interface Vigil {
  readonly serviceName: string;
  readonly version: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly health: HealthRegistry;
  /** The tracing setup, when tracing is on. */
  readonly tracing: TracingHandle | undefined;
  /** Same as the module's {@link shutdown}. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

interface Active {
  readonly vigil: Vigil;
  readonly processMetrics: ProcessMetricsHandle | undefined;
  readonly ownsLogger: boolean;
  /** Whether SDK diagnostics were routed to the logger here (and must be unrouted). */
  readonly routedDiagnostics: boolean;
}

let active: Active | undefined;
let shuttingDown: Promise<void> | undefined;

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function resourceAttribute(env: Env, key: string): string | undefined {
  const text = nonEmpty(env.OTEL_RESOURCE_ATTRIBUTES);
  if (text === undefined) return undefined;
  const parsed = parseResourceAttributes(text);
  return 'attributes' in parsed ? nonEmpty(parsed.attributes[key]) : undefined;
}

function checkName(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new VigilError(
      ErrorCodes.CONFIG_INVALID,
      `init() option "${name}" must be a non-empty string; got ${JSON.stringify(value)}.`,
      { details: { [name]: value } },
    );
  }
  return value;
}

function tracingDisabledByEnv(env: Env): string | undefined {
  if (nonEmpty(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true') return 'OTEL_SDK_DISABLED=true';
  const exporter = nonEmpty(env.OTEL_TRACES_EXPORTER)?.toLowerCase();
  if (exporter === 'none') return 'OTEL_TRACES_EXPORTER=none';
  if (exporter !== undefined && exporter !== 'otlp') {
    diagWarn(
      { code: ErrorCodes.CONFIG_INVALID, OTEL_TRACES_EXPORTER: exporter },
      `OTEL_TRACES_EXPORTER=${exporter} is not supported; spans are exported over OTLP/HTTP. ` +
        'Use "otlp" or "none".',
    );
  }
  return undefined;
}

function isLogger(value: unknown): value is Logger {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Logger).info === 'function' &&
    typeof (value as Logger).child === 'function'
  );
}

/**
 * Sets up the SDK: the logger (SDK diagnostics go through it), the metrics
 * registry with process metrics, tracing over OTLP/HTTP with trace ids on
 * log lines and exemplars, and the health registry the endpoints serve. The
 * HTTP adapters, database wrappers and fault injection use what it set up
 * unless handed their own.
 *
 * Call once, at startup, before creating servers. A second call while the
 * SDK runs changes nothing: it returns the running setup and warns. Without
 * `init()` every SDK API still works and costs little: the logger is silent,
 * no spans are recorded, metrics go to the default registry.
 *
 * Throws a `VigilError` (`CONFIG_INVALID`) for invalid options, before
 * anything is set up; never throws otherwise.
 */
export function init(options: InitOptions = {}): Vigil {
  if (active !== undefined) {
    diagWarn(
      { code: ErrorCodes.CONFIG_INVALID },
      'init() was called again while Vigil runs; the second call is ignored. Call shutdown() ' +
        'first to start over with other options.',
    );
    return active.vigil;
  }
  const env = options.env ?? process.env;
  const serviceName =
    checkName('serviceName', options.serviceName) ??
    nonEmpty(env.OTEL_SERVICE_NAME) ??
    resourceAttribute(env, 'service.name') ??
    DEFAULT_SERVICE_NAME;
  const version =
    checkName('version', options.version) ??
    resourceAttribute(env, 'service.version') ??
    nonEmpty(env.npm_package_version) ??
    'unknown';
  const registry = options.registry ?? defaultRegistry;

  // Everything that can reject the options is checked before anything is set up.
  const disabledBy = tracingDisabledByEnv(env);
  let tracingOptions: TracingOptions | undefined;
  if (options.tracing !== false && disabledBy === undefined) {
    tracingOptions = {
      ...(typeof options.tracing === 'object' ? options.tracing : {}),
      serviceName,
      serviceVersion: version,
      ...(options.instanceId === undefined ? {} : { serviceInstanceId: options.instanceId }),
      registry,
      env,
    };
    resolveTracingConfig(tracingOptions);
  }

  const ownsLogger = !isLogger(options.logger);
  let routedDiagnostics = false;
  let logger: Logger;
  if (isLogger(options.logger)) {
    logger = options.logger;
  } else {
    const loggerOptions = options.logger ?? {};
    routedDiagnostics = loggerOptions.diagnostics ?? true;
    logger = createLogger({
      ...loggerOptions,
      diagnostics: routedDiagnostics,
      service: serviceName,
      version,
      env,
    });
  }

  let tracing: TracingHandle | undefined;
  if (tracingOptions !== undefined) tracing = startTracing(tracingOptions);

  const processMetrics =
    options.processMetrics === false
      ? undefined
      : collectProcessMetrics({
          ...(typeof options.processMetrics === 'object' ? options.processMetrics : {}),
          registry,
        });

  const health = new HealthRegistry({
    version,
    registry,
    logger,
    ...(options.health?.cacheTtlMs === undefined ? {} : { cacheTtlMs: options.health.cacheTtlMs }),
  });

  const vigil: Vigil = {
    serviceName,
    version,
    logger,
    registry,
    health,
    tracing,
    shutdown,
  };
  const runtime: SdkRuntime = { initialized: true, serviceName, version, logger, registry, health };
  setRuntime(runtime);
  active = { vigil, processMetrics, ownsLogger, routedDiagnostics };
  logger.debug(
    { tracing: tracing === undefined ? (disabledBy ?? 'off') : tracing.config.endpoint },
    'vigil initialised',
  );
  return vigil;
}

/**
 * Stops what {@link init} started: exports the spans still buffered
 * (bounded by the export timeout), stops the process-metric monitors and
 * flushes the log. Afterwards the SDK is inert again and `init()` may run
 * anew. Idempotent; never rejects; a no-op without `init()`.
 */
export function shutdown(): Promise<void> {
  if (shuttingDown !== undefined) return shuttingDown;
  const current = active;
  if (current === undefined) return Promise.resolve();
  active = undefined;
  setRuntime(undefined);
  shuttingDown = (async () => {
    current.processMetrics?.stop();
    await current.vigil.tracing?.shutdown();
    current.vigil.health.detachMetrics();
    if (current.routedDiagnostics) setDiagnosticSink(undefined);
    if (current.ownsLogger) await flushLogger(current.vigil.logger).catch(() => undefined);
  })().finally(() => {
    shuttingDown = undefined;
  });
  return shuttingDown;
}

/** Whether {@link init} has run (and {@link shutdown} not since). */
export function isInitialized(): boolean {
  return currentRuntime().initialized;
}
