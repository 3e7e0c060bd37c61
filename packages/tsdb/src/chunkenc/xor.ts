/**
 * The XOR chunk: Gorilla-style compression of float64 samples at integer
 * millisecond timestamps (delta-of-delta timestamps, XOR-ed values), written
 * and read with 32-bit operations only. The byte layout is specified in
 * `docs/format/xor-chunk.md`.
 *
 * Values are handled as two 32-bit words (through a shared
 * `Float64Array`/`Uint32Array` view), never as JS numbers stored in arrays
 * of doubles, so every float64 bit pattern round-trips exactly, including
 * the Prometheus staleness marker (NaN `0x7ff0000000000002`), other NaN
 * payloads, `-0`, infinities and subnormals.
 *
 * @module
 */
import { ErrorCodes, VigilError } from '@vigil/model';
import { DecodedChunkIterator } from './decoded-iterator.js';

/** The samples a chunk is cut at by the head (as in Prometheus). */
export const XOR_CHUNK_TARGET_SAMPLES = 120;
/** The most samples one chunk can hold (the header's 16-bit count). */
export const XOR_CHUNK_MAX_SAMPLES = 0xffff;
/** The encoding byte of this format (byte 0 of every chunk). */
export const XOR_CHUNK_ENCODING = 1;
/** Bytes of the fixed header: encoding byte and big-endian 16-bit sample count. */
export const XOR_CHUNK_HEADER_BYTES = 3;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO_POW_32 = 4294967296;
/** Worst case bytes one appended sample can add (146 bits), with a margin. */
const MAX_SAMPLE_BYTES = 24;
const DEFAULT_CAPACITY_BYTES = 256;
/** A new value window costs 11 bits more than reusing the current one. */
const NEW_WINDOW_EXTRA_BITS = 11;

// Shared scratch view to move float64 bits in and out as two 32-bit words.
const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);
scratchF64[0] = 1; // bits 0x3ff0000000000000: tells which word is the high one
/** Index of the high (sign/exponent) word of a float64 in a Uint32Array view. */
const HI = scratchU32[1] === 0x3ff00000 ? 1 : 0;
/** Index of the low word. */
const LO = 1 - HI;

function corrupt(message: string, details?: Record<string, unknown>): VigilError {
  return new VigilError(
    ErrorCodes.TSDB_CORRUPT,
    `XOR chunk is corrupt: ${message}; the chunk cannot be read (restore it from a backup or delete it)`,
    details === undefined ? undefined : { details },
  );
}

function truncated(): VigilError {
  return corrupt('the bit stream ends before the last sample (truncated chunk)');
}

/** Number of trailing zero bits of a non-zero 32-bit word. */
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * Appends samples to one XOR chunk, in memory. Timestamps must be safe
 * integers (ms) in strictly increasing order; the caller checks order and
 * duplicates before appending (this class only guards against them). One
 * caller at a time; not safe to share between concurrent appenders.
 */
export class XorChunkEncoder {
  private buf: Uint8Array;
  /** Index of the byte the next bit goes into (all bytes before it are final). */
  private bytePos = XOR_CHUNK_HEADER_BYTES;
  /** Bits already in the byte at `bytePos` (0..7), also kept in `acc`. */
  private accBits = 0;
  /** The `accBits` bits of the byte at `bytePos`, right-aligned. */
  private acc = 0;
  private count = 0;
  private firstT = 0;
  private lastT = 0;
  private lastDelta = 0;
  private lastHi = 0;
  private lastLo = 0;
  /** Leading zeros of the current XOR window, -1 before the first window. */
  private leading = -1;
  private trailing = 0;

  /**
   * @param initialCapacityBytes bytes to allocate up front; the buffer
   *   grows by doubling. 256 fits a typical 120-sample chunk.
   */
  constructor(initialCapacityBytes: number = DEFAULT_CAPACITY_BYTES) {
    const cap = Math.max(
      XOR_CHUNK_HEADER_BYTES + MAX_SAMPLE_BYTES,
      Math.floor(initialCapacityBytes) || 0,
    );
    this.buf = new Uint8Array(cap);
    this.buf[0] = XOR_CHUNK_ENCODING;
  }

