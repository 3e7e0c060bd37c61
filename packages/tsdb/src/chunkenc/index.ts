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
export { ScrapeWorkload } from './workload.js';
export type { ScrapeWorkloadOptions, WorkloadSeries } from './workload.js';
