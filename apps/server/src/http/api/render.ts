/**
 * JSON rendering of the Prometheus HTTP API, byte for byte as Prometheus
 * writes it: sample values as strings in Go's shortest `'f'` notation
 * (`"1000000000000000000000"`, `"-0.0000001"`, `"NaN"`, `"+Inf"`), vector
 * and matrix timestamps as seconds with exactly three decimals when the
 * millisecond part is not zero (`1.500`), scalar and string timestamps as
 * plain JSON numbers (`1.5`), labels in their stored (sorted) order.
 *
 * Written by hand rather than through `JSON.stringify` of objects: labels
 * keep their order even when a name looks like an integer, and a large
 * matrix is not first built as objects.
 *
 * @module
 */
import { formatGoShortest } from '@vigil/model';
import type { QueryValue } from '@vigil/promql';
import type { SeriesLabels } from '@vigil/storage';
import type { ApiErrorType } from '../status.js';

/**
 * A sample value as Prometheus writes it (Go's `strconv.FormatFloat(v, 'f',
 * -1, 64)`, with `NaN`, `+Inf` and `-Inf`). Any NaN, staleness markers
 * included, is `NaN`.
 */
export function formatSampleValue(value: number): string {
  return formatGoShortest(value);
}

/** A vector or matrix timestamp: whole seconds, then `.mmm` when the ms part is not zero. */
export function formatPointTimestamp(timestampMs: number): string {
  const negative = timestampMs < 0;
  const abs = negative ? -timestampMs : timestampMs;
  const seconds = Math.floor(abs / 1000);
  const fraction = abs - seconds * 1000;
  const head = (negative ? '-' : '') + String(seconds);
  return fraction === 0 ? head : head + '.' + String(fraction).padStart(3, '0');
}

/** A scalar or string timestamp: seconds as a JSON number. */
export function formatScalarTimestamp(timestampMs: number): string {
  const seconds = timestampMs / 1000;
  return seconds === 0 ? '0' : JSON.stringify(seconds);
}

// Label names repeat across series: their JSON is kept (bounded, so that
// hostile names cannot grow it without limit).
const NAME_JSON = new Map<string, string>();
const NAME_JSON_MAX = 10_000;

function nameJson(name: string): string {
  let json = NAME_JSON.get(name);
  if (json === undefined) {
    json = JSON.stringify(name) + ':';
    if (NAME_JSON.size < NAME_JSON_MAX) NAME_JSON.set(name, json);
  }
  return json;
}

/** `{"name":"value",...}` in the labels' order. */
export function labelsJson(labels: SeriesLabels): string {
  let out = '{';
  for (let i = 0; i < labels.length; i += 2) {
    if (i > 0) out += ',';
    out += nameJson(labels[i]!) + JSON.stringify(labels[i + 1]);
  }
  return out + '}';
}

/**
 * The `data` object of a query answer: `{"resultType":…,"result":…}`.
 * `limit` > 0 keeps only the first `limit` series of a vector or matrix.
 */
export function renderQueryData(value: QueryValue, limit = 0): string {
  const parts: string[] = [];
  switch (value.type) {
    case 'scalar':
      return `{"resultType":"scalar","result":[${formatScalarTimestamp(value.timestampMs)},"${formatSampleValue(value.value)}"]}`;
    case 'string':
      return `{"resultType":"string","result":[${formatScalarTimestamp(value.timestampMs)},${JSON.stringify(value.value)}]}`;
    case 'vector': {
      const n = limit > 0 ? Math.min(limit, value.samples.length) : value.samples.length;
      for (let i = 0; i < n; i++) {
        const s = value.samples[i]!;
        parts.push(
          `{"metric":${labelsJson(s.labels)},"value":[${formatPointTimestamp(s.timestampMs)},"${formatSampleValue(s.value)}"]}`,
        );
      }
      return `{"resultType":"vector","result":[${parts.join(',')}]}`;
    }
    case 'matrix': {
      const n = limit > 0 ? Math.min(limit, value.series.length) : value.series.length;
      for (let i = 0; i < n; i++) {
        const s = value.series[i]!;
        const points: string[] = new Array<string>(s.values.length);
        for (let j = 0; j < s.values.length; j++) {
          points[j] =
            `[${formatPointTimestamp(s.timestampsMs[j]!)},"${formatSampleValue(s.values[j]!)}"]`;
        }
        parts.push(`{"metric":${labelsJson(s.labels)},"values":[${points.join(',')}]}`);
      }
      return `{"resultType":"matrix","result":[${parts.join(',')}]}`;
    }
  }
}

/** Number of series of a vector or matrix (0 for a scalar or string). */
export function seriesCount(value: QueryValue): number {
  return value.type === 'vector'
    ? value.samples.length
    : value.type === 'matrix'
      ? value.series.length
      : 0;
}

/**
 * A success envelope around already rendered `dataJson`:
 * `{"status":"success","data":…,"warnings":[…],"infos":[…]}`, the last two
 * only when not empty (as Prometheus omits them).
 */
export function renderSuccess(
  dataJson: string,
  warnings: readonly string[] = [],
  infos: readonly string[] = [],
): string {
  let out = `{"status":"success","data":${dataJson}`;
  if (warnings.length > 0) out += `,"warnings":${JSON.stringify(warnings)}`;
  if (infos.length > 0) out += `,"infos":${JSON.stringify(infos)}`;
  return out + '}';
}

/** An error envelope: `{"status":"error","errorType":…,"error":…}`. */
export function renderError(errorType: ApiErrorType, message: string): string {
  return `{"status":"error","errorType":"${errorType}","error":${JSON.stringify(message)}}`;
}
