/**
 * Helpers over the read side of the storage seam: series sets from lists,
 * merging several sorted series sets (e.g. the head and persisted blocks, or
 * several storages), merging sample iterators, and collecting a set into
 * plain objects (for tests and small answers).
 *
 * @module
 */
import { EMPTY_SERIES_SET } from './interfaces.js';
import type { SampleIterator, Series, SeriesSet } from './interfaces.js';
import { compareLabels } from './labels.js';
import type { SeriesLabels } from './labels.js';

/**
 * A {@link SeriesSet} over a list of series, in the list's order. The list
 * is not copied: do not change it while the set is in use. Single caller.
 *
 * @param series The series to yield, in order (sorted by labels when the
 *   set is to be merged).
 * @param warnings Warnings the set reports.
 */
export function listSeriesSet(
  series: readonly Series[],
  warnings: readonly string[] = [],
): SeriesSet {
  let i = -1;
  return {
    next: () => {
      if (i < series.length) i++;
      return i < series.length;
    },
    at: (): Series => {
      const s = series[i];
      if (s === undefined) throw new Error('listSeriesSet: at() called without a current series');
      return s;
    },
    warnings: () => warnings,
  };
}

/**
 * A {@link Series} over samples held in arrays. Timestamps must be strictly
 * increasing; values are kept in a `Float64Array` so staleness markers keep
 * their bits. The arrays are copied.
 *
 * @param labels The series' labels.
 * @param timestampsMs Sample timestamps in ms, strictly increasing.
 * @param values Sample values, as many as timestamps.
 */
export function seriesFromSamples(
  labels: SeriesLabels,
  timestampsMs: ArrayLike<number>,
  values: ArrayLike<number>,
): Series {
  if (timestampsMs.length !== values.length) {
    throw new RangeError(
      `seriesFromSamples: ${timestampsMs.length} timestamps but ${values.length} values`,
    );
  }
  const ts = Float64Array.from(timestampsMs);
  const vs = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) vs[i] = values[i]!;
  for (let i = 1; i < ts.length; i++) {
    if (!(ts[i]! > ts[i - 1]!)) {
      throw new RangeError('seriesFromSamples: timestamps must be strictly increasing');
    }
  }
  return { labels, iterator: () => new ArraySampleIterator(ts, vs) };
}

/** A {@link SampleIterator} over two typed arrays (timestamps, values). Single caller. */
class ArraySampleIterator implements SampleIterator {
  private i = -1;

  constructor(
    private readonly ts: Float64Array,
    private readonly vs: Float64Array,
  ) {}

  next(): boolean {
    if (this.i < this.ts.length) this.i++;
    return this.i < this.ts.length;
  }

  seek(t: number): boolean {
    if (this.i < 0) this.i = 0;
    // Gallop then binary search: seeks are often short hops.
    let lo = this.i;
    if (lo >= this.ts.length || this.ts[lo]! >= t) return lo < this.ts.length;
    let step = 1;
    let hi = lo + step;
    while (hi < this.ts.length && this.ts[hi]! < t) {
      lo = hi;
      step *= 2;
      hi = lo + step;
    }
    if (hi > this.ts.length) hi = this.ts.length;
    // Invariant: ts[lo] < t; answer in (lo, hi].
    lo++;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    this.i = lo;
    return lo < this.ts.length;
  }

  timestampMs(): number {
    return this.ts[this.i]!;
  }

  value(): number {
    return this.vs[this.i]!;
  }
}

/**
 * Merges sample iterators into one that yields the union of their samples
 * in timestamp order. When several inputs have a sample at the same
 * timestamp it is yielded once, with the value of the first such input in
 * the list (earlier inputs win). Each input must itself be in strictly
 * increasing timestamp order. Single caller; the inputs must not be used
 * elsewhere meanwhile.
 */
export class ChainSampleIterator implements SampleIterator {
  /** Per input: 0 = not started, 1 = positioned on a sample, 2 = exhausted. */
  private readonly state: Uint8Array;
  /** Per input: the current timestamp when positioned. */
  private readonly heads: Float64Array;
  /** Index of the input the current sample comes from; -1 before start, -2 when exhausted. */
  private cur = -1;

  constructor(private readonly inputs: readonly SampleIterator[]) {
    this.state = new Uint8Array(inputs.length);
    this.heads = new Float64Array(inputs.length);
  }

  next(): boolean {
    if (this.cur === -2) return false;
    if (this.cur === -1) {
      for (let k = 0; k < this.inputs.length; k++) this.advance(k);
    } else {
      // Move every input that sits on the current timestamp (the winner and the duplicates).
      const t = this.heads[this.cur]!;
      for (let k = 0; k < this.inputs.length; k++) {
        if (this.state[k] === 1 && this.heads[k] === t) this.advance(k);
      }
    }
    return this.pick();
  }

