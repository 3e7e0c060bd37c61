import { ErrorCodes, VigilError } from '@vigil/model';

/**
 * Default histogram buckets in seconds, the same as prom-client and the Go
 * client, so that existing dashboards and SLO thresholds line up.
 */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

function invalid(message: string): VigilError {
  return new VigilError(ErrorCodes.HISTOGRAM_BUCKETS_INVALID, message);
}

/** `count` buckets starting at `start`, each `width` wider than the previous. */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!Number.isFinite(start) || !Number.isFinite(width) || width <= 0) {
    throw invalid(
      `linearBuckets(${start}, ${width}, ${count}): start must be finite and width > 0.`,
    );
  }
  if (!Number.isInteger(count) || count < 1) {
    throw invalid(`linearBuckets: count must be a positive integer, got ${count}.`);
  }
  return Array.from({ length: count }, (_, i) => start + i * width);
}

/** `count` buckets starting at `start`, each `factor` times the previous. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!Number.isFinite(start) || start <= 0 || !Number.isFinite(factor) || factor <= 1) {
    throw invalid(
      `exponentialBuckets(${start}, ${factor}, ${count}): start must be > 0 and factor > 1.`,
    );
  }
  if (!Number.isInteger(count) || count < 1) {
    throw invalid(`exponentialBuckets: count must be a positive integer, got ${count}.`);
  }
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/**
 * Validates upper bounds and returns them without a trailing `+Inf` (which
 * every histogram has implicitly). Bounds must be finite and strictly increasing.
 */
export function normalizeBuckets(metric: string, buckets: readonly unknown[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    if (b === Infinity && i === buckets.length - 1) break;
    if (typeof b !== 'number' || !Number.isFinite(b)) {
      throw invalid(
        `Histogram "${metric}": bucket ${i} is ${String(b)}; bounds must be finite numbers ` +
          `(+Inf is added for you).`,
      );
    }
    if (out.length > 0 && b <= out[out.length - 1]!) {
      throw invalid(
        `Histogram "${metric}": bucket bounds must be strictly increasing, but ${b} follows ` +
          `${out[out.length - 1]}.`,
      );
    }
    out.push(b);
  }
  return out;
}
