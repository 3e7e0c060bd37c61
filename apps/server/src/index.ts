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
export { httpStatusFor, reasonFor } from './http/status.js';
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
} from './config.js';
export type { VigilConfig, ConfigOverrides } from './config.js';
export { startServer, openStorage, createScraper } from './server.js';
export type { RunningServer } from './server.js';
