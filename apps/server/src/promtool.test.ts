/**
 * Interoperability with the real `promtool` from Debian: a Vigil server
 * with a few series appended answers `promtool query instant|range|series|
 * labels` as Prometheus would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@vigil/sdk';
import { freePort, requireTool, runWithInput } from '@vigil/testing';
import { parseConfig } from './config.js';
import { startServer } from './server.js';

test('promtool query instant, range, series and labels against a Vigil server', async (t) => {
  const promtool = requireTool('promtool', 'prometheus', (m) => t.skip(m));
  if (promtool === undefined) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-promtool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const config = parseConfig(
    { storage: { path: join(dir, 'data') }, server: { listen: `127.0.0.1:${port}` } },
    'test',
  );
  const server = await startServer(config, createLogger({ service: 'test', level: 'fatal' }));
  t.after(() => server.stop());

  // Two minutes of 15 s samples, ending on a whole second.
  const endMs = Math.floor(Date.now() / 1000) * 1000 - 5000;
  const startMs = endMs - 120_000;
  const app = server.storage.appender();
  for (let ts = startMs, i = 0; ts <= endMs; ts += 15_000, i++) {
    app.append(0, ['__name__', 'up', 'instance', 'a:9100', 'job', 'node'], ts, 1);
    app.append(0, ['__name__', 'up', 'instance', 'b:9100', 'job', 'node'], ts, 0);
    app.append(0, ['__name__', 'demo_celsius', 'job', 'api', 'room', 'kitchen'], ts, 20 + i * 0.5);
  }
  await app.commit();
  const url = server.url;
  const run = async (...args: string[]) => {
    const r = await runWithInput(promtool, ['query', ...args], '');
    return r;
  };

  let r = await run('instant', `--time=${endMs / 1000}`, url, 'up');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    `up{instance="a:9100", job="node"} => 1 @[${endMs / 1000}]\n` +
      `up{instance="b:9100", job="node"} => 0 @[${endMs / 1000}]\n`,
  );

  r = await run('instant', `--time=${endMs / 1000}`, url, 'sum by (job) (demo_celsius) * 2');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `{job="api"} => 48 @[${endMs / 1000}]\n`);

  r = await run(
    'range',
    `--start=${(endMs - 30_000) / 1000}`,
    `--end=${endMs / 1000}`,
    '--step=15s',
    url,
    'demo_celsius',
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    'demo_celsius{job="api", room="kitchen"} =>\n' +
      `23 @[${(endMs - 30_000) / 1000}]\n` +
      `23.5 @[${(endMs - 15_000) / 1000}]\n` +
      `24 @[${endMs / 1000}]\n`,
  );

  r = await run('series', '--match=up', '--match={room="kitchen"}', url);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    '{__name__="demo_celsius", job="api", room="kitchen"}\n' +
      '{__name__="up", instance="a:9100", job="node"}\n' +
      '{__name__="up", instance="b:9100", job="node"}\n',
  );

  r = await run('labels', url, 'instance');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'a:9100\nb:9100\n');
  r = await run('labels', url, '__name__');
  assert.equal(r.stdout, 'demo_celsius\nup\n');

  // JSON output is the API's result, as promtool decodes it.
  r = await run('instant', '-o', 'json', `--time=${endMs / 1000}`, url, 'up{instance="a:9100"}');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    {
      metric: { __name__: 'up', instance: 'a:9100', job: 'node' },
      value: [endMs / 1000, '1'],
    },
  ]);

  // A bad query: promtool prints the API's error type and text and fails.
  r = await run('instant', url, 'up{');
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /query error: bad_data: invalid parameter "query": 1:4: parse error: unexpected end of input inside braces/,
  );
});
