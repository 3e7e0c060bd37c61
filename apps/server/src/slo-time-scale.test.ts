/**
 * The demo time scale (`slo.time_scale`): the server loads its SLOs with
 * every window divided, the generated alert rules read the scaled windows,
 * the SLO engine reports burn rates over them, and the status line says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { createLogger } from '@vigil/sdk';
import { freePort, waitFor } from '@vigil/testing';
import type { SloStatus } from '@vigil/slo';
import { parseConfig } from './config.js';
import { sloQueryWindowMs, startServer } from './server.js';
import { describeSlos } from './slos.js';

const logger = createLogger({ service: 'test', level: 'fatal' });

const SLOS = `
service: shop
slos:
  availability:
    sli:
      ratio:
        bad: sum(rate(http_requests_total{job="shop",status=~"5.."}[{{.window}}]))
        total: sum(rate(http_requests_total{job="shop"}[{{.window}}]))
    target: 99.9%
    window: 30d
    alerting: { name: ShopAvailability }
`;

interface RuleGroup {
  name: string;
  rules: { name: string; query: string; duration: number; labels?: Record<string, string> }[];
}

test('a server with slo.time_scale 60 evaluates 12-hour SLOs with scaled alert windows', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-time-scale-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sloFile = join(dir, 'slos.yml');
  writeFileSync(sloFile, SLOS);
  const port = await freePort();
  const config = parseConfig(
    {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      storage: { path: join(dir, 'data') },
      server: { listen: `127.0.0.1:${port}` },
      slo_files: [sloFile],
      slo: { time_scale: 60 },
    },
    join(dir, 'vigil.yml'),
  );
  assert.equal(config.slo.timeScale, 60);
  // 5 min / 60 = 5 s, above 2 × the 1 s scrape interval.
  assert.equal(sloQueryWindowMs(config), 5_000);
  const server = await startServer(config, logger);
  t.after(() => server.stop());

  const loaded = server.loadedSlos();
  assert.equal(loaded.timeScale, 60);
  assert.deepEqual(loaded.evaluable[0]?.window, { kind: 'rolling', durationMs: 12 * 3_600_000 });
  // The spec as written is kept for what reads the files.
  assert.deepEqual(loaded.specs.slos[0]?.window, { kind: 'rolling', durationMs: 30 * 86_400_000 });
  assert.match(
    describeSlos(loaded, config.slo.evaluationIntervalMs),
    /; time scale 60x: 30d windows last 12h — demo only$/,
  );

  const rules = (await (await fetch(`${server.url}/api/v1/rules`)).json()) as {
    data: { groups: RuleGroup[] };
  };
  const all = rules.data.groups.flatMap((g) => g.rules);
  const page = all.filter(
    (r) => r.name === 'ShopAvailability' && r.labels?.['sloth_severity'] === 'page',
  );
  assert.equal(page.length, 1);
  // The page alert: 14.4 over 1m confirmed by 5s, or 6 over 6m confirmed by 30s.
  const q = page[0]!.query;
  for (const w of ['5s', '1m', '30s', '6m']) assert.match(q, new RegExp(`ratio_rate${w}\\b`), q);
  assert.doesNotMatch(q, /ratio_rate(5m|1h|30m|6h)\b/, q);
  assert.match(q, /14\.4/);
  const ticket = all.find(
    (r) => r.name === 'ShopAvailability' && r.labels?.['sloth_severity'] === 'ticket',
  );
  for (const w of ['2m', '24m', '1h12m'])
    assert.match(ticket!.query, new RegExp(`ratio_rate${w}\\b`), ticket!.query);
  // The no-data alert waits 10 min / 60 = 10 s.
  const noData = all.find((r) => r.name === 'ShopAvailabilityNoData');
  assert.equal(noData?.duration, 10);

  // The engine reports burn rates over the scaled windows.
  const status = await waitFor(
    'the SLO engine to evaluate',
    async () => {
      const body = (await (await fetch(`${server.url}/api/v1/slos`)).json()) as {
        data: { slos: SloStatus[] };
      };
      return body.data.slos[0];
    },
    10_000,
    200,
  );
  assert.deepEqual(
    status.burnRates.map((b) => b.window),
    ['5s', '30s', '1m', '2m', '6m', '24m', '1h12m'],
  );
});

test('slo.time_scale is refused below 1, and at start when it makes a window shorter than 1 s', async (t) => {
  assert.throws(
    () => parseConfig({ slo: { time_scale: 0.5 } }, 'vigil.yml'),
    (err: unknown) =>
      isVigilError(err, ErrorCodes.CONFIG_INVALID) && /slo\.time_scale/.test(err.message),
  );
  const dir = mkdtempSync(join(tmpdir(), 'vigil-time-scale-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sloFile = join(dir, 'slos.yml');
  writeFileSync(sloFile, SLOS);
  const config = parseConfig(
    {
      storage: { path: join(dir, 'data') },
      server: { listen: `127.0.0.1:${await freePort()}` },
      slo_files: [sloFile],
      slo: { time_scale: 600 },
    },
    join(dir, 'vigil.yml'),
  );
  await assert.rejects(
    startServer(config, logger),
    (err: unknown) =>
      isVigilError(err, ErrorCodes.SLO_SPEC_INVALID) &&
      /time scale 600x makes its page alert short window of 5m shorter than 1s; use a time scale of at most 300/.test(
        err.message,
      ),
  );
});
