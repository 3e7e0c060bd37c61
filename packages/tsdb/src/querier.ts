import { ErrorCodes, VigilError } from '@vigil/model';
import type { LabelMatcher } from '@vigil/model';
import type {
  NewestSample,
  Querier,
  SampleIterator,
  SelectHints,
  Series,
  SeriesLabels,
  SeriesSet,
} from '@vigil/storage';
import { compareLabels, compareStrings, labelValue } from '@vigil/storage';
import { chunkSampleCount, decodeChunk } from './chunkenc/index.js';
import { lowerBound } from './chunkenc/decoded-iterator.js';
import type { Head, HeadSeries } from './head.js';

/** Encoded bytes of one chunk and its time range. @internal */
export interface ChunkSource {
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
  readonly data: Uint8Array;
  /** The chunk already decoded by the querier, when it had to look inside. */
  readonly decoded?: DecodedSamples;
}

/** Decoded samples of one chunk: `ts[0..n)`, `vs[0..n)`. @internal */
export interface DecodedSamples {
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  readonly n: number;
}

/** What a querier needs from the store. @internal */
export interface TsdbReader {
  readonly head: Head;
  /** Samples before this time were removed by retention. */
  readonly minValidTimeMs: number;
  assertOpen(): void;
  /** Chunks of `s` overlapping `[mint, maxt]`, ordered by min time; damaged ones skipped and noted in `warnings`. */
  chunksOf(s: HeadSeries, mint: number, maxt: number, warnings: string[]): ChunkSource[];
  reportCorrupt(kind: string, fields: Record<string, unknown>, warnings?: string[]): void;
}

/** Newest sample time known to exist in memory or on disk, `-Infinity` when none. */
function newestKnown(s: HeadSeries): number {
  let t = s.persistedMaxT;
  if (s.memChunks !== null) {
    for (const c of s.memChunks) if (c.maxTimeMs > t) t = c.maxTimeMs;
  }
  if (s.chunk !== null && s.chunk.numSamples > 0 && s.chunk.maxTimeMs > t) t = s.chunk.maxTimeMs;
  return t;
}

/**
 * A read view over `[mint, maxt]`. Series are picked with the in-memory
 * postings; their chunks are read (one prepared statement per series) when
 * the series set reaches them, and decoded a whole chunk at a time.
 * Single-threaded; one caller at a time.
 * @internal
 */
export class TsdbQuerier implements Querier {
  private closed = false;

  constructor(
    private readonly tsdb: TsdbReader,
    readonly mint: number,
    readonly maxt: number,
  ) {}

  select(matchers: readonly LabelMatcher[], hints?: SelectHints): SeriesSet {
    this.assertOpen();
    const candidates = this.candidates(matchers);
    if (hints?.sorted !== false) candidates.sort((a, b) => compareLabels(a.labels, b.labels));
    const warnings: string[] = [];
    let i = 0;
    let current: Series | undefined;
    const { tsdb, mint, maxt } = this;
    return {
      next: (): boolean => {
        while (i < candidates.length) {
          const s = candidates[i++]!;
          const all = tsdb.chunksOf(s, mint, maxt, warnings);
          const chunks = all.length === 0 ? undefined : withSampleIn(all, mint, maxt);
          if (chunks === undefined) continue;
          // The last committed sample is in memory; it is the newest in range
          // when it lies inside the range (nothing newer can be in a chunk).
          const newest =
            s.lastT >= mint && s.lastT <= maxt && s.lastT >= tsdb.minValidTimeMs
              ? { timestampMs: s.lastT, value: s.lastV }
              : undefined;
          current = new TsdbSeries(s.labels, chunks, mint, maxt, newest);
          return true;
        }
        current = undefined;
        return false;
      },
      at: (): Series => {
        if (current === undefined)
          throw new Error('SeriesSet.at() called without a successful next()');
        return current;
      },
      warnings: () => warnings,
    };
  }

