/**
 * A minimal protobuf wire decoder (and encoder, for tests and clients) for
 * the Prometheus remote-write 1.0 `prometheus.WriteRequest`
 * (prompb/remote.proto and prompb/types.proto):
 *
 * ```proto
 * message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
 * message TimeSeries  { repeated Label labels = 1; repeated Sample samples = 2;
 *                       repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
 * message Label       { string name = 1; string value = 2; }
 * message Sample      { double value = 1; int64 timestamp = 2; }
 * ```
 *
 * What is kept: labels and float samples. What is skipped and counted:
 * exemplars (Vigil stores no exemplars yet), native histograms (the store
 * holds float samples only; skipping them keeps the float samples of the
 * same request instead of failing the whole batch, which the sender would
 * drop anyway as a 400), and metadata. Unknown fields are skipped by wire
 * type, as protobuf requires; groups (wire types 3 and 4, absent from
 * proto3) are refused.
 *
 * Values are copied byte for byte into a `Float64Array`, so the staleness
 * marker keeps its bits. `int64` timestamps are decoded as two 32-bit halves
 * (no BigInt); values outside ±2^53 ms are refused.
 *
 * @module
 */
import { ErrorCodes, VigilError } from '@vigil/model';

/** One decoded `TimeSeries`: its labels as received and its samples' index range. */
export interface DecodedSeries {
  /** Flat `[name, value, ...]` in the order received (not yet sorted or validated). */
  readonly labels: string[];
  /** Index of its first sample in the request's `timestamps`/`values`. */
  readonly start: number;
  /** One past its last sample. */
  readonly end: number;
}

