/**
 * The embedded store against the targets, on the realistic scrape
 * workload (`ScrapeWorkload` from `@vigil/tsdb/workload`: node-exporter-like
 * and HTTP-RED-like series, 15 s interval, aligned timestamps):
 *
 * - ingestion through the `Appender`: one batch per target and scrape, refs
 *   cached as a scraper caches them, commit awaited, maintenance (chunk
 *   writes, checkpoints, compaction) included;
 * - bytes on disk per sample once chunks are complete, SQLite's pages and
 *   WAL file included;
 * - heap and array-buffer bytes per active series in the head;
 * - a query reading about a million samples from disk through the `Querier`
 *   (store closed and reopened first, so that completed chunks come from
 *   SQLite).
 *
 * The peers are the targets (≥ 500k samples/s, ≤ 1.5 B/sample, ≤ 3 kB per
 * series, ≥ 20M samples/s decoded); published anchors: Gorilla 1.37
 * B/sample, Prometheus 1–2 B/sample and about 3 kB per series. Prometheus
 * itself is measured in `side-by-side.bench.ts`.
 *
 * Run: `node --expose-gc bench/dist/tsdb.bench.js` (or `npm run bench`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTsdb } from '@vigil/tsdb';
import type { Tsdb } from '@vigil/tsdb';
import { ScrapeWorkload } from '@vigil/tsdb/workload';
import { fmt, higherIsBetter, lowerIsBetter, median, report } from './harness.js';
import type { Comparison } from './harness.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const ROUNDS = Number(process.env.VIGIL_BENCH_TSDB_ROUNDS ?? 3);

interface Ingested {
  samplesPerSecond: number;
  samples: number;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'vigil-tsdb-bench-'));
}

/** Appends `scrapes` scrapes of the workload, one batch per target; returns samples/s. */
async function ingest(
  db: Tsdb,
  workload: ScrapeWorkload,
  scrapes: number,
  labelsOf: readonly (readonly string[])[] = workload.series.map((s) => s.labels),
): Promise<Ingested> {
  const n = workload.numSeries;
  const series = workload.series;
  const refs = new Float64Array(n);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  // Batch boundaries: series are grouped by target in the workload's order.
  const bounds: number[] = [0];
  for (let i = 1; i < n; i++) if (series[i]!.target !== series[i - 1]!.target) bounds.push(i);
  bounds.push(n);
  let appended = 0;
  let elapsedMs = 0;
  for (let k = 0; k < scrapes; k++) {
    workload.scrape(timestamps, values); // outside the timed part
    const start = performance.now();
    for (let b = 0; b + 1 < bounds.length; b++) {
      const app = db.appender();
      for (let i = bounds[b]!; i < bounds[b + 1]!; i++) {
        refs[i] = app.append(refs[i]!, labelsOf[i]!, timestamps[i]!, values[i]!);
      }
      await app.commit();
    }
    db.maintain();
    elapsedMs += performance.now() - start;
    appended += n;
  }
  return { samplesPerSecond: appended / (elapsedMs / 1000), samples: appended };
}

const results: Comparison[] = [];

// 1. Ingestion rate, in rounds, each on a fresh store.
{
  const rates: number[] = [];
  let seriesCount = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const dir = tempDir();
    const db = openTsdb(dir, { maintenanceIntervalMs: 0 });
    const workload = new ScrapeWorkload({ seed: r + 1, nodeTargets: 20, httpTargets: 20 });
    seriesCount = workload.numSeries;
    await ingest(db, workload, 5); // warm-up: creates the series
    const { samplesPerSecond } = await ingest(db, workload, 150);
    rates.push(samplesPerSecond);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  results.push(
    higherIsBetter(
      {
        suite: 'tsdb',
        name: `Appender ingestion, ${seriesCount} series, one batch per target, maintenance included`,
        unit: 'samples/s',
        vigil: median(rates),
        peer: 500_000,
        peerName: 'target',
        notes: `rounds: ${rates.map((x) => fmt(x / 1000) + 'k').join(', ')}`,
      },
      1,
    ),
  );
}

