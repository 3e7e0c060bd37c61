import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { STALE_NAN, isStaleNaN, newLabelMatcher } from '@vigil/model';
import { Registry } from '@vigil/sdk';
import { seededRandom } from '@vigil/testing';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { TSDB_FILE_NAME } from './schema.js';
import { collect, openForTest, render, tempDir } from './test-support.js';
import type { Sample } from './test-support.js';
import type { TsdbLogger } from './tsdb.js';

const M = newLabelMatcher;
const dirs: (() => void)[] = [];
after(() => {
  for (const c of dirs) c();
});
function dir(): string {
  const d = tempDir();
  dirs.push(d.cleanup);
  return d.dir;
}

function code(expected: string): (err: unknown) => true {
  return (err: unknown) => {
    assert.equal((err as { code?: string }).code, expected, String(err));
    return true;
  };
}

const UP_A = ['__name__', 'up', 'instance', 'a', 'job', 'node'];
const UP_B = ['__name__', 'up', 'instance', 'b', 'job', 'node'];
const REQ = ['__name__', 'http_requests_total', 'job', 'api', 'route', '/users'];

function series(n: number, from: number, step: number, value: (i: number) => number): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) out.push({ t: from + i * step, v: value(i) });
  return out;
}

function metricValue(reg: Registry, text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  assert.ok(line !== undefined, `${name} exposed`);
  void reg;
  return Number(line.split(' ').pop());
}

class RecordingLogger implements TsdbLogger {
  lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', fields, message });
  }
}

