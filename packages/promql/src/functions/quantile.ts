/**
 * Quantile helpers (Prometheus promql/quantile.go, float parts): the
 * φ-quantile of a set of values (`quantile_over_time`, `mad_over_time`, the
 * `quantile` aggregation) and the classic-histogram estimators behind
 * `histogram_quantile` and `histogram_fraction`. Pure functions.
 */

/** One classic-histogram bucket: the `le` upper bound and its cumulative count. */
export interface ClassicBucket {
  upperBound: number;
  count: number;
}

/** Ascending, NaN first (Prometheus's `vectorByValueHeap` order). */
function compareNaNFirst(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts in place, ascending with NaN first; insertion sort for short inputs (range windows). */
export function sortNaNFirst(values: number[]): void {
  const n = values.length;
  if (n > 48) {
    values.sort(compareNaNFirst);
    return;
  }
  for (let i = 1; i < n; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && compareNaNFirst(values[j]!, v) > 0) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
}

/**
 * The φ-quantile of `values` with linear interpolation between the two
 * nearest ranks (rank = φ·(n−1)). NaN values sort first. NaN for no values
 * or φ NaN; −Inf for φ < 0, +Inf for φ > 1. Sorts `values` in place.
 */
export function sampleQuantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  sortNaNFirst(values);
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex]! * (1 - weight) + values[upperIndex]! * weight;
}

/** Relative tolerance under which neighbouring bucket counts count as equal (upstream's). */
const SMALL_DELTA_TOLERANCE = 1e-12;
const MIN_NORMAL = 2.2250738585072014e-308;

/** Prometheus's `almost.Equal`: relative comparison with an absolute floor near zero. */
function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

function sortBuckets(buckets: ClassicBucket[]): void {
  buckets.sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
}

/** Merges buckets with the same upper bound (input sorted), adding their counts. */
function coalesceBuckets(buckets: ClassicBucket[]): ClassicBucket[] {
  const out: ClassicBucket[] = [];
  let last = { ...buckets[0]! };
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (b.upperBound === last.upperBound) last.count += b.count;
    else {
      out.push(last);
      last = { ...b };
    }
  }
  out.push(last);
  return out;
}

/** What {@link bucketQuantile} had to repair in its input. */
export interface BucketQuantileResult {
  readonly value: number;
  /** Some count was lower than a lower bucket's and was raised to it. */
  readonly forcedMonotonic: boolean;
  /** Some neighbouring counts differed only by floating-point noise and were equalised. */
  readonly fixedPrecision: boolean;
  /** Lowest and highest upper bound whose count was raised; largest raise. */
  readonly minBucket: number;
  readonly maxBucket: number;
  readonly maxDiff: number;
}

/**
 * Estimates the φ-quantile from classic cumulative buckets, assuming a
 * uniform distribution inside each bucket and a lower bound of 0 for the
 * first bucket when its upper bound is positive. A quantile in the +Inf
 * bucket gives the second-highest upper bound. NaN for no +Inf bucket, fewer
 * than two buckets, no observations, or φ NaN; −Inf/+Inf for φ < 0 / φ > 1.
 * Non-monotonic counts are first repaired as upstream does. Does not keep
 * `buckets` intact (sorts and edits it).
 */
export function bucketQuantile(q: number, input: ClassicBucket[]): BucketQuantileResult {
  const plain = (value: number): BucketQuantileResult => ({
    value,
    forcedMonotonic: false,
    fixedPrecision: false,
    minBucket: 0,
    maxBucket: 0,
    maxDiff: 0,
  });
  if (Number.isNaN(q)) return plain(NaN);
  if (q < 0) return plain(-Infinity);
  if (q > 1) return plain(Infinity);
  if (input.length === 0) return plain(NaN);
  sortBuckets(input);
  if (input[input.length - 1]!.upperBound !== Infinity) return plain(NaN);
  const buckets = coalesceBuckets(input);

  let forcedMonotonic = false;
  let fixedPrecision = false;
  let minBucket = Infinity;
  let maxBucket = -Infinity;
  let maxDiff = 0;
  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i]!;
    const curr = b.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      b.count = prev;
      fixedPrecision = true;
      continue;
    }
    if (curr < prev) {
      b.count = prev;
      forcedMonotonic = true;
      if (b.upperBound < minBucket) minBucket = b.upperBound;
      if (b.upperBound > maxBucket) maxBucket = b.upperBound;
      if (prev - curr > maxDiff) maxDiff = prev - curr;
      continue;
    }
    prev = curr;
  }
  if (buckets.length < 2) return plain(NaN);
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return plain(NaN);
  const result = (value: number): BucketQuantileResult => ({
    value,
    forcedMonotonic,
    fixedPrecision,
    minBucket,
    maxBucket,
    maxDiff,
  });
  let rank = q * observations;
  // The first bucket (excluding +Inf) whose count reaches the rank.
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (buckets[mid]!.count >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;
  if (b === buckets.length - 1) return result(buckets[buckets.length - 2]!.upperBound);
  if (b === 0 && buckets[0]!.upperBound <= 0) return result(buckets[0]!.upperBound);
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upperBound;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upperBound;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return result(bucketStart + (bucketEnd - bucketStart) * (rank / count));
}

/**
 * The fraction of observations between `lower` and `upper` estimated from
 * classic cumulative buckets, interpolating linearly inside a bucket (the
 * first bucket starts at 0 when its upper bound is positive, else at −Inf).
 * NaN for no +Inf bucket, no observations or a NaN bound; 0 when
 * lower ≥ upper. Sorts `input` in place.
 */
export function bucketFraction(lower: number, upper: number, input: ClassicBucket[]): number {
  if (input.length === 0) return NaN;
  sortBuckets(input);
  if (input[input.length - 1]!.upperBound !== Infinity) return NaN;
  const buckets = coalesceBuckets(input);
  const count = buckets[buckets.length - 1]!.count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;

  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = buckets[0]!.upperBound <= 0 ? -Infinity : 0;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (i > 0) lowerBound = buckets[i - 1]!.upperBound;
    const upperBound = b.upperBound;
    const interpolate = (v: number): number =>
      lowerBound === -Infinity
        ? b.count
        : rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}
