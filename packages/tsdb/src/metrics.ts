import { Counter, Gauge, Histogram, exponentialBuckets } from '@vigil/sdk';
import type { Registry } from '@vigil/sdk';

/** Names of the metrics a `Tsdb` registers (Prometheus naming conventions). */
export const TsdbMetricNames = {
  headSeries: 'vigil_tsdb_head_series',
  headChunks: 'vigil_tsdb_head_chunks',
  headSamples: 'vigil_tsdb_head_samples',
  headChunksSize: 'vigil_tsdb_head_chunks_size_bytes',
  samplesAppended: 'vigil_tsdb_samples_appended_total',
  outOfOrderSamples: 'vigil_tsdb_out_of_order_samples_total',
  outOfBoundsSamples: 'vigil_tsdb_out_of_bounds_samples_total',
  seriesCreated: 'vigil_tsdb_series_created_total',
  seriesRemoved: 'vigil_tsdb_series_removed_total',
  chunks: 'vigil_tsdb_chunks',
  chunkSamples: 'vigil_tsdb_chunk_samples',
  storageSize: 'vigil_tsdb_storage_size_bytes',
  walRecords: 'vigil_tsdb_wal_records',
  commitDuration: 'vigil_tsdb_commit_duration_seconds',
  checkpointDuration: 'vigil_tsdb_checkpoint_duration_seconds',
  compactedChunks: 'vigil_tsdb_compacted_chunks_total',
  retentionDeletedChunks: 'vigil_tsdb_retention_deleted_chunks_total',
  corruptions: 'vigil_tsdb_corruptions_total',
} as const;

/** Values the gauges read at scrape time. @internal */
export interface TsdbGaugeValues {
  series: number;
  headChunks: number;
  headSamples: number;
  headChunksBytes: number;
  persistedChunks: number;
  persistedSamples: number;
  bytesOnDisk: number;
  walRecords: number;
}

/** Where the gauges read their values. @internal */
export interface TsdbGaugeSource {
  gaugeValues(): TsdbGaugeValues;
}

/**
 * The store's own metrics. Counters and histograms are updated once per
 * commit (never per sample); gauges read the store when scraped.
 * @internal
 */
export class TsdbMetrics {
  readonly samplesAppended: Counter;
  readonly outOfOrder: Counter;
  readonly outOfBounds: Counter;
  readonly seriesCreated: Counter;
  readonly seriesRemoved: Counter;
  readonly commitDuration: Histogram;
  readonly checkpointDuration: Histogram;
  readonly compactedChunks: Counter;
  readonly retentionDeletedChunks: Counter;
  readonly corruptions: Counter<'kind'>;

  constructor(registry: Registry | undefined, source: TsdbGaugeSource) {
    const reg: Registry | false = registry ?? false;
    this.samplesAppended = new Counter({
      name: TsdbMetricNames.samplesAppended,
      help: 'Samples appended to the TSDB head by committed batches.',
      registry: reg,
    });
    this.outOfOrder = new Counter({
      name: TsdbMetricNames.outOfOrderSamples,
      help: 'Samples rejected because they were older than (out of order) or at the same time with another value as (duplicate) the newest sample of their series.',
      registry: reg,
    });
    this.outOfBounds = new Counter({
      name: TsdbMetricNames.outOfBoundsSamples,
      help: 'Samples rejected because their timestamp is outside what the store accepts (not an integer, or before retention).',
      registry: reg,
    });
    this.seriesCreated = new Counter({
      name: TsdbMetricNames.seriesCreated,
      help: 'Series created in the TSDB.',
      registry: reg,
    });
    this.seriesRemoved = new Counter({
      name: TsdbMetricNames.seriesRemoved,
      help: 'Series removed from the TSDB because retention deleted all their data.',
      registry: reg,
    });
    this.commitDuration = new Histogram({
      name: TsdbMetricNames.commitDuration,
      help: 'Time to commit a batch: the SQLite transaction with its WAL record, then the head update.',
      buckets: exponentialBuckets(0.0001, 4, 9),
      registry: reg,
    });
    this.checkpointDuration = new Histogram({
      name: TsdbMetricNames.checkpointDuration,
      help: 'Time to checkpoint the head (write open-chunk snapshots and drop the WAL records they cover).',
      buckets: exponentialBuckets(0.001, 4, 8),
      registry: reg,
    });
    this.compactedChunks = new Counter({
      name: TsdbMetricNames.compactedChunks,
      help: 'Chunk rows merged into larger ones by compaction.',
      registry: reg,
    });
    this.retentionDeletedChunks = new Counter({
      name: TsdbMetricNames.retentionDeletedChunks,
      help: 'Chunks deleted by time or size retention.',
      registry: reg,
    });
    this.corruptions = new Counter({
      name: TsdbMetricNames.corruptions,
      help: 'Damaged records found and skipped, by kind (wal_record, head_chunk, chunk, series).',
      labelNames: ['kind'],
      registry: reg,
    });
    if (registry === undefined) return;
    // One read of the store per scrape (it walks the head and asks SQLite
    // for the file size), shared by all the gauges.
    const gauges: [Gauge, (v: TsdbGaugeValues) => number][] = [];
    const gauge = (name: string, help: string, pick: (v: TsdbGaugeValues) => number): void => {
      gauges.push([new Gauge({ name, help, registry }), pick]);
    };
    registry.addCollectHook(() => {
      const values = source.gaugeValues();
      for (const [g, pick] of gauges) g.set(pick(values));
    });
    gauge(
      TsdbMetricNames.headSeries,
      'Series in the TSDB head (all series the store knows).',
      (v) => v.series,
    );
    gauge(
      TsdbMetricNames.headChunks,
      'Chunks held in memory (open chunks and completed ones not yet written).',
      (v) => v.headChunks,
    );
    gauge(TsdbMetricNames.headSamples, 'Samples held in head chunks.', (v) => v.headSamples);
    gauge(
      TsdbMetricNames.headChunksSize,
      'Encoded bytes of the chunks held in memory.',
      (v) => v.headChunksBytes,
    );
    gauge(TsdbMetricNames.chunks, 'Chunk rows persisted in SQLite.', (v) => v.persistedChunks);
    gauge(
      TsdbMetricNames.chunkSamples,
      'Samples in chunk rows persisted in SQLite.',
      (v) => v.persistedSamples,
    );
    gauge(
      TsdbMetricNames.storageSize,
      'Bytes the store uses on disk: database pages plus the SQLite WAL file.',
      (v) => v.bytesOnDisk,
    );
    gauge(
      TsdbMetricNames.walRecords,
      'WAL records (committed batches) not yet covered by a checkpoint.',
      (v) => v.walRecords,
    );
  }
}
