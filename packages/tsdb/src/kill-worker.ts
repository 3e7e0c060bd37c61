/**
 * The child process of the kill-9 durability test (kill.test.ts): ingests
 * batches into the store in `argv[2]` as fast as it can and, after each
 * `commit()` resolved, writes the batch number to stdout (synchronously, so
 * a line the parent reads was written after the commit). It resumes after
 * the newest batch the store holds, so successive runs continue one
 * workload. Small checkpoint and compaction settings make crashes land in
 * every phase (commit, chunk write, checkpoint, compaction).
 *
 * Batch `b` holds one sample per series `i` at `killTimestamp(b)` with value
 * `killValue(i, b)`.
 *
 * @internal
 * @module
 */
import { writeSync } from 'node:fs';
import { openTsdb } from './tsdb.js';
import { KILL_SERIES, killLabels, killTimestamp, killValue } from './kill-workload.js';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: kill-worker <dir>');
  const db = openTsdb(dir, {
    retentionMs: 0,
    maintenanceIntervalMs: 20,
    checkpointIntervalMs: 200,
    checkpointWalSamples: 20_000,
    compactionWindowMs: 60_000,
  });
  // Resume after the newest batch in the store.
  const q = db.querier(0, Number.MAX_SAFE_INTEGER);
  let next = 0;
  const set = q.select([]);
  while (set.next()) {
    const it = set.at().iterator();
    let last = -1;
    while (it.next()) last = it.timestampMs();
    if (last >= 0) next = Math.max(next, (last - killTimestamp(0)) / 1000 + 1);
  }
  q.close();
  writeSync(1, `start ${next}\n`);
  const refs = new Array<number>(KILL_SERIES).fill(0);
  for (let b = next; ; b++) {
    const app = db.appender();
    const t = killTimestamp(b);
    for (let i = 0; i < KILL_SERIES; i++)
      refs[i] = app.append(refs[i]!, killLabels(i), t, killValue(i, b));
    await app.commit();
    writeSync(1, `${b}\n`);
    // Let the maintenance timer run now and then.
    if (b % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

main().catch((err: unknown) => {
  writeSync(2, `kill-worker failed: ${String(err)}\n`);
  process.exit(1);
});
