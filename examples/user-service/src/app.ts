import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthRegistry } from '@vigil/sdk';
import {
  httpEndpoints,
  instrumentHttp,
  withSpan,
  type FaultInjector,
  type Logger,
  type Registry,
} from '@vigil/sdk';
import type { UserStore } from './db.js';

/** What the users service needs to run. Logger, registry and health default to `init()`'s. */
export interface UserServiceOptions {
  store: UserStore;
  logger: Logger;
  registry?: Registry;
  /** Health checks served on `/health`; the service registers its `sqlite` check here. */
  health: HealthRegistry;
  /** Fault injection for game days (off unless enabled; see `FaultInjector`). */
  faults?: FaultInjector;
  /**
   * Base URL of the users service that `/api/users/:id/summary` asks for the
   * user (another instance, so that one request spans two services).
   * Default: this instance itself.
   */
  peerUrl?: string;
  /** How long a call to the peer may take (ms). Default 2000. */
  peerTimeoutMs?: number;
}

/** A running users service. */
export interface UserService {
  server: Server;
  /** Starts listening; resolves with the base URL. */
  listen(port: number, host: string): Promise<string>;
}

/** The service's route templates: the `route` label of its metrics. */
export const ROUTES = ['/api/users/:id', '/api/users/:id/summary'] as const;

const USER_PATH = /^\/api\/users\/([^/]+)(\/summary)?$/;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The users API on plain `node:http` with Vigil's HTTP instrumentation:
 * RED metrics per route template, a server span per request, request ids,
 * an access log, `/metrics`, `/health`, `/livez`, `/readyz` and the fault
 * injection admin endpoint. `GET /api/users/:id` reads SQLite;
 * `GET /api/users/:id/summary` asks a peer instance for the user over HTTP,
 * so its trace spans two services.
 */
export function createUserService(options: UserServiceOptions): UserService {
  const { store, logger } = options;
  const peerTimeoutMs = options.peerTimeoutMs ?? 2000;
  const endpoints = httpEndpoints({
    health: options.health,
    ...(options.registry === undefined ? {} : { registry: options.registry }),
  });
  let selfUrl = '';
  options.health.register({
    name: 'sqlite',
    critical: true,
    timeoutMs: 1000,
    check: () => store.ping(),
  });

  function getUser(res: ServerResponse, rawId: string): void {
    if (!/^\d{1,15}$/.test(rawId)) {
      sendJson(res, 400, { error: 'bad_request', message: 'User id must be a positive integer.' });
      return;
    }
    const user = store.get(Number(rawId));
    if (user === undefined) {
      sendJson(res, 404, { error: 'not_found', message: `No user with id ${rawId}.` });
      return;
    }
    sendJson(res, 200, user);
  }

  async function getSummary(res: ServerResponse, rawId: string): Promise<void> {
    const peer = options.peerUrl ?? selfUrl;
    const url = `${peer}/api/users/${encodeURIComponent(rawId)}`;
    let status: number;
    let body: unknown;
    try {
      const answer = await fetch(url, { signal: AbortSignal.timeout(peerTimeoutMs) });
      status = answer.status;
      body = await answer.json();
    } catch (err) {
      logger.warn({ err, peer }, 'the users peer did not answer');
      sendJson(res, 502, { error: 'bad_gateway', message: 'The users peer did not answer.' });
      return;
    }
    if (status !== 200) {
      // The peer's 4xx is the caller's; anything else is a failure here.
      const code = status >= 400 && status < 500 ? status : 502;
      sendJson(res, code, body);
      return;
    }
    const user = body as { name: string; email: string };
    const summary = withSpan('summarise user', () => ({
      name: user.name,
      domain: user.email.slice(user.email.indexOf('@') + 1),
      served_by: peer,
    }));
    sendJson(res, 200, summary);
  }

  const handler = instrumentHttp(
    async (req: IncomingMessage, res: ServerResponse) => {
      if (endpoints(req, res)) return;
      const path = (req.url ?? '/').split('?', 1)[0]!;
      const match = USER_PATH.exec(path);
      if (match === null || req.method !== 'GET') {
        sendJson(res, 404, { error: 'not_found', message: 'No such route.' });
        return;
      }
      const id = match[1]!;
      if (match[2] === undefined) getUser(res, id);
      else await getSummary(res, id);
    },
    {
      routes: ROUTES,
      logger,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      ...(options.faults === undefined ? {} : { faults: options.faults }),
    },
  );
  const server = createServer(handler);

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          selfUrl = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
          resolve(selfUrl);
        });
      }),
  };
}