  /** Samples appended so far. */
  get numSamples(): number {
    return this.count;
  }

  /** Timestamp of the first sample (ms); only meaningful when `numSamples > 0`. */
  get minTimeMs(): number {
    return this.firstT;
  }

  /** Timestamp of the last sample (ms); only meaningful when `numSamples > 0`. */
  get maxTimeMs(): number {
    return this.lastT;
  }

  /**
   * The last sample's value, bits exact (for duplicate checks after
   * {@link XorChunkEncoder.resume}); only meaningful when `numSamples > 0`.
   */
  get lastValue(): number {
    scratchU32[HI] = this.lastHi;
    scratchU32[LO] = this.lastLo;
    return scratchF64[0]!;
  }

  /** Bytes of the encoded chunk so far (header included). */
  get sizeBytes(): number {
    return this.accBits === 0 ? this.bytePos : this.bytePos + 1;
  }

  /**
   * A copy of the encoded chunk so far: a complete chunk of `numSamples`
   * samples, decodable at once and unaffected by later appends.
   */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.sizeBytes);
  }

  /**
   * A view of the encoded chunk so far, without copying. Valid only until
   * the next `append` (which may change its last byte, its header or
   * move the buffer); use {@link XorChunkEncoder.bytes} to keep the bytes.
   */
  view(): Uint8Array {
    return this.buf.subarray(0, this.sizeBytes);
  }

  /**
   * Appends one sample.
   *
   * @param timestampMs integer ms, a safe integer, greater than the last
   *   appended timestamp, at most `Number.MAX_SAFE_INTEGER` ms after it.
   * @param value any float64; its bits are kept exactly.
   * @throws VigilError `SAMPLE_OUT_OF_ORDER` when `timestampMs` is not after
   *   the last sample's; `SAMPLE_OUT_OF_BOUNDS` when it is not a safe
   *   integer, the gap is too large, or the chunk already holds
   *   {@link XOR_CHUNK_MAX_SAMPLES} samples. The chunk is unchanged then.
   */
  append(timestampMs: number, value: number): void {
    const n = this.count;
    if (n === 0) {
      if (!Number.isSafeInteger(timestampMs)) throw badTimestamp(timestampMs);
      this.writeFirstTimestamp(timestampMs);
      this.firstT = timestampMs;
      this.lastT = timestampMs;
      this.writeValue(value);
      this.count = 1;
      this.buf[2] = 1;
      return;
    }
    const delta = timestampMs - this.lastT;
    if (!(delta > 0)) {
      if (delta <= 0) {
        throw new VigilError(
          ErrorCodes.SAMPLE_OUT_OF_ORDER,
          `sample at ${timestampMs} ms is not after the chunk's last sample at ${this.lastT} ms; append samples in increasing time order`,
          { details: { timestampMs, lastTimestampMs: this.lastT } },
        );
      }
      throw badTimestamp(timestampMs);
    }
    // With the last timestamp a safe integer and 0 < delta <= 2^53 - 1, this
    // makes timestampMs a safe integer too.
    if (delta > MAX_SAFE || timestampMs > MAX_SAFE || Math.floor(timestampMs) !== timestampMs) {
      throw badTimestamp(timestampMs);
    }
    if (n >= XOR_CHUNK_MAX_SAMPLES) {
      throw new VigilError(
        ErrorCodes.SAMPLE_OUT_OF_BOUNDS,
        `XOR chunk is full (${XOR_CHUNK_MAX_SAMPLES} samples); cut a new chunk`,
        { details: { numSamples: n } },
      );
    }
    if (this.buf.length - this.bytePos < MAX_SAMPLE_BYTES) this.grow();
    if (n === 1) {
      // The first delta: an unsigned LEB128 varint, in 8-bit groups.
      let v = delta;
      while (v >= 128) {
        this.writeBits((v % 128) | 0x80, 8);
        v = Math.floor(v / 128);
      }
      this.writeBits(v, 8);
    } else {
      const dod = delta - this.lastDelta;
      if (dod === 0) {
        this.writeBits(0, 1);
      } else if (dod >= -32 && dod <= 31) {
        this.writeBits((0b10 << 6) | (dod & 0x3f), 8);
      } else if (dod >= -4096 && dod <= 4095) {
        this.writeBits((0b110 << 13) | (dod & 0x1fff), 16);
      } else if (dod >= -524288 && dod <= 524287) {
        this.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
      } else if (dod >= -2147483648 && dod <= 2147483647) {
        this.writeBits(0b11110, 5);
        this.writeBits(dod | 0, 32);
      } else {
        const hi = Math.floor(dod / TWO_POW_32);
        this.writeBits(0b11111, 5);
        this.writeBits(hi | 0, 32);
        this.writeBits(dod - hi * TWO_POW_32, 32);
      }
    }
    this.lastDelta = delta;
    this.lastT = timestampMs;
    this.writeValue(value);
    const c = n + 1;
    this.count = c;
    this.buf[1] = c >>> 8;
    this.buf[2] = c & 0xff;
  }

  /**
   * Restores an encoder from a chunk (as returned by `bytes()`), so that
   * appending continues exactly as if it had never stopped: the result of
   * `resume(a.bytes())` followed by appends equals appending everything to
   * `a`. Copies `data`.
   *
   * @throws VigilError `TSDB_CORRUPT` when `data` is not a valid chunk.
   */
  static resume(data: Uint8Array, initialCapacityBytes?: number): XorChunkEncoder {
    const n = xorChunkSampleCount(data);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    const state: DecodeState = {
      lastT: 0,
      lastDelta: 0,
      lastHi: 0,
      lastLo: 0,
      leading: -1,
      trailing: 0,
      endBit: 0,
    };
    decodeInto(data, ts, new Uint32Array(vs.buffer), 0, n, state);
    const enc = new XorChunkEncoder(
      Math.max(initialCapacityBytes ?? DEFAULT_CAPACITY_BYTES, data.length + MAX_SAMPLE_BYTES),
    );
    enc.buf.set(data);
    enc.count = n;
    enc.bytePos = state.endBit >>> 3;
    enc.accBits = state.endBit & 7;
    enc.acc = enc.accBits === 0 ? 0 : enc.buf[enc.bytePos]! >>> (8 - enc.accBits);
    if (n > 0) {
      enc.firstT = ts[0]!;
      enc.lastT = state.lastT;
      enc.lastDelta = state.lastDelta;
      enc.lastHi = state.lastHi;
      enc.lastLo = state.lastLo;
      enc.leading = state.leading;
      enc.trailing = state.trailing;
    }
    return enc;
  }

  private grow(): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.bytePos + 2 * MAX_SAMPLE_BYTES));
    next.set(this.buf);
    this.buf = next;
  }

  /** The first timestamp: a sign-magnitude varint, byte-aligned after the header. */
  private writeFirstTimestamp(t: number): void {
    const buf = this.buf;
    let pos = this.bytePos;
    // First byte: continuation bit, sign bit, 6 magnitude bits; then 7 per byte.
    let m = t < 0 ? -t : t;
    let b = (m % 64) | (t < 0 ? 0x40 : 0);
    m = Math.floor(m / 64);
    while (m > 0) {
      buf[pos++] = b | 0x80;
      b = m % 128;
      m = Math.floor(m / 128);
    }
    buf[pos++] = b;
    this.bytePos = pos;
  }

  /**
   * A value, XOR-ed with the previous one (with +0, all zero bits, for the
   * first sample): '0' when equal; '10' and the XOR's bits inside the
   * current window when they fit and that is not more than 11 bits longer
   * than a new window; else '11', 5 bits of leading zeros, 6 bits of
   * window length (0 meaning 64) and the window's bits.
   */
  private writeValue(value: number): void {
    scratchF64[0] = value;
    const hi = scratchU32[HI]! | 0;
    const lo = scratchU32[LO]! | 0;
    const xhi = hi ^ this.lastHi;
    const xlo = lo ^ this.lastLo;
    this.lastHi = hi;
    this.lastLo = lo;
    if ((xhi | xlo) === 0) {
      this.writeBits(0, 1);
      return;
    }
    let lead = xhi !== 0 ? Math.clz32(xhi) : 32 + Math.clz32(xlo);
    const trail = xlo !== 0 ? ctz32(xlo) : 32 + ctz32(xhi);
    if (lead > 31) lead = 31;
    const sig = 64 - lead - trail;
    const window = 64 - this.leading - this.trailing;
    if (
      this.leading >= 0 &&
      lead >= this.leading &&
      trail >= this.trailing &&
      window - sig <= NEW_WINDOW_EXTRA_BITS
    ) {
      this.writeBits(0b10, 2);
      this.writeMeaningful(xhi, xlo, window, this.trailing);
    } else {
      this.writeBits((0b11 << 11) | (lead << 6) | (sig & 63), 13);
      this.writeMeaningful(xhi, xlo, sig, trail);
      this.leading = lead;
      this.trailing = trail;
    }
  }

  /** Writes bits [trail, trail + n) of the 64-bit word pair (n >= 1). */
  private writeMeaningful(xhi: number, xlo: number, n: number, trail: number): void {
    let h: number;
    let l: number;
    if (trail === 0) {
      h = xhi;
      l = xlo;
    } else if (trail < 32) {
      l = (xlo >>> trail) | (xhi << (32 - trail));
      h = xhi >>> trail;
    } else {
      l = xhi >>> (trail - 32);
      h = 0;
    }
    if (n > 32) {
      this.writeBits(h, n - 32);
      this.writeBits(l, 32);
    } else {
      this.writeBits(l, n);
    }
  }

  /**
   * Writes the low `n` bits of `v` (1 <= n <= 32), most significant first.
   * Whole bytes go to the buffer; the last, partial one is kept in `acc`
   * and also stored, so that the buffer is always a complete chunk.
   */
  private writeBits(v: number, n: number): void {
    const buf = this.buf;
    let pos = this.bytePos;
    let bits = this.accBits;
    let acc = this.acc;
    if (n > 24) {
      const hiBits = n - 16;
      acc = (acc << hiBits) | ((v >>> 16) & ((1 << hiBits) - 1));
      bits += hiBits;
      while (bits >= 8) {
        bits -= 8;
        buf[pos++] = acc >>> bits;
      }
      acc &= (1 << bits) - 1;
      v &= 0xffff;
      n = 16;
    }
    acc = (acc << n) | (v & ((1 << n) - 1));
    bits += n;
    while (bits >= 8) {
      bits -= 8;
      buf[pos++] = acc >>> bits;
    }
    acc &= (1 << bits) - 1;
    buf[pos] = acc << (8 - bits);
    this.bytePos = pos;
    this.accBits = bits;
    this.acc = acc;
  }
}

