import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type Database from 'better-sqlite3';
import { ErrorCodes, VigilError, sameFloatBits } from '@vigil/model';
import type {
  Appendable,
  Appender,
  Querier,
  Queryable,
  SeriesLabels,
  SeriesRef,
} from '@vigil/storage';
import { labelsKey, validateSeriesLabels } from '@vigil/storage';
import type { Registry } from '@vigil/sdk';
import {
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkEncoder,
  chunkSampleCount,
  decodeChunk,
  encodeCompletedChunk,
  transcodeCompletedChunk,
} from './chunkenc/index.js';
import { Head, HeadSeries } from './head.js';
import type { BatchOwner, MemChunk } from './head.js';
import { TsdbMetrics } from './metrics.js';
import type { TsdbGaugeValues } from './metrics.js';
import { TsdbQuerier } from './querier.js';
import type { ChunkSource, TsdbReader } from './querier.js';
import { MetaKeys, TSDB_FILE_NAME, openDatabase, readMeta } from './schema.js';
import type { SynchronousMode } from './schema.js';
import { decodeWalRecord, encodeWalRecord } from './wal-record.js';

/** Where the store writes what it wants an operator to know; pino-compatible. */
export interface TsdbLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Options of {@link openTsdb}. */
export interface TsdbOptions {
  /**
   * Keep data this long (ms), measured back from the newest sample in the
   * store. Whole chunks older than that are deleted. Default 15 days; `0`
   * disables time retention.
   */
  retentionMs?: number;
  /** Keep the store under this many bytes on disk by deleting the oldest chunks. Default `0`: no limit. */
  retentionBytes?: number;
  /**
   * `'normal'` (default): a resolved `commit()` survives a crash or SIGKILL of
   * the process (SQLite WAL mode, the OS holds the write), not a power loss
   * or kernel crash. `'full'`: every commit is fsynced, durable against power
   * loss, at the cost of one fsync per commit.
   */
  synchronous?: SynchronousMode;
  /** Registers the store's metrics here (names in `TsdbMetricNames`). */
  registry?: Registry;
  /** Receives recovery, corruption, retention and compaction messages. Default: none. */
  logger?: TsdbLogger;
  /**
   * How often the background maintenance runs (ms): flush of completed
   * chunks, checkpoints, retention and compaction. Default 1000; `0` turns
   * the timer off (call {@link Tsdb.maintain} yourself, as tests do).
   */
  maintenanceIntervalMs?: number;
  /** Checkpoint at least this often (ms). Default 60,000. */
  checkpointIntervalMs?: number;
  /** Checkpoint once the WAL holds this many samples. Default 1,000,000. */
  checkpointWalSamples?: number;
  /** Run retention at most this often (ms). Default 60,000. */
  retentionIntervalMs?: number;
  /** Chunks of a series whose first sample lies in one window of this size (ms) are merged. Default 4 hours. */
  compactionWindowMs?: number;
}

/** Counts and sizes reported by {@link Tsdb.stats}. */
export interface TsdbStats {
  /** Series the store holds. */
  series: number;
  /** Chunks in memory: open chunks plus completed ones not yet written. */
  headChunks: number;
  /** Samples in those chunks. */
  headSamples: number;
  /** Encoded bytes of those chunks. */
  headChunksBytes: number;
  /** Chunk rows in SQLite. */
  persistedChunks: number;
  /** Samples in those rows. */
  persistedSamples: number;
  /** All samples (head and persisted; a sample both in a head snapshot and a row is counted once). */
  samples: number;
  /** WAL records not yet covered by a checkpoint. */
  walRecords: number;
  /** Database pages plus the SQLite WAL file, in bytes. */
  bytesOnDisk: number;
}

const DAY_MS = 86_400_000;
const DEFAULTS = {
  retentionMs: 15 * DAY_MS,
  maintenanceIntervalMs: 1000,
  checkpointIntervalMs: 60_000,
  checkpointWalSamples: 1_000_000,
  retentionIntervalMs: 60_000,
  compactionWindowMs: 4 * 3_600_000,
};

/** Compaction writes chunks of at most this many samples... */
export const COMPACTED_CHUNK_MAX_SAMPLES = 2048;
/** ...and cuts a merged chunk once it reaches this size (bytes), so rows pack well into 32 KiB pages. */
export const COMPACTED_CHUNK_MAX_BYTES = 3500;
/** Series ids per `head_chunks` row: snapshots are written in groups so rows fill pages. */
export const SNAPSHOT_GROUP_SERIES = 512;
/** A compaction window is merged once the newest sample is this far (ms) past its end. */
const COMPACTION_GRACE_MS = 3_600_000;
/** Samples (roughly) compacted per maintenance step, to keep each step short. */
const COMPACTION_SAMPLES_PER_STEP = 100_000;
/** Recent rows of a series merged into one before their window closes (see mergeRecentStep). */
const RECENT_MERGE_ROWS = 4;
/**
 * After a restart, the newest persisted row of a series (read at start-up
 * when the series has no head chunk, else by the first query that reads it)
 * is kept in memory for queries over the last minutes when it is at most this
 * big (a merged recent row; compacted 2,048-sample rows stay on disk).
 */
const KEEP_LAST_PERSISTED_BYTES = 1024;
/** Series whose recent rows are merged per maintenance step. */
const RECENT_MERGE_SERIES_PER_STEP = 2000;

const NOOP_LOGGER: TsdbLogger = { info() {}, warn() {}, error() {} };

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function storeClosed(): VigilError {
  return new VigilError(
    ErrorCodes.STORAGE_CLOSED,
    'The TSDB is closed; open it again with openTsdb().',
  );
}

/**
 * Opens (creating if needed) the store in `dir`: one SQLite database file,
 * locked for this instance. Recovers the head from snapshots and the WAL.
 *
 * @throws VigilError `TSDB_LOCKED` when another process or instance has the
 *   directory open; `TSDB_CORRUPT` when the database cannot be read at all.
 */
export function openTsdb(dir: string, options: TsdbOptions = {}): Tsdb {
  return Tsdb.open(dir, options);
}

/**
 * The embedded time-series store. Implements `Appendable` and `Queryable`.
 * Single-threaded like everything in Node: appenders and queriers may be
 * used from any number of async tasks; every call runs to completion.
 */
export class Tsdb implements Appendable, Queryable, TsdbReader {
  /** @internal */ readonly head = new Head();
  /** @internal */ readonly metrics: TsdbMetrics;
  /** @internal */ readonly logger: TsdbLogger;
  private readonly db: Database.Database;
  private readonly dbPath: string;
  private readonly opts: typeof DEFAULTS & { retentionBytes: number };
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** Seq of the newest WAL record written. */
  private lastSeq = 0;
  private walRecords = 0;
  private walSamples = 0;
  private lastCheckpointAt = Date.now();
  private lastRetentionAt = 0;
  /** @internal */ minValidTimeMs = Number.MIN_SAFE_INTEGER;
  /** Newest sample time in the store. */
  private maxTimeMs = -Infinity;
  private persistedChunks = 0;
  private persistedSamples = 0;
  private compactedUntilMs = Number.MIN_SAFE_INTEGER;
  private compactionCursor: { windowStart: number; refs: number[]; next: number } | undefined;
  /** Series with RECENT_MERGE_ROWS unmerged rows in `recent_chunks`. */
  private recentMergeQueue: HeadSeries[] = [];
  private ids = new Uint32Array(1024);
  private readonly stmts: ReturnType<typeof prepare>;

