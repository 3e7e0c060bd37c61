/**
 * The scaled-integer chunk (encoding 2): a denser encoding for completed
 * chunks whose values are decimals with few digits (`v = m / 10^k`, as a
 * parser reads `12345.67`) and whose timestamps are regular. Timestamps and
 * the integers `m` are each coded as one integer sequence: a predictor
 * (raw, delta, delta of delta or a line) and the prediction errors
 * bit-packed at one width per chunk after subtracting their minimum (frame
 * of reference). Values that are not such decimals (NaN, the staleness
 * marker, infinities, -0, full-entropy floats) are stored as exceptions,
 * bit for bit. The byte layout is specified in
 * `docs/format/chunk-encodings.md`.
 *
 * Encoding is only for completed chunks (all samples known up front); the
 * head appends to XOR chunks. Use {@link encodeScaledChunk} through
 * `encodeCompletedChunk`, which keeps whichever encoding is smaller.
 *
 * @module
 */
import { ErrorCodes, VigilError } from '@vigil/model';
import { XOR_CHUNK_MAX_SAMPLES, loadWords } from './xor.js';

/** The encoding byte of this format (byte 0 of every chunk). */
export const SCALED_CHUNK_ENCODING = 2;
/** The largest decimal exponent `k` (values `m / 10^k`). */
export const SCALED_CHUNK_MAX_SCALE = 6;
/** Bytes of the fixed header: encoding byte, 16-bit sample count, scale/flags byte. */
const HEADER_BYTES = 4;
/** Bits of the scale/flags byte: the scale `k` (bits 0..2), then two flags. */
const SCALE_MASK = 0x07;
/** The timestamp sequence has a divisor. */
const TIME_DIVISOR_FLAG = 0x08;
/** The value sequence has a divisor. */
const VALUE_DIVISOR_FLAG = 0x10;

/** Every stored integer (timestamps, `m`, predictor terms) is within ±2^52. */
const MAX_INT = 4503599627370496;
const TWO_POW_32 = 4294967296;
/** The widest bit-packed field: `max - min` of residuals within ±2^52 is below 2^53. */
const MAX_WIDTH = 53;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6] as const;

/** Predictors (bits 0..1 of a sequence's mode byte). */
const RAW = 0;
const DELTA = 1;
const DOD = 2;
const LINEAR = 3;

const probeF64 = new Float64Array(1);
const probeU32 = new Uint32Array(probeF64.buffer);
probeF64[0] = 1;
/** Index of the high (sign/exponent) word of a float64 in a Uint32Array view. */
const HI = probeU32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

function corrupt(message: string, details?: Record<string, unknown>): VigilError {
  return new VigilError(
    ErrorCodes.TSDB_CORRUPT,
    `scaled-integer chunk is corrupt: ${message}; the chunk cannot be read (restore it from a backup or delete it)`,
    details === undefined ? undefined : { details },
  );
}

function truncated(): VigilError {
  return corrupt('the data ends before the last sample (truncated chunk)');
}

// ------------------------------------------------------------------ encoder

/** Output buffer of the encoder (grown as needed) and its write state. */
let out = new Uint8Array(1024);
let outPos = 0;
/** Bits already in the byte at `outPos` (0..7), right-aligned in `outAcc`. */
let outBits = 0;
let outAcc = 0;
/** Scratch: the integers of the sequence being encoded. */
let ints = new Float64Array(128);
/** Scratch: indexes of the exception values. */
let excIdx = new Int32Array(16);

function zigzag(x: number): number {
  return x >= 0 ? 2 * x : -2 * x - 1;
}

function varintBytes(u: number): number {
  let b = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    b++;
  }
  return b;
}

