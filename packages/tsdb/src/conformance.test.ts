import { after } from 'node:test';
import { describeStorageConformance } from '@vigil/storage/conformance';
import type { StorageUnderTest } from '@vigil/storage/conformance';
import type { Appendable, Appender, Queryable } from '@vigil/storage';
import { openTsdb } from './tsdb.js';
import type { Tsdb, TsdbOptions } from './tsdb.js';
import { tempDir } from './test-support.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function underTest(dir: string, options: TsdbOptions): StorageUnderTest {
  const db: Tsdb = openTsdb(dir, options);
  return {
    storage: db,
    close: () => {
      db.close();
      return Promise.resolve();
    },
    reopen: () => {
      db.close();
      return Promise.resolve(underTest(dir, options));
    },
  };
}

// The store as a server runs it: background maintenance on, a short interval
// so that checkpoints and chunk writes happen while the suite runs. No time
// retention: the suite writes timestamps decades apart.
describeStorageConformance('Tsdb', () => {
  const { dir, cleanup } = tempDir('vigil-tsdb-conformance-');
  cleanups.push(cleanup);
  return Promise.resolve(
    underTest(dir, { retentionMs: 0, maintenanceIntervalMs: 5, checkpointIntervalMs: 10 }),
  );
});

// Every commit followed by a checkpoint and a compaction of everything
// (`compact(true)`): reads then come from head snapshots and compacted rows.
function compactingAfterCommit(dir: string, options: TsdbOptions): StorageUnderTest {
  const db: Tsdb = openTsdb(dir, options);
  const storage: Appendable & Queryable = {
    appender: (): Appender => {
      const inner = db.appender();
      return {
        append: (ref, labels, t, v) => inner.append(ref, labels, t, v),
        rollback: () => inner.rollback(),
        commit: async () => {
          await inner.commit();
          db.checkpoint();
          db.compact(true);
        },
      };
    },
    querier: (mint, maxt) => db.querier(mint, maxt),
  };
  return {
    storage,
    close: () => {
      db.close();
      return Promise.resolve();
    },
    reopen: () => {
      db.close();
      return Promise.resolve(compactingAfterCommit(dir, options));
    },
  };
}

describeStorageConformance('Tsdb, checkpoint and full compaction after every commit', () => {
  const { dir, cleanup } = tempDir('vigil-tsdb-conformance-');
  cleanups.push(cleanup);
  return Promise.resolve(
    compactingAfterCommit(dir, {
      retentionMs: 0,
      maintenanceIntervalMs: 0,
      compactionWindowMs: 1000,
    }),
  );
});
