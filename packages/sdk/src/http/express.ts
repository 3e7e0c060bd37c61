/**
 * The Express adapter (Express 4 and 5). Structural types only: the SDK
 * does not depend on Express.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpInstrumentation, requestRecordOf } from './core.js';
import type { HttpInstrumentationOptions } from './core.js';
import { httpEndpoints } from './endpoints.js';
import type { EndpointOptions } from './endpoints.js';

/** What the adapter reads of an Express request. */
export interface ExpressRequestLike extends IncomingMessage {
  /** The matched route, set by Express's router. */
  route?: { path?: unknown };
  /** The mount path of the router that matched. */
  baseUrl?: string;
}

/** An Express middleware, as the adapter returns it. */
export type ExpressMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/** An Express error-handling middleware. */
export type ExpressErrorMiddleware = (
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/** The route template Express matched: the router's mount path and the route's path. */
function expressRoute(req: IncomingMessage): string | undefined {
  const r = req as ExpressRequestLike;
  const path = r.route?.path;
  let template: string;
  if (typeof path === 'string') template = path;
  // A RegExp or array route is labelled by its source: still one value per route.
  else if (path instanceof RegExp) template = path.source;
  else if (Array.isArray(path)) template = path.map(String).join('|');
  else return undefined;
  return (typeof r.baseUrl === 'string' ? r.baseUrl : '') + template;
}

/**
 * Vigil's HTTP instrumentation as an Express middleware; `app.use()` it
 * before the routes. The `route` label is the matched route's template
 * (`req.baseUrl + req.route.path`); requests no route handled, including
 * those answered by other middleware, are `unmatched`.
 */
export function expressInstrumentation(
  options: HttpInstrumentationOptions = {},
): ExpressMiddleware {
  const core = new HttpInstrumentation(options);
  return function vigilInstrumentation(req, res, next) {
    if (core.serveAdmin(req, res)) return;
    const record = core.begin(req, res);
    if (record === undefined) {
      next();
      return;
    }
    // Express assigns `req.route` when a route matches, while `req.baseUrl`
    // still holds the mount path of the router it belongs to; an error
    // leaving that router resets `baseUrl`, so the template is taken then.
    let route: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set: (value: unknown) => {
        route = value;
        const template = expressRoute(req);
        if (template !== undefined) record.route = template;
      },
    });
    // Express routes after this middleware: faults scoped to a route match the raw path.
    core.run(record, () => core.proceed(record, res, undefined, next));
  };
}

/**
 * An error-handling middleware that records the error on the request's span
 * and access-log line, then passes it on unchanged (`next(err)`). Mount it
 * after the routes and before your own error handler.
 */
export function expressErrorRecorder(): ExpressErrorMiddleware {
  return function vigilErrorRecorder(err, req, _res, next) {
    const record = requestRecordOf(req);
    if (record !== undefined) record.owner.recordError(record, err);
    next(err);
  };
}

/**
 * `/metrics`, `/health`, `/livez` and `/readyz` as one Express middleware:
 * `app.use(expressEndpoints())`. Other paths pass through.
 */
export function expressEndpoints(options: EndpointOptions = {}): ExpressMiddleware {
  const handle = httpEndpoints(options);
  return function vigilEndpoints(req, res, next) {
    if (!handle(req, res)) next();
  };
}