  private constructor(dir: string, options: TsdbOptions) {
    this.opts = {
      retentionMs: options.retentionMs ?? DEFAULTS.retentionMs,
      retentionBytes: options.retentionBytes ?? 0,
      maintenanceIntervalMs: options.maintenanceIntervalMs ?? DEFAULTS.maintenanceIntervalMs,
      checkpointIntervalMs: options.checkpointIntervalMs ?? DEFAULTS.checkpointIntervalMs,
      checkpointWalSamples: options.checkpointWalSamples ?? DEFAULTS.checkpointWalSamples,
      retentionIntervalMs: options.retentionIntervalMs ?? DEFAULTS.retentionIntervalMs,
      compactionWindowMs: options.compactionWindowMs ?? DEFAULTS.compactionWindowMs,
    };
    this.logger = options.logger ?? NOOP_LOGGER;
    mkdirSync(dir, { recursive: true });
    this.dbPath = join(dir, TSDB_FILE_NAME);
    this.db = openDatabase(this.dbPath, options.synchronous ?? 'normal');
    this.stmts = prepare(this.db);
    this.metrics = new TsdbMetrics(options.registry, this);
  }

  /** @internal Use {@link openTsdb}. */
  static open(dir: string, options: TsdbOptions): Tsdb {
    const tsdb = new Tsdb(dir, options);
    try {
      tsdb.recover();
    } catch (err) {
      tsdb.db.close();
      throw err;
    }
    if (tsdb.opts.maintenanceIntervalMs > 0) {
      tsdb.timer = setInterval(() => tsdb.maintainSafely(), tsdb.opts.maintenanceIntervalMs);
      tsdb.timer.unref();
    }
    return tsdb;
  }

  /**
   * A new batch (see `Appender` in @vigil/storage). Many may be open at once.
   * `commit()` resolves once the batch is in SQLite, durable as described
   * under {@link TsdbOptions.synchronous}.
   *
   * @throws VigilError `STORAGE_CLOSED` after {@link Tsdb.close}.
   */
  appender(): Appender {
    this.assertOpen();
    return new TsdbAppender(this);
  }

  /**
   * A read view over `[mint, maxt]` (ms, inclusive) of the committed data.
   * A series already reached by a series set keeps the samples it had then.
   *
   * @throws VigilError `STORAGE_CLOSED` after {@link Tsdb.close}.
   */
  querier(mint: number, maxt: number): Querier {
    this.assertOpen();
    return new TsdbQuerier(this, mint, maxt);
  }

  /** Counts and sizes of the store. */
  stats(): TsdbStats {
    this.assertOpen();
    const g = this.gaugeValues();
    return {
      series: g.series,
      headChunks: g.headChunks,
      headSamples: g.headSamples,
      headChunksBytes: g.headChunksBytes,
      persistedChunks: g.persistedChunks,
      persistedSamples: g.persistedSamples,
      samples: g.headSamples + g.persistedSamples,
      walRecords: g.walRecords,
      bytesOnDisk: g.bytesOnDisk,
    };
  }

  /** @internal For the metrics. */
  gaugeValues(): TsdbGaugeValues {
    let headChunks = 0;
    let headChunksBytes = 0;
    if (!this.closed) {
      for (const s of this.head.byRef) {
        if (s === undefined) continue;
        if (s.chunk !== null) {
          headChunks++;
          headChunksBytes += s.chunk.sizeBytes;
        }
        if (s.memChunks !== null) {
          headChunks += s.memChunks.length;
          for (const c of s.memChunks) headChunksBytes += c.data.byteLength;
        }
      }
    }
    return {
      series: this.head.seriesCount,
      headChunks,
      headSamples: this.head.headSamples,
      headChunksBytes,
      persistedChunks: this.persistedChunks,
      persistedSamples: this.persistedSamples,
      bytesOnDisk: this.closed ? 0 : this.bytesOnDisk(),
      walRecords: this.walRecords,
    };
  }

  /**
   * Runs what the maintenance timer runs, now: writes completed chunks,
   * checkpoints when due (or when `force`), applies retention when due and
   * does one step of compaction.
   */
  maintain(force = false): void {
    this.assertOpen();
    const now = Date.now();
    if (this.head.pendingChunks.length > 0) this.writeTransaction(() => this.persistPending());
    if (
      force ||
      this.walSamples >= this.opts.checkpointWalSamples ||
      (this.walRecords > 0 && now - this.lastCheckpointAt >= this.opts.checkpointIntervalMs)
    ) {
      this.checkpoint();
    }
    if (force || now - this.lastRetentionAt >= this.opts.retentionIntervalMs) {
      this.lastRetentionAt = now;
      this.applyRetention();
    }
    this.mergeRecentStep(force ? Infinity : RECENT_MERGE_SERIES_PER_STEP);
    if (force) while (this.compactStep(Infinity) > 0 || this.compactionCursor !== undefined);
    else this.compactStep(COMPACTION_SAMPLES_PER_STEP);
  }

  /**
   * Writes completed chunks and snapshots of the open chunks, deletes the WAL
   * records they cover (one transaction), then truncates SQLite's WAL file.
   */
  checkpoint(): void {
    this.assertOpen();
    const start = performance.now();
    const dirty = this.head.dirty;
    const seq = this.lastSeq;
    this.writeTransaction(() => {
      this.persistPending();
      const { upsertHead, deleteHead, deleteWal, setMeta } = this.stmts;
      const groups = new Set<number>();
      for (const s of dirty) groups.add(Math.floor(s.ref / SNAPSHOT_GROUP_SERIES));
      for (const g of groups) {
        const blob = this.snapshotGroup(g);
        if (blob === undefined) deleteHead.run(g);
        else upsertHead.run(g, crc32(blob), blob);
      }
      deleteWal.run(seq);
      setMeta.run(seq, MetaKeys.checkpointSeq);
    });
    for (const s of dirty) s.dirty = false;
    this.head.dirty = [];
    this.walRecords = 0;
    this.walSamples = 0;
    this.lastCheckpointAt = Date.now();
    this.vacuumIfSparse();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.metrics.checkpointDuration.observe((performance.now() - start) / 1000);
  }

  /**
   * Deletes whole chunks older than the time retention and, when over the
   * size limit, the oldest chunks; then series left without data. Returns
   * the number of chunks deleted.
   */
  applyRetention(): number {
    this.assertOpen();
    let deleted = 0;
    if (this.opts.retentionMs > 0 && this.maxTimeMs > -Infinity) {
      const cutoff = this.maxTimeMs - this.opts.retentionMs;
      if (cutoff > this.minValidTimeMs) deleted += this.deleteBefore(cutoff);
    }
    if (this.opts.retentionBytes > 0) deleted += this.enforceSize();
    this.removeEmptySeries();
    if (deleted > 0) {
      this.metrics.retentionDeletedChunks.inc(deleted);
      this.logger.info({ deletedChunks: deleted }, 'TSDB retention deleted chunks');
    }
    return deleted;
  }

  /**
   * Runs compaction until no closed window is left and returns the chunk
   * rows merged away. With `all`, also compacts the chunks of windows still
   * open (what a benchmark or an operator wants before measuring the disk);
   * chunks written later to those windows become rows of their own.
   */
  compact(all = false): number {
    this.assertOpen();
    if (all) {
      this.compactionCursor = undefined;
      this.writeTransaction(() => this.persistPending());
    }
    const end = all ? Infinity : undefined;
    let merged = this.compactStep(Infinity, end);
    while (this.compactionCursor !== undefined) merged += this.compactStep(Infinity, end);
    return merged;
  }