function putVarint(u: number): void {
  while (u >= 128) {
    out[outPos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  out[outPos++] = u;
}

/** Writes the low `n` bits of `v` (1 <= n <= 24), most significant first. */
function putBits24(v: number, n: number): void {
  let acc = (outAcc << n) | (v & ((1 << n) - 1));
  let bits = outBits + n;
  while (bits >= 8) {
    bits -= 8;
    out[outPos++] = acc >>> bits;
  }
  acc &= (1 << bits) - 1;
  outAcc = acc;
  outBits = bits;
}

/** Writes `u` (0 <= u < 2^w, 1 <= w <= 53) in `w` bits, most significant first. */
function putWide(u: number, w: number): void {
  if (w <= 24) {
    putBits24(u, w);
    return;
  }
  let lo = u;
  if (w > 32) {
    const hi = Math.floor(u / TWO_POW_32);
    lo = u - hi * TWO_POW_32;
    if (w > 48) {
      putBits24(hi >>> 16, w - 48);
      putBits24(hi & 0xffff, 16);
    } else {
      putBits24(hi, w - 32);
    }
    putBits24(lo >>> 16, 16);
  } else {
    putBits24(lo >>> 16, w - 16);
  }
  putBits24(lo & 0xffff, 16);
}

/** Pads the bit section with zero bits to a byte boundary. */
function flushBits(): void {
  if (outBits > 0) {
    out[outPos++] = outAcc << (8 - outBits);
    outBits = 0;
    outAcc = 0;
  }
}

/** The residual of predictor `pred` at `i` (i at or after the first residual). */
function residualAt(xs: Float64Array, pred: number, i: number, base: number): number {
  switch (pred) {
    case RAW:
      return xs[i]!;
    case DELTA:
      return xs[i]! - xs[i - 1]!;
    case DOD:
      // Exact: each difference is within ±2^53; a larger result is rejected.
      return xs[i]! - xs[i - 1]! - (xs[i - 1]! - xs[i - 2]!);
    default:
      return xs[i]! - base;
  }
}

/** Index of the first residual of a predictor. */
function firstResidual(pred: number): number {
  return pred === RAW ? 0 : pred === DOD ? 2 : 1;
}

/** The chosen coding of one integer sequence. */
interface SeqPlan {
  pred: number;
  width: number;
  min: number;
  /** LINEAR: the slope. */
  slope: number;
  /** Common divisor of the residuals minus their minimum; 1 for none. */
  divisor: number;
  bytes: number;
}

const plan: SeqPlan = { pred: RAW, width: 0, min: 0, slope: 0, divisor: 1, bytes: 0 };

/** Greatest common divisor of two non-negative integers below 2^53 (exact in doubles). */
function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Bits to write integers 0..range. */
function widthOf(range: number): number {
  return range === 0
    ? 0
    : range < TWO_POW_32
      ? 32 - Math.clz32(range)
      : 32 + (32 - Math.clz32(Math.floor(range / TWO_POW_32)));
}

/**
 * Chooses the smallest predictor for `xs[0..n)` (all integers within
 * ±2^52) into {@link plan}; false when none keeps every term within range.
 */
function planSequence(xs: Float64Array, n: number): boolean {
  let bestBytes = Infinity;
  const x0 = xs[0]!;
  // Slope of the line through the first and last points, for LINEAR.
  const slope = n > 1 ? Math.round((xs[n - 1]! - x0) / (n - 1)) : 0;
  for (let pred = RAW; pred <= LINEAR; pred++) {
    let headBytes = 1;
    if (pred !== RAW) headBytes += varintBytes(zigzag(x0));
    if (pred === DOD && n > 1) {
      const d1 = xs[1]! - x0;
      if (d1 > MAX_INT || d1 < -MAX_INT) continue;
      headBytes += varintBytes(zigzag(d1));
    }
    if (pred === LINEAR) {
      if (slope > MAX_INT || slope < -MAX_INT) continue;
      headBytes += varintBytes(zigzag(slope));
    }
    const from = firstResidual(pred);
    let min = Infinity;
    let max = -Infinity;
    let base = x0;
    let ok = true;
    // gcd of all residuals' differences from the first one = gcd of (r - min).
    let g = 0;
    let first = 0;
    for (let i = from; i < n; i++) {
      if (pred === LINEAR) {
        base += slope;
        if (base > MAX_INT || base < -MAX_INT) {
          ok = false;
          break;
        }
      }
      const r = residualAt(xs, pred, i, base);
      if (r < min) min = r;
      if (r > max) max = r;
      if (i === from) first = r;
      else if (g !== 1 && r !== first) g = gcd(g, r > first ? r - first : first - r);
    }
    if (!ok) continue;
    let width = 0;
    let divisor = 1;
    let bytes = headBytes;
    if (n > from) {
      if (min < -MAX_INT || max > MAX_INT || max - min >= 2 * MAX_INT) continue;
      const range = max - min;
      const count = n - from;
      width = widthOf(range);
      bytes += varintBytes(zigzag(min)) + Math.ceil((count * width) / 8);
      if (g > 1) {
        const w = widthOf(range / g);
        const withDivisor =
          bytes - Math.ceil((count * width) / 8) + varintBytes(g) + Math.ceil((count * w) / 8);
        if (withDivisor < bytes) {
          bytes = withDivisor;
          width = w;
          divisor = g;
        }
      }
    }
    if (bytes < bestBytes) {
      bestBytes = bytes;
      plan.pred = pred;
      plan.width = width;
      plan.min = min;
      plan.slope = slope;
      plan.divisor = divisor;
      plan.bytes = bytes;
    }
  }
  return bestBytes < Infinity;
}

/** Writes `xs[0..n)` as planned in {@link plan}. */
function writeSequence(xs: Float64Array, n: number): void {
  const { pred, width, min, slope, divisor } = plan;
  out[outPos++] = pred | (width << 2);
  const x0 = xs[0]!;
  if (pred !== RAW) putVarint(zigzag(x0));
  if (pred === DOD && n > 1) putVarint(zigzag(xs[1]! - x0));
  if (pred === LINEAR) putVarint(zigzag(slope));
  const from = firstResidual(pred);
  if (n <= from) return;
  putVarint(zigzag(min));
  if (divisor > 1) putVarint(divisor);
  if (width === 0) return;
  let base = x0;
  for (let i = from; i < n; i++) {
    if (pred === LINEAR) base += slope;
    putWide((residualAt(xs, pred, i, base) - min) / divisor, width);
  }
  flushBits();
}

function ensureScratch(n: number): void {
  if (ints.length < n) ints = new Float64Array(Math.max(n, ints.length * 2));
  if (excIdx.length < n) excIdx = new Int32Array(Math.max(n, excIdx.length * 2));
  // Header, two sequences (mode byte, three 8-byte varints, bits), exceptions.
  const need = HEADER_BYTES + 2 * (1 + 4 * 8 + Math.ceil((n * MAX_WIDTH) / 8)) + 8 + n * 11;
  if (out.length < need) out = new Uint8Array(need * 2);
}

/** `m / 10^k` reproduces `v` bit for bit (so never for NaN, ±Infinity or -0). */
function exactAt(v: number, p: number): boolean {
  const m = Math.round(v * p);
  return m / p === v && m <= MAX_INT && m >= -MAX_INT && (v !== 0 || 1 / v > 0);
}

/**
 * Encodes a completed chunk in the scaled-integer format, or returns null
 * when it cannot (timestamps beyond ±2^52 ms or integer terms out of range).
 * The caller has validated the samples: `count` (0..65535) strictly
 * increasing safe-integer timestamps (ms). Values that are not
 * `m / 10^k` for the chunk's `k` become exceptions (kept bit for bit), so
 * any value is accepted. Reentrant (uses module scratch buffers, no await).
 *
 * Prefer `encodeCompletedChunk`, which also validates the samples and
 * returns the smaller of this and the XOR encoding.
 *
 * @param maxBytes give up (return null) as soon as the chunk is known to
 *   take more bytes than this; default no limit.
 */
export function encodeScaledChunk(
  timestamps: Float64Array,
  values: Float64Array,
  count: number,
  maxBytes: number = Infinity,
): Uint8Array | null {
  const n = count;
  if (!(n >= 0 && n <= XOR_CHUNK_MAX_SAMPLES && n <= timestamps.length && n <= values.length)) {
    throw new RangeError(`encodeScaledChunk: invalid sample count ${count}`);
  }
  ensureScratch(n);
  outPos = 0;
  outBits = 0;
  outAcc = 0;
  out[0] = SCALED_CHUNK_ENCODING;
  out[1] = n >>> 8;
  out[2] = n & 0xff;
  if (n === 0) return maxBytes < 3 ? null : out.slice(0, 3);

  // The scale: the largest of the smallest exponents that reproduce each value.
  // Values exact at no scale are exceptions whatever the scale: give up
  // early when they alone exceed `maxBytes` (full-entropy floats).
  let k = 0;
  let p = 1;
  const maxExceptions = (maxBytes - HEADER_BYTES) / 9;
  let hopeless = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (exactAt(v, p)) continue;
    let kk = k + 1;
    for (; kk <= SCALED_CHUNK_MAX_SCALE; kk++) {
      if (exactAt(v, POW10[kk]!)) {
        k = kk;
        p = POW10[kk]!;
        break;
      }
    }
    if (kk > SCALED_CHUNK_MAX_SCALE && ++hopeless > maxExceptions) return null;
  }
  // The integers; values not exact at that scale are exceptions, with the
  // previous integer (or the next one, at the start) as a placeholder.
  let exceptions = 0;
  let last = NaN;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (exactAt(v, p)) {
      const m = Math.round(v * p);
      if (last !== last) for (let j = 0; j < i; j++) ints[j] = m;
      ints[i] = m;
      last = m;
    } else {
      excIdx[exceptions++] = i;
      if (exceptions > maxExceptions) return null;
      ints[i] = last;
    }
  }
  if (last !== last) ints.fill(0, 0, n);

  out[3] = k;
  outPos = HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const t = timestamps[i]!;
    if (t > MAX_INT || t < -MAX_INT) return null;
  }
  if (!planSequence(timestamps, n)) return null;
  if (HEADER_BYTES + plan.bytes + 9 * exceptions > maxBytes) return null;
  if (plan.divisor > 1) out[3] = out[3] | TIME_DIVISOR_FLAG;
  writeSequence(timestamps, n);
  if (!planSequence(ints, n)) return null;
  if (outPos + plan.bytes + 1 + 9 * exceptions > maxBytes) return null;
  if (plan.divisor > 1) out[3] = out[3] | VALUE_DIVISOR_FLAG;
  writeSequence(ints, n);

  putVarint(exceptions);
  if (exceptions > 0) {
    const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
    let prev = -1;
    for (let e = 0; e < exceptions; e++) {
      const i = excIdx[e]!;
      putVarint(i - prev - 1);
      prev = i;
      const hi = words[2 * i + HI]!;
      const lo = words[2 * i + LO]!;
      out[outPos++] = hi >>> 24;
      out[outPos++] = (hi >>> 16) & 0xff;
      out[outPos++] = (hi >>> 8) & 0xff;
      out[outPos++] = hi & 0xff;
      out[outPos++] = lo >>> 24;
      out[outPos++] = (lo >>> 16) & 0xff;
      out[outPos++] = (lo >>> 8) & 0xff;
      out[outPos++] = lo & 0xff;
    }
  }
  if (outPos > maxBytes) return null;
  return out.slice(0, outPos);
}

