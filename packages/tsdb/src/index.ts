export {
  openTsdb,
  Tsdb,
  COMPACTED_CHUNK_MAX_SAMPLES,
  COMPACTED_CHUNK_MAX_BYTES,
  SNAPSHOT_GROUP_SERIES,
} from './tsdb.js';
export type { TsdbOptions, TsdbStats, TsdbLogger } from './tsdb.js';
export { TsdbMetricNames } from './metrics.js';
export { TSDB_FILE_NAME, TSDB_FORMAT_VERSION, TSDB_PAGE_SIZE } from './schema.js';
export type { SynchronousMode } from './schema.js';
export {
  XOR_CHUNK_ENCODING,
  XOR_CHUNK_HEADER_BYTES,
  XOR_CHUNK_MAX_SAMPLES,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkEncoder,
  XorChunkIterator,
  decodeXorChunk,
  xorChunkSampleCount,
  SCALED_CHUNK_ENCODING,
  SCALED_CHUNK_MAX_SCALE,
  decodeScaledChunk,
  encodeScaledChunk,
  scaledChunkSampleCount,
  ChunkIterator,
  chunkEncoding,
  chunkSampleCount,
  decodeChunk,
  encodeCompletedChunk,
  transcodeCompletedChunk,
} from './chunkenc/index.js';