  /**
   * Checkpoints, stops the timers and closes the database. Appenders and
   * queriers of this store throw `STORAGE_CLOSED` afterwards. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    try {
      this.checkpoint();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  /** True once {@link close} ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------------------
  // Internals used by the appender and the querier.

  /** @internal */
  assertOpen(): void {
    if (this.closed) throw storeClosed();
  }

  /** @internal */
  seriesById(ref: number): HeadSeries | undefined {
    const s = this.head.byRef[ref];
    if (s !== undefined || this.head.aliases.size === 0) return s;
    const alias = this.head.aliases.get(ref);
    return alias === undefined || alias.removed ? undefined : alias;
  }

  /** @internal The chunks of a series overlapping `[mint, maxt]`, oldest first. */
  chunksOf(s: HeadSeries, mint: number, maxt: number, warnings: string[]): ChunkSource[] {
    const out: ChunkSource[] = [];
    const kept = s.lastPersisted;
    // The newest persisted chunk is still in memory: when it starts at or
    // before `mint`, memory alone holds every sample of the range.
    if (kept !== null && kept.maxTimeMs === s.persistedMaxT && kept.minTimeMs <= mint) {
      if (kept.maxTimeMs >= mint && kept.minTimeMs <= maxt) out.push(kept);
    } else if (s.persistedMaxT >= mint && s.firstT <= maxt) {
      const rows = this.stmts.selectChunks.all({ s: s.ref, a: mint, b: maxt }) as [
        number,
        number,
        number,
        Buffer,
      ][];
      for (const row of rows) {
        const [cmint, cmaxt, crc, data] = row;
        if (crc32(data) !== crc) {
          this.reportCorrupt('chunk', { seriesId: s.ref, mint: cmint }, warnings);
          continue;
        }
        out.push({ minTimeMs: cmint, maxTimeMs: cmaxt, data });
        // After a restart, the first query that reads the newest row keeps it.
        if (s.lastPersisted === null && cmaxt === s.persistedMaxT) {
          this.keepIfNewest(s, {
            minTimeMs: cmint,
            maxTimeMs: cmaxt,
            numSamples: chunkSampleCount(data),
            data,
          });
        }
      }
    }
    if (s.memChunks !== null) {
      for (const c of s.memChunks) {
        if (c.maxTimeMs >= mint && c.minTimeMs <= maxt) out.push(c);
      }
    }
    const c = s.chunk;
    if (c !== null && c.numSamples > 0 && c.maxTimeMs >= mint && c.minTimeMs <= maxt) {
      out.push({ minTimeMs: c.minTimeMs, maxTimeMs: c.maxTimeMs, data: c.bytes() });
    }
    return out;
  }

  /** @internal */
  reportCorrupt(kind: string, fields: Record<string, unknown>, warnings?: string[]): void {
    this.metrics.corruptions.inc({ kind });
    this.logger.error({ kind, ...fields }, 'TSDB found damaged data and skipped it');
    warnings?.push(`damaged ${kind} skipped (${JSON.stringify(fields)})`);
  }

  /** @internal Commits one batch; throws when the transaction fails (nothing applied then). */
  commitBatch(
    series: HeadSeries[],
    timestamps: Float64Array,
    values: Float64Array,
    count: number,
    created: HeadSeries[],
  ): void {
    this.assertOpen();
    const start = performance.now();
    const head = this.head;
    // Series removed by retention while the batch was open, or created twice
    // by concurrent appenders, are looked up again by labels.
    let newSeries = created;
    const remap = new Map<HeadSeries, HeadSeries>();
    for (const p of created) {
      const existing = head.byKey.get(p.key);
      if (existing !== undefined) remap.set(p, existing);
    }
    if (remap.size > 0) newSeries = created.filter((p) => !remap.has(p));
    if (this.ids.length < count) this.ids = new Uint32Array(Math.max(count, this.ids.length * 2));
    const ids = this.ids;
    for (let i = 0; i < count; i++) {
      let s = series[i]!;
      if (s.removed || remap.size > 0) {
        let r = remap.get(s);
        if (r === undefined && s.removed) {
          r = head.byKey.get(s.key);
          if (r === undefined) {
            r = new HeadSeries(head.nextRef++, s.labels, s.key);
            newSeries = newSeries === created ? created.slice() : newSeries;
            newSeries.push(r);
          }
          remap.set(s, r);
        }
        if (r !== undefined) {
          s = r;
          series[i] = r;
        }
      }
      ids[i] = s.ref;
    }
    // New label pairs get ids now; the head learns them only after the commit.
    const newPairs: { id: number; name: string; value: string }[] = [];
    const pairIdsOf: Uint32Array[] = [];
    if (newSeries.length > 0) {
      const tentative = new Map<string, number>();
      let nextPair = head.nextPairId;
      for (const s of newSeries) {
        const labels = s.labels;
        const pairs = new Uint32Array(labels.length >> 1);
        for (let j = 0; j < labels.length; j += 2) {
          const name = labels[j]!;
          const value = labels[j + 1]!;
          let id = head.pairId(name, value);
          if (id === 0) {
            const k = labelsKey([name, value]);
            id = tentative.get(k) ?? 0;
            if (id === 0) {
              id = nextPair++;
              tentative.set(k, id);
              newPairs.push({ id, name, value });
            }
          }
          pairs[j >> 1] = id;
        }
        pairIdsOf.push(pairs);
      }
    }
    let seq = 0;
    this.writeTransaction(() => {
      const st = this.stmts;
      for (const p of newPairs) st.insertPair.run(p.id, p.name, p.value);
      for (let k = 0; k < newSeries.length; k++) {
        const s = newSeries[k]!;
        const pairs = pairIdsOf[k]!;
        st.insertSeries.run(s.ref, asBuffer(new Uint8Array(pairs.buffer)));
        for (let j = 0; j < pairs.length; j++) st.insertPosting.run(pairs[j], s.ref);
      }
      if (newSeries.length > 0) st.setMeta.run(head.nextRef, MetaKeys.nextSeriesId);
      if (count > 0) {
        // Explicit, ever-increasing seqs: a rowid would restart at 1 once the
        // table is empty after a checkpoint, below the checkpoint's seq.
        seq = this.lastSeq + 1;
        st.insertWal.run(seq, encodeWalRecord(ids, timestamps, values, count));
      }
      this.persistPending();
    });
    // Durable: now make it visible.
    for (const [p, existing] of remap) {
      // A ref handed out for a series another appender created first stays valid.
      if (p.ref !== existing.ref && created.includes(p)) head.aliases.set(p.ref, existing);
    }
    for (const p of newPairs) head.addPair(p.id, p.name, p.value);
    for (let k = 0; k < newSeries.length; k++) {
      const s = newSeries[k]!;
      s.labels = head.internLabels(s.labels);
      head.addSeries(s, pairIdsOf[k]!, true);
    }
    if (newSeries.length > 0) this.metrics.seriesCreated.inc(newSeries.length);
    if (seq > 0) {
      this.lastSeq = seq;
      this.walRecords++;
      this.walSamples += count;
    }
    let appended = 0;
    let rejected = 0;
    for (let i = 0; i < count; i++) {
      const r = this.applySample(series[i]!, timestamps[i]!, values[i]!);
      if (r > 0) appended++;
      else if (r < 0) rejected++;
    }
    if (appended > 0) this.metrics.samplesAppended.inc(appended);
    if (rejected > 0) this.metrics.outOfOrder.inc(rejected);
    this.metrics.commitDuration.observe((performance.now() - start) / 1000);
    if (this.walSamples >= this.opts.checkpointWalSamples) {
      // The batch is committed whatever happens here: a failed checkpoint is
      // logged and retried by the maintenance timer, not reported to the caller.
      try {
        this.checkpoint();
      } catch (err) {
        this.logger.error({ err }, 'TSDB checkpoint failed; it will be retried');
      }
    }
  }