describe('appending and querying', () => {
  test('samples across many chunks come back exactly, with head and persisted chunks merged', async () => {
    const db = openForTest(dir());
    const rand = seededRandom(7);
    const want = series(1000, 1_700_000_000_000, 15_000, (i) =>
      i % 97 === 0 ? STALE_NAN : Math.round(rand() * 1e6) / 1000,
    );
    let ref = 0;
    for (let b = 0; b < want.length; b += 37) {
      const app = db.appender();
      for (const s of want.slice(b, b + 37)) ref = app.append(ref, UP_A, s.t, s.v);
      await app.commit();
    }
    const st = db.stats();
    assert.equal(st.samples, 1000);
    assert.ok(st.persistedChunks >= 7, `chunks written: ${st.persistedChunks}`);
    const got = collect(db);
    assert.equal(got.length, 1);
    assert.deepEqual(render(got[0]!.samples), render(want));
    assert.ok(isStaleNaN(got[0]!.samples[0]!.v));
    db.close();
  });

  test('ranges are inclusive and trim samples; series without samples in range are left out', async () => {
    const db = openForTest(dir());
    const app = db.appender();
    for (const s of series(300, 0, 10, (i) => i)) app.append(0, UP_A, s.t, s.v);
    app.append(0, UP_B, 5000, 1);
    await app.commit();
    // Gap inside one chunk range of UP_B: no sample in [100, 200].
    const b2 = db.appender();
    b2.append(0, UP_B, 9000, 2);
    await b2.commit();
    const got = collect(db, [M('=', '__name__', 'up')], 100, 200);
    assert.equal(got.length, 1);
    assert.deepEqual(
      got[0]!.samples.map((s) => s.t),
      series(11, 100, 10, () => 0).map((s) => s.t),
    );
    const q = db.querier(6000, 8000);
    assert.deepEqual(q.labelValues('instance'), []);
    assert.deepEqual(q.labelNames(), []);
    q.close();
    const q2 = db.querier(5000, 9000);
    assert.deepEqual(q2.labelValues('instance'), ['b']);
    q2.close();
    db.close();
  });

  test('matchers: equality, regex, negations and matchers that match the empty string', async () => {
    const db = openForTest(dir());
    const app = db.appender();
    app.append(0, UP_A, 1, 1);
    app.append(0, UP_B, 1, 1);
    app.append(0, REQ, 1, 1);
    app.append(0, ['__name__', 'up', 'instance', 'c'], 1, 1);
    await app.commit();
    const names = (ms: Parameters<typeof collect>[1]): string[] =>
      collect(db, ms).map((s) => s.labels.join(','));
    assert.equal(names([M('=', 'job', 'node')]).length, 2);
    assert.equal(names([M('=~', 'instance', 'a|b')]).length, 2);
    assert.equal(names([M('!=', 'job', 'node')]).length, 2, 'REQ and the series without job');
    assert.equal(names([M('=', 'job', '')]).length, 1, 'series without job');
    assert.equal(names([M('!~', 'instance', 'a|c')]).length, 2, 'b and REQ (no instance)');
    assert.equal(names([M('=~', 'job', 'node|')]).length, 3, 'node or no job');
    assert.equal(names([M('=', '__name__', 'up'), M('!=', 'instance', 'a')]).length, 2);
    assert.equal(names([M('=', 'nope', 'x')]).length, 0);
    assert.equal(names([]).length, 4);
    const q = db.querier(0, 10);
    assert.deepEqual(q.labelValues('instance', [M('=', 'job', 'node')]), ['a', 'b']);
    assert.deepEqual(q.labelNames([M('=', 'job', 'api')]), ['__name__', 'job', 'route']);
    q.close();
    db.close();
  });

  test('iterators seek forward within and across chunks and never go back', async () => {
    const db = openForTest(dir());
    const app = db.appender();
    for (const s of series(500, 0, 10, (i) => i)) app.append(0, UP_A, s.t, s.v);
    await app.commit();
    db.checkpoint();
    const q = db.querier(0, 4990);
    const set = q.select([]);
    assert.ok(set.next());
    const it = set.at().iterator();
    assert.ok(it.seek(1234));
    assert.equal(it.timestampMs(), 1240);
    assert.ok(it.seek(100), 'stays');
    assert.equal(it.timestampMs(), 1240);
    assert.ok(it.next());
    assert.equal(it.timestampMs(), 1250);
    assert.ok(it.seek(3600));
    assert.equal(it.value(), 360);
    assert.equal(it.seek(5000), false);
    assert.equal(it.next(), false);
    q.close();
    db.close();
  });

  test('newestSample() gives the last committed sample in range without decoding, bits exact, also after reopen', async () => {
    const d = dir();
    let db = openForTest(d);
    const app = db.appender();
    for (const s of series(300, 0, 10, (i) => i)) app.append(0, UP_A, s.t, s.v);
    app.append(0, UP_B, 0, 1);
    app.append(0, UP_B, 2990, STALE_NAN);
    await app.commit();
    const newest = (mint: number, maxt: number): Map<string, { t: number; v: number }> => {
      const q = db.querier(mint, maxt);
      const set = q.select([newLabelMatcher('=', '__name__', 'up')]);
      const out = new Map<string, { t: number; v: number }>();
      while (set.next()) {
        const n = set.at().newestSample?.();
        if (n !== undefined) out.set(set.at().labels[3]!, { t: n.timestampMs, v: n.value });
      }
      q.close();
      return out;
    };
    for (let round = 0; round < 2; round++) {
      const all = newest(2000, 2990);
      assert.deepEqual(all.get('a'), { t: 2990, v: 299 });
      assert.equal(all.get('b')?.t, 2990);
      assert.ok(isStaleNaN(all.get('b')!.v), 'the staleness marker keeps its bits');
      // The last sample is after the range: the store does not know the newest in range.
      assert.equal(newest(0, 2980).get('a'), undefined);
      db.checkpoint();
      db.close();
      db = openForTest(d);
    }
    db.close();
  });
});

