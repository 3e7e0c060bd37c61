import type { SeriesLabels } from '@vigil/storage';

/**
 * Small helpers over flat sorted `[name, value, …]` label arrays used by the
 * evaluator. Every function returns a new array; inputs are never mutated.
 */

/** The labels that go with the metric name and are dropped with it (`__type__`, `__unit__`). */
const NAME_LABELS: ReadonlySet<string> = new Set(['__name__', '__type__', '__unit__']);

/** True when the set has a `__name__`, `__type__` or `__unit__` label. */
export function hasNameLabels(labels: SeriesLabels): boolean {
  for (let i = 0; i < labels.length; i += 2) if (NAME_LABELS.has(labels[i]!)) return true;
  return false;
}

/** The labels without the metric name and its metadata labels. */
export function dropNameLabels(labels: SeriesLabels): SeriesLabels {
  if (!hasNameLabels(labels)) return labels;
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (!NAME_LABELS.has(labels[i]!)) out.push(labels[i]!, labels[i + 1]!);
  }
  return out;
}

/** The labels without the given names. */
export function withoutLabels(labels: SeriesLabels, names: ReadonlySet<string>): SeriesLabels {
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (!names.has(labels[i]!)) out.push(labels[i]!, labels[i + 1]!);
  }
  return out;
}

/** Only the given names (those present with a non-empty value). */
export function keepLabels(labels: SeriesLabels, names: ReadonlySet<string>): SeriesLabels {
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (names.has(labels[i]!)) out.push(labels[i]!, labels[i + 1]!);
  }
  return out;
}

/** A string key identifying a label set (equal sets give equal keys). */
export function labelSetKey(labels: SeriesLabels): string {
  return JSON.stringify(labels);
}

/**
 * A matching signature: the values of `names` (for `on`) or of every label
 * but `names` and the metric name (for `ignoring`), as one string key.
 */
export function signature(labels: SeriesLabels, on: boolean, names: ReadonlySet<string>): string {
  const parts: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    const n = labels[i]!;
    if (on ? names.has(n) : !names.has(n) && n !== '__name__') {
      if (labels[i + 1] !== '') parts.push(n, labels[i + 1]!);
    }
  }
  return JSON.stringify(parts);
}

/** Renders labels as Prometheus prints them in messages: `{a="b", c="d"}`. */
export function formatLabels(labels: SeriesLabels): string {
  const parts: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    parts.push(`${labels[i]!}=${JSON.stringify(labels[i + 1])}`);
  }
  return `{${parts.join(', ')}}`;
}