  /** @internal Counts rejections made by appenders. */
  countRejected(code: 'order' | 'bounds'): void {
    if (code === 'order') this.metrics.outOfOrder.inc();
    else this.metrics.outOfBounds.inc();
  }

  /**
   * Appends one committed sample to the head: 1 appended, 0 ignored (same
   * sample again), -1 rejected (older, or same time with other value).
   */
  private applySample(s: HeadSeries, t: number, v: number): number {
    if (t <= s.lastT) {
      if (t === s.lastT && sameFloatBits(v, s.lastV)) return 0;
      return -1;
    }
    if (t < this.minValidTimeMs) return -1;
    let c = s.chunk;
    if (c === null) {
      c = new XorChunkEncoder();
      s.chunk = c;
    }
    c.append(t, v);
    s.lastT = t;
    s.lastV = v;
    if (t < s.firstT) s.firstT = t;
    if (t > this.maxTimeMs) this.maxTimeMs = t;
    this.head.headSamples++;
    if (!s.dirty) {
      s.dirty = true;
      this.head.dirty.push(s);
    }
    if (c.numSamples >= XOR_CHUNK_TARGET_SAMPLES) {
      const mc: MemChunk = {
        minTimeMs: c.minTimeMs,
        maxTimeMs: c.maxTimeMs,
        numSamples: c.numSamples,
        data: completedChunkBytes(c),
      };
      if (s.memChunks === null) s.memChunks = [mc];
      else s.memChunks.push(mc);
      this.head.pendingChunks.push({ series: s, chunk: mc });
      s.chunk = null;
    }
    return 1;
  }