/** A decoded `WriteRequest`: series, and all samples in two columns (values keep their bits). */
export interface DecodedWriteRequest {
  readonly series: DecodedSeries[];
  /** Sample timestamps in ms, `sampleCount` of them used. */
  readonly timestamps: Float64Array;
  /** Sample values, `sampleCount` of them used; NaN payloads preserved. */
  readonly values: Float64Array;
  readonly sampleCount: number;
  /** Exemplars skipped. */
  readonly exemplarCount: number;
  /** Native histogram samples skipped. */
  readonly histogramCount: number;
  /** Metadata entries skipped. */
  readonly metadataCount: number;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

function invalid(why: string, offset: number): never {
  throw new VigilError(
    ErrorCodes.REMOTE_WRITE_INVALID,
    `Invalid remote-write protobuf at byte ${offset}: ${why}. The body must be a prometheus.WriteRequest (remote write 1.0).`,
    { details: { offset } },
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Longest string interned by the decoder, and how many are kept (the cache is cleared when full). */
const MAX_INTERNED_LENGTH = 128;
const MAX_INTERNED = 65_536;
/** Hash of an ASCII string's bytes -> the string (checked byte for byte on use). */
const interned = new Map<number, string>();

/** A cursor over one protobuf message (a subrange of the buffer). */
class Reader {
  pos: number;
  /** High and low 32 bits of the last 64-bit varint read by `varint64`. */
  hi = 0;
  lo = 0;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint that must fit in 32 bits unsigned (tags and lengths). */
  varint32(): number {
    let result = 0;
    let shift = 0;
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) invalid('a varint is truncated', start);
      const b = this.buf[this.pos++]!;
      if (i < 5) {
        if (i === 4 && (b & 0x70) !== 0) invalid('a length or tag does not fit in 32 bits', start);
        result += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } else if ((b & 0x7f) !== 0) {
        invalid('a length or tag does not fit in 32 bits', start);
      }
      if (b < 0x80) return result;
    }
    return invalid('a varint is longer than 10 bytes', start);
  }

  /** A 64-bit varint into `hi`/`lo`. */
  varint64(): void {
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) invalid('a varint is truncated', start);
      const b = this.buf[this.pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else if (i < 9) hi |= bits << (7 * i - 32);
      else {
        if (bits > 1) invalid('a varint overflows 64 bits', start);
        hi |= bits << 31;
      }
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    invalid('a varint is longer than 10 bytes', start);
  }

  /** An int64 varint as a number; refuses values that are not safe integers (|v| >= 2^53). */
  int64(): number {
    const start = this.pos;
    this.varint64();
    const value = (this.hi | 0) * 4294967296 + this.lo;
    if (!Number.isSafeInteger(value)) {
      invalid('an int64 is outside ±2^53 (timestamps are milliseconds)', start);
    }
    return value;
  }

  /** Length of a length-delimited field, checked against the message end. */
  length(): number {
    const start = this.pos;
    const len = this.varint32();
    if (len > this.end - this.pos) invalid('a length runs past the end of its message', start);
    return len;
  }

  /** Reads a length and returns the position just past that many bytes. */
  skipLength(): number {
    const len = this.length();
    return this.pos + len;
  }

  string(): string {
    const len = this.length();
    const start = this.pos;
    const end = start + len;
    this.pos = end;
    const buf = this.buf;
    if (len <= MAX_INTERNED_LENGTH) {
      // ASCII strings (nearly all label names and values) are interned: the
      // same label text repeats across series and requests, and allocating
      // it again is the decoder's largest cost.
      let h = 0x811c9dc5 ^ len;
      let ascii = true;
      for (let i = start; i < end; i++) {
        const b = buf[i]!;
        if (b >= 0x80) {
          ascii = false;
          break;
        }
        h = Math.imul(h ^ b, 0x01000193);
      }
      if (ascii) {
        const cached = interned.get(h);
        if (cached !== undefined && cached.length === len) {
          let same = true;
          for (let i = 0; i < len; i++) {
            if (cached.charCodeAt(i) !== buf[start + i]) {
              same = false;
              break;
            }
          }
          if (same) return cached;
        }
        const text = buf.toString('latin1', start, end);
        if (interned.size >= MAX_INTERNED) interned.clear();
        interned.set(h, text);
        return text;
      }
    }
    try {
      return utf8.decode(buf.subarray(start, start + len));
    } catch (err) {
      throw new VigilError(
        ErrorCodes.REMOTE_WRITE_INVALID,
        `Invalid remote-write protobuf at byte ${start}: a string is not valid UTF-8. Label names and values must be UTF-8.`,
        { cause: err, details: { offset: start } },
      );
    }
  }

  /** Skips a field's payload of the given wire type. */
  skip(wireType: number, tagOffset: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64();
        return;
      case WIRE_FIXED64:
        if (this.end - this.pos < 8) invalid('a fixed64 field is truncated', tagOffset);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.skipLength();
        return;
      case WIRE_FIXED32:
        if (this.end - this.pos < 4) invalid('a fixed32 field is truncated', tagOffset);
        this.pos += 4;
        return;
      default:
        invalid(
          `wire type ${wireType} is not supported (groups are not used by remote write)`,
          tagOffset,
        );
    }
  }
}

/** A growing pair of sample columns. */
class SampleColumns {
  timestamps = new Float64Array(256);
  values = new Float64Array(256);
  bytes = new Uint8Array(this.values.buffer);
  count = 0;

  grow(): void {
    const n = this.timestamps.length * 2;
    const ts = new Float64Array(n);
    ts.set(this.timestamps);
    const vs = new Float64Array(n);
    // Copy the bytes, not the numbers, so NaN payloads survive.
    new Uint8Array(vs.buffer).set(this.bytes);
    this.timestamps = ts;
    this.values = vs;
    this.bytes = new Uint8Array(vs.buffer);
  }
}

function expectWire(actual: number, expected: number, what: string, offset: number): void {
  if (actual !== expected) {
    invalid(`${what} has wire type ${actual}, expected ${expected}`, offset);
  }
}