// ------------------------------------------------------------------ decoder

/** Byte position after the last {@link readVarint}. */
let inPos = 0;

/** Reads an unsigned LEB128 varint of at most 8 bytes, at most 2^53, at `pos`. */
function readVarint(data: Uint8Array, pos: number): number {
  const len = data.length;
  let u = 0;
  let mult = 1;
  for (let k = 0; ; k++) {
    if (pos >= len) throw truncated();
    if (k === 8) throw corrupt('a varint is longer than 8 bytes');
    const b = data[pos++]!;
    u += (b & 0x7f) * mult;
    mult *= 128;
    if ((b & 0x80) === 0) break;
  }
  if (u > 2 * MAX_INT) throw corrupt('a varint is beyond 2^53');
  inPos = pos;
  return u;
}

function readZigzag(data: Uint8Array, pos: number): number {
  const u = readVarint(data, pos);
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

function outOfRange(i: number): VigilError {
  return corrupt(`sample ${i} decodes to an integer beyond 2^52`, { sample: i });
}

/**
 * Decodes one integer sequence of `n` (>= 1) terms at byte `pos` into
 * `xs[0..n)`; returns the byte position after it. Every term is checked to
 * be within ±2^52.
 */
function readSequence(
  data: Uint8Array,
  w: Int32Array,
  pos: number,
  n: number,
  xs: Float64Array,
  hasDivisor: boolean,
): number {
  const len = data.length;
  if (pos >= len) throw truncated();
  const mode = data[pos++]!;
  const pred = mode & 3;
  const width = mode >>> 2;
  if (width > MAX_WIDTH) throw corrupt(`bit width ${width} is above ${MAX_WIDTH}`);
  let x0 = 0;
  let d1 = 0;
  let slope = 0;
  if (pred !== RAW) {
    x0 = readZigzag(data, pos);
    pos = inPos;
    if (pred === DOD && n > 1) {
      d1 = readZigzag(data, pos);
      pos = inPos;
    } else if (pred === LINEAR) {
      slope = readZigzag(data, pos);
      pos = inPos;
    }
  }
  const from = firstResidual(pred);
  if (n <= from) {
    if (width !== 0 || hasDivisor) {
      throw corrupt('a bit width or divisor is set for a sequence without residuals');
    }
    xs[0] = x0;
    if (n > 1) {
      const x1 = x0 + (pred === DOD ? d1 : slope);
      if (x1 > MAX_INT || x1 < -MAX_INT) throw outOfRange(1);
      xs[1] = x1;
    }
    return pos;
  }
  const min = readZigzag(data, pos);
  pos = inPos;
  let divisor = 1;
  if (hasDivisor) {
    divisor = readVarint(data, pos);
    pos = inPos;
    if (divisor < 2) throw corrupt(`divisor ${divisor} is below 2`);
  }
  const count = n - from;
  const sectionBytes = Math.ceil((count * width) / 8);
  if (pos + sectionBytes > len) throw truncated();
  // Residuals into xs[from..n), as r - min for now.
  let p = pos * 8;
  if (width === 0) {
    xs.fill(0, from, n);
  } else if (width <= 32) {
    const shift = 32 - width;
    for (let i = from; i < n; i++) {
      const q = p >>> 5;
      const o = p & 31;
      xs[i] = ((w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o))) >>> shift;
      p += width;
    }
  } else {
    const hiShift = 64 - width;
    for (let i = from; i < n; i++) {
      let q = p >>> 5;
      let o = p & 31;
      const h = ((w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o))) >>> hiShift;
      p += width - 32;
      q = p >>> 5;
      o = p & 31;
      const l = ((w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o))) >>> 0;
      p += 32;
      xs[i] = h * TWO_POW_32 + l;
    }
  }
  // Zero padding to the byte boundary.
  const padBits = sectionBytes * 8 - count * width;
  if (padBits > 0 && (data[pos + sectionBytes - 1]! & ((1 << padBits) - 1)) !== 0) {
    throw corrupt('non-zero padding after a bit section');
  }
  pos += sectionBytes;
  if (divisor > 1) for (let i = from; i < n; i++) xs[i] = xs[i]! * divisor;
  switch (pred) {
    case RAW:
      for (let i = 0; i < n; i++) {
        const x = xs[i]! + min;
        if (x > MAX_INT || x < -MAX_INT) throw outOfRange(i);
        xs[i] = x;
      }
      break;
    case DELTA: {
      let x = x0;
      xs[0] = x;
      for (let i = 1; i < n; i++) {
        x += xs[i]! + min;
        if (x > MAX_INT || x < -MAX_INT) throw outOfRange(i);
        xs[i] = x;
      }
      break;
    }
    case DOD: {
      let x = x0 + d1;
      let d = d1;
      if (x > MAX_INT || x < -MAX_INT) throw outOfRange(1);
      xs[0] = x0;
      xs[1] = x;
      for (let i = 2; i < n; i++) {
        d += xs[i]! + min;
        x += d;
        if (x > MAX_INT || x < -MAX_INT) throw outOfRange(i);
        xs[i] = x;
      }
      break;
    }
    default: {
      let base = x0;
      xs[0] = x0;
      for (let i = 1; i < n; i++) {
        base += slope;
        const x = base + xs[i]! + min;
        if (x > MAX_INT || x < -MAX_INT) throw outOfRange(i);
        xs[i] = x;
      }
    }
  }
  return pos;
}

