// instrumentSqlite against a real better-sqlite3 database file in a temp dir.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import Database from 'better-sqlite3';
import { isVigilError } from '@vigil/model';
import { Registry } from '../metrics/index.js';
import { instrumentSqlite } from './index.js';
import type { DbInstrumentationOptions } from './index.js';
import {
  captureLogger,
  durations,
  memoryTracing,
  queries,
  sample,
  spanText,
} from './testdata/helpers.js';

const SECRET = 'correct-horse-battery-staple';

/** An instrumented database file in a fresh temp dir; closed and removed with the test. */
function open(
  t: TestContext,
  options: DbInstrumentationOptions = {},
): { db: Database.Database; registry: Registry; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-'));
  const file = join(dir, 'app.db');
  const registry = new Registry();
  const db = instrumentSqlite(new Database(file), { registry, ...options });
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, registry, file };
}

test('run, get, all, exec: results unchanged, counted by operation', async (t) => {
  const { db, registry } = open(t);
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)');
  const insert = db.prepare('INSERT INTO users (email) VALUES (?)');
  assert.equal(insert.run('a@example.com').lastInsertRowid, 1);
  assert.equal(insert.run('b@example.com').changes, 1);
  const byId = db.prepare('SELECT email FROM users WHERE id = ?');
  assert.deepEqual(byId.get(2), { email: 'b@example.com' });
  assert.equal(byId.pluck().get(1), 'a@example.com');
  assert.deepEqual(db.prepare('SELECT id FROM users ORDER BY id').all(), [{ id: 1 }, { id: 2 }]);
  const named = db.prepare('UPDATE users SET email = @email WHERE id = @id');
  assert.equal(named.run({ id: 1, email: 'c@example.com' }).changes, 1);

  assert.equal(await queries(registry, 'sqlite', 'CREATE', 'ok'), 1);
  assert.equal(await queries(registry, 'sqlite', 'INSERT', 'ok'), 2);
  assert.equal(await queries(registry, 'sqlite', 'SELECT', 'ok'), 3);
  assert.equal(await queries(registry, 'sqlite', 'UPDATE', 'ok'), 1);
  assert.equal(await durations(registry, 'sqlite', 'SELECT'), 3);
  // The statement object looks the same to the application.
  assert.deepEqual(Object.keys(byId).sort(), ['busy', 'database', 'reader', 'readonly', 'source']);
});

test('spans: name, kind, attributes with the file as namespace, no bound values', (t) => {
  const { spans } = memoryTracing(t);
  const { db, file } = open(t);
  db.exec('CREATE TABLE tokens (owner TEXT, token TEXT)');
  db.prepare('INSERT INTO tokens VALUES (?, ?)').run('ann', SECRET);
  assert.equal(
    db.prepare('SELECT token FROM tokens WHERE owner = :owner').pluck().get({ owner: 'ann' }),
    SECRET,
  );
  const [create, insert, select] = spans();
  assert.equal(create!.name, 'CREATE');
  assert.equal(insert!.name, 'INSERT tokens');
  assert.equal(select!.name, 'SELECT tokens');
  assert.equal(select!.kind, SpanKind.CLIENT);
  assert.deepEqual(select!.attributes, {
    'db.system.name': 'sqlite',
    'db.namespace': file,
    'db.operation.name': 'SELECT',
    'db.collection.name': 'tokens',
    'db.query.text': 'SELECT token FROM tokens WHERE owner = :owner',
  });
  for (const span of spans()) assert.ok(!spanText(span).includes(SECRET));
});

test('iterate: recorded when the iteration ends or stops, timing the driver only', async (t) => {
  const { spans } = memoryTracing(t);
  const { db, registry } = open(t);
  db.exec('CREATE TABLE n (v INTEGER)');
  const insert = db.prepare('INSERT INTO n VALUES (?)');
  for (let i = 0; i < 10; i++) insert.run(i);
  const select = db.prepare('SELECT v FROM n ORDER BY v');

  const all: number[] = [];
  for (const row of select.iterate() as Iterable<{ v: number }>) all.push(row.v);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(await queries(registry, 'sqlite', 'SELECT', 'ok'), 1);

  // Stopped early by break: recorded, and the statement is usable again.
  const durationSum = async (): Promise<number> =>
    sample(registry, 'db_query_duration_seconds_sum{system="sqlite",operation="SELECT"}');
  const before = await durationSum();
  let bodyMs = 0;
  const started = performance.now();
  for (const row of select.iterate() as Iterable<{ v: number }>) {
    if (row.v === 2) break;
    // Time spent here, outside SQLite, is not the query's.
    const bodyStart = performance.now();
    while (performance.now() < bodyStart + 50);
    bodyMs += performance.now() - bodyStart;
  }
  const wallMs = performance.now() - started;
  const recordedMs = ((await durationSum()) - before) * 1000;
  // Whatever the machine's load: the recorded time and the loop body are
  // disjoint parts of the wall time.
  assert.ok(recordedMs > 0);
  assert.ok(
    recordedMs <= wallMs - bodyMs + 0.5,
    `recorded ${recordedMs} ms of ${wallMs} ms, of which the body took ${bodyMs} ms`,
  );
  assert.equal(await queries(registry, 'sqlite', 'SELECT', 'ok'), 2);
  assert.equal(select.all().length, 10);
  assert.equal(spans().filter((s) => s.name === 'SELECT n').length, 3);
});

