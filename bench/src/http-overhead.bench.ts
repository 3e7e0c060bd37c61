/**
 * The CPU Vigil's HTTP instrumentation adds to one request, in-process: the
 * `node:http` adapter around a handler that answers at once, driven with real
 * `IncomingMessage` and `ServerResponse` objects but no socket, against the
 * same handler bare. Without the kernel and the load generator this figure
 * moves by tenths of a microsecond, where the throughput benchmark
 * (http.bench.ts) on two shared cores moves by several: it is the one to
 * compare from change to change. What it leaves out: socket I/O, and the
 * cost async hooks add to Node's own asynchronous work once a context is
 * propagated (measured by the throughput benchmark).
 *
 * Tracing as in the throughput benchmark: `startTracing` with AlwaysOn
 * sampling and a counting, discarding exporter; the access log goes to
 * `/dev/null` through the logger's default destination. Variants alternate
 * in rounds; figures are medians of user + system CPU per request.
 *
 * Run: `node bench/dist/http-overhead.bench.js` (or `node bench/dist/run-all.js http-overhead`).
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  createLogDestination,
  createLogger,
  instrumentHttp,
  Registry,
  startTracing,
} from '@vigil/sdk';
import { fmt, median, reported, report } from './harness.js';
import type { Comparison } from './harness.js';
import { BODY, CountingSpanExporter, ROUTE } from './http/protocol.js';

const QUICK = process.env.VIGIL_BENCH_HTTP_QUICK === '1';
/** Requests per round and variant. */
const REQUESTS = QUICK ? 10_000 : 50_000;
/** Requests between yields to the event loop (span export and log writes run there). */
const CHUNK = 256;
const ROUNDS = QUICK ? 3 : 11;

const exporter = new CountingSpanExporter();
const tracing = startTracing({ serviceName: 'bench-http', sampler: 'always_on', exporter });
const logger = createLogger({
  service: 'bench-http',
  level: 'info',
  env: {},
  destination: createLogDestination({ dest: '/dev/null' }),
});
const registry = new Registry();

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const answer: Handler = (_req, res) => {
  res.statusCode = 200;
  res.setHeader('content-length', String(BODY.length));
};

const variants: [string, Handler][] = [
  ['bare handler', answer],
  ['Vigil (metrics, span, access log)', instrumented(true, true)],
  ['Vigil with tracing off (metrics, access log)', instrumented(false, true)],
  ['Vigil with the access log off (metrics, span)', instrumented(true, false)],
  ['Vigil with tracing and access log off (metrics only)', instrumented(false, false)],
];

function instrumented(spans: boolean, accessLog: boolean): Handler {
  return instrumentHttp(answer, { routes: [ROUTE], logger, registry, spans, accessLog });
}

const socket = { remoteAddress: '127.0.0.1', encrypted: false } as unknown as Socket;

/** One request through `handler`, closed as Node closes a response that was sent. */
function serve(handler: Handler): void {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = ROUTE;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.headers = { host: '127.0.0.1:8080', 'user-agent': 'autocannon', connection: 'keep-alive' };
  const res = new ServerResponse(req);
  handler(req, res);
  // What end() leaves behind once the socket took the bytes: finished, nothing buffered.
  (res as { finished: boolean }).finished = true;
  res.emit('close');
}

/** CPU per request (µs) over `REQUESTS` requests, yielding every `CHUNK`. */
async function cpuPerRequest(handler: Handler): Promise<number> {
  const start = process.cpuUsage();
  for (let done = 0; done < REQUESTS; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) serve(handler);
    await yieldToLoop();
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

for (const [, handler] of variants) await cpuPerRequest(handler); // warm-up
const rounds = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, handler] of variants) rounds.get(name)!.push(await cpuPerRequest(handler));
}
await tracing.shutdown();

const bare = median(rounds.get('bare handler')!);
const results: Comparison[] = [];
for (const [name] of variants.slice(1)) {
  const us = median(rounds.get(name)!);
  console.log(`${name.padEnd(54)} ${fmt(us)} µs/req, ${fmt(us - bare)} µs above bare`);
  results.push(
    reported(
      {
        suite: 'http-overhead',
        name: `in-process CPU per request: ${name}`,
        unit: 'µs/req',
        vigil: us,
        peer: bare,
        peerName: 'the same handler, uninstrumented',
        notes:
          `${fmt(us - bare)} µs above the bare handler; median of ${ROUNDS} rounds of ` +
          `${REQUESTS.toLocaleString('en')} requests, no socket; ${exporter.spans} spans exported in all`,
      },
      true,
    ),
  );
}
report('http-overhead', results);