/**
 * Reads the sample count from a scaled-integer chunk's header in O(1).
 *
 * @throws VigilError `TSDB_CORRUPT` when `data` is shorter than the header
 *   or is not a scaled-integer chunk.
 */
export function scaledChunkSampleCount(data: Uint8Array): number {
  if (data.length < 3) {
    throw corrupt(`${data.length} bytes is shorter than the 3-byte header`);
  }
  if (data[0] !== SCALED_CHUNK_ENCODING) {
    throw corrupt(`unknown encoding byte ${data[0]} (expected ${SCALED_CHUNK_ENCODING})`);
  }
  return (data[1]! << 8) | data[2]!;
}

/**
 * Decodes a whole scaled-integer chunk: sample i goes to `timestamps[i]`
 * (ms) and `values[i]` (bits exact). Size the arrays with
 * {@link scaledChunkSampleCount}. Reentrant; safe to call from anywhere.
 *
 * @returns the number of samples decoded.
 * @throws VigilError `TSDB_CORRUPT` when `data` is corrupt or truncated;
 *   RangeError when the arrays are too small.
 */
export function decodeScaledChunk(
  data: Uint8Array,
  timestamps: Float64Array,
  values: Float64Array,
): number {
  const n = scaledChunkSampleCount(data);
  const len = data.length;
  if (timestamps.length < n || values.length < n) {
    throw new RangeError(
      `decodeScaledChunk: output arrays hold fewer than the chunk's ${n} samples; size them with chunkSampleCount()`,
    );
  }
  if (n === 0) {
    if (len !== 3) throw corrupt('an empty chunk has bytes after its header');
    return 0;
  }
  if (len < HEADER_BYTES) throw truncated();
  const flags = data[3]!;
  const k = flags & SCALE_MASK;
  if (k > SCALED_CHUNK_MAX_SCALE) throw corrupt(`scale ${k} is above ${SCALED_CHUNK_MAX_SCALE}`);
  if ((flags & ~(SCALE_MASK | TIME_DIVISOR_FLAG | VALUE_DIVISOR_FLAG)) !== 0) {
    throw corrupt(`unknown flags in byte 3 (0x${flags.toString(16)})`);
  }
  const w = loadWords(data);
  let pos = readSequence(data, w, HEADER_BYTES, n, timestamps, (flags & TIME_DIVISOR_FLAG) !== 0);
  for (let i = 1; i < n; i++) {
    if (!(timestamps[i]! > timestamps[i - 1]!)) {
      throw corrupt(`sample ${i} does not come after sample ${i - 1}`, { sample: i });
    }
  }
  pos = readSequence(data, w, pos, n, values, (flags & VALUE_DIVISOR_FLAG) !== 0);
  if (k > 0) {
    const p = POW10[k]!;
    for (let i = 0; i < n; i++) values[i] = values[i]! / p;
  }
  const exceptions = readVarint(data, pos);
  pos = inPos;
  if (exceptions > n) throw corrupt(`${exceptions} exceptions in ${n} samples`);
  if (exceptions > 0) {
    // Each takes at least 9 bytes (index gap varint, 8 bytes of bits).
    if (pos + 9 * exceptions > len) throw truncated();
    const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
    let prev = -1;
    for (let e = 0; e < exceptions; e++) {
      const gap = readVarint(data, pos);
      pos = inPos;
      const i = prev + 1 + gap;
      if (i >= n) throw corrupt(`exception index ${i} is beyond the ${n} samples`);
      if (pos + 8 > len) throw truncated();
      words[2 * i + HI] =
        ((data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!) >>>
        0;
      words[2 * i + LO] =
        ((data[pos + 4]! << 24) |
          (data[pos + 5]! << 16) |
          (data[pos + 6]! << 8) |
          data[pos + 7]!) >>>
        0;
      pos += 8;
      prev = i;
    }
  }
  if (pos !== len) {
    throw corrupt('unexpected bytes after the last sample', { numSamples: n, bytes: len });
  }
  return n;
}