function badTimestamp(t: number): VigilError {
  return new VigilError(
    ErrorCodes.SAMPLE_OUT_OF_BOUNDS,
    `timestamp ${t} ms cannot be stored: timestamps must be safe integers (ms) no more than 2^53-1 ms apart`,
    { details: { timestampMs: t } },
  );
}

/** What decoding leaves behind, for {@link XorChunkEncoder.resume}. */
interface DecodeState {
  lastT: number;
  lastDelta: number;
  lastHi: number;
  lastLo: number;
  leading: number;
  trailing: number;
  /** Bit offset (from the start of the chunk) just after the last sample. */
  endBit: number;
}

/**
 * Reads the sample count from a chunk's header in O(1).
 *
 * @throws VigilError `TSDB_CORRUPT` when `data` is shorter than the header
 *   or has an unknown encoding byte.
 */
export function xorChunkSampleCount(data: Uint8Array): number {
  if (data.length < XOR_CHUNK_HEADER_BYTES) {
    throw corrupt(`${data.length} bytes is shorter than the ${XOR_CHUNK_HEADER_BYTES}-byte header`);
  }
  if (data[0] !== XOR_CHUNK_ENCODING) {
    throw corrupt(`unknown encoding byte ${data[0]} (expected ${XOR_CHUNK_ENCODING})`);
  }
  return (data[1]! << 8) | data[2]!;
}

