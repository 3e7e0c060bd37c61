/**
 * Correlation between traces, logs and metrics: the providers that tell the
 * logger and the metrics registry which span is active. {@link startTracing}
 * installs them and removes them on shutdown.
 */
import { TraceFlags, isSpanContextValid, trace } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import type { Labels } from '@vigil/model';
import { setTraceContextProvider } from '../context/index.js';
import type { TraceIds } from '../context/index.js';
import { setExemplarProvider } from '../metrics/index.js';

/**
 * The ids of the span active in the calling async context, when its span
 * context is valid (sampled or not), else `undefined`. Cheap, synchronous,
 * never throws; safe from any async context. Used for log lines.
 */
export function activeTraceIds(): TraceIds | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  if (sc === undefined) return undefined;
  // The lines of one request share its span context: validate it once.
  if (sc !== lastContext) {
    lastContext = sc;
    lastIds = isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : undefined;
  }
  return lastIds;
}

let lastContext: SpanContext | undefined;
let lastIds: TraceIds | undefined;

/**
 * Exemplar labels `{ trace_id, span_id }` of the active span when it is
 * valid and sampled (an exemplar must point at a trace that was kept), else
 * `undefined`. Cheap, synchronous, never throws.
 */
export function activeExemplarLabels(): Labels | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  if (sc === undefined || !isSpanContextValid(sc)) return undefined;
  if ((sc.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

/**
 * Makes log lines carry `trace_id`/`span_id` and `exemplars: true` metrics
 * carry the active sampled span. Process-wide; the last installer wins.
 */
export function installTraceCorrelation(): void {
  setTraceContextProvider(activeTraceIds);
  setExemplarProvider(activeExemplarLabels);
}

/** Removes what {@link installTraceCorrelation} installed. */
export function uninstallTraceCorrelation(): void {
  setTraceContextProvider(undefined);
  setExemplarProvider(undefined);
}
