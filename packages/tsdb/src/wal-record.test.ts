import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STALE_NAN, isStaleNaN } from '@vigil/model';
import { decodeWalRecord, encodeWalRecord, WAL_RECORD_HEADER_BYTES } from './wal-record.js';

function record(n: number): { ids: Uint32Array; ts: Float64Array; vs: Float64Array } {
  const ids = new Uint32Array(n + 5);
  const ts = new Float64Array(n + 5);
  const vs = new Float64Array(n + 5);
  for (let i = 0; i < n; i++) {
    ids[i] = (i * 2654435761) >>> 0;
    ts[i] = -5_000 + i * 1_000_000_007;
    vs[i] = i % 3 === 0 ? STALE_NAN : i % 3 === 1 ? -0 : i / 7;
  }
  return { ids, ts, vs };
}

test('a WAL record round-trips ids, timestamps and value bits; only the first n entries count', () => {
  const { ids, ts, vs } = record(100);
  const buf = encodeWalRecord(ids, ts, vs, 100);
  assert.equal(buf.byteLength, WAL_RECORD_HEADER_BYTES + 20 * 100);
  const rec = decodeWalRecord(buf);
  assert.equal(rec.count, 100);
  assert.deepEqual([...rec.seriesIds], [...ids.subarray(0, 100)]);
  assert.deepEqual([...rec.timestampsMs], [...ts.subarray(0, 100)]);
  const a = new Uint32Array(rec.values.buffer, rec.values.byteOffset, 200);
  const b = new Uint32Array(vs.buffer, 0, 200);
  assert.deepEqual([...a], [...b], 'value bits');
  assert.ok(isStaleNaN(rec.values[0]!));
  assert.ok(Object.is(rec.values[1], -0));
});

test('an empty record round-trips', () => {
  const rec = decodeWalRecord(
    encodeWalRecord(new Uint32Array(0), new Float64Array(0), new Float64Array(0), 0),
  );
  assert.equal(rec.count, 0);
});

test('damaged records throw TSDB_CORRUPT: any flipped bit, truncation, unknown version', () => {
  const { ids, ts, vs } = record(20);
  const good = encodeWalRecord(ids, ts, vs, 20);
  const isCorrupt = (err: unknown): true => {
    assert.equal((err as { code?: string }).code, 'TSDB_CORRUPT');
    return true;
  };
  for (let bit = 0; bit < good.byteLength * 8; bit += 13) {
    const bad = Buffer.from(good);
    bad[bit >> 3] = bad[bit >> 3]! ^ (1 << (bit & 7));
    const byte = bit >> 3;
    // Reserved header bytes (1..3, 12..15) are not checked.
    if ((byte >= 1 && byte <= 3) || (byte >= 12 && byte <= 15)) continue;
    assert.throws(() => decodeWalRecord(bad), isCorrupt, `bit ${bit}`);
  }
  assert.throws(() => decodeWalRecord(good.subarray(0, good.byteLength - 1)), isCorrupt);
  assert.throws(() => decodeWalRecord(good.subarray(0, 8)), isCorrupt);
  assert.throws(() => decodeWalRecord(new Uint8Array(0)), isCorrupt);
});
