/**
 * The `busy-<n>us` calibration variants of the HTTP benchmark: the bare
 * hello-world server plus `n` microseconds of busy CPU per request (argv[2]),
 * nothing else. They show what throughput a server keeps on this machine
 * when it does a known amount of extra work per request: the budget any
 * instrumentation has under the ratio targets. Started by http.bench.ts.
 */
import { createServer } from 'node:http';
import { BODY, serveBenchmark } from './protocol.js';

const busyMs = Number(process.argv[2]) / 1000;
if (!(busyMs >= 0)) throw new Error('Pass the busy time per request in microseconds.');

const server = createServer((_req, res) => {
  const until = performance.now() + busyMs;
  while (performance.now() < until) {
    // Spin: the cost stands for instrumentation work done on the request path.
  }
  res.end(BODY);
});
serveBenchmark(server, {});
