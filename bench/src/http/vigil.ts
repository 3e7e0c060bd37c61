/**
 * The `vigil` variant of the HTTP benchmark: the hello-world server with
 * Vigil's full HTTP instrumentation through its `node:http` adapter
 * (`instrumentHttp`): RED metrics in the default registry, a server span per
 * request (tracing set up by `startTracing`, AlwaysOn sampling, spans counted
 * and discarded by the exporter both traced variants use), and an access-log
 * line per request from Vigil's logger to `/dev/null` through the
 * destination its logger uses by default (`createLogDestination`). Started
 * by http.bench.ts.
 *
 * For attributing the cost, `--tracing=off` runs without tracing (no tracer
 * provider, `spans: false`) and `--log=off` without the access log
 * (`accessLog: false`); metrics are always on.
 */
import { createServer } from 'node:http';
import { parseExposition } from '@vigil/exposition';
import {
  createLogDestination,
  createLogger,
  defaultRegistry,
  instrumentHttp,
  startTracing,
} from '@vigil/sdk';
import { BODY, CountingSpanExporter, ROUTE, serveBenchmark } from './protocol.js';

const args = new Set(process.argv.slice(2));
const tracingOn = !args.has('--tracing=off');
const logOn = !args.has('--log=off');

const exporter = new CountingSpanExporter();
const tracing = tracingOn
  ? startTracing({ serviceName: 'bench-http', sampler: 'always_on', exporter })
  : undefined;
// The lines are counted on their way to /dev/null, so that the benchmark can
// check that every request really wrote one.
const devNull = createLogDestination({ dest: '/dev/null' });
let logLines = 0;
const logger = createLogger({
  service: 'bench-http',
  level: 'info',
  destination: {
    write(line: string) {
      logLines++;
      devNull.write(line);
    },
  },
});

const handler = instrumentHttp(
  (_req, res) => {
    res.end(BODY);
  },
  {
    routes: [ROUTE],
    logger,
    registry: defaultRegistry,
    spans: tracingOn,
    accessLog: logOn,
  },
);

/** Requests as the server's `/metrics` exposition counts them: the sum of `http_requests_total`. */
async function countedRequests(): Promise<number> {
  const families = parseExposition(await defaultRegistry.metrics(), 'text');
  const family = families.find((f) => f.name === 'http_requests_total');
  return family === undefined ? 0 : family.samples.reduce((sum, s) => sum + s.value, 0);
}

serveBenchmark(createServer(handler), {
  requests: countedRequests,
  ...(logOn ? { logLines: () => logLines } : {}),
  ...(tracing === undefined
    ? {}
    : { spans: () => exporter.spans, flush: () => tracing.forceFlush() }),
});
