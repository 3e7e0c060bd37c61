import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  Counter,
  HealthRegistry,
  Histogram,
  healthHandlers,
  metricsHandler,
  runWithCorrelation,
  timed,
  type Logger,
  type Registry,
} from '@vigil/sdk';
import type { UserStore } from './db.js';

/** What the users service needs to run. */
export interface UserServiceOptions {
  store: UserStore;
  logger: Logger;
  registry: Registry;
  version: string;
}

/** A running users service. */
export interface UserService {
  server: Server;
  health: HealthRegistry;
  /** Starts listening; resolves with the base URL. */
  listen(port: number, host: string): Promise<string>;
}

const USER_ROUTE = /^\/api\/users\/([^/]+)$/;
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The users API on plain `node:http`, instrumented with the SDK directly:
 * RED metrics per route template, a timed database lookup, correlated logs,
 * `/metrics`, `/health`, `/livez` and `/readyz`.
 */
export function createUserService(options: UserServiceOptions): UserService {
  const { store, logger, registry } = options;
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by method, route template and status code.',
    labelNames,
    registry,
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code.',
    labelNames,
    registry,
  });
  const getUser = timed('user_lookup', (id: number) => store.get(id), { registry });

  const health = new HealthRegistry({ version: options.version, registry, logger });
  health.register({ name: 'sqlite', critical: true, timeoutMs: 1000, check: () => store.ping() });
  const { routeHealth } = healthHandlers(health);
  const serveMetrics = metricsHandler(registry);

  function handleUser(res: ServerResponse, rawId: string): number {
    if (!/^\d{1,15}$/.test(rawId)) {
      sendJson(res, 400, { error: 'bad_request', message: 'User id must be a positive integer.' });
      return 400;
    }
    let user;
    try {
      user = getUser(Number(rawId));
    } catch (err) {
      logger.error({ err, user_id: rawId }, 'user lookup failed');
      sendJson(res, 500, { error: 'internal', message: 'The user could not be loaded.' });
      return 500;
    }
    if (user === undefined) {
      sendJson(res, 404, { error: 'not_found', message: `No user with id ${rawId}.` });
      return 404;
    }
    sendJson(res, 200, user);
    return 200;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path === '/metrics') return serveMetrics(req, res);
    if (routeHealth(req, res)) return;

    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    runWithCorrelation({ request_id: requestId }, () => {
      const started = performance.now();
      const method = req.method ?? 'GET';
      const match = USER_ROUTE.exec(path);
      let route: string;
      let status: number;
      if (match && method === 'GET') {
        route = '/api/users/:id';
        status = handleUser(res, decodeURIComponent(match[1]!));
      } else {
        // One fixed route label for everything unmatched keeps cardinality bounded.
        route = 'unmatched';
        status = 404;
        sendJson(res, 404, { error: 'not_found', message: 'No such route.' });
      }
      const seconds = (performance.now() - started) / 1000;
      const labels = { method: method === 'GET' ? 'GET' : 'OTHER', route, status };
      requests.inc(labels);
      duration.observe(labels, seconds);
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      logger[level](
        { method, route, status, duration_ms: Math.round(seconds * 1e6) / 1e3 },
        'request served',
      );
    });
  }

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      logger.error({ err }, 'unexpected error');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: 'Unexpected error.' });
      else res.destroy();
    }
  });

  return {
    server,
    health,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
        });
      }),
  };
}
