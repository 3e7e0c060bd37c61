/**
 * The `bare` variant of the HTTP benchmark: a hello-world `node:http` server
 * with no instrumentation at all. Started by http.bench.ts.
 */
import { createServer } from 'node:http';
import { BODY, serveBenchmark } from './protocol.js';

const server = createServer((_req, res) => {
  res.end(BODY);
});
serveBenchmark(server, {});
