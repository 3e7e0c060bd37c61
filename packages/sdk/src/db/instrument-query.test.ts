// instrumentQuery and the shared recorder: metrics, spans, slow-query logs,
// error pass-through, parameter scrubbing, hostile options, and the rule
// that the instrumentation never throws into the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ErrorCodes } from '@vigil/model';
import { Gauge, Registry } from '../metrics/index.js';
import {
  DB_DURATION_BUCKETS,
  DB_QUERIES_METRIC,
  DB_QUERY_DURATION_METRIC,
  instrumentQuery,
} from './index.js';
import {
  captureDiagnostics,
  captureLogger,
  durations,
  memoryTracing,
  queries,
  sample,
  spanText,
} from './testdata/helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('sync and async success and failure are counted and timed', async () => {
  const registry = new Registry();
  const opts = { registry, system: 'mysql' };
  assert.equal(
    instrumentQuery('SELECT', () => 42, opts),
    42,
  );
  const syncError = new TypeError('bad');
  assert.throws(
    () =>
      instrumentQuery(
        'INSERT',
        () => {
          throw syncError;
        },
        opts,
      ),
    (err) => err === syncError,
  );
  const promise = instrumentQuery('select', () => Promise.resolve({ rows: [1] }), opts);
  assert.ok(promise instanceof Promise);
  assert.deepEqual(await promise, { rows: [1] });
  const asyncError = new RangeError('timeout');
  const stack = asyncError.stack;
  await assert.rejects(
    instrumentQuery(
      'UPDATE',
      async () => {
        await sleep(1);
        throw asyncError;
      },
      opts,
    ),
    (err) => err === asyncError && (err as Error).stack === stack,
  );

  assert.equal(await queries(registry, 'mysql', 'SELECT', 'ok'), 2);
  assert.equal(await queries(registry, 'mysql', 'INSERT', 'error'), 1);
  assert.equal(await queries(registry, 'mysql', 'UPDATE', 'error'), 1);
  assert.equal(await queries(registry, 'mysql', 'UPDATE', 'ok'), 0);
  assert.equal(await durations(registry, 'mysql', 'SELECT'), 2);
  assert.equal(await durations(registry, 'mysql', 'UPDATE'), 1);

  const text = await registry.metrics();
  assert.match(text, /# TYPE db_queries_total counter/);
  assert.match(text, /# TYPE db_query_duration_seconds histogram/);
  // The buckets: 0.5 ms to 10 s.
  assert.match(
    text,
    /db_query_duration_seconds_bucket\{system="mysql",operation="SELECT",le="0.0005"\}/,
  );
  assert.match(
    text,
    /db_query_duration_seconds_bucket\{system="mysql",operation="SELECT",le="10"\}/,
  );
  assert.equal(DB_DURATION_BUCKETS.length, 14);
});

test('operation: SQL verbs upper-cased, driver commands kept, SQL text reduced to its verb', async () => {
  const registry = new Registry();
  const run = (op: string | undefined, queryText?: string) =>
    instrumentQuery(op, () => undefined, { registry, system: 'mongodb', queryText });
  run('delete');
  run('findOne');
  run('SELECT * FROM users WHERE id = 1');
  run('no-such thing at all');
  run(undefined, 'UPDATE t SET a = $1');
  run(undefined);
  run('');
  const text = await registry.metrics();
  const ops = [
    ...text.matchAll(/db_queries_total\{system="mongodb",operation="([^"]*)",status="ok"\}/g),
  ].map((m) => m[1]);
  assert.deepEqual(ops.sort(), ['DELETE', 'OTHER', 'SELECT', 'UPDATE', 'findOne'].sort());
  assert.equal(await queries(registry, 'mongodb', 'OTHER', 'ok'), 3);
  // No label value carries SQL.
  assert.doesNotMatch(text, /users|\$1/);
});

