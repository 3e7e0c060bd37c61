// The chunk encodings of the TSDB (re-exported by the package barrel).
export {
  XOR_CHUNK_ENCODING,
  XOR_CHUNK_HEADER_BYTES,
  XOR_CHUNK_MAX_SAMPLES,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkEncoder,
  XorChunkIterator,
  decodeXorChunk,
  xorChunkSampleCount,
} from './xor.js';
export {
  SCALED_CHUNK_ENCODING,
  SCALED_CHUNK_MAX_SCALE,
  decodeScaledChunk,
  encodeScaledChunk,
  scaledChunkSampleCount,
} from './scaled.js';
export {
  ChunkIterator,
  chunkEncoding,
  chunkSampleCount,
  decodeChunk,
  encodeCompletedChunk,
  transcodeCompletedChunk,
} from './chunk.js';
export { ScrapeWorkload } from './workload.js';
export type { ScrapeWorkloadOptions, WorkloadSeries } from './workload.js';