  /** Writes completed chunks (inside a transaction the caller runs). */
  private persistPending(): void {
    const pending = this.head.pendingChunks;
    if (pending.length === 0) return;
    let rows = 0;
    let samples = 0;
    for (const { series, chunk } of pending) {
      if (series.removed) continue;
      const data = asBuffer(chunk.data);
      this.stmts.insertRecent.run(
        series.ref,
        chunk.minTimeMs,
        chunk.maxTimeMs,
        chunk.numSamples,
        crc32(data),
        data,
      );
      rows++;
      samples += chunk.numSamples;
      if (++series.recentRowsUnmerged === RECENT_MERGE_ROWS) this.recentMergeQueue.push(series);
    }
    this.addChunkCounters(rows, samples);
    // Runs inside the transaction: the in-memory move happens on success,
    // see writeTransaction's onCommit list.
    this.onCommit.push(() => {
      for (const { series, chunk } of pending) {
        if (series.removed) continue;
        const list = series.memChunks;
        if (list !== null) {
          const i = list.indexOf(chunk);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) series.memChunks = null;
        }
        if (chunk.maxTimeMs > series.persistedMaxT) {
          series.persistedMaxT = chunk.maxTimeMs;
          series.lastPersisted = chunk;
        }
        this.head.headSamples -= chunk.numSamples;
      }
      this.head.pendingChunks =
        this.head.pendingChunks === pending
          ? []
          : this.head.pendingChunks.filter((p) => !pending.includes(p));
    });
  }

  private onCommit: (() => void)[] = [];

  /** Runs `fn` in one IMMEDIATE transaction; callbacks queued in `onCommit` run after it committed. */
  private writeTransaction(fn: () => void): void {
    const saved = { rows: this.persistedChunks, samples: this.persistedSamples };
    this.onCommit = [];
    try {
      this.db.transaction(fn).immediate();
    } catch (err) {
      this.persistedChunks = saved.rows;
      this.persistedSamples = saved.samples;
      this.onCommit = [];
      throw err;
    }
    const callbacks = this.onCommit;
    this.onCommit = [];
    for (const cb of callbacks) cb();
  }

  private addChunkCounters(rows: number, samples: number): void {
    if (rows === 0 && samples === 0) return;
    this.persistedChunks += rows;
    this.persistedSamples += samples;
    this.stmts.setMeta.run(this.persistedChunks, MetaKeys.chunkRows);
    this.stmts.setMeta.run(this.persistedSamples, MetaKeys.chunkSamples);
  }

  /**
   * The `head_chunks` blob of snapshot group `g`: per series of the group
   * with a non-empty open chunk, u32 series id, u32 byte length, the chunk.
   * Undefined when no series of the group has one.
   */
  private snapshotGroup(g: number): Buffer | undefined {
    const parts: Uint8Array[] = [];
    let size = 0;
    const end = (g + 1) * SNAPSHOT_GROUP_SERIES;
    for (let ref = g * SNAPSHOT_GROUP_SERIES; ref < end; ref++) {
      const s = this.head.byRef[ref];
      if (s === undefined || s.chunk === null || s.chunk.numSamples === 0) continue;
      const bytes = s.chunk.view();
      const header = Buffer.allocUnsafe(8);
      header.writeUInt32LE(ref, 0);
      header.writeUInt32LE(bytes.byteLength, 4);
      parts.push(header, bytes);
      size += 8 + bytes.byteLength;
    }
    return parts.length === 0 ? undefined : Buffer.concat(parts, size);
  }

  /** Returns free pages to the file system when more than 5 % of the file is free. */
  private vacuumIfSparse(): void {
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    if (free > 16 && free * 20 > pages) this.db.pragma('incremental_vacuum');
  }

  private bytesOnDisk(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    let wal: number;
    try {
      wal = statSync(this.dbPath + '-wal').size;
    } catch {
      wal = 0;
    }
    return pages * pageSize + wal;
  }

  private maintainSafely(): void {
    if (this.closed) return;
    try {
      this.maintain();
    } catch (err) {
      this.logger.error({ err }, 'TSDB maintenance failed; it will be retried');
    }
  }

  // ---------------------------------------------------------------------------
  // Recovery.

  private recover(): void {
    const db = this.db;
    const head = this.head;
    const started = performance.now();
    head.nextRef = readMeta(db, MetaKeys.nextSeriesId);
    const checkpointSeq = readMeta(db, MetaKeys.checkpointSeq);
    this.minValidTimeMs = readMeta(db, MetaKeys.minValidTimeMs);
    this.compactedUntilMs = readMeta(db, MetaKeys.compactedUntilMs);
    this.persistedChunks = readMeta(db, MetaKeys.chunkRows);
    this.persistedSamples = readMeta(db, MetaKeys.chunkSamples);
    for (const row of db.prepare('SELECT id, name, value FROM label_pairs').raw().iterate()) {
      const [id, name, value] = row as [number, string, string];
      head.addPair(id, name, value);
    }
    let badSeries = 0;
    for (const row of db.prepare('SELECT id, pairs FROM series ORDER BY id').raw().iterate()) {
      const [id, blob] = row as [number, Buffer];
      const pairs =
        blob.byteLength % 4 === 0
          ? new Uint32Array(new Uint8Array(blob).buffer, 0, blob.byteLength / 4)
          : undefined;
      const labels = pairs === undefined ? undefined : head.labelsOfPairs(pairs);
      if (labels === undefined) {
        badSeries++;
        this.reportCorrupt('series', { seriesId: id });
        continue;
      }
      head.addSeries(new HeadSeries(id, labels, labelsKey(labels)), pairs!, false);
    }
    if (badSeries > 0) this.logger.warn({ badSeries }, 'TSDB skipped damaged series rows');
    // Postings, ordered by pair then series: each list comes out sorted.
    for (const row of db.prepare('SELECT pair_id, series_id FROM postings').raw().iterate()) {
      const [pairId, seriesId] = row as [number, number];
      const list = head.postings[pairId];
      if (list !== undefined && head.byRef[seriesId] !== undefined) list.push(seriesId);
    }
    for (const s of head.byRef) if (s !== undefined) head.allRefs.push(s.ref);
    for (const row of db
      .prepare(
        'SELECT series_id, min(mint), max(maxt) FROM chunks GROUP BY series_id UNION ALL SELECT series_id, min(mint), max(maxt) FROM recent_chunks GROUP BY series_id',
      )
      .raw()
      .iterate()) {
      const [id, mint, maxt] = row as [number, number, number];
      const s = head.byRef[id];
      if (s === undefined) continue;
      if (mint < s.firstT) s.firstT = mint;
      if (maxt > s.persistedMaxT) s.persistedMaxT = maxt;
      s.lastT = s.persistedMaxT;
      if (maxt > this.maxTimeMs) this.maxTimeMs = maxt;
    }
    // Last values of series whose newest data is persisted: needed for the
    // duplicate check of a sample at the same timestamp.
    let snapshots = 0;
    for (const row of db.prepare('SELECT group_id, crc, data FROM head_chunks').raw().iterate()) {
      const [group, crc, data] = row as [number, number, Buffer];
      if (crc32(data) !== crc) {
        this.reportCorrupt('head_chunk', { group });
        continue;
      }
      for (let off = 0; off < data.byteLength;) {
        if (off + 8 > data.byteLength) {
          this.reportCorrupt('head_chunk', { group, offset: off });
          break;
        }
        const id = data.readUInt32LE(off);
        const len = data.readUInt32LE(off + 4);
        off += 8;
        if (off + len > data.byteLength) {
          this.reportCorrupt('head_chunk', { group, offset: off });
          break;
        }
        const bytes = new Uint8Array(data.subarray(off, off + len));
        off += len;
        const s = head.byRef[id];
        if (s === undefined) continue; // removed by retention since
        let enc: XorChunkEncoder;
        try {
          enc = XorChunkEncoder.resume(bytes);
        } catch (err) {
          this.reportCorrupt('head_chunk', { group, seriesId: id, error: String(err) });
          continue;
        }
        // Stale when its chunk was completed and written after the checkpoint,
        // or when retention dropped it since.
        if (
          enc.numSamples === 0 ||
          enc.minTimeMs <= s.persistedMaxT ||
          enc.maxTimeMs < this.minValidTimeMs
        ) {
          continue;
        }
        s.chunk = enc;
        s.lastT = enc.maxTimeMs;
        if (enc.minTimeMs < s.firstT) s.firstT = enc.minTimeMs;
        if (enc.maxTimeMs > this.maxTimeMs) this.maxTimeMs = enc.maxTimeMs;
        head.headSamples += enc.numSamples;
        snapshots++;
      }
    }
    this.restoreLastValues();
    // Replay the WAL records written after the last checkpoint.
    let records = 0;
    let replayed = 0;
    let seq = checkpointSeq;
    for (const row of db
      .prepare('SELECT seq, data FROM wal WHERE seq > ? ORDER BY seq')
      .raw()
      .iterate(checkpointSeq)) {
      const [rowSeq, data] = row as [number, Buffer];
      seq = rowSeq;
      let rec;
      try {
        rec = decodeWalRecord(data);
      } catch (err) {
        this.reportCorrupt('wal_record', { seq: rowSeq, error: String(err) });
        continue;
      }
      records++;
      for (let i = 0; i < rec.count; i++) {
        const s = head.byRef[rec.seriesIds[i]!];
        if (s === undefined) continue;
        try {
          if (this.applySample(s, rec.timestampsMs[i]!, rec.values[i]!) > 0) replayed++;
        } catch (err) {
          // Only a record that passed its checksum yet holds an impossible sample gets here.
          this.reportCorrupt('wal_record', { seq: rowSeq, error: String(err) });
          break;
        }
      }
    }
    this.lastSeq = seq;
    this.walRecords = records;
    this.walSamples = replayed;
    // Write out chunks completed during replay (WAL records stay until the next checkpoint).
    if (this.head.pendingChunks.length > 0) this.writeTransaction(() => this.persistPending());
    this.logger.info(
      {
        series: head.seriesCount,
        snapshots,
        walRecords: records,
        replayedSamples: replayed,
        durationMs: Math.round(performance.now() - started),
      },
      'TSDB opened',
    );
  }

  /** Sets `lastV` of series whose newest sample is in the head snapshot or the last chunk row. */
  private restoreLastValues(): void {
    for (const s of this.head.byRef) {
      if (s === undefined || s.lastT === -Infinity) continue;
      let data: Uint8Array;
      if (s.chunk !== null) data = s.chunk.view();
      else {
        const row = this.stmts.lastChunk.get({ s: s.ref }) as
          [number, Buffer, number, number, number] | undefined;
        if (row === undefined || crc32(row[1]) !== row[0]) continue;
        data = row[1];
        this.keepIfNewest(s, { minTimeMs: row[2], maxTimeMs: row[3], numSamples: row[4], data });
      }
      try {
        const v = lastValueOf(data);
        // Assigned from a Float64Array element straight to a field: NaN bits survive.
        if (v !== undefined) s.lastV = v;
      } catch {
        // A damaged row is reported when a query reads it.
      }
    }
  }

  /**
   * Keeps `chunk` as the series' in-memory newest persisted chunk when it is
   * the newest row and small (see `HeadSeries.lastPersisted`).
   */
  private keepIfNewest(s: HeadSeries, chunk: MemChunk): void {
    if (chunk.maxTimeMs === s.persistedMaxT && chunk.data.byteLength <= KEEP_LAST_PERSISTED_BYTES) {
      s.lastPersisted = chunk;
    }
  }

  // ---------------------------------------------------------------------------
  // Retention.

  private deleteBefore(cutoff: number): number {
    // Everything must be in SQLite with no WAL records left, so that nothing
    // older than the cutoff can come back by replay.
    this.checkpoint();
    const st = this.stmts;
    const affected = st.seriesWithChunksBefore.all({ t: cutoff }) as [number][];
    const sums = st.countChunksBefore.get({ t: cutoff }) as [number, number | null];
    const rows = sums[0];
    const samples = sums[1] ?? 0;
    const headDropped: HeadSeries[] = [];
    for (const s of this.head.byRef) {
      if (s !== undefined && s.chunk !== null && s.chunk.maxTimeMs < cutoff) headDropped.push(s);
    }
    this.writeTransaction(() => {
      st.deleteChunksBefore.run(cutoff);
      st.deleteRecentBefore.run(cutoff);
      this.addChunkCounters(-rows, -samples);
      st.setMeta.run(cutoff, MetaKeys.minValidTimeMs);
    });
    this.minValidTimeMs = cutoff;
    for (const s of headDropped) {
      this.head.headSamples -= s.chunk!.numSamples;
      s.chunk = null;
      // The next checkpoint rewrites its snapshot group; until then open()
      // ignores the stale snapshot (older than min_valid_time_ms).
      if (!s.dirty) {
        s.dirty = true;
        this.head.dirty.push(s);
      }
    }
    for (const [id] of affected) {
      const s = this.head.byRef[id];
      if (s !== undefined) this.refreshRange(s);
    }
    for (const s of headDropped) this.refreshRange(s);
    this.db.pragma('incremental_vacuum');
    return rows;
  }

  private enforceSize(): number {
    let deleted = 0;
    for (let round = 0; round < 8; round++) {
      const size = this.bytesOnDisk();
      const excess = size - this.opts.retentionBytes;
      if (excess <= 0) break;
      this.checkpoint();
      const st = this.stmts;
      const victims: [number, number, number, number, number][] = [];
      let freed = 0;
      // Compacted rows are older than recent ones; take those first.
      let fromRecent = false;
      for (const stmt of [st.oldestChunks, st.oldestRecent]) {
        for (const row of stmt.iterate()) {
          const r = row as [number, number, number, number, number];
          victims.push(r);
          freed += r[3] + 48;
          if (freed >= excess * 1.1) break;
        }
        if (victims.length > 0) break;
        fromRecent = true;
      }
      if (victims.length === 0) break;
      let samples = 0;
      this.writeTransaction(() => {
        for (const [id, , n] of victims) {
          (fromRecent ? st.deleteRecent : st.deleteChunk).run(id);
          samples += n;
        }
        this.addChunkCounters(-victims.length, -samples);
      });
      const touched = new Set<number>();
      for (const v of victims) touched.add(v[1]);
      for (const id of touched) {
        const s = this.head.byRef[id];
        if (s !== undefined) this.refreshRange(s);
      }
      deleted += victims.length;
      this.db.pragma('incremental_vacuum');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    }
    return deleted;
  }

  /** Recomputes `firstT` and `persistedMaxT` of a series after chunk rows were deleted. */
  private refreshRange(s: HeadSeries): void {
    const row = this.stmts.seriesRange.get({ s: s.ref }) as [number | null, number | null];
    const [mint, maxt] = row;
    s.persistedMaxT = maxt ?? -Infinity;
    s.lastPersisted = null;
    let first = mint ?? Infinity;
    if (s.memChunks !== null) for (const c of s.memChunks) first = Math.min(first, c.minTimeMs);
    if (s.chunk !== null) first = Math.min(first, s.chunk.minTimeMs);
    s.firstT = first;
  }

  /** Removes series that hold no data at all (and no batch is writing to). */
  private removeEmptySeries(): void {
    const victims: HeadSeries[] = [];
    for (const s of this.head.byRef) {
      if (s === undefined) continue;
      if (
        s.chunk === null &&
        s.memChunks === null &&
        s.persistedMaxT === -Infinity &&
        s.firstT === Infinity
      ) {
        victims.push(s);
      }
    }
    if (victims.length === 0) return;
    const st = this.stmts;
    this.writeTransaction(() => {
      for (const s of victims) {
        st.deleteSeries.run(s.ref);
        for (let j = 0; j < s.labels.length; j += 2) {
          st.deletePosting.run(this.head.pairId(s.labels[j]!, s.labels[j + 1]!), s.ref);
        }
      }
    });
    this.head.removeSeries(new Set(victims.map((s) => s.ref)));
    this.metrics.seriesRemoved.inc(victims.length);
  }

  // ---------------------------------------------------------------------------
  // Compaction: completed chunks land in `recent_chunks` (120 samples each).
  // Once a window of `compactionWindowMs` is closed, each series' recent rows
  // of that window are merged into as few rows as the size limits allow and
  // moved to `chunks`, series after series, so `chunks` grows in append order
  // (full pages) and `recent_chunks` frees whole pages.

  // Before its window closes, a series' newest RECENT_MERGE_ROWS rows of
  // 120 samples are merged into one row of `recent_chunks`: a quarter of the
  // rows to read for the newest hours (queries pay about 4 µs per row in
  // better-sqlite3) and a quarter of the per-row bytes. Window compaction
  // later merges these rows like any other.

  private mergeRecentStep(seriesBudget: number): void {
    const w = this.opts.compactionWindowMs;
    const queue = this.recentMergeQueue;
    if (w <= 0 || queue.length === 0) return;
    const work = queue.splice(0, Math.min(queue.length, seriesBudget));
    let merged = 0;
    this.writeTransaction(() => {
      for (const s of work) {
        s.recentRowsUnmerged = 0;
        if (!s.removed) merged += this.mergeRecentRows(s, w);
      }
    });
    if (merged > 0) this.metrics.compactedChunks.inc(merged);
  }

  /** Merges the newest unmerged recent rows of `s` in one window. Inside a transaction. */
  private mergeRecentRows(s: HeadSeries, w: number): number {
    type Row = [number, number, number, number, number, Buffer];
    const newest = this.stmts.recentNewest.all(s.ref, RECENT_MERGE_ROWS) as Row[];
    // Oldest first; only rows the head cut (not merged ones), in the newest row's window.
    newest.reverse();
    const window = newest.length > 0 ? Math.floor(newest[newest.length - 1]![1] / w) : 0;
    const group = newest.filter(
      (r) => r[3] <= XOR_CHUNK_TARGET_SAMPLES && Math.floor(r[1] / w) === window,
    );
    if (group.length < 2) return 0;
    let total = 0;
    for (const r of group) {
      if (crc32(r[5]) !== r[4]) return 0; // left for queries to report
      total += r[3];
    }
    const merged = mergeChunks(
      group.map((r) => r[5]),
      total,
    );
    if (merged === undefined) return 0;
    const st = this.stmts;
    for (const r of group) st.deleteRecent.run(r[0]);
    for (const c of merged.chunks) {
      st.insertRecent.run(s.ref, c.mint, c.maxt, c.n, crc32(c.data), c.data);
    }
    this.addChunkCounters(merged.chunks.length - group.length, merged.samples - total);
    return group.length - merged.chunks.length;
  }

  private compactStep(sampleBudget: number, endOverride?: number): number {
    const w = this.opts.compactionWindowMs;
    if (w <= 0 || this.maxTimeMs === -Infinity) return 0;
    // Windows ending before this are closed: by then the chunks that started
    // in them have been cut (at 120 samples) and written.
    const closedEnd = endOverride ?? Math.floor((this.maxTimeMs - COMPACTION_GRACE_MS) / w) * w;
    let cur = this.compactionCursor;
    if (cur === undefined) {
      if (closedEnd <= this.compactedUntilMs && endOverride === undefined) return 0;
      cur = { windowStart: closedEnd, refs: this.head.allRefs.slice(), next: 0 };
      this.compactionCursor = cur;
    }
    const end = cur.windowStart;
    let merged = 0;
    let budget = sampleBudget;
    const work: HeadSeries[] = [];
    while (budget > 0 && cur.next < cur.refs.length) {
      const s = this.head.byRef[cur.refs[cur.next++]!];
      if (s === undefined || s.firstT >= end || s.persistedMaxT === -Infinity) continue;
      work.push(s);
      budget -= 1000; // a rough bound of the samples a series brings per window
    }
    if (work.length > 0) {
      this.writeTransaction(() => {
        for (const s of work) merged += this.compactSeries(s, end, w);
      });
    }
    if (cur.next >= cur.refs.length) {
      this.compactionCursor = undefined;
      if (Number.isFinite(end) && end > this.compactedUntilMs) {
        this.compactedUntilMs = end;
        this.writeTransaction(() => this.stmts.setMeta.run(end, MetaKeys.compactedUntilMs));
      }
      this.vacuumIfSparse();
    }
    if (merged > 0) this.metrics.compactedChunks.inc(merged);
    return merged;
  }

  /** Moves the recent rows of `s` starting before `end` to `chunks`, merged per window. Inside a transaction. */
  private compactSeries(s: HeadSeries, end: number, w: number): number {
    const st = this.stmts;
    const rows = st.recentBefore.all(s.ref, end) as [
      number,
      number,
      number,
      number,
      number,
      Buffer,
    ][];
    if (rows.length === 0) return 0;
    let written = 0;
    let deltaSamples = 0;
    let i = 0;
    while (i < rows.length) {
      const window = Math.floor(rows[i]![1] / w);
      let j = i + 1;
      while (j < rows.length && Math.floor(rows[j]![1] / w) === window) j++;
      const group = rows.slice(i, j);
      i = j;
      let ok = true;
      let total = 0;
      for (const r of group) {
        if (crc32(r[5]) !== r[4]) ok = false;
        total += r[3];
      }
      if (!ok || group.length === 1) {
        // Moved unchanged (a damaged row too: queries report it, nothing is lost here).
        for (const r of group) {
          st.insertChunk.run(s.ref, r[1], r[2], r[3], r[4], r[5]);
          st.deleteRecent.run(r[0]);
          written++;
        }
        continue;
      }
      const merged = mergeChunks(
        group.map((r) => r[5]),
        total,
      );
      if (merged === undefined) {
        for (const r of group) {
          st.insertChunk.run(s.ref, r[1], r[2], r[3], r[4], r[5]);
          st.deleteRecent.run(r[0]);
          written++;
        }
        continue;
      }
      for (const r of group) st.deleteRecent.run(r[0]);
      for (const c of merged.chunks) {
        st.insertChunk.run(s.ref, c.mint, c.maxt, c.n, crc32(c.data), c.data);
        written++;
      }
      deltaSamples += merged.samples - total;
    }
    this.addChunkCounters(written - rows.length, deltaSamples);
    return rows.length - written;
  }
}