test('distinct custom operations are capped; further ones count as OTHER', async (t) => {
  const diagnostics = captureDiagnostics(t);
  const registry = new Registry();
  for (let i = 0; i < 150; i++) {
    instrumentQuery(`op${i}`, () => undefined, { registry, system: 'custom' });
  }
  const text = await registry.metrics();
  const series = text.match(/^db_queries_total\{system="custom"/gm) ?? [];
  // 100 operations (each with ok and error series) and OTHER.
  assert.equal(series.length, 2 * 100 + 2);
  assert.equal(await queries(registry, 'custom', 'OTHER', 'ok'), 50);
  assert.equal(
    diagnostics.filter((d) => d.fields.code === ErrorCodes.METRIC_CARDINALITY_LIMIT).length,
    1,
  );
});

test('a client span with the semantic-convention name and attributes, active while fn runs', async (t) => {
  const { spans } = memoryTracing(t);
  const registry = new Registry();
  const inner = await instrumentQuery(
    'SELECT',
    async () => {
      await sleep(1);
      return trace.getActiveSpan();
    },
    {
      registry,
      system: 'mysql',
      queryText: 'SELECT * FROM users WHERE id = ?',
      namespace: 'shop',
      serverAddress: 'db.internal',
      serverPort: 3306,
      parameters: [42],
    },
  );
  const [span] = spans();
  assert.ok(span);
  assert.equal(span.name, 'SELECT users');
  assert.equal(span.kind, SpanKind.CLIENT);
  assert.equal(inner?.spanContext().spanId, span.spanContext().spanId);
  assert.deepEqual(span.attributes, {
    'db.system.name': 'mysql',
    'db.namespace': 'shop',
    'server.address': 'db.internal',
    'server.port': 3306,
    'db.operation.name': 'SELECT',
    'db.collection.name': 'users',
    'db.query.text': 'SELECT * FROM users WHERE id = ?',
  });
  assert.equal(span.status.code, SpanStatusCode.UNSET);
  assert.equal(span.instrumentationScope.name, '@vigil/sdk');

  // Without a known operation the span is named after the system.
  instrumentQuery(undefined, () => undefined, { registry, system: 'mysql' });
  assert.equal(spans()[1]!.name, 'mysql');
  assert.equal(spans()[1]!.attributes['db.operation.name'], undefined);
  // Without a table, after the operation.
  instrumentQuery('ping', () => undefined, { registry, system: 'redis' });
  assert.equal(spans()[2]!.name, 'ping');
});

test('a failure: status ERROR, exception event, error.type, parameters scrubbed', async (t) => {
  const { spans } = memoryTracing(t);
  const registry = new Registry();
  const secret = 'hunter2-secret-value';
  const err = Object.assign(new Error(`invalid input syntax for type integer: "${secret}"`), {
    code: '22P02',
  });
  await assert.rejects(
    instrumentQuery('SELECT', () => Promise.reject(err), {
      registry,
      system: 'postgresql',
      queryText: 'SELECT $1::int',
      parameters: [secret, 12345678],
    }),
    (e) => e === err,
  );
  const [span] = spans();
  assert.equal(span!.status.code, SpanStatusCode.ERROR);
  assert.equal(span!.attributes['error.type'], '22P02');
  assert.equal(span!.attributes['db.response.status_code'], '22P02');
  const event = span!.events.find((e) => e.name === 'exception');
  assert.ok(event);
  assert.equal(event.attributes?.['exception.type'], '22P02');
  assert.equal(
    event.attributes?.['exception.message'],
    'invalid input syntax for type integer: "[Redacted]"',
  );
  assert.ok(!spanText(span!).includes(secret));
  assert.ok(!spanText(span!).includes('12345678'));
  // The error itself is untouched.
  assert.ok(err.message.includes(secret));

  // A thrown non-Error, and an error without a code.
  assert.throws(() =>
    instrumentQuery(
      'SELECT',
      () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- drivers may throw anything
        throw 'plain string';
      },
      { registry },
    ),
  );
  assert.equal(spans()[1]!.attributes['error.type'], '_OTHER');
  assert.throws(() =>
    instrumentQuery(
      'SELECT',
      () => {
        throw new SyntaxError('x');
      },
      { registry },
    ),
  );
  assert.equal(spans()[2]!.attributes['error.type'], 'SyntaxError');
  assert.equal(spans()[2]!.attributes['db.response.status_code'], undefined);
});

