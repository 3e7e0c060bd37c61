import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STALE_NAN, STALE_NAN_HIGH_BITS, STALE_NAN_LOW_BITS, isStaleNaN } from './samples.js';

function words(v: number): [number, number] {
  const f = new Float64Array(1);
  f[0] = v;
  const w = new Uint32Array(f.buffer);
  return [w[1]!, w[0]!];
}

test('STALE_NAN has the bits 0x7ff0000000000002', () => {
  assert.equal(STALE_NAN_HIGH_BITS, 0x7ff00000);
  assert.equal(STALE_NAN_LOW_BITS, 0x00000002);
  assert.deepEqual(words(STALE_NAN), [0x7ff00000, 0x00000002]);
  assert.ok(Number.isNaN(STALE_NAN));
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, STALE_NAN);
  assert.equal(view.getBigUint64(0), 0x7ff0000000000002n, 'big-endian bytes');
});

test('isStaleNaN is true for the marker only', () => {
  assert.ok(isStaleNaN(STALE_NAN));
  for (const v of [NaN, 0, -0, 1, -1, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE]) {
    assert.ok(!isStaleNaN(v), String(v));
  }
  // Other NaNs, including neighbours of the marker's bits.
  const f = new Float64Array(1);
  const w = new Uint32Array(f.buffer);
  for (const [hi, lo] of [
    [0x7ff00000, 0x00000001],
    [0x7ff00000, 0x00000003],
    [0x7ff80000, 0x00000002],
    [0xfff00000, 0x00000002],
    [0x7ff80000, 0x00000000],
    [0xfff80000, 0x00000000],
  ] as const) {
    w[1] = hi;
    w[0] = lo;
    const v = f[0]!;
    assert.ok(Number.isNaN(v));
    assert.ok(!isStaleNaN(v), `${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`);
  }
  // +Infinity shares the marker's high word.
  w[1] = 0x7ff00000;
  w[0] = 0;
  assert.equal(f[0], Infinity);
  assert.ok(!isStaleNaN(f[0]));
});

test('the marker survives a Float64Array, object fields and function calls', () => {
  const arr = new Float64Array(4);
  arr[2] = STALE_NAN;
  assert.ok(isStaleNaN(arr[2]));
  const copy = new Float64Array(arr);
  assert.ok(isStaleNaN(copy[2]!));
  const sliced = arr.slice(1, 3);
  assert.ok(isStaleNaN(sliced[1]!));
  const bytes = new Uint8Array(arr.buffer.slice(16, 24));
  assert.ok(isStaleNaN(new Float64Array(bytes.buffer)[0]!), 'through raw bytes');
  const obj = { v: 0 };
  obj.v = STALE_NAN;
  assert.ok(isStaleNaN(obj.v));
  const pass = (x: number): number => x;
  assert.ok(isStaleNaN(pass(STALE_NAN)));
  // An ordinary NaN stays ordinary through the same paths.
  arr[3] = NaN;
  assert.ok(Number.isNaN(arr[3]) && !isStaleNaN(arr[3]));
});

test('isStaleNaN does not disturb later calls (shared scratch buffer)', () => {
  const f = new Float64Array(5);
  f[0] = STALE_NAN;
  f[1] = NaN;
  f[2] = 1;
  f[3] = STALE_NAN;
  const got = Array.from(f, (v) => isStaleNaN(v));
  assert.deepEqual(got, [true, false, false, true, false]);
});