interface MergedChunk {
  mint: number;
  maxt: number;
  n: number;
  data: Buffer;
}

let mergeT = new Float64Array(4096);
let mergeV = new Float64Array(4096);

/** Decodes chunks (in time order) and re-encodes their samples into as few chunks as the limits allow. */
function mergeChunks(
  blobs: readonly Uint8Array[],
  total: number,
): { chunks: MergedChunk[]; samples: number } | undefined {
  if (mergeT.length < total) {
    mergeT = new Float64Array(total);
    mergeV = new Float64Array(total);
  }
  let n = 0;
  try {
    for (const b of blobs) {
      const k = chunkSampleCount(b);
      if (n + k > mergeT.length) return undefined;
      const got = decodeChunk(b, mergeT.subarray(n), mergeV.subarray(n));
      // Keep strictly increasing timestamps (rows never overlap; be safe anyway).
      let w = n;
      for (let i = n; i < n + got; i++) {
        if (w > 0 && mergeT[i]! <= mergeT[w - 1]!) continue;
        mergeT[w] = mergeT[i]!;
        mergeV[w] = mergeV[i]!;
        w++;
      }
      n = w;
    }
  } catch {
    return undefined;
  }
  // Split where an XOR chunk would reach the limits, then encode each piece
  // in its smallest encoding.
  const chunks: MergedChunk[] = [];
  let enc = new XorChunkEncoder(COMPACTED_CHUNK_MAX_BYTES + 64);
  let from = 0;
  const flush = (to: number): void => {
    if (to === from) return;
    chunks.push({
      mint: mergeT[from]!,
      maxt: mergeT[to - 1]!,
      n: to - from,
      data: asBuffer(encodeCompletedChunk(mergeT.subarray(from), mergeV.subarray(from), to - from)),
    });
    from = to;
    enc = new XorChunkEncoder(COMPACTED_CHUNK_MAX_BYTES + 64);
  };
  for (let i = 0; i < n; i++) {
    enc.append(mergeT[i]!, mergeV[i]!);
    if (
      enc.numSamples >= COMPACTED_CHUNK_MAX_SAMPLES ||
      enc.sizeBytes >= COMPACTED_CHUNK_MAX_BYTES
    ) {
      flush(i + 1);
    }
  }
  flush(n);
  return { chunks, samples: n };
}

