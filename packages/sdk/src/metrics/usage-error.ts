import type { VigilError } from '@vigil/model';
import { diagWarnOnce } from '../diag.js';

/**
 * What the SDK does when instrumentation code misuses a metric at run time
 * (a label set that does not match the declared names, a negative counter
 * increment, a non-numeric value):
 *
 * - `throw`: throw the {@link VigilError}, so the mistake shows up in tests
 *   and development at once. The default unless `NODE_ENV=production`.
 * - `report`: drop the bad update and report it once per metric and code
 *   through the SDK diagnostics, so a mistake can never take a production
 *   request down. The default when `NODE_ENV=production`.
 *
 * Invalid definitions (names, buckets) always throw when the metric is
 * created: that happens at start-up, where failing fast is right.
 */
export type UsageErrorMode = 'throw' | 'report';

let mode: UsageErrorMode = process.env.NODE_ENV === 'production' ? 'report' : 'throw';

/** Sets how run-time misuse of metrics is handled (see {@link UsageErrorMode}). */
export function setUsageErrorMode(next: UsageErrorMode): void {
  mode = next;
}

/** The current {@link UsageErrorMode}. */
export function getUsageErrorMode(): UsageErrorMode {
  return mode;
}

/** Throws or reports `error` according to the current mode. */
export function usageError(metric: string, error: VigilError): void {
  if (mode === 'throw') throw error;
  diagWarnOnce(`usage:${metric}:${error.code}`, { code: error.code, metric }, error.message);
}
