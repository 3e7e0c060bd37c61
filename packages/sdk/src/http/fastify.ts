/**
 * The Fastify adapter (Fastify 5), as plugins. Structural types only: the
 * SDK does not depend on Fastify.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpInstrumentation, requestRecordOf } from './core.js';
import type { HttpInstrumentationOptions } from './core.js';
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
  route(options: {
    method: string | string[];
    url: string;
    handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => void;
  }): unknown;
}

/** A Fastify plugin in callback style, applied to the whole application. */
export type FastifyPlugin<O> = (instance: FastifyInstanceLike, options: O, done: Done) => void;

/**
 * Fastify runs a plugin in its own encapsulated context unless the plugin
 * says otherwise; these are the marks the `fastify-plugin` package sets, so
 * the hooks apply to every route of the application.
 */
function global<O>(plugin: FastifyPlugin<O>, name: string): FastifyPlugin<O> {
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  Object.defineProperty(plugin, Symbol.for('fastify.display-name'), { value: name });
  return plugin;
}

/**
 * Vigil's HTTP instrumentation as a Fastify plugin:
 * `await app.register(fastifyInstrumentation, options)`, before the routes.
 * The `route` label is Fastify's route template (`/api/users/:id`); the
 * not-found handler's requests are `unmatched`. Errors thrown by handlers
 * and hooks are recorded on the request's span and access-log line.
 */
export const fastifyInstrumentation: FastifyPlugin<HttpInstrumentationOptions> = global(
  (fastify, options, done) => {
    const core = new HttpInstrumentation(options);
    fastify.addHook('onRequest', (request, reply, next) => {
      const record = core.begin(request.raw, reply.raw);
      if (record === undefined) {
        next();
        return;
      }
      const url = request.routeOptions?.url;
      if (typeof url === 'string' && url !== '') record.route = url;
      core.run(record, () => next());
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