/** The bytes a completed head chunk is stored as: XOR or scaled integer, whichever is smaller. */
function completedChunkBytes(c: XorChunkEncoder): Uint8Array {
  // bytes() is a copy; transcoding returns it or a new, smaller chunk.
  return transcodeCompletedChunk(c.bytes());
}

/** The value of a chunk's last sample, or undefined for an empty chunk. */
function lastValueOf(data: Uint8Array): number | undefined {
  const k = chunkSampleCount(data);
  if (k === 0) return undefined;
  const ts = new Float64Array(k);
  const vs = new Float64Array(k);
  const n = decodeChunk(data, ts, vs);
  return n > 0 ? vs[n - 1] : undefined;
}

function prepare(db: Database.Database) {
  const both = (sql: string): string =>
    `${sql.replaceAll('$T', 'chunks')} UNION ALL ${sql.replaceAll('$T', 'recent_chunks')}`;
  return {
    insertPair: db.prepare('INSERT INTO label_pairs (id, name, value) VALUES (?, ?, ?)'),
    insertSeries: db.prepare('INSERT INTO series (id, pairs) VALUES (?, ?)'),
    insertPosting: db.prepare('INSERT INTO postings (pair_id, series_id) VALUES (?, ?)'),
    deleteSeries: db.prepare('DELETE FROM series WHERE id = ?'),
    deletePosting: db.prepare('DELETE FROM postings WHERE pair_id = ? AND series_id = ?'),
    insertWal: db.prepare('INSERT INTO wal (seq, data) VALUES (?, ?)'),
    deleteWal: db.prepare('DELETE FROM wal WHERE seq <= ?'),
    insertChunk: db.prepare(
      'INSERT INTO chunks (series_id, mint, maxt, samples, crc, data) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertRecent: db.prepare(
      'INSERT INTO recent_chunks (series_id, mint, maxt, samples, crc, data) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deleteChunk: db.prepare('DELETE FROM chunks WHERE id = ?'),
    deleteRecent: db.prepare('DELETE FROM recent_chunks WHERE id = ?'),
    selectChunks: db
      .prepare(
        both(
          'SELECT mint, maxt, crc, data FROM $T WHERE series_id = @s AND maxt >= @a AND mint <= @b',
        ) + ' ORDER BY 1',
      )
      .raw(),
    lastChunk: db
      .prepare(
        'SELECT crc, data, mint, maxt, samples FROM (' +
          both(
            'SELECT crc, data, mint, maxt, samples FROM (SELECT crc, data, mint, maxt, samples FROM $T WHERE series_id = @s ORDER BY mint DESC LIMIT 1)',
          ) +
          ') ORDER BY mint DESC LIMIT 1',
      )
      .raw(),
    seriesRange: db
      .prepare(
        'SELECT min(a), max(b) FROM (' +
          both('SELECT min(mint) AS a, max(maxt) AS b FROM $T WHERE series_id = @s') +
          ')',
      )
      .raw(),
    recentNewest: db
      .prepare(
        'SELECT id, mint, maxt, samples, crc, data FROM recent_chunks WHERE series_id = ? ORDER BY mint DESC LIMIT ?',
      )
      .raw(),
    recentBefore: db
      .prepare(
        'SELECT id, mint, maxt, samples, crc, data FROM recent_chunks WHERE series_id = ? AND mint < ? ORDER BY mint',
      )
      .raw(),
    seriesWithChunksBefore: db
      .prepare(both('SELECT DISTINCT series_id FROM $T WHERE maxt < @t'))
      .raw(),
    countChunksBefore: db
      .prepare(
        'SELECT sum(c), sum(n) FROM (' +
          both('SELECT count(*) AS c, sum(samples) AS n FROM $T WHERE maxt < @t') +
          ')',
      )
      .raw(),
    deleteChunksBefore: db.prepare('DELETE FROM chunks WHERE maxt < ?'),
    deleteRecentBefore: db.prepare('DELETE FROM recent_chunks WHERE maxt < ?'),
    oldestChunks: db
      .prepare('SELECT id, series_id, samples, length(data), maxt FROM chunks ORDER BY maxt')
      .raw(),
    oldestRecent: db
      .prepare('SELECT id, series_id, samples, length(data), maxt FROM recent_chunks ORDER BY maxt')
      .raw(),
    upsertHead: db.prepare(
      'INSERT INTO head_chunks (group_id, crc, data) VALUES (?, ?, ?) ON CONFLICT (group_id) DO UPDATE SET crc = excluded.crc, data = excluded.data',
    ),
    deleteHead: db.prepare('DELETE FROM head_chunks WHERE group_id = ?'),
    setMeta: db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
  };
}

// ---------------------------------------------------------------------------
// The appender.

class TsdbAppender implements Appender, BatchOwner {
  finished = false;
  private count = 0;
  private series: HeadSeries[] = [];
  private timestamps = new Float64Array(256);
  private values = new Float64Array(256);
  private readonly created: HeadSeries[] = [];
  private pendingByKey: Map<string, HeadSeries> | undefined;
  private pendingByRef: Map<number, HeadSeries> | undefined;
  /** In-batch newest samples of series another open appender owns (rare). */
  private shared: Map<HeadSeries, { t: number; v: Float64Array }> | undefined;

  constructor(private readonly tsdb: Tsdb) {}

  append(ref: SeriesRef, labels: SeriesLabels, timestampMs: number, value: number): SeriesRef {
    if (this.finished) throw appenderClosed();
    const tsdb = this.tsdb;
    if (tsdb.isClosed) throw storeClosed();
    if (!Number.isSafeInteger(timestampMs) || timestampMs < tsdb.minValidTimeMs) {
      tsdb.countRejected('bounds');
      throw new VigilError(
        ErrorCodes.SAMPLE_OUT_OF_BOUNDS,
        Number.isSafeInteger(timestampMs)
          ? `Sample at ${timestampMs} is older than the store keeps (retention starts at ${tsdb.minValidTimeMs}).`
          : `Sample timestamp ${timestampMs} is not a safe integer number of milliseconds.`,
        { details: { timestampMs } },
      );
    }
    let s = ref > 0 ? tsdb.seriesById(ref) : undefined;
    if (s === undefined) s = this.lookup(ref, labels);
    let lastT: number;
    let lastV: number;
    let sharedEntry: { t: number; v: Float64Array } | undefined;
    const owner = s.owner;
    if (owner === this) {
      lastT = s.batchT;
      lastV = s.batchV;
    } else if (owner === null || owner.finished) {
      s.owner = this;
      lastT = s.batchT = s.lastT;
      lastV = s.batchV = s.lastV;
    } else {
      this.shared ??= new Map();
      sharedEntry = this.shared.get(s);
      if (sharedEntry === undefined) {
        sharedEntry = { t: s.lastT, v: new Float64Array([s.lastV]) };
        this.shared.set(s, sharedEntry);
      }
      lastT = sharedEntry.t;
      lastV = sharedEntry.v[0]!;
    }
    // Another appender may have committed newer samples since this batch began.
    if (s.lastT > lastT) {
      lastT = s.lastT;
      lastV = s.lastV;
    }
    if (timestampMs <= lastT) {
      if (timestampMs === lastT) {
        if (sameFloatBits(value, lastV)) return s.ref;
        tsdb.countRejected('order');
        throw new VigilError(
          ErrorCodes.SAMPLE_DUPLICATE,
          `Sample at ${timestampMs} has a different value than the series' sample at the same time.`,
          { details: { timestampMs } },
        );
      }
      tsdb.countRejected('order');
      throw new VigilError(
        ErrorCodes.SAMPLE_OUT_OF_ORDER,
        `Sample at ${timestampMs} is older than the series' newest sample at ${lastT}; samples of a series must be appended in time order.`,
        { details: { timestampMs, newestTimestampMs: lastT } },
      );
    }
    if (sharedEntry !== undefined) {
      sharedEntry.t = timestampMs;
      sharedEntry.v[0] = value;
    } else {
      s.batchT = timestampMs;
      s.batchV = value;
    }
    const i = this.count;
    if (i === this.timestamps.length) this.grow();
    this.series[i] = s;
    this.timestamps[i] = timestampMs;
    this.values[i] = value;
    this.count = i + 1;
    return s.ref;
  }

  commit(): Promise<void> {
    if (this.finished) throw appenderClosed();
    this.finished = true;
    try {
      if (this.tsdb.isClosed) throw storeClosed();
      this.tsdb.commitBatch(this.series, this.timestamps, this.values, this.count, this.created);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.release();
    }
    return Promise.resolve();
  }

  rollback(): void {
    if (this.finished) throw appenderClosed();
    this.finished = true;
    this.release();
  }

  private release(): void {
    for (let i = 0; i < this.count; i++) {
      const s = this.series[i]!;
      if (s.owner === this) s.owner = null;
    }
    this.series = [];
    this.count = 0;
  }

  private lookup(ref: SeriesRef, labels: SeriesLabels): HeadSeries {
    if (ref > 0 && this.pendingByRef !== undefined) {
      const p = this.pendingByRef.get(ref);
      if (p !== undefined) return p;
    }
    const key = labelsKey(labels);
    const head = this.tsdb.head;
    const found = this.pendingByKey?.get(key) ?? head.byKey.get(key);
    if (found !== undefined) return found;
    validateSeriesLabels(labels);
    const s = new HeadSeries(head.nextRef++, labels.slice(), key);
    this.pendingByKey ??= new Map();
    this.pendingByRef ??= new Map();
    this.pendingByKey.set(key, s);
    this.pendingByRef.set(s.ref, s);
    this.created.push(s);
    return s;
  }

  private grow(): void {
    const n = this.timestamps.length * 2;
    const ts = new Float64Array(n);
    ts.set(this.timestamps);
    const vs = new Float64Array(n);
    vs.set(this.values);
    this.timestamps = ts;
    this.values = vs;
  }
}

function appenderClosed(): VigilError {
  return new VigilError(
    ErrorCodes.APPENDER_CLOSED,
    'This appender was already committed or rolled back; take a new one from appender().',
  );
}
