/**
 * Chunks of any encoding: the encoder for completed chunks (the smallest
 * of the encodings) and decoders that dispatch on the encoding byte
 * (byte 0). The encodings are described in `docs/format/chunk-encodings.md`.
 *
 * @module
 */
import { ErrorCodes, VigilError } from '@vigil/model';
import { DecodedChunkIterator } from './decoded-iterator.js';
import {
  SCALED_CHUNK_ENCODING,
  decodeScaledChunk,
  encodeScaledChunk,
  scaledChunkSampleCount,
} from './scaled.js';
import {
  XOR_CHUNK_ENCODING,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkEncoder,
  decodeXorChunk,
  xorChunkSampleCount,
} from './xor.js';

function unknownEncoding(data: Uint8Array): VigilError {
  return new VigilError(
    ErrorCodes.TSDB_CORRUPT,
    data.length === 0
      ? 'chunk is corrupt: it is empty (not even an encoding byte); the chunk cannot be read (restore it from a backup or delete it)'
      : `chunk is corrupt: unknown encoding byte ${data[0]} (known: ${XOR_CHUNK_ENCODING} XOR, ${SCALED_CHUNK_ENCODING} scaled integer); the chunk cannot be read (restore it from a backup or delete it)`,
    { details: { encoding: data[0] } },
  );
}

/**
 * The encoding byte of a chunk (1: XOR, 2: scaled integer).
 *
 * @throws VigilError `TSDB_CORRUPT` when `data` is empty or the byte is unknown.
 */
export function chunkEncoding(data: Uint8Array): number {
  const e = data[0];
  if (e === XOR_CHUNK_ENCODING || e === SCALED_CHUNK_ENCODING) return e;
  throw unknownEncoding(data);
}

/**
 * Reads the sample count from a chunk's header in O(1), for any encoding.
 *
 * @throws VigilError `TSDB_CORRUPT` when `data` is shorter than the header
 *   or has an unknown encoding byte.
 */
export function chunkSampleCount(data: Uint8Array): number {
  const e = data[0];
  if (e === XOR_CHUNK_ENCODING) return xorChunkSampleCount(data);
  if (e === SCALED_CHUNK_ENCODING) return scaledChunkSampleCount(data);
  throw unknownEncoding(data);
}

/**
 * Decodes a whole chunk of any encoding into typed arrays (the fast path
 * for queries): sample i goes to `timestamps[i]` (ms) and `values[i]`
 * (bits exact). Size the arrays with {@link chunkSampleCount}. Reentrant;
 * safe to call from anywhere.
 *
 * @returns the number of samples decoded.
 * @throws VigilError `TSDB_CORRUPT` when `data` is corrupt, truncated or of
 *   an unknown encoding; RangeError when the arrays are too small.
 */
export function decodeChunk(
  data: Uint8Array,
  timestamps: Float64Array,
  values: Float64Array,
): number {
  const e = data[0];
  if (e === XOR_CHUNK_ENCODING) return decodeXorChunk(data, timestamps, values);
  if (e === SCALED_CHUNK_ENCODING) return decodeScaledChunk(data, timestamps, values);
  throw unknownEncoding(data);
}

/**
 * Encodes a completed chunk (all its samples known) in the encoding that
 * takes the fewest bytes: XOR or scaled integer (the XOR one on a tie).
 * For the store when it persists or compacts chunks; the head keeps
 * appending to {@link XorChunkEncoder}s. Reentrant; safe to call from
 * anywhere.
 *
 * @param timestamps integer ms, safe integers, strictly increasing.
 * @param values any float64s; their bits are kept exactly.
 * @param count samples to encode: `timestamps[0..count)`, `values[0..count)`
 *   (at most 65 535).
 * @throws VigilError `SAMPLE_OUT_OF_ORDER` / `SAMPLE_OUT_OF_BOUNDS` as
 *   {@link XorChunkEncoder.append} does for invalid timestamps or too many
 *   samples; RangeError when `count` exceeds the arrays.
 */
export function encodeCompletedChunk(
  timestamps: Float64Array,
  values: Float64Array,
  count: number,
): Uint8Array {
  if (!(
    Number.isInteger(count) &&
    count >= 0 &&
    count <= timestamps.length &&
    count <= values.length
  )) {
    throw new RangeError(
      `encodeCompletedChunk: count ${count} is not an integer within the arrays' lengths`,
    );
  }
  // The XOR encoder validates the samples (order, safe integers, count).
  const xor = new XorChunkEncoder(Math.min(64 + count * 4, 1 << 20));
  for (let i = 0; i < count; i++) xor.append(timestamps[i]!, values[i]!);
  const xorBytes = xor.sizeBytes;
  const scaled = encodeScaledChunk(timestamps, values, count, xorBytes - 1);
  return scaled ?? xor.bytes();
}

// Scratch arrays of transcodeCompletedChunk (grown as needed).
let scratchT = new Float64Array(XOR_CHUNK_TARGET_SAMPLES);
let scratchV = new Float64Array(XOR_CHUNK_TARGET_SAMPLES);

/**
 * Re-encodes a completed chunk of any encoding in the smallest encoding,
 * as {@link encodeCompletedChunk} would encode its samples: for the store
 * when it persists a chunk the head has cut (an XOR chunk). Returns `data`
 * itself (not a copy) when it is already the smallest; otherwise a new
 * array. Cheaper than decoding and calling `encodeCompletedChunk`: an XOR
 * chunk is not re-encoded as XOR. Reentrant; safe to call from anywhere.
 *
 * @throws VigilError `TSDB_CORRUPT` when `data` is not a valid chunk.
 */
export function transcodeCompletedChunk(data: Uint8Array): Uint8Array {
  const n = chunkSampleCount(data);
  if (scratchT.length < n) {
    scratchT = new Float64Array(n);
    scratchV = new Float64Array(n);
  }
  decodeChunk(data, scratchT, scratchV);
  if (data[0] === XOR_CHUNK_ENCODING) {
    return encodeScaledChunk(scratchT, scratchV, n, data.length - 1) ?? data;
  }
  const best = encodeCompletedChunk(scratchT, scratchV, n);
  return best.length < data.length ? best : data;
}

/**
 * A `SampleIterator` (from `@vigil/storage`) over one chunk of any encoding, optionally
 * bounded to `[mint, maxt]` (inclusive, ms). Decodes the chunk on the
 * first `next()` or `seek()` (so a corrupt chunk throws `TSDB_CORRUPT` from
 * there) into buffers it reuses across {@link ChunkIterator.reset}. One
 * user at a time. `data` must not change while the iterator is in use.
 */
export class ChunkIterator extends DecodedChunkIterator {
  protected sampleCount(data: Uint8Array): number {
    return chunkSampleCount(data);
  }

  protected decodeSamples(data: Uint8Array, ts: Float64Array, vs: Float64Array): void {
    decodeChunk(data, ts, vs);
  }
}