// The chunk as big-endian 32-bit words, followed by zero words, so that any
// 32 bits at a bit position can be read with two loads and no bounds checks.
const PAD_WORDS = 8;
let words = new Int32Array(64);

/**
 * Loads `data` into a shared array of big-endian 32-bit words followed by
 * at least 8 zero words, so that any 32 bits at a bit position inside the
 * chunk can be read with two loads and no bounds checks. Returns the
 * shared array: valid until the next call (any chunk decoder's), so use it
 * synchronously. Internal to the chunk encodings (not exported by the barrel).
 *
 * @internal
 */
export function loadWords(data: Uint8Array): Int32Array {
  const len = data.length;
  const full = len >>> 2;
  if (words.length < full + PAD_WORDS + 1) words = new Int32Array((full + PAD_WORDS + 1) * 2);
  const w = words;
  let b = 0;
  for (let k = 0; k < full; k++, b += 4) {
    w[k] = (data[b]! << 24) | (data[b + 1]! << 16) | (data[b + 2]! << 8) | data[b + 3]!;
  }
  w.fill(0, full, full + PAD_WORDS + 1);
  let tail = 0;
  for (let shift = 24; b < len; b++, shift -= 8) tail |= data[b]! << shift;
  w[full] = tail;
  return w;
}

/**
 * Decodes `data` into `ts` and the value words `vw` (value i's low word at
 * `vBase + 2i + LO`, high word at `vBase + 2i + HI`). Validates everything:
 * throws `TSDB_CORRUPT` on any inconsistency, never reads out of range.
 */