// 2 and 4. Bytes per sample on disk and query decoding, on a day of data:
// completed chunks are merged per 4-hour window once the window closes, so a
// store holding days is mostly compacted rows; the newest window is not yet.
{
  const dir = tempDir();
  let db = openTsdb(dir, { maintenanceIntervalMs: 0 });
  const workload = new ScrapeWorkload({ seed: 7, nodeTargets: 1, httpTargets: 1 });
  const n = workload.numSeries;
  const intervalMs = 15_000;
  const scrapes = 5760; // 24 h at 15 s
  const tailScrapes = 480; // the newest 2 h, measured separately below
  const { samples } = await ingest(db, workload, scrapes - tailScrapes);
  db.maintain(true);
  const bytesBeforeTail = db.stats().bytesOnDisk;
  const { samples: tailSamples } = await ingest(db, workload, tailScrapes);
  db.maintain(true);
  db.close();
  db = openTsdb(dir, { maintenanceIntervalMs: 0 });
  const stats = db.stats();
  const total = samples + tailSamples;
  results.push(
    lowerIsBetter(
      {
        suite: 'tsdb',
        name: `bytes on disk per sample, a day of ${n} series at 15 s (${fmt(total / 1e6)}M samples), chunks complete`,
        unit: 'B',
        vigil: stats.bytesOnDisk / total,
        peer: 1.5,
        peerName: 'target',
        notes:
          `${fmt(stats.bytesOnDisk / 2 ** 20)} MiB, whole SQLite file and WAL; ${stats.persistedChunks} chunk rows; ` +
          `the newest 2 h alone (not compacted yet): ${fmt((stats.bytesOnDisk - bytesBeforeTail) / tailSamples)} B/sample; ` +
          `Gorilla's published 1.37 B/sample`,
      },
      1,
    ),
  );

  const startMs = 1_764_000_000_000;
  const endMs = startMs + scrapes * intervalMs;
  const spanMs = Math.ceil(1_000_000 / n) * intervalMs; // about a million samples
  const readRange = (mint: number, maxt: number): { rate: number; read: number } => {
    const start = performance.now();
    const querier = db.querier(mint, maxt);
    const set = querier.select([]);
    let read = 0;
    let checksum = 0;
    while (set.next()) {
      const it = set.at().iterator();
      while (it.next()) {
        checksum += it.value();
        read++;
      }
    }
    querier.close();
    if (checksum === 42) console.log('unlikely');
    return { rate: read / ((performance.now() - start) / 1000), read };
  };
  for (const [label, mint, maxt] of [
    ['the oldest hours (compacted rows)', startMs, startMs + spanMs],
    ['the newest hours (window still open: recent rows and the head)', endMs - spanMs, endMs],
  ] as const) {
    // The first reads also compile the decoders; reported, not counted.
    const cold = [readRange(mint, maxt).rate, readRange(mint, maxt).rate];
    const rates: number[] = [];
    let read = 0;
    for (let r = 0; r < Math.max(15, ROUNDS); r++) {
      const once = readRange(mint, maxt);
      rates.push(once.rate);
      read = once.read;
    }
    results.push(
      higherIsBetter(
        {
          suite: 'tsdb',
          name: `query reading ${fmt(read / 1e6)}M samples from disk through the Querier, ${label}`,
          unit: 'samples/s',
          vigil: median(rates),
          peer: 20_000_000,
          peerName: 'target',
          notes: `store reopened first; warm-up rounds ${cold.map((x) => fmt(x / 1e6) + 'M').join(', ')}; rounds: ${rates.map((x) => fmt(x / 1e6) + 'M').join(', ')}`,
        },
        1,
      ),
    );
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

// 3. Memory per active series in the head: half-full open chunks.
{
  const dir = tempDir();
  const workload = new ScrapeWorkload({ seed: 3, nodeTargets: 60, httpTargets: 60 });
  gc();
  const before = process.memoryUsage();
  const db = openTsdb(dir, { maintenanceIntervalMs: 0 });
  // Fresh label strings made after the baseline: whatever of them the store
  // keeps is counted against it, as a scraper's parsed labels would be.
  const freshLabels = workload.series.map((s) => s.labels.map((x) => Buffer.from(x).toString()));
  await ingest(db, workload, 60, freshLabels);
  freshLabels.length = 0;
  gc();
  const after = process.memoryUsage();
  const bytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  const perSeries = bytes / workload.numSeries;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  results.push(
    lowerIsBetter(
      {
        suite: 'tsdb',
        name: `memory per active series in the head (${workload.numSeries} series, 60 samples each)`,
        unit: 'B',
        vigil: perSeries,
        peer: 3000,
        peerName: 'target',
        notes: `heap + array buffers after GC, labels included; ${fmt(bytes / 2 ** 20)} MiB`,
      },
      1,
    ),
  );
}

report('tsdb', results);
