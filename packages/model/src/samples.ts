/**
 * Samples and the Prometheus staleness marker.
 *
 * The staleness marker is one particular NaN (bits `0x7ff0000000000002`);
 * an ordinary NaN sample value is a different NaN. V8 keeps NaN payloads
 * in plain variables, object fields and typed arrays, but canonicalises them
 * when a NaN is stored in an array of doubles (`number[]`) or a `Map`, which
 * turns a staleness marker into an ordinary NaN. Code that must preserve the
 * marker keeps values in a `Float64Array` (or tests with {@link isStaleNaN}
 * before storing).
 *
 * @module
 */

const scratch = new ArrayBuffer(8);
const scratchFloat = new Float64Array(scratch);
const scratchWords = new Uint32Array(scratch);

/** High 32 bits of the staleness marker (little-endian word order: index 1). */
export const STALE_NAN_HIGH_BITS = 0x7ff00000;
/** Low 32 bits of the staleness marker. */
export const STALE_NAN_LOW_BITS = 0x00000002;

scratchWords[0] = STALE_NAN_LOW_BITS;
scratchWords[1] = STALE_NAN_HIGH_BITS;

/**
 * The Prometheus staleness marker value. Keep it in variables, fields or a
 * `Float64Array`; see the module note on where V8 loses the payload.
 */
export const STALE_NAN: number = scratchFloat[0]!;

/** True when `value` is the staleness marker (not just any NaN). */
export function isStaleNaN(value: number): boolean {
  if (value === value) return false; // not NaN
  scratchFloat[0] = value;
  return scratchWords[0] === STALE_NAN_LOW_BITS && scratchWords[1] === STALE_NAN_HIGH_BITS;
}

const pair = new Float64Array(2);
const pairWords = new Uint32Array(pair.buffer);

/**
 * True when `a` and `b` have the same float64 bits: unlike `===`, a NaN
 * equals the same NaN (a staleness marker equals a staleness marker, not an
 * ordinary NaN) and `0` differs from `-0`. How stores decide that a sample
 * repeats the newest one.
 */
export function sameFloatBits(a: number, b: number): boolean {
  pair[0] = a;
  pair[1] = b;
  return pairWords[0] === pairWords[2] && pairWords[1] === pairWords[3];
}

/** One sample: integer milliseconds since the epoch and a float64 value. */
export interface Sample {
  readonly timestampMs: number;
  readonly value: number;
}