  labelNames(matchers: readonly LabelMatcher[] = []): string[] {
    this.assertOpen();
    const names = new Set<string>();
    for (const s of this.withData(matchers)) {
      for (let i = 0; i < s.labels.length; i += 2) names.add(s.labels[i]!);
    }
    return [...names].sort(compareStrings);
  }

  labelValues(name: string, matchers: readonly LabelMatcher[] = []): string[] {
    this.assertOpen();
    const values = new Set<string>();
    for (const s of this.withData(matchers)) {
      const v = labelValue(s.labels, name);
      if (v !== '') values.add(v);
    }
    return [...values].sort(compareStrings);
  }

  close(): void {
    this.closed = true;
  }

  /** Series matching the matchers whose data may overlap the range. */
  private candidates(matchers: readonly LabelMatcher[]): HeadSeries[] {
    const head = this.tsdb.head;
    const out: HeadSeries[] = [];
    for (const ref of head.select(matchers)) {
      const s = head.byRef[ref];
      if (s === undefined || s.firstT > this.maxt || newestKnown(s) < this.mint) continue;
      out.push(s);
    }
    return out;
  }

  /** Candidates that certainly have a sample in range. */
  private withData(matchers: readonly LabelMatcher[]): HeadSeries[] {
    const out: HeadSeries[] = [];
    const warnings: string[] = [];
    const { mint, maxt } = this;
    for (const s of this.candidates(matchers)) {
      // Quick accept: a sample time known to exist lies in the range.
      if (
        (s.firstT >= mint && s.firstT <= maxt) ||
        (s.persistedMaxT >= mint && s.persistedMaxT <= maxt) ||
        (s.chunk !== null &&
          s.chunk.numSamples > 0 &&
          s.chunk.maxTimeMs >= mint &&
          s.chunk.maxTimeMs <= maxt)
      ) {
        out.push(s);
        continue;
      }
      const chunks = this.tsdb.chunksOf(s, mint, maxt, warnings);
      if (chunks.length > 0 && withSampleIn(chunks, mint, maxt) !== undefined) out.push(s);
    }
    return out;
  }

  private assertOpen(): void {
    this.tsdb.assertOpen();
    if (this.closed) {
      throw new VigilError(ErrorCodes.STORAGE_CLOSED, 'This querier is closed; open a new one.');
    }
  }
}

/**
 * The chunks, when at least one sample lies in `[mint, maxt]`; undefined
 * otherwise. A chunk whose time range straddles the window has to be decoded
 * to know; the decoded samples ride along on the returned chunk so that the
 * series iterator does not decode it a second time (instant queries over
 * long compacted rows would otherwise decode every row twice).
 */
function withSampleIn(
  chunks: readonly ChunkSource[],
  mint: number,
  maxt: number,
): readonly ChunkSource[] | undefined {
  for (const c of chunks) {
    if (c.minTimeMs >= mint && c.minTimeMs <= maxt) return chunks;
    if (c.maxTimeMs >= mint && c.maxTimeMs <= maxt) return chunks;
  }
  for (let ci = 0; ci < chunks.length; ci++) {
    const c = chunks[ci]!;
    let decoded: DecodedSamples;
    try {
      const k = chunkSampleCount(c.data);
      const ts = new Float64Array(k);
      const vs = new Float64Array(k);
      decoded = { ts, vs, n: decodeChunk(c.data, ts, vs) };
    } catch {
      continue;
    }
    const i = lowerBound(decoded.ts, 0, decoded.n, mint);
    if (i < decoded.n && decoded.ts[i]! <= maxt) {
      const out = chunks.slice();
      out[ci] = { ...c, decoded };
      return out;
    }
  }
  return undefined;
}

class TsdbSeries implements Series {
  constructor(
    readonly labels: SeriesLabels,
    private readonly chunks: readonly ChunkSource[],
    private readonly mint: number,
    private readonly maxt: number,
    private readonly newest: NewestSample | undefined,
  ) {}

