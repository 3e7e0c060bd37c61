/**
 * Rough figures for the store's hot paths (not the formal benchmarks, which
 * live in bench/): appender throughput with refs in batches of ~1000, bytes
 * on disk per sample after compaction, head bytes per series, query decode
 * rate. Run: node packages/tsdb/dist/tsdb.bench.js [series] [samplesPerSeries]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newLabelMatcher } from '@vigil/model';
import { seededRandom } from '@vigil/testing';
import { openTsdb } from './tsdb.js';

const seriesCount = Number(process.argv[2] ?? 10_000);
const perSeries = Number(process.argv[3] ?? 480);
const intervalMs = 15_000;
const start = 1_700_000_000_000;
const dir = mkdtempSync(join(tmpdir(), 'tsdb-bench-'));
const rand = seededRandom(42);

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

gc();
const memBefore = process.memoryUsage();
const heapBefore = memBefore.heapUsed + memBefore.arrayBuffers;
const db = openTsdb(dir, { maintenanceIntervalMs: 0, retentionMs: 0 });
const labels: string[][] = [];
for (let i = 0; i < seriesCount; i++) {
  labels.push([
    '__name__',
    i % 3 === 0
      ? 'node_cpu_seconds_total'
      : i % 3 === 1
        ? 'http_requests_total'
        : 'node_memory_bytes',
    'instance',
    `host-${i % 100}:9100`,
    'job',
    'node',
    'series',
    String(i),
  ]);
}
const refs = new Array<number>(seriesCount).fill(0);
const values = new Float64Array(seriesCount);
for (let i = 0; i < seriesCount; i++) values[i] = Math.floor(rand() * 1000);

let appended = 0;
let appendMs = 0;
for (let step = 0; step < perSeries; step++) {
  const t = start + step * intervalMs;
  const t0 = performance.now();
  let app = db.appender();
  let inBatch = 0;
  for (let i = 0; i < seriesCount; i++) {
    // Counters grow by small integers, gauges wander: a node-exporter-like mix.
    const kind = i % 3;
    if (kind === 0) values[i]! += Math.floor(rand() * 10);
    else if (kind === 1) values[i]! += rand() < 0.3 ? 1 : 0;
    else values[i] = Math.round(1e6 + rand() * 1000) * 4096;
    refs[i] = app.append(refs[i]!, labels[i]!, t, values[i]!);
    if (++inBatch === 1000) {
      await app.commit();
      app = db.appender();
      inBatch = 0;
    }
  }
  await app.commit();
  appendMs += performance.now() - t0;
  appended += seriesCount;
}
gc();
const memAfter = process.memoryUsage();
const heapAfter = memAfter.heapUsed + memAfter.arrayBuffers;
console.log(
  `append: ${appended} samples in ${appendMs.toFixed(0)} ms = ${Math.round(appended / (appendMs / 1000))} samples/s`,
);
console.log(`head: ${((heapAfter - heapBefore) / seriesCount).toFixed(0)} bytes/series of JS heap and array buffers (open chunks of about 60 samples on average)`);
db.checkpoint();
let stats = db.stats();
console.log('before compaction', stats);
const c0 = performance.now();
db.compact(true);
db.maintain(true);
console.log(`compaction ${(performance.now() - c0).toFixed(0)} ms`);
stats = db.stats();
console.log('after compaction', stats);
console.log(
  `disk: ${(stats.bytesOnDisk / stats.samples).toFixed(3)} bytes/sample overall; persisted ${stats.persistedSamples} samples`,
);

const q0 = performance.now();
let read = 0;
const q = db.querier(start, start + perSeries * intervalMs);
const set = q.select([newLabelMatcher('=~', '__name__', 'node_.*')], { sorted: false });
let sum = 0;
while (set.next()) {
  const it = set.at().iterator();
  while (it.next()) {
    read++;
    sum += it.timestampMs() & 1;
  }
}
const qMs = performance.now() - q0;
console.log(
  `query: ${read} samples in ${qMs.toFixed(0)} ms = ${Math.round(read / (qMs / 1000))} samples/s (${sum})`,
);
db.close();
if (process.env.KEEP_BENCH_DIR === undefined) rmSync(dir, { recursive: true, force: true });
else console.log(dir);
