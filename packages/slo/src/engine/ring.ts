/**
 * A ring of fixed-length time buckets holding what an SLO recorded: bad and
 * total events (or bad and observed seconds) and the seconds with data. Any
 * window is summed in O(buckets in the window) without a query. Used by one
 * engine cycle at a time (not safe for concurrent writers).
 */

/** Sums over a window. */
export interface BucketSums {
  /** Bad events, or bad seconds. */
  bad: number;
  /** All events, or observed seconds. */
  total: number;
  /** Seconds with data. */
  covered: number;
}

/** A time range to leave out, `[startMs, endMs]`. */
export interface ExcludedRange {
  readonly startMs: number;
  readonly endMs: number;
}

/** See the module notes. Bucket `k` covers `[k × bucketMs, (k + 1) × bucketMs)`. */
export class BucketRing {
  /** Bucket length, ms. */
  readonly bucketMs: number;
  /** Number of buckets kept. */
  readonly capacity: number;
  readonly #keys: Float64Array;
  readonly #bad: Float64Array;
  readonly #total: Float64Array;
  readonly #covered: Float64Array;
  /** The newest time data was recorded up to, ms (−Infinity when empty). */
  newestMs = -Infinity;

  constructor(bucketMs: number, capacity: number) {
    this.bucketMs = bucketMs;
    this.capacity = capacity;
    this.#keys = new Float64Array(capacity).fill(-1);
    this.#bad = new Float64Array(capacity);
    this.#total = new Float64Array(capacity);
    this.#covered = new Float64Array(capacity);
  }

  /**
   * Records `bad`, `total` and `coveredSeconds` as spread evenly over
   * `(fromMs, toMs]`, leaving out the parts that fall in `exclusions` (their
   * share is dropped: it counts as neither good nor bad).
   */
  add(
    fromMs: number,
    toMs: number,
    bad: number,
    total: number,
    coveredSeconds: number,
    exclusions: readonly ExcludedRange[] = [],
  ): void {
    const span = toMs - fromMs;
    if (!(span > 0)) return;
    if (toMs > this.newestMs) this.newestMs = toMs;
    const oldestKey = Math.floor(this.newestMs / this.bucketMs) - this.capacity + 1;
    const b = this.bucketMs;
    for (let k = Math.floor(fromMs / b); k * b < toMs; k++) {
      if (k < oldestKey) continue;
      const a = Math.max(fromMs, k * b);
      const e = Math.min(toMs, (k + 1) * b);
      let len = e - a;
      for (const x of exclusions) {
        const xa = Math.max(a, x.startMs);
        const xe = Math.min(e, x.endMs);
        if (xe > xa) len -= xe - xa;
      }
      if (len <= 0) continue;
      const w = len / span;
      const slot = this.#slot(k);
      this.#bad[slot]! += bad * w;
      this.#total[slot]! += total * w;
      this.#covered[slot]! += coveredSeconds * w;
    }
  }

  /** Sums over `(fromMs, toMs]`; a bucket cut by the window counts in proportion to the overlap with the time it holds data for. */
  sum(fromMs: number, toMs: number): BucketSums {
    const out: BucketSums = { bad: 0, total: 0, covered: 0 };
    const b = this.bucketMs;
    const end = Math.min(toMs, this.newestMs);
    for (let k = Math.floor(fromMs / b); k * b < end; k++) {
      const slot = ((k % this.capacity) + this.capacity) % this.capacity;
      if (this.#keys[slot] !== k) continue;
      const start = k * b;
      const dataEnd = Math.min((k + 1) * b, this.newestMs);
      const overlap = Math.min(end, dataEnd) - Math.max(fromMs, start);
      if (overlap <= 0) continue;
      const w = overlap >= dataEnd - start ? 1 : overlap / (dataEnd - start);
      out.bad += this.#bad[slot]! * w;
      out.total += this.#total[slot]! * w;
      out.covered += this.#covered[slot]! * w;
    }
    return out;
  }

  /** The buckets whose start lies in `[fromMs, toMs)`, as they are (for time slices). */
  *buckets(fromMs: number, toMs: number): Generator<BucketSums> {
    const b = this.bucketMs;
    for (let k = Math.ceil(fromMs / b); k * b < toMs; k++) {
      const slot = ((k % this.capacity) + this.capacity) % this.capacity;
      if (this.#keys[slot] !== k) continue;
      yield { bad: this.#bad[slot]!, total: this.#total[slot]!, covered: this.#covered[slot]! };
    }
  }

  #slot(k: number): number {
    const slot = ((k % this.capacity) + this.capacity) % this.capacity;
    if (this.#keys[slot] !== k) {
      this.#keys[slot] = k;
      this.#bad[slot] = 0;
      this.#total[slot] = 0;
      this.#covered[slot] = 0;
    }
    return slot;
  }
}
