/**
 * The process-wide SDK state that `init()` sets up and every integration
 * (HTTP middleware, database wrappers, fault injection) falls back on when
 * it is not handed a logger, registry or health registry of its own.
 *
 * Before `init()` the state is inert: a silent logger (pino's `silent`
 * level: every call is an empty function), the default metrics registry
 * (recording into it costs a few tens of nanoseconds and is what a user of
 * any Prometheus client expects) and a health registry without checks.
 */
import { HealthRegistry } from '../health/index.js';
import { createLogger } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { defaultRegistry } from '../metrics/index.js';
import type { Registry } from '../metrics/index.js';

/** What integrations read from the SDK state. */
export interface SdkRuntime {
  /** True between `init()` and `shutdown()`. */
  readonly initialized: boolean;
  /** `service.name`: the `service` field of log lines and the trace resource. */
  readonly serviceName: string;
  /** `service.version`. */
  readonly version: string;
  /** The service's logger; a silent one before `init()`. */
  readonly logger: Logger;
  /** Where SDK metrics are registered; the default registry unless `init()` chose another. */
  readonly registry: Registry;
  /** Health checks served on `/health`, `/livez` and `/readyz`. */
  readonly health: HealthRegistry;
}

let silentLogger: Logger | undefined;
let inertHealth: HealthRegistry | undefined;
let current: SdkRuntime | undefined;

function inertRuntime(): SdkRuntime {
  silentLogger ??= createLogger({
    service: 'uninitialised',
    level: 'silent',
    destination: { write: () => undefined },
  });
  inertHealth ??= new HealthRegistry({ version: 'unknown' });
  return {
    initialized: false,
    serviceName: 'unknown_service:node',
    version: 'unknown',
    logger: silentLogger,
    registry: defaultRegistry,
    health: inertHealth,
  };
}

/** The SDK state in effect: what `init()` set up, or the inert defaults. */
export function currentRuntime(): SdkRuntime {
  return (current ??= inertRuntime());
}

/**
 * Replaces the SDK state (`undefined` restores the inert defaults).
 *
 * @internal Called by `init()` and `shutdown()` only.
 */
export function setRuntime(next: SdkRuntime | undefined): void {
  current = next;
}
