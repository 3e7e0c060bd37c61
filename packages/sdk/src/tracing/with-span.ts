/**
 * `withSpan`: run a function inside a new active span with the status,
 * exception and end handled.
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';

/** Instrumentation scope name of the spans Vigil creates. */
export const TRACER_NAME = '@vigil/sdk';

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function recordFailure(span: Span, err: unknown): void {
  try {
    if (err instanceof Error) {
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    } else {
      const message = typeof err === 'string' ? err : String(err);
      span.recordException(message);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
  } catch {
    // A value whose String() throws must not replace the caller's error.
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

/**
 * Runs `fn` inside a new span named `name`, active for everything `fn` does
 * (including its awaits), child of the span active at the call.
 *
 * On success the span gets status OK; when `fn` throws or its promise
 * rejects, the exception is recorded as an event, the status is ERROR and
 * the original error is rethrown unchanged (the same object). The span ends
 * when `fn` returns or its promise settles. Returns what `fn` returns; for a
 * promise (or thenable), a promise of the same value.
 *
 * Until tracing is started, the OpenTelemetry API's no-op tracer makes this
 * a cheap call of `fn`. Safe to call concurrently from any async context.
 */
export function withSpan<T>(name: string, fn: (span: Span) => T, attributes?: Attributes): T {
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(
    name,
    attributes === undefined ? {} : { attributes },
    (span: Span): T => {
      let result: T;
      try {
        result = fn(span);
      } catch (err) {
        recordFailure(span, err);
        span.end();
        throw err;
      }
      if (isPromiseLike(result)) {
        return result.then(
          (value) => {
            span.setStatus({ code: SpanStatusCode.OK });
            span.end();
            return value;
          },
          (err: unknown) => {
            recordFailure(span, err);
            span.end();
            throw err;
          },
        ) as T;
      }
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
      return result;
    },
  );
}
