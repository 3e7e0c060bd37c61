// instrumentPg against a real PostgreSQL (Debian's, started per test file):
// pools and clients, promises and callbacks, failures, transactions, and
// parameters that must never reach a span or a log line.
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import pg from 'pg';
import { isVigilError } from '@vigil/model';
import { startPostgres } from '@vigil/testing';
import type { PostgresPeer } from '@vigil/testing';
import { Registry } from '../metrics/index.js';
import { instrumentPg } from './index.js';
import type { DbInstrumentationOptions } from './index.js';
import {
  captureDiagnostics,
  captureLogger,
  durations,
  memoryTracing,
  queries,
  spanText,
} from './testdata/helpers.js';

const SECRET = 'tr0ub4dor-&-3-secret';

describe('instrumentPg against PostgreSQL', () => {
  let peer: PostgresPeer | undefined;
  let skipped: string | undefined;

  before(async () => {
    peer = await startPostgres((m) => (skipped = m));
  });

  after(async () => {
    await peer?.stop();
  });

  /** An instrumented pool on the test server, ended with the test. */
  function pool(t: TestContext, options: DbInstrumentationOptions = {}): pg.Pool {
    const p = instrumentPg(new pg.Pool({ connectionString: peer!.connectionString, max: 4 }), {
      registry: new Registry(),
      ...options,
    });
    t.after(() => p.end());
    return p;
  }

  /** An instrumented, connected client on the test server, ended with the test. */
  async function client(t: TestContext, registry: Registry): Promise<pg.Client> {
    const c = instrumentPg(new pg.Client({ connectionString: peer!.connectionString }), {
      registry,
    });
    await c.connect();
    t.after(() => c.end());
    return c;
  }

  test('pool.query with a promise: metric, span with connection attributes, no values', async (t) => {
    if (skipped) return t.skip(skipped);
    const { spans } = memoryTracing(t);
    const registry = new Registry();
    const p = pool(t, { registry });
    const result = await p.query('SELECT $1::text AS v', [SECRET]);
    assert.equal(result.rows[0].v, SECRET);

    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'ok'), 1);
    assert.equal(await durations(registry, 'postgresql', 'SELECT'), 1);
    const [span] = spans();
    assert.ok(span);
    assert.equal(span.name, 'SELECT');
    assert.equal(span.kind, SpanKind.CLIENT);
    assert.deepEqual(span.attributes, {
      'db.system.name': 'postgresql',
      'db.namespace': 'postgres',
      'server.address': '127.0.0.1',
      'server.port': peer!.port,
      'db.operation.name': 'SELECT',
      'db.query.text': 'SELECT $1::text AS v',
    });
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.ok(!spanText(span).includes(SECRET));
    assert.doesNotMatch(await registry.metrics(), /tr0ub4dor/);
  });

  test('pool.query with callbacks, each query counted once', async (t) => {
    if (skipped) return t.skip(skipped);
    const { spans } = memoryTracing(t);
    const registry = new Registry();
    const p = pool(t, { registry });
    const withValues = await new Promise<pg.QueryResult>((resolve, reject) =>
      p.query('SELECT $1::int + 1 AS n', [41], (err, res) => (err ? reject(err) : resolve(res))),
    );
    assert.equal(withValues.rows[0].n, 42);
    const plain = await new Promise<pg.QueryResult>((resolve, reject) =>
      p.query('SELECT 1 AS one', (err: Error, res: pg.QueryResult) =>
        err ? reject(err) : resolve(res),
      ),
    );
    assert.equal(plain.rows[0].one, 1);
    // Concurrent queries through the pool's four clients.
    await Promise.all(Array.from({ length: 20 }, (_, i) => p.query('SELECT $1::int', [i])));
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'ok'), 22);
    assert.equal(spans().length, 22);
  });

  test('clients from pool.connect(), promise and callback forms', async (t) => {
    if (skipped) return t.skip(skipped);
    const registry = new Registry();
    const p = pool(t, { registry });
    const c = await p.connect();
    try {
      await c.query('CREATE TEMP TABLE notes (id serial PRIMARY KEY, body text)');
      await c.query('INSERT INTO notes (body) VALUES ($1)', ['a']);
      const { rows } = await c.query({ text: 'SELECT body FROM notes WHERE id = $1', values: [1] });
      assert.deepEqual(rows, [{ body: 'a' }]);
    } finally {
      c.release();
    }
    await new Promise<void>((resolve, reject) => {
      p.connect((err, c2, release) => {
        if (err || !c2) return reject(err ?? new Error('no client'));
        c2.query('SELECT 2 AS two', (qerr, res) => {
          release();
          if (qerr) return reject(qerr);
          assert.equal(res.rows[0].two, 2);
          resolve();
        });
      });
    });
    assert.equal(await queries(registry, 'postgresql', 'CREATE', 'ok'), 1);
    assert.equal(await queries(registry, 'postgresql', 'INSERT', 'ok'), 1);
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'ok'), 2);
  });

  test('a Client: config objects, prepared statements, callbacks in every position', async (t) => {
    if (skipped) return t.skip(skipped);
    const { spans } = memoryTracing(t);
    const registry = new Registry();
    const c = await client(t, registry);
    await c.query('CREATE TEMP TABLE users (id int PRIMARY KEY, email text)');
    const insert = { name: 'insert-user', text: 'INSERT INTO users VALUES ($1, $2)' };
    await c.query({ ...insert, values: [1, 'a@example.com'] });
    await c.query({ ...insert, values: [2, 'b@example.com'] });
    const byCallback = await new Promise<number>((resolve, reject) =>
      c.query(
        { text: 'SELECT count(*)::int AS n FROM users WHERE id > $1', values: [0] },
        (err: Error | null, res: pg.QueryResult) => (err ? reject(err) : resolve(res.rows[0].n)),
      ),
    );
    assert.equal(byCallback, 2);
    // pg also takes the callback from the config object.
    const config = {
      text: 'UPDATE users SET email = $1 WHERE id = $2',
      values: ['c@example.com', 1],
      callback: undefined as unknown,
    };
    const viaConfig = await new Promise<number | null>((resolve, reject) => {
      config.callback = (err: Error | null, res: pg.QueryResult) =>
        err ? reject(err) : resolve(res.rowCount);
      void c.query(config as never);
    });
    assert.equal(viaConfig, 1);
    // The application's config object keeps its own callback.
    assert.equal(typeof config.callback, 'function');
    assert.notEqual((config.callback as { name?: string }).name, 'instrumentedCallback');

    assert.equal(await queries(registry, 'postgresql', 'INSERT', 'ok'), 2);
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'ok'), 1);
    assert.equal(await queries(registry, 'postgresql', 'UPDATE', 'ok'), 1);
    const names = spans().map((s) => s.name);
    assert.deepEqual(names, [
      'CREATE',
      'INSERT users',
      'INSERT users',
      'SELECT users',
      'UPDATE users',
    ]);
  });

  test('a failing query: the same error object, counted, span status ERROR', async (t) => {
    if (skipped) return t.skip(skipped);
    const { spans } = memoryTracing(t);
    const registry = new Registry();
    const p = pool(t, { registry });
    let seen: unknown;
    await assert.rejects(
      p.query('SELECT * FROM no_such_table WHERE id = $1', [SECRET]).catch((err: unknown) => {
        seen = err;
        throw err;
      }),
      (err: Error & { code?: string }) => err.code === '42P01' && err === seen,
    );
    // Through an uninstrumented pool the error has the same shape.
    const bare = new pg.Pool({ connectionString: peer!.connectionString });
    t.after(() => bare.end());
    const bareErr = await bare.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    assert.equal((bareErr as Error).constructor, (seen as Error).constructor);

    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'error'), 1);
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'ok'), 0);
    const [span] = spans();
    assert.equal(span!.name, 'SELECT no_such_table');
    assert.equal(span!.status.code, SpanStatusCode.ERROR);
    assert.equal(span!.status.message, 'relation "no_such_table" does not exist');
    assert.equal(span!.attributes['error.type'], '42P01');
    assert.equal(span!.attributes['db.response.status_code'], '42P01');
    assert.equal(span!.events[0]!.name, 'exception');
    assert.ok(!spanText(span!).includes(SECRET));

    // A failing callback query: the callback gets the error, the counter counts it.
    const cbErr = await new Promise<unknown>((resolve) =>
      p.query('SELECT 1/0', (err: Error) => resolve(err)),
    );
    assert.equal((cbErr as { code?: string }).code, '22012');
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'error'), 2);
  });

  test('syntax errors, unknown verbs, a null query', async (t) => {
    if (skipped) return t.skip(skipped);
    const { spans } = memoryTracing(t);
    const registry = new Registry();
    const c = await client(t, registry);
    await assert.rejects(c.query('SELEC 1'), { code: '42601' });
    await assert.rejects(c.query('SELECT FROM WHERE'), { code: '42601' });
    assert.equal(await queries(registry, 'postgresql', 'OTHER', 'error'), 1);
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'error'), 1);
    assert.equal(spans()[0]!.name, 'postgresql');
    assert.equal(spans()[0]!.attributes['db.operation.name'], undefined);

    // pg throws synchronously for a null query: the same error, counted.
    assert.throws(() => c.query(null as never), TypeError);
    assert.equal(await queries(registry, 'postgresql', 'OTHER', 'error'), 2);
    // The client still works.
    assert.equal((await c.query('SELECT 1 AS x')).rows[0].x, 1);
  });

  test('transaction verbs are their own operations', async (t) => {
    if (skipped) return t.skip(skipped);
    const registry = new Registry();
    const c = await client(t, registry);
    await c.query('CREATE TEMP TABLE ledger (amount int)');
    await c.query('BEGIN');
    await c.query('INSERT INTO ledger VALUES ($1)', [10]);
    await c.query('SAVEPOINT s1');
    await c.query('INSERT INTO ledger VALUES ($1)', [20]);
    await c.query('ROLLBACK TO SAVEPOINT s1');
    await c.query('RELEASE SAVEPOINT s1');
    await c.query('COMMIT');
    await c.query('START TRANSACTION');
    await c.query('DELETE FROM ledger');
    await c.query('ROLLBACK');
    await c.query('WITH s AS (SELECT sum(amount) AS total FROM ledger) SELECT total FROM s');
    assert.equal((await c.query('SELECT sum(amount)::int AS s FROM ledger')).rows[0].s, 10);
    for (const [op, n] of [
      ['BEGIN', 1],
      ['START', 1],
      ['SAVEPOINT', 1],
      ['RELEASE', 1],
      ['COMMIT', 1],
      ['ROLLBACK', 2],
      ['INSERT', 2],
      ['DELETE', 1],
      ['SELECT', 2],
    ] as const) {
      assert.equal(await queries(registry, 'postgresql', op, 'ok'), n, op);
    }
    assert.doesNotMatch(await registry.metrics(), /operation="WITH"/);
  });

  test('slow queries are logged with the SQL and never the parameters', async (t) => {
    if (skipped) return t.skip(skipped);
    const { spans } = memoryTracing(t);
    const { logger, lines } = captureLogger();
    const registry = new Registry();
    const p = pool(t, { registry, logger, slowQueryThresholdMs: 250 });
    await p.query('SELECT 1');
    await p.query('SELECT pg_sleep(0.3), $1::text AS token', [SECRET]);
    // A slow failure whose message echoes the value (invalid input syntax);
    // the subquery keeps the planner from failing before the sleep.
    await assert.rejects(
      p.query('SELECT (SELECT $1::text FROM pg_sleep(0.3))::int', [SECRET]),
      (err: Error) => err.message.includes(SECRET),
    );
    const logged = lines();
    assert.equal(logged.length, 2, JSON.stringify(logged));
    assert.equal(logged[0]!.db_system, 'postgresql');
    assert.equal(logged[0]!.db_operation, 'SELECT');
    assert.equal(logged[0]!.db_query_text, 'SELECT pg_sleep(0.3), $1::text AS token');
    assert.ok((logged[0]!.duration_ms as number) >= 250);
    assert.equal(logged[1]!.status, 'error');
    assert.equal(logged[1]!.error_type, '22P02');
    const everything = JSON.stringify(logged) + spans().map(spanText).join('');
    assert.ok(!everything.includes(SECRET), everything);
    const failed = spans().at(-1)!;
    assert.match(
      String(failed.status.message),
      /invalid input syntax for type integer: "\[Redacted\]"/,
    );
  });

  test('a submittable pg.Query is recorded from its events', async (t) => {
    if (skipped) return t.skip(skipped);
    const registry = new Registry();
    const c = await client(t, registry);
    const rows: unknown[] = [];
    const query = c.query(new pg.Query('SELECT generate_series(1, 3) AS n'));
    query.on('row', (row: unknown) => rows.push(row));
    await new Promise((resolve) => query.on('end', resolve));
    assert.equal(rows.length, 3);
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'ok'), 1);

    // Failing, with the application's own error listener.
    const failing = c.query(new pg.Query('SELECT * FROM nope'));
    const err = await new Promise((resolve) => failing.on('error', resolve));
    assert.equal((err as { code?: string }).code, '42P01');
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'error'), 1);

    // With a callback: pg reports through it instead of 'error'.
    const viaCallback = await new Promise<unknown>((resolve) => {
      c.query(new pg.Query('SELECT * FROM nope', [], (e: unknown) => resolve(e)));
    });
    assert.equal((viaCallback as { code?: string }).code, '42P01');
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'error'), 2);
  });

  test('instrumenting twice counts once; wrong targets and options are refused', async (t) => {
    if (skipped) return t.skip(skipped);
    const registry = new Registry();
    const p = pool(t, { registry });
    assert.equal(instrumentPg(p, { registry }), p);
    await p.query('SELECT 1');
    assert.equal(await queries(registry, 'postgresql', 'SELECT', 'ok'), 1);
    // The client is not visibly changed.
    const c = await p.connect();
    assert.ok(!Object.keys(c).includes('query'));
    c.release();

    for (const target of [null, 42, {}, { query: 'x' }]) {
      assert.throws(
        () => instrumentPg(target as never),
        (err) => isVigilError(err, 'CONFIG_INVALID'),
      );
    }
    assert.throws(
      () => instrumentPg(new pg.Client(), { slowQueryThresholdMs: -5 }),
      (err) => isVigilError(err, 'CONFIG_INVALID') && /slowQueryThresholdMs/.test(err.message),
    );
  });

  test('a frozen client is reported and returned as is', (t) => {
    if (skipped) return t.skip(skipped);
    const diagnostics = captureDiagnostics(t);
    const frozen = Object.freeze({ query: () => 'ran' });
    assert.equal(instrumentPg(frozen, { registry: new Registry() }), frozen);
    assert.equal(frozen.query(), 'ran');
    assert.equal(diagnostics[0]!.fields.code, 'DB_INSTRUMENTATION_FAILED');
  });
});
