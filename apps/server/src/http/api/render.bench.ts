/**
 * Microbenchmark of rendering a query answer as Prometheus JSON: a range
 * query of 500 series × 720 points (12 hours at 1 minute, a typical
 * Grafana panel over many series) and an instant vector of 10,000 samples,
 * with realistic labels and values. Run from dist:
 * `node apps/server/dist/http/api/render.bench.js`.
 */
import { performance } from 'node:perf_hooks';
import type { QueryValue, RangeSeries } from '@vigil/promql';
import { renderQueryData } from './render.js';

const POINTS = 720;
const SERIES = 500;
const series: RangeSeries[] = [];
for (let i = 0; i < SERIES; i++) {
  const timestampsMs = new Float64Array(POINTS);
  const values = new Float64Array(POINTS);
  for (let j = 0; j < POINTS; j++) {
    timestampsMs[j] = 1_764_300_000_000 + j * 60_000;
    values[j] = (i * 7 + j * 0.37) % 100 === 0 ? 0 : Math.sin(i + j) * 1000 + 1000.125;
  }
  series.push({
    labels: ['__name__', 'http_requests_total', 'instance', `host-${i}:9100`, 'job', 'api'],
    timestampsMs,
    values,
  });
}
const matrix: QueryValue = { type: 'matrix', series };
const vector: QueryValue = {
  type: 'vector',
  samples: Array.from({ length: 10_000 }, (_v, i) => ({
    labels: ['__name__', 'up', 'instance', `host-${i}:9100`, 'job', 'node'],
    timestampMs: 1_764_300_000_123,
    value: i % 3 === 0 ? 0 : 1,
  })),
};

function run(label: string, value: QueryValue, points: number, iterations: number): void {
  let bytes = 0;
  for (let i = 0; i < 3; i++) bytes = renderQueryData(value).length;
  const started = performance.now();
  for (let i = 0; i < iterations; i++) bytes = renderQueryData(value).length;
  const ms = (performance.now() - started) / iterations;
  console.log(
    `${label}: ${ms.toFixed(1)} ms per answer, ${(((points / ms) * 1000) / 1e6).toFixed(2)} M points/s, ${(bytes / 1e6).toFixed(1)} MB of JSON`,
  );
}

run(`matrix ${SERIES}x${POINTS}`, matrix, SERIES * POINTS, 10);
run('vector 10000', vector, 10_000, 30);
