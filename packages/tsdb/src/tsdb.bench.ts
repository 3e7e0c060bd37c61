/**
 * Rough figures for the store's hot paths (not the formal benchmarks, which
 * live in bench/), on the realistic scrape workload of chunkenc/workload.ts
 * (node-exporter-like and HTTP-RED-like targets, 15 s interval): appender
 * throughput with refs in batches of ~1000, head bytes per series, bytes on
 * disk per sample after compaction, query decode rate.
 *
 * Run: node --expose-gc packages/tsdb/dist/tsdb.bench.js [nodeTargets] [httpTargets] [scrapes]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScrapeWorkload } from './chunkenc/workload.js';
import { openTsdb } from './tsdb.js';

const nodeTargets = Number(process.argv[2] ?? 10);
const httpTargets = Number(process.argv[3] ?? 10);
const scrapes = Number(process.argv[4] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'tsdb-bench-'));

function gc(): void {
  // Twice: the first pass leaves some external buffers (WAL record blobs) to the next.
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
}

const workload = new ScrapeWorkload({ nodeTargets, httpTargets });
const n = workload.numSeries;
const labels = workload.series.map((s) => s.labels);
const refs = new Array<number>(n).fill(0);
const ts = new Float64Array(n);
const vs = new Float64Array(n);
const db = openTsdb(dir, { maintenanceIntervalMs: 0, retentionMs: 0 });
gc();
const memBefore = process.memoryUsage();
let appendMs = 0;
let samples = 0;
let memAtHalfChunk = 0;
for (let step = 0; step < scrapes; step++) {
  workload.scrape(ts, vs);
  const t0 = performance.now();
  let app = db.appender();
  for (let i = 0; i < n; i++) {
    refs[i] = app.append(refs[i]!, labels[i]!, ts[i]!, vs[i]!);
    if (i % 1000 === 999) {
      await app.commit();
      app = db.appender();
    }
  }
  await app.commit();
  appendMs += performance.now() - t0;
  samples += n;
  if (step === 60) {
    // Open chunks hold 61 samples: the head's average size.
    gc();
    const m = process.memoryUsage();
    memAtHalfChunk = m.heapUsed + m.arrayBuffers - memBefore.heapUsed - memBefore.arrayBuffers;
  }
}
console.log(`series: ${n}, scrapes: ${scrapes}, samples: ${samples}`);
console.log(
  `append: ${Math.round(appendMs)} ms = ${Math.round(samples / (appendMs / 1000))} samples/s (refs, batches of 1000)`,
);
console.log(
  `head: ${Math.round(memAtHalfChunk / n)} bytes/series (JS heap + array buffers, open chunks of 61 samples)`,
);
db.checkpoint();
const c0 = performance.now();
db.compact(true);
db.checkpoint();
const st = db.stats();
console.log(`compaction: ${Math.round(performance.now() - c0)} ms`, st);
console.log(
  `disk: ${(st.bytesOnDisk / st.samples).toFixed(3)} bytes/sample (all SQLite pages + WAL file / all samples, head snapshots included)`,
);

for (let round = 0; round < 3; round++) {
  const q0 = performance.now();
  let read = 0;
  let sum = 0;
  const q = db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const set = q.select([], { sorted: false });
  while (set.next()) {
    const it = set.at().iterator();
    while (it.next()) {
      read++;
      sum += it.timestampMs() & 1;
    }
  }
  q.close();
  const qMs = performance.now() - q0;
  console.log(
    `query: ${read} samples in ${qMs.toFixed(0)} ms = ${Math.round(read / (qMs / 1000))} samples/s (${sum & 1})`,
  );
}
db.close();
if (process.env.KEEP_BENCH_DIR === undefined) rmSync(dir, { recursive: true, force: true });
else console.log(dir);
