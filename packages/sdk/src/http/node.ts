/**
 * The `node:http` adapter: wraps a request listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpInstrumentation, requestRecordOf } from './core.js';
import type { HttpInstrumentationOptions, RequestRecord } from './core.js';
import { compileRoutes } from './route-matcher.js';
import type { RouteMatcher } from './route-matcher.js';

/** A `node:http` request listener; it may return a promise. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Options of {@link instrumentHttp}. */
export interface NodeHttpInstrumentationOptions extends HttpInstrumentationOptions {
  /**
   * The service's route templates (`'/api/users/:id'`, `'/files/*'`), or a
   * function from path to template: plain `node:http` has no router to ask.
   * A request matching none is labelled `unmatched`; a handler may also name
   * its route itself with {@link setRoute}.
   */
  routes?: readonly string[] | RouteMatcher;
}

/**
 * Wraps a `node:http` request listener with Vigil's HTTP instrumentation:
 * `http.createServer(instrumentHttp(handler, { routes: ['/api/users/:id'] }))`.
 *
 * A handler that throws, or whose promise rejects, has the error recorded on
 * its span and access-log line and gets a 500 (or its connection closed when
 * the headers were already sent); the error does not reach the server.
 */
export function instrumentHttp(
  handler: HttpHandler,
  options: NodeHttpInstrumentationOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const core = new HttpInstrumentation(options);
  const routes = options.routes;
  const matcher: RouteMatcher | undefined =
    routes === undefined
      ? undefined
      : typeof routes === 'function'
        ? routes
        : compileRoutes(routes);
  return function instrumentedHandler(req, res) {
    if (core.serveAdmin(req, res)) return;
    const record = core.begin(req, res);
    if (record === undefined) {
      invoke(handler, req, res, undefined, core);
      return;
    }
    const route = matcher?.(record.path);
    if (route !== undefined) record.route = route;
    core.run(record, () =>
      core.proceed(record, res, route, () => invoke(handler, req, res, record, core)),
    );
  };
}

function invoke(
  handler: HttpHandler,
  req: IncomingMessage,
  res: ServerResponse,
  record: RequestRecord | undefined,
  core: HttpInstrumentation,
): void {
  const fail = (err: unknown): void => {
    if (record !== undefined) core.recordError(record, err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
    res.end('{"error":"internal","message":"Internal server error."}');
  };
  try {
    const result = handler(req, res);
    if (result instanceof Promise) result.catch(fail);
  } catch (err) {
    fail(err);
  }
}

/**
 * Names the route template of the current request from inside a handler
 * (`setRoute(req, '/api/users/:id')`), for servers that route by hand. A
 * request the instrumentation did not begin is ignored.
 */
export function setRoute(req: IncomingMessage, route: string): void {
  const record = requestRecordOf(req);
  if (record !== undefined && typeof route === 'string') record.route = route;
}
