/**
 * The operational endpoints a scraper and an orchestrator need, as one
 * `node:http` handler the framework adapters mount.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { healthHandlers } from '../health/index.js';
import type { HealthRegistry } from '../health/index.js';
import { metricsHandler } from '../metrics/index.js';
import type { Registry } from '../metrics/index.js';
import { currentRuntime } from '../runtime/state.js';

/** Options of the endpoint mounts. */
export interface EndpointOptions {
  /** Registry served on `/metrics`. Default: the one `init()` set up, else the default registry. */
  registry?: Registry;
  /** Health checks served on `/health`, `/livez`, `/readyz`. Default: the one `init()` set up. */
  health?: HealthRegistry;
  /** Path of the metrics endpoint. Default `/metrics`. */
  metricsPath?: string;
}

/**
 * Answers `/metrics` (text or OpenMetrics by `Accept`), `/health`, `/livez`
 * and `/readyz` and returns true; returns false, touching nothing, for any
 * other path.
 */
export type EndpointHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The endpoints for a plain `node:http` server, mounted with one line at the
 * top of the listener: `if (endpoints(req, res)) return;`.
 */
export function httpEndpoints(options: EndpointOptions = {}): EndpointHandler {
  const runtime = currentRuntime();
  const serveMetrics = metricsHandler(options.registry ?? runtime.registry);
  const { routeHealth } = healthHandlers(options.health ?? runtime.health);
  const metricsPath = options.metricsPath ?? '/metrics';
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === metricsPath) {
      serveMetrics(req, res);
      return true;
    }
    return routeHealth(req, res);
  };
}
