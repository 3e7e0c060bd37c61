import { ErrorCodes, VigilError } from './errors.js';

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Label names an instrumented metric may not declare: `le` and `quantile` are
 * produced by histograms and summaries, and `__`-prefixed names are reserved
 * for Prometheus internals.
 */
export const RESERVED_LABEL_NAMES: readonly string[] = ['le', 'quantile'];

/** True when `name` is a valid Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`). */
export function isValidMetricName(name: string): boolean {
  return METRIC_NAME_RE.test(name);
}

/** True when `name` is a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`). */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name);
}

/** Throws `METRIC_NAME_INVALID` unless `name` is a valid metric name. */
export function assertMetricName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !METRIC_NAME_RE.test(name)) {
    throw new VigilError(
      ErrorCodes.METRIC_NAME_INVALID,
      `Invalid metric name ${JSON.stringify(name)}: use letters, digits, '_' and ':' only, ` +
        `not starting with a digit (for example "http_requests_total").`,
      { details: { name } },
    );
  }
}

/**
 * Throws unless `names` is a list of distinct, valid, non-reserved label names
 * (`LABEL_NAME_INVALID`, `LABEL_NAME_RESERVED`, `LABEL_NAME_DUPLICATE`).
 * `metric` names the metric in the message.
 */
export function assertLabelNames(metric: string, names: readonly unknown[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || !LABEL_NAME_RE.test(name)) {
      throw new VigilError(
        ErrorCodes.LABEL_NAME_INVALID,
        `Metric "${metric}": invalid label name ${JSON.stringify(name)}: use letters, digits and '_' ` +
          `only, not starting with a digit.`,
        { details: { metric, label: name } },
      );
    }
    if (name.startsWith('__') || RESERVED_LABEL_NAMES.includes(name)) {
      throw new VigilError(
        ErrorCodes.LABEL_NAME_RESERVED,
        `Metric "${metric}": label name "${name}" is reserved (le, quantile and names starting with ` +
          `"__" are set by Vigil or Prometheus); choose another name.`,
        { details: { metric, label: name } },
      );
    }
    if (seen.has(name)) {
      throw new VigilError(
        ErrorCodes.LABEL_NAME_DUPLICATE,
        `Metric "${metric}": label name "${name}" is declared twice; declare each label once.`,
        { details: { metric, label: name } },
      );
    }
    seen.add(name);
  }
}