describe('append rules', () => {
  test('out-of-order and duplicate samples are rejected, counted, and the batch goes on', async () => {
    const registry = new Registry();
    const db = openForTest(dir(), { registry });
    const a = db.appender();
    const ref = a.append(0, UP_A, 100, 1);
    a.append(ref, [], 200, 2);
    assert.throws(() => a.append(ref, [], 150, 3), code('SAMPLE_OUT_OF_ORDER'));
    assert.throws(() => a.append(ref, [], 200, 3), code('SAMPLE_DUPLICATE'));
    assert.equal(a.append(ref, [], 200, 2), ref, 'same time and bits: ignored');
    a.append(ref, [], 300, STALE_NAN);
    assert.throws(() => a.append(ref, [], 300, NaN), code('SAMPLE_DUPLICATE'));
    a.append(ref, [], 300, STALE_NAN);
    await a.commit();
    assert.throws(() => a.append(ref, [], 400, 1), code('APPENDER_CLOSED'));
    assert.throws(() => a.rollback(), code('APPENDER_CLOSED'));
    const b = db.appender();
    assert.throws(() => b.append(ref, [], 250, 1), code('SAMPLE_OUT_OF_ORDER'));
    assert.throws(
      () => b.append(0, ['__name__', 'x', 'bad-name', 'v'], 1, 1),
      code('SERIES_LABELS_INVALID'),
    );
    assert.throws(() => b.append(0, ['job', 'x'], 1, 1), code('SERIES_LABELS_INVALID'));
    assert.throws(() => b.append(ref, [], 1.5, 1), code('SAMPLE_OUT_OF_BOUNDS'));
    assert.throws(() => b.append(ref, [], 2 ** 60, 1), code('SAMPLE_OUT_OF_BOUNDS'));
    b.rollback();
    const text = await registry.metrics();
    assert.equal(metricValue(registry, text, 'vigil_tsdb_out_of_order_samples_total'), 4);
    assert.equal(metricValue(registry, text, 'vigil_tsdb_samples_appended_total'), 3);
    assert.equal(metricValue(registry, text, 'vigil_tsdb_head_series'), 1);
    assert.equal(metricValue(registry, text, 'vigil_tsdb_out_of_bounds_samples_total'), 2);
    assert.match(text, /vigil_tsdb_commit_duration_seconds_bucket/);
    assert.match(text, /vigil_tsdb_storage_size_bytes \d+/);
    db.close();
  });

  test('a rolled-back batch leaves no series and no samples, also after reopen', () => {
    const d = dir();
    let db = openForTest(d);
    const a = db.appender();
    a.append(0, UP_A, 1, 1);
    a.rollback();
    assert.equal(db.stats().series, 0);
    assert.deepEqual(collect(db), []);
    db.close();
    db = openForTest(d);
    assert.deepEqual(collect(db), []);
    db.close();
  });

  test('the store is closed for appenders and queriers after close()', async () => {
    const db = openForTest(dir());
    const a = db.appender();
    a.append(0, UP_A, 1, 1);
    db.close();
    assert.throws(() => db.appender(), code('STORAGE_CLOSED'));
    assert.throws(() => db.querier(0, 1), code('STORAGE_CLOSED'));
    assert.throws(() => a.append(0, UP_A, 2, 2), code('STORAGE_CLOSED'));
    await assert.rejects(a.commit(), code('STORAGE_CLOSED'));
    db.close();
  });
});

