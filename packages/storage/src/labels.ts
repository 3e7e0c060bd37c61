import { ErrorCodes, VigilError, isValidLabelName } from '@vigil/model';
import type { Labels } from '@vigil/model';

/**
 * The labels of one series as a flat array of alternating names and values,
 * sorted by name, names distinct, the metric name under `__name__`:
 * `['__name__', 'up', 'instance', 'a:9100', 'job', 'node']`.
 *
 * The same shape as the exposition parser's label pairs, so a scraped series
 * needs no conversion beyond adding `__name__` and sorting. Treat as
 * immutable once handed to a storage.
 */
export type SeriesLabels = readonly string[];

/** The label holding the metric name. */
export const METRIC_NAME_LABEL = '__name__';

/** Builds sorted {@link SeriesLabels} from a record; empty values are dropped, as Prometheus drops them. */
export function labelsFromRecord(record: Labels): SeriesLabels {
  const names = Object.keys(record)
    .filter((n) => record[n] !== '')
    .sort(compareStrings);
  const out: string[] = [];
  for (const name of names) out.push(name, record[name]!);
  return out;
}

/** The labels as a plain record (for JSON answers and tests). */
export function labelsToRecord(labels: SeriesLabels): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < labels.length; i += 2) out[labels[i]!] = labels[i + 1]!;
  return out;
}

/** The value of label `name`, or `''` when the series does not have it (the PromQL convention). */
export function labelValue(labels: SeriesLabels, name: string): string {
  for (let i = 0; i < labels.length; i += 2) if (labels[i] === name) return labels[i + 1]!;
  return '';
}

/**
 * Sorts flat name/value pairs by name into a new array. Does not check for
 * duplicates; {@link validateSeriesLabels} does.
 */
export function sortLabelPairs(pairs: readonly string[]): SeriesLabels {
  const n = pairs.length >> 1;
  const order: number[] = [];
  for (let i = 0; i < n; i++) order.push(i);
  order.sort((a, b) => compareStrings(pairs[2 * a]!, pairs[2 * b]!));
  const out = new Array<string>(pairs.length);
  for (let i = 0; i < n; i++) {
    out[2 * i] = pairs[2 * order[i]!]!;
    out[2 * i + 1] = pairs[2 * order[i]! + 1]!;
  }
  return out;
}

/**
 * A string that identifies the label set: equal label sets give equal keys
 * and different ones different keys (the JSON text of the array, so no value
 * can forge a separator). For hash maps of series.
 *
 * The key is flattened before it is returned: V8 builds long strings as
 * trees of their pieces ("cons strings") and keeps every piece alive for as
 * long as the key lives, about 2 kB per series held in a map. Converting a
 * string to a number makes V8 flatten it in place (the trick `flatstr` uses).
 */
export function labelsKey(labels: SeriesLabels): string {
  const key = JSON.stringify(labels);
  flatten(key);
  return key;
}

function flatten(text: string): void {
  // The result is NaN (keys start with '['); only the side effect matters.
  void Number(text);
}

/** Orders strings by UTF-16 code units, which is Go's byte order for the BMP and the order everything here uses. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders label sets as Prometheus does: pairwise by name, then value; a
 * prefix sorts first.
 */
export function compareLabels(a: SeriesLabels, b: SeriesLabels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareStrings(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** True when two label sets are equal. */
export function labelsEqual(a: SeriesLabels, b: SeriesLabels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Checks that `labels` are a valid series: an even number of entries,
 * names valid (legacy charset) and strictly increasing, values non-empty,
 * a non-empty `__name__`.
 *
 * @throws VigilError `SERIES_LABELS_INVALID` naming the offending label.
 */
export function validateSeriesLabels(labels: SeriesLabels): void {
  const fail = (why: string): never => {
    throw new VigilError(
      ErrorCodes.SERIES_LABELS_INVALID,
      `Invalid series ${describe(labels)}: ${why}.`,
      {
        details: { labels: labels.slice(0, 64) },
      },
    );
  };
  if (labels.length % 2 !== 0) fail('labels must be name/value pairs');
  let hasName = false;
  for (let i = 0; i < labels.length; i += 2) {
    const name = labels[i]!;
    const value = labels[i + 1]!;
    if (typeof name !== 'string' || typeof value !== 'string')
      fail('names and values must be strings');
    if (name === METRIC_NAME_LABEL) hasName = true;
    else if (!isValidLabelName(name)) fail(`label name ${JSON.stringify(name)} is not valid`);
    if (value === '') fail(`label ${name} has an empty value (drop the label instead)`);
    if (i > 0 && compareStrings(labels[i - 2]!, name) >= 0) {
      fail(
        labels[i - 2] === name
          ? `label ${name} appears twice`
          : 'labels must be sorted by name (use sortLabelPairs)',
      );
    }
  }
  if (!hasName) fail('the series has no __name__ label');
}

function describe(labels: SeriesLabels): string {
  const text = JSON.stringify(labelsToRecord(labels.slice(0, 64)));
  return text.length > 200 ? text.slice(0, 200) + '…' : text;
}
