/**
 * The `otel-prom` variant of the HTTP benchmark: the hello-world server
 * instrumented the usual way without Vigil. OpenTelemetry's
 * `@opentelemetry/instrumentation-http` makes a server span per request (a
 * NodeTracerProvider, AlwaysOn sampling, a BatchSpanProcessor with default
 * settings), and a prom-client middleware counts requests and observes their
 * duration with method, route and status labels, as express-prom-bundle does.
 * No access log (the peer has none). Started by http.bench.ts.
 */
import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
} from '@opentelemetry/sdk-trace-node';
import client from 'prom-client';
import { BODY, CountingSpanExporter, ROUTE, serveBenchmark } from './protocol.js';

const exporter = new CountingSpanExporter();
const provider = new NodeTracerProvider({
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new BatchSpanProcessor(exporter)],
});
provider.register();
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });

// The instrumentation patches `http` when it is required (require-in-the-middle),
// as in OpenTelemetry's CommonJS setup; this ESM program has no import-in-the-middle
// loader, so it takes `http` through require, after the instrumentation is registered.
const http = createRequire(import.meta.url)('node:http') as typeof Http;

const labelNames = ['method', 'route', 'status_code'] as const;
const requests = new client.Counter({
  name: 'http_requests_total',
  help: 'HTTP requests served.',
  labelNames,
});
const duration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'Duration of HTTP requests, seconds.',
  labelNames,
});
const routes = new Set([ROUTE]);

/** Request metrics the express-prom-bundle way: a timer per request, labels on `finish`. */
function promMiddleware(handler: Http.RequestListener): Http.RequestListener {
  return (req, res) => {
    const end = duration.startTimer();
    res.once('finish', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const labels = {
        method: req.method ?? 'GET',
        route: routes.has(path) ? path : 'unmatched',
        status_code: String(res.statusCode),
      };
      requests.inc(labels);
      end(labels);
    });
    handler(req, res);
  };
}

const server = http.createServer(
  promMiddleware((_req, res) => {
    res.end(BODY);
  }),
);
serveBenchmark(server, {
  requests: async () => (await requests.get()).values.reduce((sum, v) => sum + v.value, 0),
  spans: () => exporter.spans,
  flush: () => provider.forceFlush(),
});
