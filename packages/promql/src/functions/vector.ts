import type { SeriesLabels } from '@vigil/storage';
import { compareLabels, labelValue, labelsKey } from '@vigil/storage';
import type { FunctionContext, VectorElement, VectorFunction } from './types.js';
import { formatGoG, parseGoFloat } from './numeric.js';
import type { ClassicBucket } from './quantile.js';
import { bucketFraction, bucketQuantile } from './quantile.js';

/**
 * Functions over a whole instant vector at one step: `sort`, `sort_desc`,
 * `sort_by_label`, `sort_by_label_desc`, and `histogram_quantile` /
 * `histogram_fraction` over classic (`le`-labelled) buckets. Pure and
 * stateless.
 */

function argPos(ctx: FunctionContext, i: number): { start: number; end: number } {
  return ctx.call.args[i]?.pos ?? ctx.call.pos;
}

/** Ascending by value, NaN last (upstream sorts NaN to the bottom). Stable. */
export const sortFn: VectorFunction = {
  kind: 'vector',
  compute: (input) =>
    [...input].sort((a, b) => {
      const an = Number.isNaN(a.value);
      const bn = Number.isNaN(b.value);
      if (an || bn) return an === bn ? 0 : an ? 1 : -1;
      return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    }),
};

/** Descending by value, NaN last. Stable. */
export const sortDescFn: VectorFunction = {
  kind: 'vector',
  compute: (input) =>
    [...input].sort((a, b) => {
      const an = Number.isNaN(a.value);
      const bn = Number.isNaN(b.value);
      if (an || bn) return an === bn ? 0 : an ? 1 : -1;
      return a.value > b.value ? -1 : a.value < b.value ? 1 : 0;
    }),
};

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * True when `a` precedes `b` in natural order (the `facette/natsort`
 * algorithm Prometheus uses): runs of digits compare as numbers (leading
 * zeros skipped, a longer run is a bigger number), everything else by code
 * unit.
 */
export function naturalLess(a: string, b: string): boolean {
  let pa = 0;
  let pb = 0;
  for (;;) {
    if (pa >= a.length) return pb < b.length;
    if (pb >= b.length) return false;
    let av = a.charCodeAt(pa);
    let bv = b.charCodeAt(pb);
    if (isDigit(av) && isDigit(bv)) {
      let la = 1;
      let lb = 1;
      while (pa + la < a.length) {
        const x = a.charCodeAt(pa + la);
        if (av === 48) {
          pa++;
          av = x;
          continue;
        }
        if (isDigit(x)) la++;
        else break;
      }
      while (pb + lb < b.length) {
        const x = b.charCodeAt(pb + lb);
        if (bv === 48) {
          pb++;
          bv = x;
          continue;
        }
        if (isDigit(x)) lb++;
        else break;
      }
      if (lb > la) return true;
      if (la > lb) return false;
      const sa = a.slice(pa, pa + la);
      const sb = b.slice(pb, pb + lb);
      if (sa < sb) return true;
      if (sa > sb) return false;
      pa += la;
      pb += lb;
      continue;
    }
    if (av === bv) {
      pa++;
      pb++;
      continue;
    }
    return av < bv;
  }
}

function compareByLabels(names: readonly string[], a: VectorElement, b: VectorElement): number {
  for (const name of names) {
    const va = labelValue(a.labels, name);
    const vb = labelValue(b.labels, name);
    if (va === vb) continue;
    return naturalLess(va, vb) ? -1 : 1;
  }
  return compareLabels(a.labels, b.labels);
}

/** `sort_by_label(v, label...)`: natural order of the named labels, then the whole label set. */
export const sortByLabelFn: VectorFunction = {
  kind: 'vector',
  compute: (input, _s, names) => [...input].sort((a, b) => compareByLabels(names, a, b)),
};

/** `sort_by_label_desc(v, label...)`: the reverse of `sort_by_label`. */
export const sortByLabelDescFn: VectorFunction = {
  kind: 'vector',
  compute: (input, _s, names) => [...input].sort((a, b) => -compareByLabels(names, a, b)),
};

function withoutLabel(labels: SeriesLabels, name: string): SeriesLabels {
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] !== name) out.push(labels[i]!, labels[i + 1]!);
  }
  return out;
}

interface BucketGroup {
  readonly labels: SeriesLabels;
  readonly buckets: ClassicBucket[];
}

/**
 * Groups classic-histogram buckets by their labels without `le` (the metric
 * name stays: its removal is delayed). Elements without a parseable `le`
 * are skipped with the upstream warning at the vector argument's position.
 */
function groupBuckets(
  input: readonly VectorElement[],
  ctx: FunctionContext,
  vectorArg: number,
): BucketGroup[] {
  const groups = new Map<string, BucketGroup>();
  for (const el of input) {
    const le = labelValue(el.labels, 'le');
    const upperBound = parseGoFloat(le);
    if (upperBound === undefined) {
      const name = labelValue(el.labels, '__name__');
      ctx.annotations.warn(
        `bucket label "le" is missing or has a malformed value of ${JSON.stringify(le)}` +
          (name === '' ? '' : ` for metric name ${JSON.stringify(name)}`),
        argPos(ctx, vectorArg),
      );
      continue;
    }
    const labels = withoutLabel(el.labels, 'le');
    const key = labelsKey(labels);
    let group = groups.get(key);
    if (group === undefined) {
      group = { labels, buckets: [] };
      groups.set(key, group);
    }
    group.buckets.push({ upperBound, count: el.value });
  }
  return [...groups.values()];
}

/**
 * `histogram_quantile(φ, v)` over classic buckets: one output per bucket
 * group, `le` removed, the metric name dropped when the result is returned.
 * Warns when φ is outside [0, 1] (at φ) and adds the monotonicity info (at
 * the vector argument) when counts had to be repaired.
 */
export const histogramQuantileFn: VectorFunction = {
  kind: 'vector',
  compute(input, scalarArgs, _strings, ctx) {
    const q = scalarArgs[0] ?? NaN;
    if (Number.isNaN(q) || q < 0 || q > 1) {
      ctx.annotations.warn(
        `quantile value should be between 0 and 1, got ${formatGoG(q)}`,
        argPos(ctx, 0),
      );
    }
    const out: VectorElement[] = [];
    for (const group of groupBuckets(input, ctx, 1)) {
      const result = bucketQuantile(q, group.buckets);
      if (result.forcedMonotonic) {
        const name = labelValue(group.labels, '__name__');
        ctx.annotations.info(
          'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)' +
            (name === '' ? '' : ` for metric name ${JSON.stringify(name)}`),
          argPos(ctx, 1),
        );
      }
      out.push({ labels: group.labels, value: result.value, dropName: true });
    }
    return out;
  },
};

/**
 * `histogram_fraction(lower, upper, v)` over classic buckets: the estimated
 * share of observations in (lower, upper], per bucket group, `le` removed,
 * the metric name dropped when the result is returned.
 */
export const histogramFractionFn: VectorFunction = {
  kind: 'vector',
  compute(input, scalarArgs, _strings, ctx) {
    const lower = scalarArgs[0] ?? NaN;
    const upper = scalarArgs[1] ?? NaN;
    const out: VectorElement[] = [];
    for (const group of groupBuckets(input, ctx, 2)) {
      out.push({
        labels: group.labels,
        value: bucketFraction(lower, upper, group.buckets),
        dropName: true,
      });
    }
    return out;
  },
};
