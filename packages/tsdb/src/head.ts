import type { LabelMatcher } from '@vigil/model';
import type { SeriesLabels } from '@vigil/storage';
import { labelsKey } from '@vigil/storage';
import { XorChunkEncoder } from './chunkenc/index.js';

/** An appender as the series sees it: its batch fields are valid while it is not finished. */
export interface BatchOwner {
  readonly finished: boolean;
}

/** A completed chunk held in memory until the next commit or checkpoint persists it. */
export interface MemChunk {
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
  readonly numSamples: number;
  readonly data: Uint8Array;
}

/**
 * One series as the head knows it. Plain fields only (a float64 field keeps a
 * staleness marker's bits); one open chunk; no per-sample objects.
 * @internal
 */
export class HeadSeries {
  /** The open chunk, or null when the series has no samples since its last cut. */
  chunk: XorChunkEncoder | null = null;
  /** Completed chunks not yet in SQLite, oldest first. */
  memChunks: MemChunk[] | null = null;
  /** Newest committed sample, `-Infinity` when none. */
  lastT = -Infinity;
  lastV = 0;
  /** Oldest sample time the store holds for the series (disk or memory), `Infinity` when none. */
  firstT = Infinity;
  /** Newest sample time persisted in the `chunks` table, `-Infinity` when none. */
  persistedMaxT = -Infinity;
  /**
   * The newest chunk this process persisted, kept in memory so that queries
   * over the last minutes (instant queries, alert rules) need no SQLite read.
   * After a restart it is read back with the series' newest row (see
   * `KEEP_LAST_PERSISTED_BYTES`); null when retention removed rows of the series.
   */
  lastPersisted: MemChunk | null = null;
  /** The open chunk changed since the last checkpoint (queued in `Head.dirty`). */
  dirty = false;
  /** `recent_chunks` rows written for the series since its last merge (a trigger, not persisted). */
  recentRowsUnmerged = 0;
  /** True once removed by retention; appenders holding it look the labels up again. */
  removed = false;
  /** The appender whose batch fields below are valid (in-batch order checks). */
  owner: BatchOwner | null = null;
  batchT = 0;
  batchV = 0;

  constructor(
    readonly ref: number,
    public labels: SeriesLabels,
    readonly key: string,
  ) {}
}

/**
 * The in-memory series index: series by id and by label set, interned label
 * strings, postings (sorted series ids) per label pair.
 * Single-threaded; used only by the owning `Tsdb`.
 * @internal
 */
export class Head {
  /** Series by id (sparse: removed ids leave holes). */
  readonly byRef: (HeadSeries | undefined)[] = [];
  readonly byKey = new Map<string, HeadSeries>();
  /** Refs an appender handed out for a series another appender created first (rare). */
  readonly aliases = new Map<number, HeadSeries>();
  /** Label name -> value -> pair id. */
  readonly pairIds = new Map<string, Map<string, number>>();
  /** Pair id -> name, value (interned strings) and postings. */
  readonly pairName: string[] = [];
  readonly pairValue: string[] = [];
  readonly postings: number[][] = [];
  /** Every live series id, ascending. */
  allRefs: number[] = [];
  /** Series whose open chunk changed since the last checkpoint. */
  dirty: HeadSeries[] = [];
  /** Completed chunks waiting to be written, in completion order. */
  pendingChunks: { series: HeadSeries; chunk: MemChunk }[] = [];
  seriesCount = 0;
  /** Samples in open chunks and in-memory completed chunks. */
  headSamples = 0;
  nextRef = 1;
  /** Highest pair id known (persisted or new). */
  nextPairId = 1;

  get(ref: number): HeadSeries | undefined {
    return this.byRef[ref];
  }

  /** The interned pair id, or 0 when the pair is unknown. */
  pairId(name: string, value: string): number {
    return this.pairIds.get(name)?.get(value) ?? 0;
  }

  /** Registers a pair loaded from disk or created now. */
  addPair(id: number, name: string, value: string): void {
    let values = this.pairIds.get(name);
    if (values === undefined) {
      values = new Map();
      this.pairIds.set(name, values);
    }
    // Intern: reuse the name string of the first pair with that name.
    const first = values.values().next();
    const internedName = first.done === true ? name : this.pairName[first.value]!;
    values.set(value, id);
    this.pairName[id] = internedName;
    this.pairValue[id] = value;
    this.postings[id] ??= [];
    if (id >= this.nextPairId) this.nextPairId = id + 1;
  }