  seek(t: number): boolean {
    if (this.cur === -2) return false;
    if (this.cur >= 0 && this.heads[this.cur]! >= t) return true;
    for (let k = 0; k < this.inputs.length; k++) {
      const s = this.state[k];
      if (s === 2) continue;
      if (s === 1 && this.heads[k]! >= t) continue;
      const it = this.inputs[k]!;
      if (it.seek(t)) {
        this.state[k] = 1;
        this.heads[k] = it.timestampMs();
      } else {
        this.state[k] = 2;
      }
    }
    return this.pick();
  }

  timestampMs(): number {
    return this.heads[this.cur]!;
  }

  value(): number {
    return this.inputs[this.cur]!.value();
  }

  private advance(k: number): void {
    const it = this.inputs[k]!;
    if (it.next()) {
      this.state[k] = 1;
      this.heads[k] = it.timestampMs();
    } else {
      this.state[k] = 2;
    }
  }

  /** Chooses the input with the smallest head, the first one on ties. */
  private pick(): boolean {
    let best = -2;
    let bestT = Infinity;
    for (let k = 0; k < this.inputs.length; k++) {
      if (this.state[k] !== 1) continue;
      const t = this.heads[k]!;
      if (best === -2 || t < bestT) {
        best = k;
        bestT = t;
      }
    }
    this.cur = best;
    return best !== -2;
  }
}

/** One input of {@link mergeSeriesSets} positioned on a series. */
interface Cursor {
  readonly set: SeriesSet;
  readonly index: number;
  series: Series;
}

/** Heap order: labels, then input index (earlier inputs first). */
function cursorBefore(a: Cursor, b: Cursor): boolean {
  const c = compareLabels(a.series.labels, b.series.labels);
  return c < 0 || (c === 0 && a.index < b.index);
}

/**
 * Merges series sets that are each sorted by labels (`compareLabels`, as
 * `select` returns with the `sorted` hint) into one sorted set. Series with
 * equal labels in several inputs become one series whose iterator yields the
 * union of their samples in time order; a timestamp present in several
 * inputs is yielded once, with the value from the earliest input in `sets`.
 * Warnings are those of all inputs. Single caller; the inputs must not be
 * used elsewhere meanwhile.
 */
export function mergeSeriesSets(sets: readonly SeriesSet[]): SeriesSet {
  if (sets.length === 0) return EMPTY_SERIES_SET;
  if (sets.length === 1) return sets[0]!;
  const heap: Cursor[] = [];
  let started = false;
  let current: Series | undefined;

  const push = (c: Cursor): void => {
    heap.push(c);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!cursorBefore(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Cursor => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && cursorBefore(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && cursorBefore(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  const refill = (c: Cursor): void => {
    if (c.set.next()) {
      c.series = c.set.at();
      push(c);
    }
  };

  return {
    next: (): boolean => {
      if (!started) {
        started = true;
        sets.forEach((set, index) => {
          if (set.next()) push({ set, index, series: set.at() });
        });
      }
      if (heap.length === 0) {
        current = undefined;
        return false;
      }
      const first = pop();
      const same: Series[] = [first.series];
      const done: Cursor[] = [first];
      while (heap.length > 0 && compareLabels(heap[0]!.series.labels, first.series.labels) === 0) {
        const c = pop();
        same.push(c.series);
        done.push(c);
      }
      if (same.length === 1) {
        current = first.series;
      } else {
        const labels = first.series.labels;
        current = {
          labels,
          iterator: () => new ChainSampleIterator(same.map((s) => s.iterator())),
        };
      }
      for (const c of done) refill(c);
      return true;
    },
    at: (): Series => {
      if (current === undefined) {
        throw new Error('mergeSeriesSets: at() called without a current series');
      }
      return current;
    },
    warnings: (): readonly string[] => sets.flatMap((s) => s.warnings()),
  };
}

/** One sample as a plain object; `v` keeps staleness-marker bits (object fields do). */
export interface CollectedSample {
  /** Timestamp in ms since the epoch. */
  readonly t: number;
  /** The value. */
  readonly v: number;
}

/** One series of {@link collectSeriesSet}'s answer. */
export interface CollectedSeries {
  readonly labels: SeriesLabels;
  readonly samples: CollectedSample[];
}

/**
 * Reads a whole series set (every series, every sample through `next()`)
 * into plain objects, in the set's order. For tests and small answers.
 */
export function collectSeriesSet(set: SeriesSet): CollectedSeries[] {
  const out: CollectedSeries[] = [];
  while (set.next()) {
    const series = set.at();
    out.push({ labels: series.labels, samples: collectSamples(series.iterator()) });
  }
  return out;
}

/** Reads the rest of a sample iterator into plain objects. */
export function collectSamples(it: SampleIterator): CollectedSample[] {
  const out: CollectedSample[] = [];
  while (it.next()) out.push({ t: it.timestampMs(), v: it.value() });
  return out;
}
