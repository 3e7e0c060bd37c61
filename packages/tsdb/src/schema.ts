import { endianness } from 'node:os';
import Database from 'better-sqlite3';
import { ErrorCodes, VigilError } from '@vigil/model';

/** The on-disk format version stored in `meta.format_version`; see docs/format/tsdb.md. */
export const TSDB_FORMAT_VERSION = 1;

/** The database file inside the store's directory. */
export const TSDB_FILE_NAME = 'vigil-tsdb.sqlite';

/** SQLite page size of new stores (bytes). */
export const TSDB_PAGE_SIZE = 32768;

/** Keys of the `meta` table. */
export const MetaKeys = {
  formatVersion: 'format_version',
  /** The next series id to hand out; ids are never reused. */
  nextSeriesId: 'next_series_id',
  /** WAL records with `seq <=` this are covered by head snapshots and chunks. */
  checkpointSeq: 'checkpoint_seq',
  /** Samples before this time (ms) are rejected and not replayed (set by time retention). */
  minValidTimeMs: 'min_valid_time_ms',
  /** Compaction windows before this time (ms) are done. */
  compactedUntilMs: 'compacted_until_ms',
  /** Rows of `chunks`. */
  chunkRows: 'chunk_rows',
  /** Samples in `chunks`. */
  chunkSamples: 'chunk_samples',
} as const;

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY) WITHOUT ROWID;
CREATE TABLE label_pairs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE series (id INTEGER PRIMARY KEY, pairs BLOB NOT NULL);
CREATE TABLE postings (pair_id INTEGER NOT NULL, series_id INTEGER NOT NULL,
  PRIMARY KEY (pair_id, series_id)) WITHOUT ROWID;
CREATE TABLE chunks (id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, mint INTEGER NOT NULL,
  maxt INTEGER NOT NULL, samples INTEGER NOT NULL, crc INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX chunks_by_series ON chunks (series_id, mint, maxt);
CREATE INDEX chunks_by_maxt ON chunks (maxt);
CREATE TABLE recent_chunks (id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, mint INTEGER NOT NULL,
  maxt INTEGER NOT NULL, samples INTEGER NOT NULL, crc INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX recent_chunks_by_series ON recent_chunks (series_id, mint, maxt);
CREATE INDEX recent_chunks_by_maxt ON recent_chunks (maxt);
CREATE TABLE head_chunks (group_id INTEGER PRIMARY KEY, crc INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE wal (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
`;

/** How commits reach the disk; see `TsdbOptions.synchronous`. */
export type SynchronousMode = 'normal' | 'full';

/**
 * Opens (creating when needed) the store's SQLite database with the store's
 * pragmas and takes the exclusive lock, so a second opener fails.
 *
 * @throws VigilError `TSDB_LOCKED` when another connection holds the
 *   database; `TSDB_CORRUPT` when the file is not a store of a known format.
 */
export function openDatabase(path: string, synchronous: SynchronousMode): Database.Database {
  if (endianness() !== 'LE') {
    throw new VigilError(
      ErrorCodes.TSDB_CORRUPT,
      'The TSDB file format is little-endian and this machine is big-endian; it is not supported.',
    );
  }
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 0 });
  } catch (err) {
    throw new VigilError(ErrorCodes.TSDB_CORRUPT, `Cannot open the TSDB database ${path}.`, {
      cause: err,
    });
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    const fresh = (db.pragma('page_count', { simple: true }) as number) === 0;
    if (fresh) {
      db.pragma(`page_size = ${TSDB_PAGE_SIZE}`);
      db.pragma('auto_vacuum = INCREMENTAL');
    }
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -16384');
    // A write transaction takes the exclusive lock now and keeps it until close.
    db.exec('BEGIN IMMEDIATE');
    if (fresh) {
      db.exec(SCHEMA);
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      put.run(MetaKeys.formatVersion, TSDB_FORMAT_VERSION);
      put.run(MetaKeys.nextSeriesId, 1);
      put.run(MetaKeys.checkpointSeq, 0);
      put.run(MetaKeys.minValidTimeMs, Number.MIN_SAFE_INTEGER);
      put.run(MetaKeys.compactedUntilMs, Number.MIN_SAFE_INTEGER);
      put.run(MetaKeys.chunkRows, 0);
      put.run(MetaKeys.chunkSamples, 0);
    }
    db.exec('COMMIT');
  } catch (err) {
    try {
      db.close();
    } catch {
      // already failing
    }
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new VigilError(
        ErrorCodes.TSDB_LOCKED,
        `The TSDB at ${path} is in use by another process or store instance; stop it or use another directory.`,
        { cause: err },
      );
    }
    throw new VigilError(ErrorCodes.TSDB_CORRUPT, `Cannot open the TSDB database ${path}.`, {
      cause: err,
    });
  }
  let version: unknown;
  try {
    version = db
      .prepare('SELECT value FROM meta WHERE key = ?')
      .pluck()
      .get(MetaKeys.formatVersion);
  } catch (err) {
    db.close();
    throw new VigilError(ErrorCodes.TSDB_CORRUPT, `${path} is not a Vigil TSDB database.`, {
      cause: err,
    });
  }
  if (version !== TSDB_FORMAT_VERSION) {
    db.close();
    throw new VigilError(
      ErrorCodes.TSDB_CORRUPT,
      `${path} has TSDB format version ${String(version)}; this build reads version ${TSDB_FORMAT_VERSION}.`,
    );
  }
  // A file from a development build before the format was fixed can carry
  // the right version without every table: say so, rather than fail later on
  // a statement that names the missing table.
  const tables = new Set(
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
  );
  const missing = [...SCHEMA.matchAll(/CREATE TABLE (\w+)/g)]
    .map((m) => m[1]!)
    .filter((t) => !tables.has(t));
  if (missing.length > 0) {
    db.close();
    throw new VigilError(
      ErrorCodes.TSDB_CORRUPT,
      `${path} lacks the table(s) ${missing.join(', ')} of TSDB format version ${TSDB_FORMAT_VERSION}: it was written by an older development build. Move it away (or delete it) and start again; nothing in it was changed.`,
      { details: { path, missing } },
    );
  }
  return db;
}

/** Reads a numeric meta value. */
export function readMeta(db: Database.Database, key: string): number {
  const v = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key);
  if (typeof v !== 'number' && typeof v !== 'bigint') {
    throw new VigilError(ErrorCodes.TSDB_CORRUPT, `The TSDB meta value ${key} is missing.`);
  }
  return Number(v);
}
