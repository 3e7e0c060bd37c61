/**
 * The pluggable trace-context provider: how the correlation context learns
 * the ids of the active span. The tracing module installs a provider that
 * reads OpenTelemetry's active span; until one is installed, log lines carry
 * trace ids only when the correlation fields contain them explicitly.
 */
import { ErrorCodes } from '@vigil/model';
import { diagWarnOnce } from '../diag.js';

/** The ids of the active span: lowercase hex, 32 and 16 characters in W3C Trace Context. */
export interface TraceIds {
  readonly trace_id: string;
  readonly span_id: string;
}

/**
 * Returns the ids of the span active in the calling async context, or
 * `undefined` when there is none. Called on every log line: it must be cheap,
 * synchronous and free of side effects.
 */
export type TraceContextProvider = () => TraceIds | undefined;

let provider: TraceContextProvider | undefined;

/**
 * Installs the trace-context provider (pass `undefined` to remove it). The
 * last call wins; one provider serves the whole process. Call it at startup,
 * not per request.
 */
export function setTraceContextProvider(fn: TraceContextProvider | undefined): void {
  provider = fn;
}

/**
 * Asks the installed provider for the active span's ids. Returns `undefined`
 * when no provider is installed, when there is no active span, when the
 * provider returns something that is not `{ trace_id: string, span_id: string }`,
 * and when the provider throws (reported once as a diagnostic). Never throws.
 * Safe to call from any async context; costs one call of the provider.
 */
export function currentTraceIds(): TraceIds | undefined {
  const fn = provider;
  if (fn === undefined) return undefined;
  let ids: TraceIds | undefined;
  try {
    ids = fn();
  } catch (err) {
    diagWarnOnce(
      'trace-context-provider-threw',
      { code: ErrorCodes.CONFIG_INVALID, err },
      'The trace-context provider threw; log lines carry no trace ids while it does. ' +
        'Fix the provider passed to setTraceContextProvider.',
    );
    return undefined;
  }
  if (
    typeof ids !== 'object' ||
    ids === null ||
    typeof ids.trace_id !== 'string' ||
    typeof ids.span_id !== 'string'
  ) {
    return undefined;
  }
  return ids;
}
