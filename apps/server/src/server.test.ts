/**
 * startServer's query backends: the local engine by default, a
 * RemoteQueryApi with `query.remote` (here pointing at the server's own
 * API, so the remote path runs against Vigil's real engine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { Engine } from '@vigil/promql';
import { createLogger } from '@vigil/sdk';
import { freePort } from '@vigil/testing';
import { parseConfig } from './config.js';
import { RemoteQueryApi } from './query/remote-query-api.js';
import { describeQueryBackend, startServer } from './server.js';

const logger = createLogger({ service: 'test', level: 'fatal' });

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-server-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the local engine is the query backend by default', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const config = parseConfig(
    { storage: { path: join(dir, 'data') }, server: { listen: `127.0.0.1:${port}` } },
    'test',
  );
  const server = await startServer(config, logger);
  t.after(() => server.stop());
  assert.ok(server.engine instanceof Engine);
  assert.equal(server.queryApi, server.engine);
  assert.equal(server.engine.options.lookbackDeltaMs, 300_000);
  assert.match(describeQueryBackend(config), /^local engine \(lookback 5m, timeout 2m/);
});

test('query.remote selects a RemoteQueryApi; against Vigil itself it answers what the engine does', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const config = parseConfig(
    {
      storage: { path: join(dir, 'data') },
      server: { listen: `127.0.0.1:${port}` },
      query: {
        lookback_delta: '1m',
        max_samples: 1000,
        remote: {
          url: `http://127.0.0.1:${port}`,
          headers: { 'X-Test': '1' },
          timeout: '5s',
          bearer_token: 'do-not-show',
        },
      },
    },
    'test',
  );
  const server = await startServer(config, logger);
  t.after(() => server.stop());
  assert.ok(server.queryApi instanceof RemoteQueryApi);
  assert.equal(server.engine.options.maxSamples, 1000);
  assert.match(
    describeQueryBackend(config),
    new RegExp(`^remote http://127\\.0\\.0\\.1:${port} \\(timeout 5s\\)`),
  );
  const app = server.storage.appender();
  for (let i = 0; i < 5; i++) {
    app.append(0, ['__name__', 'x', 'job', 'a'], 10_000 + i * 10_000, i === 2 ? NaN : i);
  }
  await app.commit();
  const local = await server.engine.rangeQuery('x * 2', 10_000, 50_000, 10_000);
  const remote = await server.queryApi.rangeQuery('x * 2', 10_000, 50_000, 10_000);
  assert.deepEqual(remote, local);
  assert.equal(remote.value.type, 'matrix');
  if (remote.value.type === 'matrix') {
    assert.deepEqual(
      [...remote.value.series[0]!.timestampsMs],
      [10_000, 20_000, 30_000, 40_000, 50_000],
    );
    assert.ok(Number.isNaN(remote.value.series[0]!.values[2]!));
  }
  const instant = await server.queryApi.instantQuery('sum(x)', 50_000);
  assert.deepEqual(instant.value, {
    type: 'vector',
    samples: [{ labels: [], timestampMs: 50_000, value: 4 }],
  });
  // The configuration in force, secrets hidden.
  const status = (await (await fetch(`${server.url}/api/v1/status/config`)).json()) as {
    data: { yaml: string };
  };
  assert.match(status.data.yaml, /bearerToken: <secret>/);
  assert.match(status.data.yaml, /lookbackDeltaMs: 60000/);
  assert.doesNotMatch(status.data.yaml, /do-not-show/);
  await assert.rejects(server.queryApi.instantQuery('sum(', 0), (err: unknown) => {
    assert.ok(isVigilError(err, ErrorCodes.PROMQL_PARSE));
    assert.equal(
      err.message,
      'invalid parameter "query": 1:5: parse error: unclosed left parenthesis',
    );
    return true;
  });
});