function decodeInto(
  data: Uint8Array,
  ts: Float64Array,
  vw: Uint32Array,
  vBase: number,
  vCapacity: number,
  state: DecodeState | null,
): number {
  const n = xorChunkSampleCount(data);
  const len = data.length;
  if (ts.length < n || vCapacity < n) {
    throw new RangeError(
      `decodeXorChunk: output arrays hold fewer than the chunk's ${n} samples; size them with xorChunkSampleCount()`,
    );
  }
  if (n === 0) {
    if (len !== XOR_CHUNK_HEADER_BYTES) throw corrupt('an empty chunk has bytes after its header');
    if (state !== null) state.endBit = XOR_CHUNK_HEADER_BYTES * 8;
    return 0;
  }
  // First timestamp: sign-magnitude varint, byte-aligned.
  let pos = XOR_CHUNK_HEADER_BYTES;
  if (pos >= len) throw truncated();
  let b = data[pos++]!;
  const negative = (b & 0x40) !== 0;
  let m = b & 0x3f;
  let mult = 64;
  let k = 1;
  while ((b & 0x80) !== 0) {
    if (pos >= len) throw truncated();
    if (++k > 8) throw corrupt('the first timestamp varint is longer than 8 bytes');
    b = data[pos++]!;
    m += (b & 0x7f) * mult;
    mult *= 128;
  }
  if (m > MAX_SAFE) throw corrupt('the first timestamp is beyond 2^53 ms');
  let t = negative ? -m : m;

  // The rest is a bit stream; `p` is the absolute bit position. A 32-bit
  // peek at p: (w[p >>> 5] << (p & 31)) | ((w[(p >>> 5) + 1] >>> 1) >>> (31 - (p & 31))).
  const w = loadWords(data);
  const endBits = len * 8;
  let p = pos * 8;
  let delta = 0;
  let hi = 0;
  let lo = 0;
  let leading = -1;
  let trailing = 0;
  let x: number;
  let q: number;
  let o: number;
  for (let i = 0; i < n; i++) {
    if (i >= 2) {
      // Timestamp: delta of delta.
      q = p >>> 5;
      o = p & 31;
      x = (w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o));
      if (x >= 0) {
        // Same delta. The value's control bits follow in x.
        p += 1;
        x <<= 1;
      } else {
        const ones = Math.clz32(~x);
        let dod: number;
        if (ones === 1) {
          dod = (x << 2) >> 26;
          p += 8;
        } else if (ones === 2) {
          dod = (x << 3) >> 19;
          p += 16;
        } else if (ones === 3) {
          dod = (x << 4) >> 12;
          p += 24;
        } else {
          p += 5;
          q = p >>> 5;
          o = p & 31;
          const dh = (w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o));
          p += 32;
          if (ones === 4) {
            dod = dh;
          } else {
            q = p >>> 5;
            o = p & 31;
            const dl = (w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o));
            p += 32;
            dod = dh * TWO_POW_32 + (dl >>> 0);
          }
        }
        delta += dod;
        if (delta <= 0 || delta > MAX_SAFE) {
          throw corrupt(`sample ${i} does not come after sample ${i - 1}`, { sample: i });
        }
        q = p >>> 5;
        o = p & 31;
        x = (w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o));
      }
      t += delta;
    } else if (i === 1) {
      // The first delta: unsigned varint in 8-bit groups.
      mult = 1;
      k = 0;
      do {
        if (++k > 8) throw corrupt('the first delta varint is longer than 8 bytes');
        q = p >>> 5;
        o = p & 31;
        b = ((w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o))) >>> 24;
        p += 8;
        delta += (b & 0x7f) * mult;
        mult *= 128;
      } while ((b & 0x80) !== 0);
      if (delta === 0 || delta > MAX_SAFE) {
        throw corrupt(`invalid delta ${delta} ms after the first sample`);
      }
      t += delta;
      q = p >>> 5;
      o = p & 31;
      x = (w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o));
    } else {
      q = p >>> 5;
      o = p & 31;
      x = (w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o));
    }
    ts[i] = t;

    // Value: XOR with the previous one; x holds at least 13 bits from p.
    if (x >= 0) {
      p += 1;
    } else {
      if ((x & 0x40000000) !== 0) {
        const lead = (x >>> 25) & 0x1f;
        let sig = (x >>> 19) & 0x3f;
        if (sig === 0) sig = 64;
        const trail = 64 - lead - sig;
        if (trail < 0) {
          throw corrupt(`sample ${i} has a value window of ${lead} + ${sig} > 64 bits`, {
            sample: i,
          });
        }
        leading = lead;
        trailing = trail;
        p += 13;
      } else {
        if (leading < 0) {
          throw corrupt(`sample ${i} reuses a value window before one was set`, { sample: i });
        }
        p += 2;
      }
      const sig = 64 - leading - trailing;
      q = p >>> 5;
      o = p & 31;
      x = (w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o));
      if (sig <= 32) {
        x = (x >>> (32 - sig)) | 0;
        p += sig;
        // (hi, lo) ^= x << trailing, as 64 bits; ((x >>> 1) >>> (31 - s))
        // is x >>> (32 - s) that also works for s = 0.
        if (trailing < 32) {
          hi ^= (x >>> 1) >>> (31 - trailing);
          lo ^= x << trailing;
        } else {
          hi ^= x << (trailing - 32);
        }
      } else {
        const mh = (x >>> (64 - sig)) | 0;
        p += sig - 32;
        q = p >>> 5;
        o = p & 31;
        const ml = (w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o));
        p += 32;
        hi ^= (mh << trailing) | ((ml >>> 1) >>> (31 - trailing));
        lo ^= ml << trailing;
      }
    }
    if (p > endBits) throw truncated();
    const at = vBase + 2 * i;
    vw[at + LO] = lo;
    vw[at + HI] = hi;
  }
  // Timestamps increase, so checking the last one covers them all (each is
  // exact: all are below it, within the safe integers).
  if (t > MAX_SAFE) throw corrupt('timestamps beyond 2^53 ms', { numSamples: n });
  // Only zero padding may follow, up to the next byte boundary.
  q = p >>> 5;
  o = p & 31;
  x = (w[q]! << o) | ((w[q + 1]! >>> 1) >>> (31 - o));
  if (p > endBits || endBits - p >= 8 || x !== 0) {
    throw corrupt('unexpected bits after the last sample', { numSamples: n, bytes: len });
  }
  if (state !== null) {
    state.lastT = t;
    state.lastDelta = delta;
    state.lastHi = hi;
    state.lastLo = lo;
    state.leading = leading;
    state.trailing = trailing;
    state.endBit = p;
  }
  return n;
}