  /** Labels rebuilt from pair ids with interned strings. */
  labelsOfPairs(pairs: Uint32Array): string[] | undefined {
    const out = new Array<string>(pairs.length * 2);
    for (let i = 0; i < pairs.length; i++) {
      const id = pairs[i]!;
      const name = this.pairName[id];
      const value = this.pairValue[id];
      if (name === undefined || value === undefined) return undefined;
      out[2 * i] = name;
      out[2 * i + 1] = value;
    }
    return out;
  }

  /** Interned copy of labels whose pairs all exist. */
  internLabels(labels: SeriesLabels): string[] {
    const out = new Array<string>(labels.length);
    for (let i = 0; i < labels.length; i += 2) {
      const id = this.pairId(labels[i]!, labels[i + 1]!);
      out[i] = this.pairName[id]!;
      out[i + 1] = this.pairValue[id]!;
    }
    return out;
  }

  /** Adds a series (loaded or committed); its id must exceed every id added before when `append` is true. */
  addSeries(series: HeadSeries, pairIds: ArrayLike<number>, appendPostings: boolean): void {
    this.byRef[series.ref] = series;
    this.byKey.set(series.key, series);
    this.seriesCount++;
    if (series.ref >= this.nextRef) this.nextRef = series.ref + 1;
    if (appendPostings) {
      for (let i = 0; i < pairIds.length; i++)
        insertSorted(this.postings[pairIds[i]!]!, series.ref);
      insertSorted(this.allRefs, series.ref);
    }
  }

  /** Removes series (retention); postings are rebuilt without them. */
  removeSeries(removed: ReadonlySet<number>): void {
    if (removed.size === 0) return;
    for (const ref of removed) {
      const s = this.byRef[ref];
      if (s === undefined) continue;
      s.removed = true;
      this.byRef[ref] = undefined;
      this.byKey.delete(s.key);
      this.seriesCount--;
    }
    for (let id = 1; id < this.postings.length; id++) {
      const list = this.postings[id];
      if (list !== undefined && list.length > 0) {
        this.postings[id] = list.filter((r) => !removed.has(r));
      }
    }
    this.allRefs = this.allRefs.filter((r) => !removed.has(r));
  }

  /**
   * Sorted ids of the series matching all matchers (`[]` matches all).
   * Equality uses the postings of one pair; regular expressions scan the
   * label's values; a matcher that matches `''` also selects series without
   * the label, so it is applied by subtracting the values it rejects.
   */
  select(matchers: readonly LabelMatcher[]): number[] {
    let result: number[] | undefined;
    const subtract: number[][] = [];
    for (const m of matchers) {
      const values = this.pairIds.get(m.name);
      if (m.matches('')) {
        // Remove series whose value for m.name is rejected.
        if (values === undefined) continue;
        const rejected: number[][] = [];
        for (const [value, id] of values) if (!m.matches(value)) rejected.push(this.postings[id]!);
        if (rejected.length > 0) subtract.push(unionAll(rejected));
        continue;
      }
      let list: number[];
      if (values === undefined) list = [];
      else if (m.type === '=') {
        const id = values.get(m.value);
        list = id === undefined ? [] : this.postings[id]!;
      } else {
        const lists: number[][] = [];
        for (const [value, id] of values) if (m.matches(value)) lists.push(this.postings[id]!);
        list = unionAll(lists);
      }
      result = result === undefined ? list : intersect(result, list);
      if (result.length === 0) return [];
    }
    if (result === undefined) result = this.allRefs;
    for (const s of subtract) result = difference(result, s);
    // Never hand out an internal list: the head appends to them.
    return result.slice();
  }
}

/** Builds a fresh open chunk. */
export function newChunk(): XorChunkEncoder {
  return new XorChunkEncoder();
}

/** The series key used by `Head.byKey`. */
export function seriesKey(labels: SeriesLabels): string {
  return labelsKey(labels);
}

function insertSorted(list: number[], ref: number): void {
  const n = list.length;
  if (n === 0 || list[n - 1]! < ref) {
    list.push(ref);
    return;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < ref) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] !== ref) list.splice(lo, 0, ref);
}

/** Intersection of two ascending lists. */
export function intersect(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}

/** `a` without the elements of `b` (both ascending). */
export function difference(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    while (j < b.length && b[j]! < x) j++;
    if (j < b.length && b[j] === x) continue;
    out.push(x);
  }
  return out;
}

/** Union of ascending lists, ascending and distinct. */
export function unionAll(lists: readonly (readonly number[])[]): number[] {
  if (lists.length === 0) return [];
  if (lists.length === 1) return lists[0]!.slice();
  const all: number[] = [];
  for (const l of lists) for (let i = 0; i < l.length; i++) all.push(l[i]!);
  all.sort((x, y) => x - y);
  let w = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[w - 1]) all[w++] = all[i]!;
  all.length = w;
  return all;
}
