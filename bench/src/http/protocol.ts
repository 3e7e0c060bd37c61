/**
 * What the HTTP benchmark and its server programs say to each other. A
 * server program listens on a free loopback port, prints the port on a line
 * of its own on standard output, then answers requests from the benchmark on
 * the IPC channel, outside the measured HTTP traffic: its own count of
 * requests and spans, and its CPU time. The hot path of every variant is the
 * request handler alone; nothing in it serves the benchmark.
 */
import type { Server } from 'node:http';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

/** The variants a server program can be, by the name the benchmark reports. */
export type VariantName =
  | 'bare'
  | 'vigil'
  | 'otel-prom'
  | 'vigil-no-tracing'
  | 'vigil-no-log'
  | 'vigil-metrics-only'
  | 'busy-2us'
  | 'busy-4us';

/** A request from the benchmark to a server program. */
export interface ServerRequest {
  id: number;
  /** `stats`: report {@link ServerStats}; `flush`: export pending spans first, then report. */
  type: 'stats' | 'flush';
}

/** A server program's answer to a {@link ServerRequest}. */
export interface ServerReply {
  id: number;
  stats: ServerStats;
}

/** What a server program says about itself. Counters are totals since it started. */
export interface ServerStats {
  /** Requests counted by the variant's own metrics (its request counter); null for `bare`. */
  requests: number | null;
  /** Spans that reached the exporter; null when the variant does not trace. */
  spans: number | null;
  /** Lines the access log wrote; null when the variant has none. */
  logLines: number | null;
  /** CPU time the process used, user plus system, microseconds. */
  cpuMicros: number;
  /** Resident set size, bytes. */
  rssBytes: number;
}

/** How a server program reports on itself. */
export interface StatsSource {
  /** Requests its metrics counted so far, if it keeps metrics. */
  requests?: () => number | Promise<number>;
  /** Spans exported so far, if it traces. */
  spans?: () => number;
  /** Access-log lines written so far, if it logs. */
  logLines?: () => number;
  /** Exports the spans ended so far. */
  flush?: () => Promise<void>;
}

type ExportResultCallback = Parameters<SpanExporter['export']>[1];

/**
 * A span exporter that counts the spans it is given and discards them: the
 * tracing work on the request path (span start, attributes, end, batching)
 * is done in full, the network export is not. Both traced variants use it.
 */
export class CountingSpanExporter implements SpanExporter {
  /** Spans exported so far. */
  spans = 0;

  export(spans: Parameters<SpanExporter['export']>[0], resultCallback: ExportResultCallback): void {
    this.spans += spans.length;
    resultCallback({ code: 0 }); // ExportResultCode.SUCCESS
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Starts `server` on a free loopback port, prints the port, and answers the
 * benchmark's requests from `source`. Exits when the benchmark goes away.
 */
export function serveBenchmark(server: Server, source: StatsSource): void {
  if (process.send === undefined) {
    throw new Error('Start this program from bench/dist/http.bench.js (it needs an IPC channel).');
  }
  const send = process.send.bind(process);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('No TCP address.');
    process.stdout.write(`${address.port}\n`);
  });
  const answer = async (message: ServerRequest): Promise<void> => {
    if (message.type === 'flush') await source.flush?.();
    const cpu = process.cpuUsage();
    const stats: ServerStats = {
      requests: source.requests === undefined ? null : await source.requests(),
      spans: source.spans === undefined ? null : source.spans(),
      logLines: source.logLines === undefined ? null : source.logLines(),
      cpuMicros: cpu.user + cpu.system,
      rssBytes: process.memoryUsage.rss(),
    };
    send({ id: message.id, stats } satisfies ServerReply);
  };
  process.on('message', (message: ServerRequest) => {
    answer(message).catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
  process.on('disconnect', () => process.exit(0));
}

/** The response of every variant. */
export const BODY = 'hello';

/** The only route template; the load hits it. */
export const ROUTE = '/hello';