test('recordQueryText: false keeps the SQL off spans and logs; long text is cut', async (t) => {
  const { spans } = memoryTracing(t);
  const { logger, lines } = captureLogger();
  const registry = new Registry();
  const sql = 'SELECT * FROM users WHERE name = $1';
  await instrumentQuery('SELECT', () => sleep(5), {
    registry,
    logger,
    slowQueryThresholdMs: 0,
    queryText: sql,
    recordQueryText: false,
  });
  assert.equal(spans()[0]!.attributes['db.query.text'], undefined);
  assert.equal(lines()[0]!.db_query_text, undefined);
  // The table still names the span: it is not a value.
  assert.equal(spans()[0]!.name, 'SELECT users');

  const huge = `SELECT * FROM t WHERE id IN (${'1,'.repeat(1_000_000)}1)`;
  await instrumentQuery('SELECT', () => sleep(2), {
    registry,
    logger,
    slowQueryThresholdMs: 0,
    queryText: huge,
    maxQueryTextChars: 100,
  });
  const text = spans()[1]!.attributes['db.query.text'] as string;
  assert.equal(text.length, 100);
  assert.ok(text.endsWith('…'));
  assert.equal(lines()[1]!.db_query_text, text);
});

test('the slow-query log: fields, threshold, no parameters', async () => {
  const { logger, lines } = captureLogger();
  const registry = new Registry();
  const secret = 's3cr3t-param';
  const opts = {
    registry,
    logger,
    system: 'postgresql',
    slowQueryThresholdMs: 250,
    queryText: 'UPDATE accounts SET token = $1 WHERE id = $2',
    parameters: [secret, 1],
  };
  await instrumentQuery('UPDATE', () => Promise.resolve(), opts); // fast: not logged
  await instrumentQuery('UPDATE', () => sleep(300), opts);
  await assert.rejects(
    instrumentQuery(
      'UPDATE',
      async () => {
        await sleep(300);
        throw Object.assign(new Error(`bad ${secret}`), { code: '23505' });
      },
      opts,
    ),
  );
  const logged = lines();
  assert.equal(logged.length, 2);
  const [ok, failed] = logged;
  assert.equal(ok!.level, 40);
  assert.equal(ok!.db_system, 'postgresql');
  assert.equal(ok!.db_operation, 'UPDATE');
  assert.equal(ok!.db_collection, 'accounts');
  assert.equal(ok!.status, 'ok');
  assert.equal(ok!.slow_query_threshold_ms, 250);
  assert.equal(ok!.db_query_text, 'UPDATE accounts SET token = $1 WHERE id = $2');
  assert.ok((ok!.duration_ms as number) >= 250, String(ok!.duration_ms));
  assert.match(
    ok!.msg as string,
    /^slow postgresql query: UPDATE accounts took \d+ ms \(threshold 250 ms\)$/,
  );
  assert.equal(failed!.status, 'error');
  assert.equal(failed!.error_type, '23505');
  assert.ok(!JSON.stringify(logged).includes(secret));
});

test('no tracer provider: no span work, the function runs as is', async () => {
  const registry = new Registry();
  let active: unknown = 'unset';
  instrumentQuery(
    'SELECT',
    () => {
      active = trace.getActiveSpan();
    },
    { registry },
  );
  assert.equal(active, undefined);
  assert.equal(await queries(registry, 'other_sql', 'SELECT', 'ok'), 1);
});

test('metrics are registered once per registry and shared by every system', async () => {
  const registry = new Registry();
  instrumentQuery('SELECT', () => 1, { registry, system: 'a' });
  instrumentQuery('SELECT', () => 1, { registry, system: 'b' });
  instrumentQuery('SELECT', () => 1, { registry, system: 'a' });
  assert.equal(await queries(registry, 'a', 'SELECT', 'ok'), 2);
  assert.equal(await queries(registry, 'b', 'SELECT', 'ok'), 1);
  const names = registry.getMetricsList().map((m) => m.name);
  assert.deepEqual(names.sort(), [DB_QUERIES_METRIC, DB_QUERY_DURATION_METRIC].sort());

  // After registry.clear(), the next query registers them again.
  registry.clear();
  instrumentQuery('SELECT', () => 1, { registry, system: 'a' });
  assert.equal(await queries(registry, 'a', 'SELECT', 'ok'), 1);
});

