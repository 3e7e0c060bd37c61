/**
 * Microbenchmark of the remote-write hot path: snappy decompression, protobuf
 * decoding and label preparation of requests shaped like Prometheus's
 * (2,000 samples per request, node-exporter-like labels). Run from dist:
 * `node apps/server/dist/remote-write/decode.bench.js`.
 */
import { performance } from 'node:perf_hooks';
import { prepareSeries } from './handler.js';
import { decodeWriteRequest, encodeWriteRequest } from './protobuf.js';
import type { SeriesToEncode } from './protobuf.js';
import { snappyCompress, snappyDecompress } from './snappy.js';

const SERIES = 2000;
const series: SeriesToEncode[] = [];
for (let i = 0; i < SERIES; i++) {
  series.push({
    labels: [
      '__name__',
      `node_cpu_seconds_total`,
      'cpu',
      String(i % 64),
      'instance',
      `host-${i >> 6}.example.com:9100`,
      'job',
      'node',
      'mode',
      ['idle', 'user', 'system', 'iowait'][i & 3]!,
    ],
    timestamps: [1_764_300_000_000 + i],
    values: Float64Array.of(i * 1.25 + 0.001),
  });
}
const raw = encodeWriteRequest(series);
const body = snappyCompress(raw);
console.log(`request: ${SERIES} samples, ${raw.length} bytes raw, ${body.length} bytes snappy`);

function run(label: string, fn: () => void, iterations: number): void {
  for (let i = 0; i < Math.min(50, iterations); i++) fn();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const seconds = (performance.now() - started) / 1000;
  const samplesPerSecond = (iterations * SERIES) / seconds;
  console.log(
    `${label}: ${(samplesPerSecond / 1e6).toFixed(2)} M samples/s (${((seconds / iterations) * 1e3).toFixed(3)} ms/request)`,
  );
}

run('snappy decompress', () => void snappyDecompress(body, 64 << 20), 500);
run('protobuf decode', () => void decodeWriteRequest(raw), 500);
run(
  'decompress + decode + prepare labels',
  () => void prepareSeries(decodeWriteRequest(snappyDecompress(body, 64 << 20))),
  500,
);
