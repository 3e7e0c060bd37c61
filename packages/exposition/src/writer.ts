/**
 * A generic writer over the plain model ({@link ExpositionFamily}), for tests,
 * fixtures and federation. The SDK has its own, faster serialiser; both use
 * the escaping and number rules of format.ts.
 *
 * @module
 */
import { ErrorCodes, VigilError, isValidLabelName, isValidMetricName } from '@vigil/model';
import {
  escapeHelp,
  escapeLabelValue,
  formatBoundValue,
  formatSampleValue,
  formatTimestampSeconds,
} from './format.js';
import type { ExpositionFormat } from './format.js';
import type { ExpositionFamily, ExpositionSample, LabelPairs, MetricType } from './model.js';
import { parseNumberText } from './number.js';

/** TYPE words of the text format for each model type (OpenMetrics-only types degrade). */
const TEXT_TYPE: Readonly<Record<MetricType, string>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'histogram',
  summary: 'summary',
  info: 'gauge',
  stateset: 'gauge',
  unknown: 'untyped',
  untyped: 'untyped',
};

/** TYPE words of OpenMetrics for each model type. */
const OM_TYPE: Readonly<Record<MetricType, string>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram',
  summary: 'summary',
  info: 'info',
  stateset: 'stateset',
  unknown: 'unknown',
  untyped: 'unknown',
};

function stripSuffix(name: string, suffix: string): string {
  return name.length > suffix.length && name.endsWith(suffix)
    ? name.slice(0, name.length - suffix.length)
    : name;
}

function checkMetricName(name: string): void {
  if (!isValidMetricName(name)) {
    throw new VigilError(
      ErrorCodes.METRIC_NAME_INVALID,
      `Cannot write metric name ${JSON.stringify(name)}: use letters, digits, '_' and ':' only, not starting with a digit.`,
      { details: { name } },
    );
  }
}

/** The label whose value is a number in canonical form for this family type. */
function boundLabel(type: MetricType): string | undefined {
  if (type === 'histogram' || type === 'gaugehistogram') return 'le';
  if (type === 'summary') return 'quantile';
  return undefined;
}

function writeLabels(
  owner: string,
  labels: LabelPairs,
  bound: string | undefined,
  format: ExpositionFormat,
): string {
  if (labels.length === 0) return '';
  if (labels.length % 2 !== 0) {
    throw new VigilError(
      ErrorCodes.LABEL_NAME_INVALID,
      `Cannot write the labels of "${owner}": expected name/value pairs, got an odd number of strings.`,
      { details: { metric: owner } },
    );
  }
  let out = '{';
  for (let i = 0; i < labels.length; i += 2) {
    const name = labels[i]!;
    let value = labels[i + 1]!;
    if (!isValidLabelName(name)) {
      throw new VigilError(
        ErrorCodes.LABEL_NAME_INVALID,
        `Cannot write label name ${JSON.stringify(name)} of "${owner}": use letters, digits and '_' only, not starting with a digit.`,
        { details: { metric: owner, label: name } },
      );
    }
    if (name === bound) {
      const number = parseNumberText(value);
      if (number !== undefined) value = formatBoundValue(number, format);
    }
    out += (i === 0 ? '' : ',') + name + '="' + escapeLabelValue(value) + '"';
  }
  return out + '}';
}

function writeTextFamily(family: ExpositionFamily): string {
  const { name, type, samples } = family;
  checkMetricName(name);
  // Text-format clients name a counter family after its samples (`x_total`),
  // and an info family after its `_info` samples.
  let metaName = name;
  if (
    type === 'counter' &&
    !name.endsWith('_total') &&
    samples.some((s) => s.name === name + '_total')
  ) {
    metaName = name + '_total';
  } else if (type === 'info' && !name.endsWith('_info')) {
    metaName = name + '_info';
  }
  const created = stripSuffix(name, '_total') + '_created';
  const hasCreated = type === 'counter' || type === 'histogram' || type === 'summary';
  const bound = boundLabel(type);
  let out = '';
  if (family.help !== undefined) out += `# HELP ${metaName} ${escapeHelp(family.help, 'text')}\n`;
  out += `# TYPE ${metaName} ${TEXT_TYPE[type]}\n`;
  for (const sample of samples) {
    // `_created` samples are OpenMetrics-only.
    if (hasCreated && sample.name === created) continue;
    out += textSample(sample, bound);
  }
  return out;
}