describe('persistence and recovery', () => {
  test('reopen recovers persisted chunks, head snapshots and WAL records, bits exact', async () => {
    const d = dir();
    let db = openForTest(d);
    const want = series(250, 1000, 1000, (i) => (i === 249 ? STALE_NAN : i * 1.5));
    const app = db.appender();
    for (const s of want.slice(0, 130)) app.append(0, UP_A, s.t, s.v);
    await app.commit();
    db.checkpoint(); // chunk 1 persisted, 10 samples in a head snapshot, WAL empty
    assert.equal(db.stats().walRecords, 0);
    const app2 = db.appender();
    for (const s of want.slice(130)) app2.append(0, UP_A, s.t, s.v);
    await app2.commit(); // in a WAL record only
    const reg = new Registry();
    // A second handle in this process is refused while the first holds the lock.
    assert.throws(() => openForTest(d), code('TSDB_LOCKED'));
    // Close without the final checkpoint, as a crash would: the last batch is
    // only in a WAL record.
    (db as unknown as { checkpoint: () => void }).checkpoint = () => {};
    db.close();
    db = openForTest(d, { registry: reg });
    const got = collect(db);
    assert.deepEqual(render(got[0]!.samples), render(want));
    // The newest sample is known after recovery: same sample ignored, other value rejected.
    const app3 = db.appender();
    app3.append(0, UP_A, 250_000, STALE_NAN);
    assert.throws(() => app3.append(0, UP_A, 250_000, 1), code('SAMPLE_DUPLICATE'));
    assert.throws(() => app3.append(0, UP_A, 10, 1), code('SAMPLE_OUT_OF_ORDER'));
    app3.append(0, UP_A, 251_000, 7);
    await app3.commit();
    db.close();
    db = openForTest(d);
    assert.equal(collect(db)[0]!.samples.length, 251);
    db.close();
  });

  test("synchronous: 'full' commits and recovers like the default", async () => {
    const d = dir();
    let db = openForTest(d, { synchronous: 'full' });
    const app = db.appender();
    app.append(0, UP_A, 1, 1);
    await app.commit();
    (db as unknown as { checkpoint: () => void }).checkpoint = () => {};
    db.close();
    db = openForTest(d, { synchronous: 'full' });
    assert.deepEqual(render(collect(db)[0]!.samples), render([{ t: 1, v: 1 }]));
    db.close();
  });

  test('a second process gets TSDB_LOCKED while the store is open', () => {
    const d = dir();
    const db = openForTest(d);
    const script = `
      import('${new URL('./tsdb.js', import.meta.url).href}').then((m) => {
        try { m.openTsdb(${JSON.stringify(d)}, { maintenanceIntervalMs: 0 }); console.log('opened'); }
        catch (e) { console.log(e.code); }
      });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(r.stdout.trim(), 'TSDB_LOCKED', r.stderr);
    db.close();
    const r2 = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(r2.stdout.trim(), 'opened', r2.stderr);
  });

  test('checkpoints keep the WAL from accumulating', async () => {
    const db = openForTest(dir(), { checkpointWalSamples: 5000 });
    const refs = new Array<number>(100).fill(0);
    for (let step = 0; step < 200; step++) {
      const app = db.appender();
      for (let i = 0; i < 100; i++) {
        refs[i] = app.append(refs[i]!, ['__name__', 'm', 'i', String(i)], step * 1000, step);
      }
      await app.commit();
    }
    const st = db.stats();
    assert.ok(st.walRecords <= 50, `WAL records: ${st.walRecords}`);
    assert.equal(st.samples, 20_000);
    db.close();
  });
});

describe('corruption', () => {
  test('a damaged chunk row is skipped with a warning and counted; open never fails', async () => {
    const d = dir();
    let db = openForTest(d);
    const app = db.appender();
    for (const s of series(360, 0, 1000, (i) => i)) app.append(0, UP_A, s.t, s.v);
    await app.commit();
    db.close();
    const raw = new Database(join(d, TSDB_FILE_NAME));
    const row = raw.prepare('SELECT id, data FROM recent_chunks ORDER BY mint LIMIT 1').get() as {
      id: number;
      data: Buffer;
    };
    row.data[row.data.length - 2] = row.data[row.data.length - 2]! ^ 0x5a;
    raw.prepare('UPDATE recent_chunks SET data = ? WHERE id = ?').run(row.data, row.id);
    raw.close();
    const registry = new Registry();
    const logger = new RecordingLogger();
    db = openForTest(d, { registry, logger });
    const q = db.querier(0, 1e9);
    const set = q.select([]);
    assert.ok(set.next());
    const it = set.at().iterator();
    let n = 0;
    while (it.next()) n++;
    assert.equal(n, 240, 'the other two chunks are read');
    assert.equal(set.warnings().length, 1);
    q.close();
    const text = await registry.metrics();
    assert.match(text, /vigil_tsdb_corruptions_total\{kind="chunk"\} 1/);
    assert.ok(logger.lines.some((l) => l.level === 'error'));
    db.close();
  });

  test('a damaged WAL record or head snapshot is skipped and counted on open', async () => {
    const d = dir();
    let db = openForTest(d);
    const a1 = db.appender();
    a1.append(0, UP_A, 1, 1);
    a1.append(0, UP_B, 1, 1);
    await a1.commit();
    db.checkpoint(); // snapshots of both head chunks
    const a2 = db.appender();
    a2.append(0, UP_A, 2, 2);
    await a2.commit();
    const a3 = db.appender();
    a3.append(0, UP_A, 3, 3);
    await a3.commit();
    // Close without checkpoint: keep WAL records to damage.
    (db as unknown as { checkpoint: () => void }).checkpoint = () => {};
    db.close();
    const raw = new Database(join(d, TSDB_FILE_NAME));
    const rec = raw.prepare('SELECT seq, data FROM wal ORDER BY seq LIMIT 1').get() as {
      seq: number;
      data: Buffer;
    };
    rec.data[rec.data.length - 1] = rec.data[rec.data.length - 1]! ^ 1;
    raw.prepare('UPDATE wal SET data = ? WHERE seq = ?').run(rec.data, rec.seq);
    raw.prepare("UPDATE head_chunks SET data = X'01' WHERE group_id = 0").run();
    raw.close();
    const registry = new Registry();
    db = openForTest(d, { registry });
    const got = collect(db);
    // The snapshot group of both series is damaged: sample 1 of each is lost;
    // the damaged record (2) is lost; record 3 is replayed.
    assert.deepEqual(
      got.map((s) => [s.labels[3], s.samples.map((x) => x.t)]),
      [['a', [3]]],
    );
    const text = await registry.metrics();
    assert.match(text, /vigil_tsdb_corruptions_total\{kind="wal_record"\} 1/);
    assert.match(text, /vigil_tsdb_corruptions_total\{kind="head_chunk"\} 1/);
    // Still writable.
    const a4 = db.appender();
    a4.append(0, UP_B, 10, 10);
    await a4.commit();
    db.close();
  });

  test('a file that is not a store gives TSDB_CORRUPT', async () => {
    const d = dir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(d, TSDB_FILE_NAME), 'this is not sqlite, just text '.repeat(200));
    assert.throws(() => openForTest(d), code('TSDB_CORRUPT'));
  });

  test('a store without a table of the format (an older development build) gives TSDB_CORRUPT and is left as it was', async () => {
    const d = dir();
    const db = openForTest(d);
    const a = db.appender();
    a.append(0, UP_A, 1000, 1);
    await a.commit();
    db.close();
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(join(d, TSDB_FILE_NAME));
    raw.exec('DROP TABLE recent_chunks');
    const seriesBefore = raw.prepare('SELECT count(*) FROM series').pluck().get();
    raw.close();
    assert.throws(
      () => openForTest(d),
      (err: Error & { code?: string }) =>
        err.code === 'TSDB_CORRUPT' &&
        /lacks the table\(s\) recent_chunks/.test(err.message) &&
        /older development build/.test(err.message),
    );
    const again = new Database(join(d, TSDB_FILE_NAME));
    assert.equal(again.prepare('SELECT count(*) FROM series').pluck().get(), seriesBefore);
    again.close();
  });
});

describe('retention and compaction', () => {
  test('time retention deletes whole old chunks and series without data', async () => {
    const db = openForTest(dir(), { retentionMs: 3_600_000 });
    const app = db.appender();
    // Old series: 2 h of data long ago. Live series: 3 h up to now.
    for (const s of series(240, 0, 30_000, (i) => i)) app.append(0, UP_A, s.t, s.v);
    for (const s of series(360, 10_000_000, 30_000, (i) => i)) app.append(0, UP_B, s.t, s.v);
    await app.commit();
    db.checkpoint();
    const deleted = db.applyRetention();
    assert.ok(deleted >= 3, `deleted ${deleted}`);
    const got = collect(db);
    assert.equal(got.length, 1, 'UP_A removed');
    assert.deepEqual(got[0]!.labels, UP_B);
    const maxT = 10_000_000 + 359 * 30_000;
    for (const s of got[0]!.samples) assert.ok(s.t >= maxT - 3_600_000 - 120 * 30_000);
    assert.equal(db.stats().series, 1);
    const late = db.appender();
    assert.throws(() => late.append(0, UP_A, 5, 1), code('SAMPLE_OUT_OF_BOUNDS'));
    late.rollback();
    db.close();
  });

  test('the maintenance timer writes chunks, checkpoints and applies retention by itself', async () => {
    const registry = new Registry();
    const db = openForTest(dir(), {
      registry,
      retentionMs: 600_000,
      maintenanceIntervalMs: 5,
      checkpointIntervalMs: 5,
      retentionIntervalMs: 5,
    });
    const app = db.appender();
    for (const s of series(240, 0, 10_000, (i) => i)) app.append(0, UP_A, s.t, s.v);
    for (const s of series(10, 5_000_000, 1000, (i) => i)) app.append(0, UP_B, s.t, s.v);
    await app.commit();
    const deadline = Date.now() + 5000;
    while (db.stats().series > 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const st = db.stats();
    assert.equal(st.series, 1, 'UP_A is older than the retention and was removed');
    assert.equal(st.walRecords, 0, 'checkpointed');
    const text = await registry.metrics();
    assert.match(text, /vigil_tsdb_retention_deleted_chunks_total 2/);
    assert.match(text, /vigil_tsdb_series_removed_total 1/);
    assert.match(text, /vigil_tsdb_head_series 1/);
    db.close();
  });

  test('size retention deletes the oldest chunks until the store fits', async () => {
    const d = dir();
    let db = openForTest(d);
    const rand = seededRandom(3);
    const refs = new Array<number>(60).fill(0);
    for (let b = 0; b < 12; b++) {
      const app = db.appender();
      for (let i = 0; i < 60; i++) {
        for (let k = 0; k < 100; k++) {
          const t = (b * 100 + k) * 1000;
          refs[i] = app.append(refs[i]!, ['__name__', 'r', 'i', String(i)], t, rand());
        }
      }
      await app.commit();
    }
    db.close();
    db = openForTest(d);
    const full = db.stats();
    db.close();
    const limit = full.bytesOnDisk - 250_000;
    db = openForTest(d, { retentionBytes: limit });
    const deleted = db.applyRetention();
    const st = db.stats();
    assert.ok(deleted > 0);
    assert.ok(st.bytesOnDisk <= limit, `${st.bytesOnDisk} <= ${limit}`);
    assert.ok(st.persistedSamples < full.persistedSamples);
    // What is left of each series is its newest data, contiguous up to the end.
    const got = collect(db);
    assert.equal(got.length, 60);
    for (const s of got) {
      const ts = s.samples.map((x) => x.t);
      assert.equal(ts[ts.length - 1], 1_199_000);
      assert.equal(ts.length, (ts[ts.length - 1]! - ts[0]!) / 1000 + 1, 'no holes');
    }
    db.close();
  });

  test('compaction merges the 120-sample chunks of closed windows and keeps every sample', async () => {
    const d = dir();
    let db = openForTest(d, { compactionWindowMs: 3_600_000 });
    const rand = seededRandom(11);
    const want = new Map<string, Sample[]>();
    const labelsOf = (i: number): string[] => ['__name__', 'g', 'i', String(i)];
    const refs = [0, 0, 0, 0];
    for (let step = 0; step < 2000; step++) {
      const app = db.appender();
      for (let i = 0; i < 4; i++) {
        const t = step * 10_000 + i;
        const v = i === 0 ? step : Math.round(rand() * 100);
        refs[i] = app.append(refs[i]!, labelsOf(i), t, v);
        const list = want.get(String(i)) ?? [];
        list.push({ t, v });
        want.set(String(i), list);
      }
      await app.commit();
    }
    db.checkpoint();
    const before = db.stats();
    assert.ok(before.persistedChunks > 0);
    const merged = db.compact();
    assert.ok(merged > 0, 'rows merged');
    const after = db.stats();
    assert.ok(after.persistedChunks < before.persistedChunks);
    assert.equal(after.samples, 8000);
    db.close();
    db = openForTest(d);
    for (const s of collect(db)) {
      assert.deepEqual(render(s.samples), render(want.get(s.labels[3]!)!));
    }
    db.compact(true); // the open window too; every sample must survive it (checked below)
    for (const s of collect(db)) {
      assert.deepEqual(render(s.samples), render(want.get(s.labels[3]!)!));
    }
    db.close();
  });

  test('before its window closes, every four 120-sample rows of a series become one, samples intact', async () => {
    const d = dir();
    let db = openForTest(d, { compactionWindowMs: 24 * 3_600_000 });
    const want: Sample[] = [];
    let ref = 0;
    // 1,000 samples at 15 s: about 4 h, inside one 24 h window, so window
    // compaction does not run and only the merge of recent rows can.
    const from = 1_764_028_800_000; // a window start (a multiple of 24 h)
    for (let i = 0; i < 1000; i++) {
      const app = db.appender();
      const t = from + i * 15_000;
      const v = i % 7 === 0 ? STALE_NAN : i * 1.5;
      ref = app.append(ref, REQ, t, v);
      want.push({ t, v });
      await app.commit();
      if (i % 10 === 0) db.maintain();
    }
    db.maintain();
    // 8 completed chunks of 120: two merged rows of 480; the rest is in the head.
    assert.equal(db.stats().persistedChunks, 2);
    assert.equal(db.stats().persistedSamples, 960);
    assert.deepEqual(render(collect(db)[0]!.samples), render(want));
    db.close();
    const file = new Database(join(d, TSDB_FILE_NAME), { readonly: true });
    const rows = file.prepare('SELECT samples FROM recent_chunks ORDER BY mint').pluck().all();
    file.close();
    assert.deepEqual(rows, [480, 480]);
    db = openForTest(d, { compactionWindowMs: 24 * 3_600_000 });
    assert.deepEqual(render(collect(db)[0]!.samples), render(want));
    assert.equal(db.stats().persistedChunks, 2);
    db.close();
  });
});
