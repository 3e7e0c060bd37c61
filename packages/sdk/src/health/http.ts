/**
 * `/health`, `/livez` and `/readyz` for a plain `node:http` server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { diagError } from '../diag.js';
import { describeError } from './registry.js';
import type { HealthRegistry } from './registry.js';

/** A `node:http` request listener. */
export type HealthRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** What {@link healthHandlers} returns. */
export interface HealthHandlers {
  /** Full report: 200 when healthy or degraded, 503 when unhealthy. */
  readonly health: HealthRequestHandler;
  /** Liveness: always 200 while the process answers; runs no checks. */
  readonly livez: HealthRequestHandler;
  /** Readiness: 200 when every critical dependency is up, 503 otherwise and during shutdown. */
  readonly readyz: HealthRequestHandler;
  /**
   * Answers `GET`/`HEAD` `/health`, `/livez` and `/readyz` (any query string)
   * and returns true; returns false, touching nothing, for any other path, so
   * a server mounts all three with
   * `if (routeHealth(req, res)) return;` at the top of its listener.
   */
  readonly routeHealth: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** Paths answered by {@link HealthHandlers.routeHealth}. */
export const HealthPaths = {
  health: '/health',
  livez: '/livez',
  readyz: '/readyz',
} as const;

const ALLOW = 'GET, HEAD';

/**
 * Request handlers for a {@link HealthRegistry}. Bodies are JSON and never
 * cached (`Cache-Control: no-store`); `HEAD` gets the headers of `GET`; any
 * other method gets 405 with `Allow: GET, HEAD`. The handlers never throw:
 * an internal failure answers 500. They serve any number of concurrent
 * requests; concurrent `/health` and `/readyz` probes share one run of the
 * checks (see {@link HealthRegistry.check}).
 */
export function healthHandlers(registry: HealthRegistry): HealthHandlers {
  const health: HealthRequestHandler = (req, res) => {
    if (!allowed(req, res)) return;
    answer(
      req,
      res,
      registry.check().then((report) => ({
        status: report.status === 'unhealthy' ? 503 : 200,
        body: report,
      })),
    );
  };
  const livez: HealthRequestHandler = (req, res) => {
    if (!allowed(req, res)) return;
    send(req, res, 200, registry.liveness());
  };
  const readyz: HealthRequestHandler = (req, res) => {
    if (!allowed(req, res)) return;
    answer(
      req,
      res,
      registry.readiness().then((report) => ({
        status: report.status === 'ready' ? 200 : 503,
        body: report,
      })),
    );
  };
  const routes = new Map<string, HealthRequestHandler>([
    [HealthPaths.health, health],
    [HealthPaths.livez, livez],
    [HealthPaths.readyz, readyz],
  ]);
  const routeHealth = (req: IncomingMessage, res: ServerResponse): boolean => {
    const handler = routes.get(pathOf(req.url));
    if (handler === undefined) return false;
    handler(req, res);
    return true;
  };
  return Object.freeze({ health, livez, readyz, routeHealth });
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function allowed(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.setHeader('Allow', ALLOW);
  send(req, res, 405, {
    error: `method ${req.method ?? '(none)'} not allowed; use ${ALLOW}`,
  });
  return false;
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  pending: Promise<{ status: number; body: unknown }>,
): void {
  pending.then(
    ({ status, body }) => send(req, res, status, body),
    (err: unknown) => {
      diagError({ error: describeError(err), url: req.url }, 'health endpoint failed');
      send(req, res, 500, { error: 'health endpoint failed; see the service log' });
    },
  );
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  // The client may have gone away while the checks ran.
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  try {
    const payload = JSON.stringify(body);
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Length', Buffer.byteLength(payload));
    if (req.method === 'HEAD') res.end();
    else res.end(payload);
  } catch (err) {
    diagError({ error: describeError(err), url: req.url }, 'writing a health response failed');
    res.destroy();
  }
}
