import { describeStorageConformance } from './conformance.js';
import type { StorageUnderTest } from './conformance.js';
import { MemoryStorage } from './memory.js';

function plain(storage: MemoryStorage): StorageUnderTest {
  return {
    storage,
    close: () => {
      storage.close();
      return Promise.resolve();
    },
  };
}

/**
 * A stand-in for a durable store: "reopen" copies every committed sample
 * into a fresh MemoryStorage and closes the old one. It exercises the
 * suite's reopen paths (and MemoryStorage as a copy target).
 */
function copying(storage: MemoryStorage): StorageUnderTest {
  return {
    storage,
    close: () => {
      storage.close();
      return Promise.resolve();
    },
    reopen: async () => {
      const next = new MemoryStorage();
      const q = storage.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      const set = q.select([]);
      const app = next.appender();
      while (set.next()) {
        const series = set.at();
        const it = series.iterator();
        let ref = 0;
        while (it.next()) ref = app.append(ref, series.labels, it.timestampMs(), it.value());
      }
      q.close();
      await app.commit();
      storage.close();
      return copying(next);
    },
  };
}

describeStorageConformance('MemoryStorage', () => Promise.resolve(plain(new MemoryStorage())));

describeStorageConformance('MemoryStorage, reopened by copying', () =>
  Promise.resolve(copying(new MemoryStorage())),
);
