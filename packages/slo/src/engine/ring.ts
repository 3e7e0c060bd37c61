/**
 * A ring of fixed-length time buckets holding what an SLO recorded: bad and
 * total events (or bad and observed seconds) and the seconds with data.
 * Running (prefix) sums make the sum over any window O(1): the cost of a
 * 30-day window is that of a 5-minute one. Used by one engine cycle at a time
 * (not safe for concurrent writers).
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

/**
 * See the module notes. Bucket `k` covers `[k × bucketMs, (k + 1) × bucketMs)`;
 * the ring holds the `capacity` newest buckets. Each slot keeps its bucket's
 * values and the running sums of every bucket up to and including it, so a
 * window's sum is the difference of two running sums plus the cut edge buckets.
 */
export class BucketRing {
  /** Bucket length, ms. */
  readonly bucketMs: number;
  /** Number of buckets kept. */
  readonly capacity: number;
  readonly #values: Float64Array; // 3 per slot: bad, total, covered
  readonly #cums: Float64Array; // 3 per slot: running sums up to and including the slot
  #newestKey = -Infinity;
  /** The newest time data was recorded up to, ms (−Infinity when empty). */
  newestMs = -Infinity;

  constructor(bucketMs: number, capacity: number) {
    this.bucketMs = bucketMs;
    this.capacity = capacity;
    this.#values = new Float64Array(3 * capacity);
    this.#cums = new Float64Array(3 * capacity);
  }

  /**
   * Records `bad`, `total` and `coveredSeconds` as spread evenly over
   * `(fromMs, toMs]`, leaving out the parts that fall in `exclusions` (their
   * share is dropped: it counts as neither good nor bad). Parts older than
   * the ring's oldest bucket are dropped. Costs O(buckets from `fromMs` to
   * the newest bucket).
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
    const b = this.bucketMs;
    this.#advance(Math.floor((toMs - 1) / b));
    if (toMs > this.newestMs) this.newestMs = toMs;
    const oldestKey = this.#newestKey - this.capacity + 1;
    for (let k = Math.max(Math.floor(fromMs / b), oldestKey); k * b < toMs; k++) {
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
      const db = bad * w;
      const dt = total * w;
      const dc = coveredSeconds * w;
      const slot = this.#slot(k);
      this.#values[3 * slot]! += db;
      this.#values[3 * slot + 1]! += dt;
      this.#values[3 * slot + 2]! += dc;
      for (let j = k; j <= this.#newestKey; j++) {
        const s = 3 * this.#slot(j);
        this.#cums[s]! += db;
        this.#cums[s + 1]! += dt;
        this.#cums[s + 2]! += dc;
      }
    }
  }

  /**
   * Sums over `(fromMs, toMs]`, O(1). A bucket cut by the window counts in
   * proportion to its overlap with the time it holds data for (its length,
   * or up to `newestMs` for the newest bucket).
   */
  sum(fromMs: number, toMs: number): BucketSums {
    const out: BucketSums = { bad: 0, total: 0, covered: 0 };
    const b = this.bucketMs;
    const end = Math.min(toMs, this.newestMs);
    if (this.#newestKey === -Infinity) return out;
    const oldestKey = this.#newestKey - this.capacity + 1;
    const from = Math.max(fromMs, oldestKey * b);
    if (!(end > from)) return out;
    const kFirst = Math.floor(from / b);
    const kLast = Math.floor((end - 1) / b);
    // Whole buckets kFirst..kLast by running sums, then take off the parts
    // of the edge buckets outside the window.
    const cLast = 3 * this.#slot(kLast);
    out.bad = this.#cums[cLast]!;
    out.total = this.#cums[cLast + 1]!;
    out.covered = this.#cums[cLast + 2]!;
    if (kFirst > oldestKey) {
      const c = 3 * this.#slot(kFirst - 1);
      out.bad -= this.#cums[c]!;
      out.total -= this.#cums[c + 1]!;
      out.covered -= this.#cums[c + 2]!;
    } else {
      const c = 3 * this.#slot(oldestKey);
      out.bad -= this.#cums[c]! - this.#values[c]!;
      out.total -= this.#cums[c + 1]! - this.#values[c + 1]!;
      out.covered -= this.#cums[c + 2]! - this.#values[c + 2]!;
    }
    this.#trim(out, kFirst, from, end);
    if (kLast !== kFirst) this.#trim(out, kLast, from, end);
    return out;
  }

  /** The buckets whose start lies in `[fromMs, toMs)`, oldest first, as they are (for time slices); O(buckets). */
  *buckets(fromMs: number, toMs: number): Generator<BucketSums> {
    const b = this.bucketMs;
    if (this.#newestKey === -Infinity) return;
    const oldestKey = this.#newestKey - this.capacity + 1;
    for (
      let k = Math.max(Math.ceil(fromMs / b), oldestKey);
      k * b < toMs && k <= this.#newestKey;
      k++
    ) {
      const s = 3 * this.#slot(k);
      yield { bad: this.#values[s]!, total: this.#values[s + 1]!, covered: this.#values[s + 2]! };
    }
  }

  /** Takes off the share of bucket `k` outside `(from, end]`. */
  #trim(out: BucketSums, k: number, from: number, end: number): void {
    const b = this.bucketMs;
    const start = k * b;
    const dataEnd = Math.min((k + 1) * b, this.newestMs);
    const length = dataEnd - start;
    if (!(length > 0)) return;
    const lo = Math.max(from, start);
    const hi = Math.min(end, dataEnd);
    const inside = Math.max(0, hi - lo);
    const outside = 1 - Math.min(1, inside / length);
    if (outside <= 0) return;
    const s = 3 * this.#slot(k);
    out.bad -= this.#values[s]! * outside;
    out.total -= this.#values[s + 1]! * outside;
    out.covered -= this.#values[s + 2]! * outside;
  }

  /** Makes `key` the newest bucket: the buckets in between start empty, carrying the running sums. */
  #advance(key: number): void {
    if (key <= this.#newestKey) return;
    if (this.#newestKey === -Infinity || key - this.#newestKey >= this.capacity) {
      // Nothing carried over is still in the ring; running sums restart at 0.
      const first = key - this.capacity + 1;
      let carry = [0, 0, 0];
      if (this.#newestKey !== -Infinity) {
        const c = 3 * this.#slot(this.#newestKey);
        carry = [this.#cums[c]!, this.#cums[c + 1]!, this.#cums[c + 2]!];
      }
      for (let k = first; k <= key; k++) {
        const s = 3 * this.#slot(k);
        this.#values.fill(0, s, s + 3);
        this.#cums[s] = carry[0]!;
        this.#cums[s + 1] = carry[1]!;
        this.#cums[s + 2] = carry[2]!;
      }
      this.#newestKey = key;
      return;
    }
    const c = 3 * this.#slot(this.#newestKey);
    const cb = this.#cums[c]!;
    const ct = this.#cums[c + 1]!;
    const cc = this.#cums[c + 2]!;
    for (let k = this.#newestKey + 1; k <= key; k++) {
      const s = 3 * this.#slot(k);
      this.#values[s] = 0;
      this.#values[s + 1] = 0;
      this.#values[s + 2] = 0;
      this.#cums[s] = cb;
      this.#cums[s + 1] = ct;
      this.#cums[s + 2] = cc;
    }
    this.#newestKey = key;
  }

  #slot(k: number): number {
    return ((k % this.capacity) + this.capacity) % this.capacity;
  }
}