function readLabel(r: Reader, end: number, labels: string[]): void {
  const sub = new Reader(r.buf, r.pos, end);
  let name = '';
  let value = '';
  while (sub.pos < end) {
    const tagOffset = sub.pos;
    const tag = sub.varint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) invalid('field number 0', tagOffset);
    if (field === 1) {
      expectWire(wire, WIRE_LEN, 'Label.name', tagOffset);
      name = sub.string();
    } else if (field === 2) {
      expectWire(wire, WIRE_LEN, 'Label.value', tagOffset);
      value = sub.string();
    } else sub.skip(wire, tagOffset);
  }
  r.pos = end;
  labels.push(name, value);
}

function readSample(r: Reader, end: number, cols: SampleColumns): void {
  const sub = new Reader(r.buf, r.pos, end);
  let timestamp = 0;
  let valueAt = -1; // offset of the value's 8 bytes; -1 means absent (0.0)
  while (sub.pos < end) {
    const tagOffset = sub.pos;
    const tag = sub.varint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) invalid('field number 0', tagOffset);
    if (field === 1) {
      expectWire(wire, WIRE_FIXED64, 'Sample.value', tagOffset);
      if (end - sub.pos < 8) invalid('Sample.value is truncated', tagOffset);
      valueAt = sub.pos;
      sub.pos += 8;
    } else if (field === 2) {
      expectWire(wire, WIRE_VARINT, 'Sample.timestamp', tagOffset);
      timestamp = sub.int64();
    } else sub.skip(wire, tagOffset);
  }
  r.pos = end;
  if (cols.count === cols.timestamps.length) cols.grow();
  const i = cols.count++;
  cols.timestamps[i] = timestamp;
  const o = i * 8;
  if (valueAt < 0) {
    cols.bytes.fill(0, o, o + 8);
  } else if (LITTLE_ENDIAN_HOST) {
    for (let k = 0; k < 8; k++) cols.bytes[o + k] = r.buf[valueAt + k]!;
  } else {
    for (let k = 0; k < 8; k++) cols.bytes[o + 7 - k] = r.buf[valueAt + k]!;
  }
}

interface Counts {
  exemplars: number;
  histograms: number;
}

function readTimeSeries(
  r: Reader,
  end: number,
  cols: SampleColumns,
  counts: Counts,
): DecodedSeries {
  const sub = new Reader(r.buf, r.pos, end);
  const labels: string[] = [];
  const start = cols.count;
  while (sub.pos < end) {
    const tagOffset = sub.pos;
    const tag = sub.varint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) invalid('field number 0', tagOffset);
    if (field === 1) {
      expectWire(wire, WIRE_LEN, 'TimeSeries.labels', tagOffset);
      const len = sub.length();
      readLabel(sub, sub.pos + len, labels);
    } else if (field === 2) {
      expectWire(wire, WIRE_LEN, 'TimeSeries.samples', tagOffset);
      const len = sub.length();
      readSample(sub, sub.pos + len, cols);
    } else if (field === 3) {
      expectWire(wire, WIRE_LEN, 'TimeSeries.exemplars', tagOffset);
      sub.pos = sub.skipLength();
      counts.exemplars++;
    } else if (field === 4) {
      expectWire(wire, WIRE_LEN, 'TimeSeries.histograms', tagOffset);
      sub.pos = sub.skipLength();
      counts.histograms++;
    } else sub.skip(wire, tagOffset);
  }
  r.pos = end;
  return { labels, start, end: cols.count };
}

/**
 * Decodes a `prometheus.WriteRequest` (already decompressed).
 *
 * @throws VigilError `REMOTE_WRITE_INVALID` with the byte offset and the
 *   reason: truncated varints or fields, lengths past the end of their
 *   message, a known field with the wrong wire type, groups, field number
 *   0, strings that are not UTF-8, timestamps outside ±2^53.
 *
 * Pure and synchronous.
 */
