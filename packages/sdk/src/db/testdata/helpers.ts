// Shared by the db tests: in-memory spans, a captured pino logger, metric
// values read back from a registry's text exposition, captured diagnostics.
import type { TestContext } from 'node:test';
import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { setDiagnosticSink, resetDiagnosticsOnce } from '../../diag.js';
import type { Registry } from '../../metrics/index.js';

/** Registers an in-memory tracer provider and context manager for the test; both go at its end. */
export function memoryTracing(t: TestContext): { spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  t.after(async () => {
    trace.disable();
    context.disable();
    await provider.shutdown();
  });
  return { spans: () => exporter.getFinishedSpans() };
}

/** A pino logger writing JSON lines to memory. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines };
}

/** Captures SDK diagnostics for the test. */
export function captureDiagnostics(t: TestContext): Array<{ fields: Record<string, unknown>; message: string }> {
  const seen: Array<{ fields: Record<string, unknown>; message: string }> = [];
  resetDiagnosticsOnce();
  setDiagnosticSink({
    warn: (fields, message) => seen.push({ fields, message }),
    error: (fields, message) => seen.push({ fields, message }),
  });
  t.after(() => {
    setDiagnosticSink(undefined);
    resetDiagnosticsOnce();
  });
  return seen;
}

/**
 * The value of one sample in the registry's text exposition, e.g.
 * `db_queries_total{system="sqlite",operation="SELECT",status="ok"}`;
 * 0 when absent.
 */
export async function sample(registry: Registry, series: string): Promise<number> {
  const text = await registry.metrics({ format: 'text' });
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return 0;
}

/** `db_queries_total` of one system, operation and status. */
export function queries(
  registry: Registry,
  system: string,
  operation: string,
  status: 'ok' | 'error',
): Promise<number> {
  return sample(
    registry,
    `db_queries_total{system="${system}",operation="${operation}",status="${status}"}`,
  );
}

/** Number of observations in `db_query_duration_seconds` of one system and operation. */
export function durations(registry: Registry, system: string, operation: string): Promise<number> {
  return sample(
    registry,
    `db_query_duration_seconds_count{system="${system}",operation="${operation}"}`,
  );
}

/** Everything a span carries as text, to search for leaked values. */
export function spanText(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    status: span.status,
  });
}