test('errors pass through unchanged: constraints, syntax errors at prepare, misuse', async (t) => {
  const { spans } = memoryTracing(t);
  const { db, registry } = open(t);
  db.exec('CREATE TABLE users (email TEXT UNIQUE)');
  const insert = db.prepare('INSERT INTO users VALUES (?)');
  insert.run(SECRET);
  let thrown: unknown;
  assert.throws(
    () => {
      try {
        insert.run(SECRET);
      } catch (err) {
        thrown = err;
        throw err;
      }
    },
    (err: Error & { code?: string }) => err === thrown && err.code === 'SQLITE_CONSTRAINT_UNIQUE',
  );
  assert.equal(await queries(registry, 'sqlite', 'INSERT', 'error'), 1);
  const failed = spans().find((s) => s.status.code === SpanStatusCode.ERROR)!;
  assert.equal(failed.attributes['error.type'], 'SQLITE_CONSTRAINT_UNIQUE');
  assert.equal(failed.attributes['db.response.status_code'], 'SQLITE_CONSTRAINT_UNIQUE');
  assert.ok(!spanText(failed).includes(SECRET));

  // A statement that does not compile is a failed query of its verb.
  assert.throws(() => db.prepare('SELECT * FROM missing_table'), { code: 'SQLITE_ERROR' });
  assert.throws(() => db.prepare('SELEKT 1'), /syntax error/);
  assert.equal(await queries(registry, 'sqlite', 'SELECT', 'error'), 1);
  assert.equal(await queries(registry, 'sqlite', 'OTHER', 'error'), 1);
  assert.throws(() => db.exec('CREATE TABLE users (x)'), /already exists/);
  assert.equal(await queries(registry, 'sqlite', 'CREATE', 'error'), 1);
  // Misuse the driver rejects synchronously: get() on a statement without rows.
  assert.throws(() => insert.get('x'), TypeError);
  assert.equal(await queries(registry, 'sqlite', 'INSERT', 'error'), 2);
  // Hostile input to the driver: still its own error.
  assert.throws(() => db.prepare(42 as never), TypeError);
  assert.throws(() => db.exec(undefined as never), TypeError);
});

test('transactions, pragma and huge statements', async (t) => {
  const { spans } = memoryTracing(t);
  const { db, registry } = open(t);
  assert.equal(db.pragma('journal_mode = WAL', { simple: true }), 'wal');
  db.pragma("key = 'not-a-real-key'");
  db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)');
  const put = db.prepare('INSERT OR REPLACE INTO kv VALUES (?, ?)');
  const putMany = db.transaction((pairs: Array<[string, string]>) => {
    for (const [k, v] of pairs) put.run(k, v);
  });
  putMany([
    ['a', '1'],
    ['b', '2'],
  ]);
  db.exec("BEGIN; INSERT INTO kv VALUES ('c', '3'); COMMIT;");
  assert.equal(await queries(registry, 'sqlite', 'PRAGMA', 'ok'), 2);
  assert.equal(await queries(registry, 'sqlite', 'INSERT', 'ok'), 2);
  assert.equal(await queries(registry, 'sqlite', 'BEGIN', 'ok'), 1);
  const pragmaTexts = spans()
    .filter((s) => s.name === 'PRAGMA')
    .map((s) => s.attributes['db.query.text']);
  assert.deepEqual(pragmaTexts, ['PRAGMA journal_mode', 'PRAGMA key']);

  // A 2 MB INSERT: the span carries a bounded prefix of the text.
  const values = Array.from({ length: 100_000 }, (_, i) => `('k${i}', 'v')`).join(',');
  db.exec(`INSERT INTO kv VALUES ${values}`);
  const huge = spans().at(-1)!;
  assert.equal(huge.name, 'INSERT kv');
  assert.equal((huge.attributes['db.query.text'] as string).length, 2048);
  assert.equal(db.prepare('SELECT count(*) FROM kv').pluck().get(), 100_003);
});

test('slow statements are logged without their bound values', (t) => {
  const { logger, lines } = captureLogger();
  const { db } = open(t, { logger, slowQueryThresholdMs: 250 });
  db.function('slow', (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
    return 1;
  });
  db.prepare('SELECT slow(0), ? AS secret').get(SECRET);
  db.prepare('SELECT slow(300), ? AS secret').get(SECRET);
  const logged = lines();
  assert.equal(logged.length, 1);
  assert.equal(logged[0]!.db_system, 'sqlite');
  assert.equal(logged[0]!.db_operation, 'SELECT');
  assert.equal(logged[0]!.db_query_text, 'SELECT slow(300), ? AS secret');
  assert.ok(!JSON.stringify(logged).includes(SECRET));
});

test('instrumenting twice is harmless; wrong targets are refused', async (t) => {
  const { db, registry } = open(t);
  assert.equal(instrumentSqlite(db, { registry }), db);
  db.prepare('SELECT 1').get();
  assert.equal(await queries(registry, 'sqlite', 'SELECT', 'ok'), 1);
  for (const target of [null, {}, { prepare: () => undefined }]) {
    assert.throws(
      () => instrumentSqlite(target as never),
      (err) => isVigilError(err, 'CONFIG_INVALID'),
    );
  }
});
