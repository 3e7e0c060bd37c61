export {
  snappyCompress,
  snappyDecompress,
  snappyUncompressedLength,
  snappyMaxCompressedLength,
  SNAPPY_MAX_UNCOMPRESSED_BYTES,
} from './remote-write/snappy.js';
export { decodeWriteRequest, encodeWriteRequest } from './remote-write/protobuf.js';
export type {
  DecodedSeries,
  DecodedWriteRequest,
  SeriesToEncode,
} from './remote-write/protobuf.js';
export { applyWriteRequest, prepareSeries } from './remote-write/handler.js';
export type { RemoteWriteOutcome } from './remote-write/handler.js';
export { RemoteWriteMetrics } from './remote-write/metrics.js';
export { createServerApp, DEFAULT_SERVER_LIMITS, REMOTE_WRITE_PATH } from './http/app.js';
export type { ServerAppOptions, ServerLimits } from './http/app.js';
export { httpStatusFor, reasonFor, apiErrorTypeFor } from './http/status.js';
export type { ApiErrorType } from './http/status.js';
export {
  registerPrometheusApi,
  MAX_POINTS_PER_SERIES,
  TRUNCATED_WARNING,
} from './http/api/routes.js';
export type {
  PrometheusApiOptions,
  ApiTarget,
  ApiDroppedTarget,
  ApiMetricMetadata,
  ApiBuildInfo,
} from './http/api/routes.js';
export {
  formatSampleValue,
  formatPointTimestamp,
  formatScalarTimestamp,
  renderQueryData,
} from './http/api/render.js';
export { parseApiTimeMs, parseApiDurationMs, unescapeLabelName } from './http/api/params.js';
export {
  RemoteQueryApi,
  parseSampleValue,
  DEFAULT_REMOTE_QUERY_TIMEOUT_MS,
} from './query/remote-query-api.js';
export type { RemoteQueryApiOptions } from './query/remote-query-api.js';
export {
  parseConfig,
  parseConfigText,
  loadConfig,
  parseListen,
  DEFAULT_STORAGE_PATH,
  DEFAULT_RETENTION_MS,
  DEFAULT_LISTEN,
  DEFAULT_REMOTE_WRITE_MAX_BODY_BYTES,
  DEFAULT_REMOTE_WRITE_MAX_DECODED_BYTES,
  DEFAULT_QUERY_CONFIG,
} from './config.js';
export type { VigilConfig, ConfigOverrides, QueryConfig, RemoteQueryConfig } from './config.js';
export {
  startServer,
  openStorage,
  createScraper,
  createEngine,
  createQueryApi,
  describeQueryBackend,
  formatRetention,
} from './server.js';
export { vigilVersion } from './version.js';
export type { RunningServer, StartServerOptions } from './server.js';
