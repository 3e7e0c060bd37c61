import { ErrorCodes, VigilError } from '@vigil/model';
import type { SeriesLabels } from '@vigil/storage';
import { compareLabels, labelValue, labelsKey } from '@vigil/storage';
import type { FunctionContext, VectorElement, VectorFunction } from './types.js';
import { formatGoG } from '@vigil/model';
import { parseGoFloat } from './numeric.js';
import { setLabel } from './labels.js';
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

function warnInvalidQuantile(q: number, ctx: FunctionContext, arg: number): void {
  if (Number.isNaN(q) || q < 0 || q > 1) {
    ctx.annotations.warn(
      `quantile value should be between 0 and 1, got ${formatGoG(q)}`,
      argPos(ctx, arg),
    );
  }
}

const FORCED_MONOTONICITY =
  'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)';

/**
 * One group's quantile, adding the info upstream attaches when bucket
 * counts had to be made monotonic (with the metric name, as with delayed
 * name removal). Upstream also widens that info with the bucket range, the
 * largest fix and the time range over all steps; `Annotations` cannot merge,
 * so only the fixed text is reported.
 */
function groupQuantile(q: number, group: BucketGroup, ctx: FunctionContext, arg: number): number {
  const result = bucketQuantile(
    q,
    group.buckets.map((b) => ({ ...b })),
  );
  if (result.forcedMonotonic) {
    const name = labelValue(group.labels, '__name__');
    ctx.annotations.info(
      FORCED_MONOTONICITY + (name === '' ? '' : ` for metric name ${JSON.stringify(name)}`),
      argPos(ctx, arg),
    );
  }
  return result.value;
}

/**
 * Formats a quantile for a label value as Prometheus's
 * `FormatOpenMetricsFloat`: shortest form, `.0` added to integers, `NaN`,
 * `+Inf`, `-Inf`.
 */
export function formatOpenMetricsFloat(v: number): string {
  const text = formatGoG(v);
  if (!Number.isFinite(v) || /[e.]/.test(text)) return text;
  return text + '.0';
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
    warnInvalidQuantile(q, ctx, 0);
    return groupBuckets(input, ctx, 1).map((group) => ({
      labels: group.labels,
      value: groupQuantile(q, group, ctx, 1),
      dropName: true,
    }));
  },
};

/**
 * `histogram_quantiles(v, label, φ...)` (experimental) over classic
 * buckets: one output per φ and bucket group, labelled `label="<φ>"`.
 * `scalarArgs` are the φs, `stringArgs[0]` the label. Fails (as upstream's
 * evaluator) when the label makes two outputs identical.
 */
export const histogramQuantilesFn: VectorFunction = {
  kind: 'vector',
  compute(input, scalarArgs, stringArgs, ctx) {
    const label = stringArgs[0] ?? '';
    scalarArgs.forEach((q, i) => warnInvalidQuantile(q, ctx, 2 + i));
    const groups = groupBuckets(input, ctx, 0);
    const out: VectorElement[] = [];
    const seen = new Set<string>();
    for (const q of scalarArgs) {
      const qText = formatOpenMetricsFloat(q);
      for (const group of groups) {
        const labels = setLabel(group.labels, label, qText);
        const key = labelsKey(withoutLabel(labels, '__name__'));
        if (seen.has(key)) {
          throw new VigilError(
            ErrorCodes.PROMQL_EXECUTION,
            'vector cannot contain metrics with the same labelset',
            { details: { function: 'histogram_quantiles', label } },
          );
        }
        seen.add(key);
        out.push({ labels, value: groupQuantile(q, group, ctx, 0), dropName: true });
      }
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