function textSample(sample: ExpositionSample, bound: string | undefined): string {
  checkMetricName(sample.name);
  let line =
    sample.name +
    writeLabels(sample.name, sample.labels, bound, 'text') +
    ' ' +
    formatSampleValue(sample.value);
  if (sample.timestampMs !== undefined) line += ' ' + String(Math.round(sample.timestampMs));
  return line + '\n';
}

/**
 * The OpenMetrics family name: the given name, except for a counter (info)
 * family named after its samples in text-format style (`x_total` with samples
 * `x_total`, and `x_created` for a counter), which becomes `x`.
 */
function openMetricsBase(family: ExpositionFamily): string {
  const { name, type, samples } = family;
  const suffix = type === 'counter' ? '_total' : type === 'info' ? '_info' : undefined;
  if (suffix === undefined || !name.endsWith(suffix) || name.length === suffix.length) return name;
  // Samples named like the family (and a counter's `x_created`) show the text-format style.
  const base = name.slice(0, name.length - suffix.length);
  const textStyle =
    samples.some((s) => s.name === name) &&
    samples.every((s) => s.name === name || (type === 'counter' && s.name === base + '_created'));
  return textStyle ? base : name;
}

function writeOpenMetricsFamily(family: ExpositionFamily): string {
  const { type, samples } = family;
  // OpenMetrics names a family without the suffixes its samples carry.
  const base = openMetricsBase(family);
  checkMetricName(base);
  const bound = boundLabel(type);
  let out = `# TYPE ${base} ${OM_TYPE[type]}\n`;
  if (family.unit !== undefined && family.unit !== '') out += `# UNIT ${base} ${family.unit}\n`;
  if (family.help !== undefined)
    out += `# HELP ${base} ${escapeHelp(family.help, 'openmetrics')}\n`;
  for (const sample of samples) {
    let name = sample.name;
    // Samples named like the family (text-format counters and info gauges) get their suffix.
    if (type === 'counter' && name === base) name = base + '_total';
    else if (type === 'info' && name === base) name = base + '_info';
    checkMetricName(name);
    let line =
      name +
      writeLabels(name, sample.labels, bound, 'openmetrics') +
      ' ' +
      formatSampleValue(sample.value);
    if (sample.timestampMs !== undefined) line += ' ' + formatTimestampSeconds(sample.timestampMs);
    const exemplar = sample.exemplar;
    if (exemplar !== undefined) {
      line +=
        ' # ' +
        (writeLabels(name, exemplar.labels, undefined, 'openmetrics') || '{}') +
        ' ' +
        formatSampleValue(exemplar.value);
      if (exemplar.timestampMs !== undefined) {
        line += ' ' + formatTimestampSeconds(exemplar.timestampMs);
      }
    }
    out += line + '\n';
  }
  return out;
}

/**
 * Writes families in the text format 0.0.4 or OpenMetrics 1.0.0.
 *
 * OpenMetrics: TYPE, UNIT, HELP lines; counter and info families named
 * without `_total` / `_info` (samples named like the family get the suffix);
 * `le` and `quantile` values in canonical form (`1.0`); timestamps in
 * seconds; exemplars; `# EOF` at the end. Text: HELP and TYPE lines (counters
 * named after their `_total` samples, `untyped` for unknown families, the
 * OpenMetrics-only types as their nearest text type: gaugehistogram as
 * histogram, info and stateset as gauge), integer millisecond timestamps, and
 * no `# UNIT`, exemplars or `_created` samples. Label names and values are
 * written in the order given; values are escaped with format.ts.
 *
 * It does not check OpenMetrics semantics (bucket order, unit suffixes...):
 * what it is given is what it writes. Like Prometheus's Go clients, it writes
 * a negative timestamp in the text format as `-1500`, which Prometheus's
 * scrape parser (and {@link parseExposition}) reject; OpenMetrics allows it.
 *
 * @throws VigilError `METRIC_NAME_INVALID` / `LABEL_NAME_INVALID` for names
 *   that cannot be written.
 */
export function writeExposition(
  families: readonly ExpositionFamily[],
  format: ExpositionFormat,
): string {
  let out = '';
  if (format === 'openmetrics') {
    for (const family of families) out += writeOpenMetricsFamily(family);
    return out + '# EOF\n';
  }
  for (const family of families) out += writeTextFamily(family);
  return out;
}
