/**
 * Parser microbenchmark: `node packages/promql/dist/parser/parser.bench.js`.
 * Prints microseconds per parse (and per format) for a few typical queries.
 */
import { parseExpr } from './parser.js';
import { formatExpr } from './printer.js';

const QUERIES = [
  'up',
  'rate(http_requests_total{job="api",code=~"5.."}[5m])',
  'sum by (job, instance) (rate(http_requests_total{job="api-server"}[5m])) / ignoring (code) group_left sum by (job, instance) (rate(http_requests_total[5m]))',
  'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5',
  'max_over_time(deriv(rate(x[1m])[5m:30s])[1h:1m] offset 1d @ end())',
];

for (const q of QUERIES) {
  const iterations = 5000;
  let start = process.hrtime.bigint();
  let last = parseExpr(q);
  for (let i = 0; i < iterations; i++) last = parseExpr(q);
  const parseUs = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) formatExpr(last);
  const formatUs = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  console.log(
    `${parseUs.toFixed(1)} µs parse, ${formatUs.toFixed(1)} µs format: ${q.slice(0, 70)}`,
  );
}