// A Uint32Array view over the buffer of the last values array decoded
// into, reused while callers keep decoding into the same buffer. Only
// buffers up to VIEW_CACHE_MAX_BYTES are kept, so that a large one is not
// held alive after its user is done with it.
const VIEW_CACHE_MAX_BYTES = 1 << 20;
let viewBuffer: ArrayBufferLike | null = null;
let viewWords: Uint32Array = new Uint32Array(0);

/** Words over `values` and the index of its first word in them. */
function wordsOf(values: Float64Array): Uint32Array {
  const buffer = values.buffer;
  if (buffer === viewBuffer && viewWords.length * 4 >= values.byteOffset + values.byteLength) {
    return viewWords;
  }
  if (buffer.byteLength <= VIEW_CACHE_MAX_BYTES) {
    viewWords = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    viewBuffer = buffer;
    return viewWords;
  }
  return new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
}

/**
 * Decodes a whole chunk into typed arrays (the fast path for queries):
 * sample i goes to `timestamps[i]` (ms) and `values[i]` (bits exact).
 * Size the arrays with {@link xorChunkSampleCount}. Reentrant; safe to call
 * from anywhere.
 *
 * @returns the number of samples decoded.
 * @throws VigilError `TSDB_CORRUPT` when `data` is corrupt or truncated;
 *   RangeError when the arrays are too small.
 */
export function decodeXorChunk(
  data: Uint8Array,
  timestamps: Float64Array,
  values: Float64Array,
): number {
  return decodeInto(
    data,
    timestamps,
    wordsOf(values),
    values.byteOffset >>> 2,
    values.length,
    null,
  );
}

/**
 * A `SampleIterator` (from `@vigil/storage`) over one chunk, optionally bounded to
 * `[mint, maxt]` (inclusive, ms). Decodes the chunk on the first `next()`
 * or `seek()` (so a corrupt chunk throws `TSDB_CORRUPT` from there) into
 * buffers it reuses across {@link XorChunkIterator.reset}. One user at a
 * time. `data` must not change while the iterator is in use.
 */
export class XorChunkIterator extends DecodedChunkIterator {
  private words = new Uint32Array(this.vs.buffer);

  protected sampleCount(data: Uint8Array): number {
    return xorChunkSampleCount(data);
  }

  protected override buffersGrown(): void {
    this.words = new Uint32Array(this.vs.buffer);
  }

  protected decodeSamples(data: Uint8Array, ts: Float64Array, vs: Float64Array): void {
    decodeInto(data, ts, this.words, 0, vs.length, null);
  }
}