  iterator(): SampleIterator {
    return new ChunksIterator(this.chunks, this.mint, this.maxt);
  }

  newestSample(): NewestSample | undefined {
    return this.newest;
  }
}

/**
 * Iterates samples of chunks ordered by min time, each decoded whole into
 * typed arrays. On decoding, the index window of the chunk's samples that lie
 * in `[mint, maxt]` and after the last sample returned is computed (binary
 * search), so `next()` is an index increment. Chunks may overlap (a chunk
 * being persisted while read); samples not newer than the last one returned
 * are skipped.
 * @internal
 */
export class ChunksIterator implements SampleIterator {
  private ci = 0;
  private ts: Float64Array = EMPTY;
  private vs: Float64Array = EMPTY;
  /** Next index to return, and the end of the usable window in the decoded chunk. */
  private i = 0;
  private hi = 0;
  /** Index of the current sample, -1 before the first. */
  private cur = -1;
  /** Timestamp of the last sample of the previous windows. */
  private lastT = -Infinity;
  private exhausted = false;
  /** The decoded array borrowed from a chunk, never written into. */
  private borrowed: Float64Array | undefined;

  constructor(
    private readonly chunks: readonly ChunkSource[],
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  next(): boolean {
    const i = this.i;
    if (i < this.hi) {
      this.cur = i;
      this.i = i + 1;
      return true;
    }
    if (this.exhausted || !this.load(this.mint)) return this.finish();
    this.cur = this.i++;
    return true;
  }

  seek(t: number): boolean {
    if (this.exhausted) return false;
    if (this.cur >= 0 && this.ts[this.cur]! >= t) return true;
    // Within the decoded window?
    if (this.i < this.hi && this.ts[this.hi - 1]! >= t) {
      this.i = lowerBound(this.ts, this.i, this.hi, t);
      this.cur = this.i++;
      return true;
    }
    this.i = this.hi;
    if (!this.load(Math.max(t, this.mint))) return this.finish();
    this.cur = this.i++;
    return true;
  }

  timestampMs(): number {
    return this.ts[this.cur]!;
  }

  value(): number {
    return this.vs[this.cur]!;
  }

  private finish(): false {
    this.exhausted = true;
    this.i = this.hi = 0;
    return false;
  }

  /**
   * Decodes the next chunk with samples `>= from`, after the last sample
   * returned and `<= maxt`, and sets the window; false when none is left.
   */
  private load(from: number): boolean {
    if (this.hi > 0) this.lastT = Math.max(this.lastT, this.ts[this.hi - 1]!);
    while (this.ci < this.chunks.length) {
      const c = this.chunks[this.ci++]!;
      if (c.maxTimeMs < from || c.maxTimeMs <= this.lastT) continue;
      if (c.minTimeMs > this.maxt) return false;
      let n: number;
      if (c.decoded !== undefined) {
        // Decoded arrays are private to this series; reading them in place is safe.
        this.ts = c.decoded.ts;
        this.vs = c.decoded.vs;
        n = c.decoded.n;
      } else {
        const k = chunkSampleCount(c.data);
        if (k > this.ts.length || this.ts === this.borrowed) {
          this.ts = new Float64Array(Math.max(k, this.ts.length));
          this.vs = new Float64Array(Math.max(k, this.vs.length));
        }
        n = decodeChunk(c.data, this.ts, this.vs);
      }
      if (c.decoded !== undefined) this.borrowed = this.ts;
      const lo = lowerBound(this.ts, 0, n, Math.max(from, this.lastT + 1));
      const hi = lowerBound(this.ts, lo, n, this.maxt + 1);
      this.hi = hi;
      this.i = lo;
      this.cur = -1;
      if (lo < hi) return true;
      if (hi < n) return false; // the chunk goes past maxt: nothing later qualifies
    }
    this.hi = 0;
    return false;
  }
}

const EMPTY = new Float64Array(0);
