import { crc32 } from 'node:zlib';
import { ErrorCodes, VigilError } from '@vigil/model';

/** Format version written in byte 0 of every WAL record. */
export const WAL_RECORD_VERSION = 1;

/** Bytes before the sample arrays: version, flags, reserved, count, CRC-32, reserved. */
export const WAL_RECORD_HEADER_BYTES = 16;

/** Bytes a record spends per sample: f64 timestamp, f64 value, u32 series id. */
export const WAL_RECORD_BYTES_PER_SAMPLE = 20;

/**
 * Encodes one committed batch as a WAL record (layout in
 * docs/format/tsdb.md): a 16-byte header, then `n` little-endian float64
 * timestamps, `n` float64 values (bit for bit, staleness markers included)
 * and `n` uint32 series ids. Arrays are copied with typed-array `set`, so
 * the cost is a few memcpy calls however large the batch.
 *
 * Pure function; safe to call from anywhere.
 */
export function encodeWalRecord(
  seriesIds: Uint32Array,
  timestampsMs: Float64Array,
  values: Float64Array,
  count: number,
): Buffer {
  const size = WAL_RECORD_HEADER_BYTES + WAL_RECORD_BYTES_PER_SAMPLE * count;
  // allocUnsafeSlow: a fresh, 8-byte aligned ArrayBuffer of its own (not a pool slice).
  const buf = Buffer.allocUnsafeSlow(size);
  buf[0] = WAL_RECORD_VERSION;
  buf[1] = 0;
  buf.writeUInt16LE(0, 2);
  buf.writeUInt32LE(count, 4);
  buf.writeUInt32LE(0, 12);
  const ab = buf.buffer;
  const off = buf.byteOffset + WAL_RECORD_HEADER_BYTES;
  new Float64Array(ab, off, count).set(timestampsMs.subarray(0, count));
  new Float64Array(ab, off + 8 * count, count).set(values.subarray(0, count));
  new Uint32Array(ab, off + 16 * count, count).set(seriesIds.subarray(0, count));
  buf.writeUInt32LE(crc32(buf.subarray(WAL_RECORD_HEADER_BYTES)), 8);
  return buf;
}

/** A decoded WAL record: parallel arrays of length `count`. */
export interface WalRecord {
  readonly count: number;
  readonly seriesIds: Uint32Array;
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
}

/**
 * Decodes a WAL record written by {@link encodeWalRecord}. The arrays are
 * copies (aligned), independent of `data`.
 *
 * @throws VigilError `TSDB_CORRUPT` when the version, the length or the
 *   CRC-32 does not match.
 */
export function decodeWalRecord(data: Uint8Array): WalRecord {
  const corrupt = (why: string): never => {
    throw new VigilError(ErrorCodes.TSDB_CORRUPT, `Corrupt WAL record: ${why}.`, {
      details: { bytes: data.byteLength },
    });
  };
  if (data.byteLength < WAL_RECORD_HEADER_BYTES) corrupt('shorter than its header');
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf[0] !== WAL_RECORD_VERSION) corrupt(`unknown version ${buf[0]}`);
  const count = buf.readUInt32LE(4);
  if (buf.byteLength !== WAL_RECORD_HEADER_BYTES + WAL_RECORD_BYTES_PER_SAMPLE * count) {
    corrupt(`length ${buf.byteLength} does not fit ${count} samples`);
  }
  if (crc32(buf.subarray(WAL_RECORD_HEADER_BYTES)) !== buf.readUInt32LE(8)) {
    corrupt('checksum mismatch');
  }
  // Copy into a fresh aligned buffer so typed-array views are legal.
  const body = new Uint8Array(WAL_RECORD_BYTES_PER_SAMPLE * count);
  body.set(buf.subarray(WAL_RECORD_HEADER_BYTES));
  return {
    count,
    timestampsMs: new Float64Array(body.buffer, 0, count),
    values: new Float64Array(body.buffer, 8 * count, count),
    seriesIds: new Uint32Array(body.buffer, 16 * count, count),
  };
}
