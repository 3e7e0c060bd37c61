/**
 * The Fastify adapter (Fastify 5), as plugins. Structural types only: the
 * SDK does not depend on Fastify.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpInstrumentation, requestRecordOf } from './core.js';
import type { HttpInstrumentationOptions, RequestRecord } from './core.js';
import { HealthPaths } from '../health/index.js';
import { httpEndpoints } from './endpoints.js';
import type { EndpointOptions } from './endpoints.js';

/** What the adapter reads of a Fastify request. */
export interface FastifyRequestLike {
  readonly raw: IncomingMessage;
  /** The matched route; `url` is its template (undefined when no route matched). */
  readonly routeOptions?: { readonly url?: string };
}

/** What the adapter uses of a Fastify reply. */
export interface FastifyReplyLike {
  readonly raw: ServerResponse;
  /** Tells Fastify the response is written directly on `raw`. */
  hijack(): unknown;
}

type Done = (err?: Error) => void;

/** What the plugins use of a Fastify instance. */
export interface FastifyInstanceLike {
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: Done) => void,
  ): unknown;
  addHook(
    name: 'onError',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, error: Error, done: Done) => void,
  ): unknown;
  /** The underlying `node:http` server. */
  readonly server?: EventEmitter;
  route(options: {
    method: string | string[];
    url: string;
    handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => void;
  }): unknown;
}

/**
 * A Fastify plugin in callback style, applied to the whole application. The
 * instance is typed `unknown` so that any Fastify version's own instance type
 * is accepted; the plugins use only {@link FastifyInstanceLike}.
 */
export type FastifyPlugin<O> = (instance: unknown, options: O, done: Done) => void;

/**
 * Fastify runs a plugin in its own encapsulated context unless the plugin
 * says otherwise; these are the marks the `fastify-plugin` package sets, so
 * the hooks apply to every route of the application.
 */
function global<O>(
  body: (fastify: FastifyInstanceLike, options: O, done: Done) => void,
  name: string,
): FastifyPlugin<O> {
  const plugin: FastifyPlugin<O> = (instance, options, done) =>
    body(instance as FastifyInstanceLike, options, done);
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  Object.defineProperty(plugin, Symbol.for('fastify.display-name'), { value: name });
  return plugin;
}

/**
 * Vigil's HTTP instrumentation as a Fastify plugin:
 * `await app.register(fastifyInstrumentation, options)`, before the routes.
 * The `route` label is Fastify's route template (`/api/users/:id`); the
 * not-found handler's requests, and those Fastify rejects before routing,
 * are `unmatched`. Errors thrown by handlers
 * and hooks are recorded on the request's span and access-log line.
 */
export const fastifyInstrumentation: FastifyPlugin<HttpInstrumentationOptions> = global(
  (fastify, options, done) => {
    const core = new HttpInstrumentation(options);
    const wrapped = fastify.server !== undefined && wrapRequestListeners(fastify.server, core);
    fastify.addHook('onRequest', (request, reply, next) => {
      let record = requestRecordOf(request.raw);
      if (record === undefined && !wrapped) {
        // No server to wrap (a custom one without listeners): begin here.
        if (core.serveAdmin(request.raw, reply.raw)) {
          reply.hijack();
          return;
        }
        record = core.begin(request.raw, reply.raw);
        if (record !== undefined) {
          const started = record;
          core.run(started, () => applyFaults(core, started, request, reply, next));
          return;
        }
      }
      if (record === undefined) next();
      else applyFaults(core, record, request, reply, next);
    });
    fastify.addHook('onError', (request, _reply, error, next) => {
      const record = requestRecordOf(request.raw);
      if (record !== undefined) core.recordError(record, error);
      next();
    });
    done();
  },
  'vigil-instrumentation',
);

/** Notes the route template, then applies injected faults scoped to it. */
function applyFaults(
  core: HttpInstrumentation,
  record: RequestRecord,
  request: FastifyRequestLike,
  reply: FastifyReplyLike,
  next: Done,
): void {
  const url = request.routeOptions?.url;
  const route = typeof url === 'string' && url !== '' ? url : undefined;
  if (route !== undefined) record.route = route;
  core.proceed(record, reply.raw, route, next, reply);
}

const kWrapped: unique symbol = Symbol('vigil.fastify.wrapped');

/**
 * Begins each request at the server's `request` event, around Fastify's own
 * listener, rather than in an `onRequest` hook: requests Fastify rejects
 * before routing (an undecodable URL, a bad header) are counted too, and
 * Fastify's whole lifecycle, body parsing included, runs in the request's
 * context. Returns false when there is nothing to wrap.
 */
function wrapRequestListeners(
  server: EventEmitter & { [kWrapped]?: true },
  core: HttpInstrumentation,
): boolean {
  if (server[kWrapped]) return true;
  const listeners = server.listeners('request') as ((...args: unknown[]) => void)[];
  if (listeners.length === 0) return false;
  server.removeAllListeners('request');
  server.on('request', function instrumentedRequest(req: IncomingMessage, res: ServerResponse) {
    if (core.serveAdmin(req, res)) return;
    const dispatch = (): void => {
      for (const listener of listeners) listener.call(server, req, res);
    };
    const record = core.begin(req, res);
    if (record === undefined) dispatch();
    else core.run(record, dispatch);
  });
  server[kWrapped] = true;
  return true;
}

/**
 * `/metrics`, `/health`, `/livez` and `/readyz` as a Fastify plugin:
 * `await app.register(fastifyEndpoints)` (GET, and HEAD through Fastify's
 * automatic HEAD routes).
 */
export const fastifyEndpoints: FastifyPlugin<EndpointOptions> = global((fastify, options, done) => {
  const handle = httpEndpoints(options);
  const handler = (request: FastifyRequestLike, reply: FastifyReplyLike): void => {
    reply.hijack();
    handle(request.raw, reply.raw);
  };
  const paths = [
    options.metricsPath ?? '/metrics',
    HealthPaths.health,
    HealthPaths.livez,
    HealthPaths.readyz,
  ];
  for (const url of paths) fastify.route({ method: 'GET', url, handler });
  done();
}, 'vigil-endpoints');
