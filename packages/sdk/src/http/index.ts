export {
  HttpInstrumentation,
  RequestRecord,
  HttpMetricNames,
  DEFAULT_EXCLUDED_PATHS,
  UNMATCHED_ROUTE,
  DEFAULT_HTTP_DURATION_BUCKETS,
  DEFAULT_HTTP_SIZE_BUCKETS,
  CLIENT_CLOSED_STATUS,
  MAX_LOGGED_PATH_LENGTH,
  normaliseMethod,
  requestRecordOf,
  writeInjectedError,
} from './core.js';
export type { HttpInstrumentationOptions } from './core.js';
export { instrumentHttp, setRoute } from './node.js';
export type { HttpHandler, NodeHttpInstrumentationOptions } from './node.js';
export { expressInstrumentation, expressErrorRecorder, expressEndpoints } from './express.js';
export type { ExpressRequestLike, ExpressMiddleware, ExpressErrorMiddleware } from './express.js';
export { fastifyInstrumentation, fastifyEndpoints } from './fastify.js';
export type {
  FastifyRequestLike,
  FastifyReplyLike,
  FastifyInstanceLike,
  FastifyPlugin,
} from './fastify.js';
export { httpEndpoints } from './endpoints.js';
export type { EndpointOptions, EndpointHandler } from './endpoints.js';
export { compileRoutes } from './route-matcher.js';
export type { RouteMatcher } from './route-matcher.js';
export {
  REQUEST_ID_HEADER,
  MAX_REQUEST_ID_LENGTH,
  isSaneRequestId,
  resolveRequestId,
} from './request-id.js';