export function decodeWriteRequest(body: Uint8Array): DecodedWriteRequest {
  const r = new Reader(Buffer.from(body.buffer, body.byteOffset, body.byteLength), 0, body.length);
  const cols = new SampleColumns();
  const series: DecodedSeries[] = [];
  const counts: Counts = { exemplars: 0, histograms: 0 };
  let metadataCount = 0;
  while (r.pos < r.end) {
    const tagOffset = r.pos;
    const tag = r.varint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) invalid('field number 0', tagOffset);
    if (field === 1) {
      expectWire(wire, WIRE_LEN, 'WriteRequest.timeseries', tagOffset);
      const len = r.length();
      series.push(readTimeSeries(r, r.pos + len, cols, counts));
    } else if (field === 3) {
      expectWire(wire, WIRE_LEN, 'WriteRequest.metadata', tagOffset);
      r.pos = r.skipLength();
      metadataCount++;
    } else r.skip(wire, tagOffset);
  }
  return {
    series,
    timestamps: cols.timestamps,
    values: cols.values,
    sampleCount: cols.count,
    exemplarCount: counts.exemplars,
    histogramCount: counts.histograms,
    metadataCount,
  };
}

/** A series to encode: flat labels and its samples (values in a Float64Array keep their bits). */
export interface SeriesToEncode {
  readonly labels: readonly string[];
  readonly timestamps: ArrayLike<number>;
  readonly values: Float64Array;
}

/** A growable byte buffer for the encoder. */
class Writer {
  buf = new Uint8Array(1024);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  varint32(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** A signed integer (|v| <= 2^53) as a 64-bit two's complement varint. */
  int64(v: number): void {
    let hi = Math.floor(v / 4294967296);
    let lo = v - hi * 4294967296;
    hi = hi >>> 0;
    lo = lo >>> 0;
    this.ensure(10);
    while (hi !== 0 || lo >= 0x80) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    this.buf[this.pos++] = lo;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

const utf8Encoder = new TextEncoder();

function sizeOfVarint32(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/**
 * Encodes a `prometheus.WriteRequest` with the given series (labels and
 * float samples only). Not tuned for speed: for tests and small clients.
 *
 * @throws RangeError when a timestamp is not an integer within ±2^53.
 */
export function encodeWriteRequest(series: readonly SeriesToEncode[]): Uint8Array {
  const w = new Writer();
  const scratch = new Writer();
  const valueBytes = new Uint8Array(8);
  for (const s of series) {
    scratch.pos = 0;
    for (let i = 0; i < s.labels.length; i += 2) {
      const name = utf8Encoder.encode(s.labels[i]);
      const value = utf8Encoder.encode(s.labels[i + 1]);
      const len =
        1 +
        sizeOfVarint32(name.length) +
        name.length +
        1 +
        sizeOfVarint32(value.length) +
        value.length;
      scratch.varint32((1 << 3) | WIRE_LEN);
      scratch.varint32(len);
      scratch.varint32((1 << 3) | WIRE_LEN);
      scratch.varint32(name.length);
      scratch.bytes(name);
      scratch.varint32((2 << 3) | WIRE_LEN);
      scratch.varint32(value.length);
      scratch.bytes(value);
    }
    const sample = new Writer();
    for (let i = 0; i < s.values.length; i++) {
      const t = s.timestamps[i]!;
      if (!Number.isSafeInteger(t)) throw new RangeError(`timestamp ${t} is not a safe integer`);
      sample.pos = 0;
      sample.varint32((1 << 3) | WIRE_FIXED64);
      const bytes = new Uint8Array(s.values.buffer, s.values.byteOffset + i * 8, 8);
      for (let k = 0; k < 8; k++) valueBytes[k] = LITTLE_ENDIAN_HOST ? bytes[k]! : bytes[7 - k]!;
      sample.bytes(valueBytes);
      sample.varint32((2 << 3) | WIRE_VARINT);
      sample.int64(t);
      scratch.varint32((2 << 3) | WIRE_LEN);
      scratch.varint32(sample.pos);
      scratch.bytes(sample.buf.subarray(0, sample.pos));
    }
    w.varint32((1 << 3) | WIRE_LEN);
    w.varint32(scratch.pos);
    w.bytes(scratch.buf.subarray(0, scratch.pos));
  }
  return w.buf.slice(0, w.pos);
}