test('a metric name taken by another type: reported, the query still runs', async (t) => {
  const diagnostics = captureDiagnostics(t);
  const registry = new Registry();
  new Gauge({ name: DB_QUERY_DURATION_METRIC, help: 'Not ours.', registry });
  assert.equal(
    instrumentQuery('SELECT', () => 'rows', { registry }),
    'rows',
  );
  assert.equal(
    instrumentQuery('SELECT', () => 'rows', { registry }),
    'rows',
  );
  assert.equal(
    diagnostics.filter((d) => d.fields.code === ErrorCodes.METRIC_ALREADY_REGISTERED).length,
    1,
  );
  // The counter still registered; the gauge is untouched.
  assert.equal(await queries(registry, 'other_sql', 'SELECT', 'ok'), 2);
  assert.match(await registry.metrics(), /# TYPE db_query_duration_seconds gauge/);
});

test('a counter of the same name with other labels is not reused', async (t) => {
  const diagnostics = captureDiagnostics(t);
  const registry = new Registry();
  const { Counter } = await import('../metrics/index.js');
  new Counter({ name: DB_QUERIES_METRIC, help: 'Not ours.', labelNames: ['db'], registry });
  assert.equal(
    instrumentQuery('SELECT', () => 1, { registry }),
    1,
  );
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]!.fields.code, ErrorCodes.METRIC_ALREADY_REGISTERED);
  assert.equal(await sample(registry, 'db_queries_total{db="x"}'), 0);
});

test('a throwing logger, invalid options: reported, never thrown', async (t) => {
  const diagnostics = captureDiagnostics(t);
  const registry = new Registry();
  const logger = {
    warn: () => {
      throw new Error('logger broke');
    },
  };
  assert.equal(
    await instrumentQuery('SELECT', () => sleep(2).then(() => 'ok'), {
      registry,
      logger,
      slowQueryThresholdMs: 0,
    }),
    'ok',
  );
  assert.equal(diagnostics.at(-1)!.fields.code, ErrorCodes.DB_INSTRUMENTATION_FAILED);

  const hostile: unknown[] = [
    null,
    'options',
    { registry: {} },
    { system: 'has spaces' },
    { system: 'x'.repeat(100) },
    { slowQueryThresholdMs: -1 },
    { slowQueryThresholdMs: NaN },
    { maxQueryTextChars: 0 },
    { logger: { info: () => undefined } },
    { recordQueryText: 'yes' },
  ];
  for (const options of hostile) {
    assert.equal(
      instrumentQuery('SELECT', () => 'ran', options as never),
      'ran',
    );
  }
  const invalid = diagnostics.filter((d) => d.fields.code === ErrorCodes.CONFIG_INVALID);
  // One report per distinct problem: null and 'options' share one.
  assert.equal(invalid.length, hostile.length - 1);
  assert.match(invalid[3]!.message, /^instrumentQuery: system must be/);

  // Hostile query fields are ignored, not thrown.
  assert.equal(
    instrumentQuery('SELECT', () => 'ran', {
      registry,
      queryText: 42 as never,
      parameters: { length: 1e12 } as never,
      collection: {} as never,
      serverPort: 'x' as never,
    }),
    'ran',
  );
});

test('a thenable result resolves through, this and arguments are the caller’s', async () => {
  const registry = new Registry();
  const thenable = {
    then(resolve: (v: string) => void) {
      resolve('done');
    },
  };
  assert.equal(await instrumentQuery('SELECT', () => thenable, { registry }), 'done');
  assert.equal(await queries(registry, 'other_sql', 'SELECT', 'ok'), 1);
});
