import type { SampleIterator } from '@vigil/storage';

/** Samples a chunk of 120 (the usual size) needs; buffers grow for longer chunks. */
const INITIAL_SAMPLES = 120;

/**
 * The iterator logic every chunk encoding shares: decode the whole chunk
 * into reused buffers on the first `next()` or `seek()` (so a corrupt chunk
 * throws `TSDB_CORRUPT` from there), then walk it, bounded to
 * `[mint, maxt]` (inclusive, ms). Subclasses say how to count and decode.
 * One user at a time; `data` must not change while the iterator is in use.
 *
 * @internal
 */
export abstract class DecodedChunkIterator implements SampleIterator {
  private data: Uint8Array;
  private mint: number;
  private maxt: number;
  /** Decoded timestamps and values; subclasses may replace them when they grow. */
  protected ts = new Float64Array(INITIAL_SAMPLES);
  protected vs = new Float64Array(INITIAL_SAMPLES);
  /** Current index; -1 before the first call; `end` once exhausted. */
  private i = -1;
  /** First index inside `[mint, maxt]`. */
  private start = 0;
  /** One past the last index inside `[mint, maxt]`. */
  private end = -1;
  private decoded = false;

  /**
   * @param data a chunk (not copied).
   * @param mint only yield samples at or after this time (ms).
   * @param maxt only yield samples at or before this time (ms).
   */
  constructor(data: Uint8Array, mint: number = -Infinity, maxt: number = Infinity) {
    this.data = data;
    this.mint = mint;
    this.maxt = maxt;
  }

  /** The number of samples in `data` (from its header). */
  protected abstract sampleCount(data: Uint8Array): number;

  /** Decodes `data` into `ts` and `vs`, which hold at least `sampleCount(data)`. */
  protected abstract decodeSamples(data: Uint8Array, ts: Float64Array, vs: Float64Array): void;

  /** Called after `ts` and `vs` were replaced by larger buffers. */
  protected buffersGrown(): void {}

  /** Starts over on another chunk (and bounds), reusing the buffers. */
  reset(data: Uint8Array, mint: number = -Infinity, maxt: number = Infinity): void {
    this.data = data;
    this.mint = mint;
    this.maxt = maxt;
    this.i = -1;
    this.end = -1;
    this.decoded = false;
  }

  private decode(): void {
    const n = this.sampleCount(this.data);
    if (this.ts.length < n) {
      this.ts = new Float64Array(n);
      this.vs = new Float64Array(n);
      this.buffersGrown();
    }
    this.decodeSamples(this.data, this.ts, this.vs);
    this.decoded = true;
    const ts = this.ts;
    const start = this.mint > -Infinity ? lowerBound(ts, 0, n, this.mint) : 0;
    this.start = start;
    this.i = start - 1;
    this.end = this.maxt < Infinity ? upperBound(ts, start, n, this.maxt) : n;
  }

  /** Moves to the next sample; false when there is none. */
  next(): boolean {
    const i = this.i + 1;
    if (i < this.end) {
      this.i = i;
      return true;
    }
    if (!this.decoded) {
      this.decode();
      return this.next();
    }
    this.i = this.end;
    return false;
  }

  /** Moves to the first sample at or after `t` (ms); never backwards. */
  seek(t: number): boolean {
    if (!this.decoded) this.decode();
    const i = this.i;
    const end = this.end;
    if (i >= end) return false;
    if (i >= this.start && this.ts[i]! >= t) return true;
    this.i = lowerBound(this.ts, i < this.start ? this.start : i, end, t);
    return this.i < end;
  }

  /** The current sample's timestamp (ms). */
  timestampMs(): number {
    return this.ts[this.i]!;
  }

  /** The current sample's value (bits exact). */
  value(): number {
    return this.vs[this.i]!;
  }
}

/**
 * First index in [from, to) with ts[index] >= t, or `to`. Internal to the
 * chunk encodings.
 *
 * @internal
 */
export function lowerBound(ts: Float64Array, from: number, to: number, t: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * First index in [from, to) with ts[index] > t, or `to`. Internal to the
 * chunk encodings.
 *
 * @internal
 */
export function upperBound(ts: Float64Array, from: number, to: number, t: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
