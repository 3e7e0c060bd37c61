/**
 * SLOs in a running `vigil server`: `slo_files` loaded, the engine backfilling
 * from the store and recording its series, the generated alerts firing in the
 * server's own rule evaluator, `/api/v1/slos` and the deploy gate
 * (`vigil budget check`, run as a child process) answering from it, and a
 * reload that swaps the SLO set.
 *
 * The traffic is synthetic and written into the store before the server
 * starts (two hours at a 15 s scrape interval), so each figure has a hand
 * computation: see the comments at the expectations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@vigil/sdk';
import { labelsFromRecord } from '@vigil/storage';
import { openTsdb } from '@vigil/tsdb';
import { freePort, waitFor } from '@vigil/testing';
import type { SloStatus } from '@vigil/slo';
import { parseConfig } from './config.js';
import { startServer } from './server.js';

const logger = createLogger({ service: 'test', level: 'fatal' });
const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));
const STEP_MS = 15_000;
const HISTORY_MS = 2 * 3_600_000;
/** Requests per second of each service. */
const RATE = 10;

const SLOS = `
service: user-api
slos:
  availability:
    sli:
      ratio:
        bad: sum(rate(http_requests_total{job="user-api",code=~"5.."}[{{.window}}]))
        total: sum(rate(http_requests_total{job="user-api"}[{{.window}}]))
    target: 99.9%
    window: 30d
    alerting: { name: UserApiAvailability }
  queue:
    sli:
      ratio:
        bad: sum(rate(jobs_failed_total{job="user-api"}[{{.window}}]))
        total: sum(rate(jobs_total{job="user-api"}[{{.window}}]))
    target: 99%
    window: 30d
    alerting: { name: UserApiQueue, noDataFor: 1s }
---
service: billing
slos:
  availability:
    sli:
      ratio:
        bad: sum(rate(http_requests_total{job="billing",code=~"5.."}[{{.window}}]))
        total: sum(rate(http_requests_total{job="billing"}[{{.window}}]))
    target: 99.9%
    window: 30d
    alerting: { name: BillingAvailability }
`;

/**
 * Writes counters for both jobs from `startMs` to `endMs`: user-api fails 5%
 * of its requests during the last 90 minutes (none before), billing fails
 * 0.02% throughout.
 */
async function writeHistory(dir: string, startMs: number, endMs: number): Promise<void> {
  const db = openTsdb(dir);
  try {
    const burnFromMs = endMs - 90 * 60_000;
    const app = db.appender();
    let userOk = 0;
    let userBad = 0;
    let billingOk = 0;
    let billingBad = 0;
    for (let t = startMs; t <= endMs; t += STEP_MS) {
      const events = (RATE * STEP_MS) / 1000;
      const userBadShare = t > burnFromMs ? 0.05 : 0;
      userBad += events * userBadShare;
      userOk += events * (1 - userBadShare);
      billingBad += events * 0.0002;
      billingOk += events * 0.9998;
      const put = (job: string, code: string, value: number): void => {
        app.append(0, labelsFromRecord({ __name__: 'http_requests_total', job, code }), t, value);
      };
      put('user-api', '200', userOk);
      put('user-api', '500', userBad);
      put('billing', '200', billingOk);
      put('billing', '500', billingBad);
    }
    await app.commit();
  } finally {
    db.close();
  }
}

function vigil(args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env, VIGIL_URL: '' } },
      (err, stdout) => {
        resolve({
          status: err === null ? 0 : typeof err.code === 'number' ? err.code : null,
          stdout,
        });
      },
    );
  });
}

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
}

test('a server evaluates its SLO files: budgets, burn-rate and no-data alerts, /api/v1/slos, the deploy gate, reload', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-server-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const nowMs = Math.floor(Date.now() / STEP_MS) * STEP_MS;
  const dataDir = join(dir, 'data');
  await writeHistory(dataDir, nowMs - HISTORY_MS, nowMs);
  const sloFile = join(dir, 'slos.yml');
  writeFileSync(sloFile, SLOS);
  const port = await freePort();
  const raw = {
    global: { evaluation_interval: '1s' },
    storage: { path: dataDir },
    server: { listen: `127.0.0.1:${port}` },
    slo_files: [sloFile],
    slo: { evaluation_interval: '1s' },
  };
  const server = await startServer(parseConfig(raw, join(dir, 'vigil.yml')), logger);
  t.after(() => server.stop());
  const get = async <T>(path: string): Promise<T> => {
    const body = (await (await fetch(`${server.url}${path}`)).json()) as {
      status: string;
      data: T;
    };
    assert.equal(body.status, 'success', path);
    return body.data;
  };

  // The page alert of the burning SLO fires inside the server, and so does
  // the no-data alert of the SLO whose series do not exist.
  const firing = await waitFor(
    'the user-api page and no-data alerts to fire',
    async () => {
      const { alerts } = await get<{ alerts: ApiAlert[] }>('/api/v1/alerts');
      const on = alerts.filter((a) => a.state === 'firing');
      const page = on.find(
        (a) => a.labels.alertname === 'UserApiAvailability' && a.labels.sloth_severity === 'page',
      );
      const noData = on.find((a) => a.labels.alertname === 'UserApiQueueNoData');
      return page !== undefined && noData !== undefined ? on : undefined;
    },
    20_000,
    200,
  );
  // 5% errors is a burn rate of 50 on every window: the ticket fires too, the
  // budget is gone, and billing (burn 0.2) stays quiet.
  const names = firing.map((a) => `${a.labels.alertname}/${a.labels.sloth_severity}`).sort();
  assert.ok(names.includes('UserApiAvailability/ticket'), names.join(', '));
  assert.ok(names.includes('UserApiAvailabilityBudgetExhausted/ticket'), names.join(', '));
  assert.ok(!names.some((n) => n.startsWith('Billing')), names.join(', '));

  const { slos, services } = await get<{
    slos: SloStatus[];
    services: { name: string; policy: { state: string } }[];
  }>('/api/v1/slos');
  const byId = new Map(slos.map((s) => [s.id, s]));
  const user = byId.get('user-api-availability')!;
  const billing = byId.get('billing-availability')!;
  const queue = byId.get('user-api-queue')!;
  // user-api: 2 h of traffic, the last 1.5 h at 5% bad: error ratio 0.0375,
  // 37.5 budgets spent. The first scrape has nothing to count from, so the
  // counted share of bad time is a hair above 3/4: allow 0.1 of a budget.
  assert.equal(user.dataState, 'ok');
  assert.ok(
    Math.abs(user.budget.consumedFraction! - 37.5) < 0.1,
    String(user.budget.consumedFraction),
  );
  assert.ok(Math.abs(user.sli! - 0.9625) < 1e-4, String(user.sli));
  const burn1h = user.burnRates.find((b) => b.window === '1h')!;
  assert.ok(Math.abs(burn1h.burnRate! - 50) < 0.1, String(burn1h.burnRate));
  // billing: 0.02% bad against a 0.1% budget: 20% spent, 80% left.
  assert.ok(
    Math.abs(billing.budget.remainingFraction! - 0.8) < 0.001,
    String(billing.budget.remainingFraction),
  );
  assert.equal(queue.dataState, 'no-data');
  assert.equal(queue.sli, null);
  const policy = new Map(services.map((s) => [s.name, s.policy.state]));
  assert.equal(policy.get('user-api'), 'freeze');
  assert.equal(policy.get('billing'), 'ship');

  // The recorded history is queryable with PromQL under Sloth's names.
  const remaining = await get<{ result: { value: [number, string] }[] }>(
    `/api/v1/query?query=${encodeURIComponent('slo:period_error_budget_remaining:ratio{sloth_id="billing-availability"}')}`,
  );
  assert.equal(remaining.result.length, 1);
  assert.ok(Math.abs(Number(remaining.result[0]!.value[1]) - 0.8) < 0.001);

  // The deploy gate against the running server: billing may ship, user-api may not.
  const ok = await vigil(['budget', 'check', '--service', 'billing', '--server', server.url]);
  assert.equal(ok.status, 0, ok.stdout);
  const stop = await vigil(['budget', 'check', '--service', 'user-api', '--server', server.url]);
  assert.equal(stop.status, 1, stop.stdout);
  assert.match(stop.stdout, /freeze/);

  // A reload without the user-api SLOs drops them and their alert groups.
  writeFileSync(sloFile, SLOS.slice(SLOS.indexOf('---') + 4));
  await server.reload(parseConfig(raw, join(dir, 'vigil.yml')));
  await waitFor(
    'the reloaded SLO set',
    async () => {
      const data = await get<{ slos: SloStatus[] }>('/api/v1/slos');
      return data.slos.length === 1 ? true : undefined;
    },
    10_000,
    200,
  );
  const groups = (await get<{ groups: { name: string }[] }>('/api/v1/rules')).groups;
  assert.ok(!groups.some((g) => g.name.includes('user-api')), groups.map((g) => g.name).join());

  // A broken SLO file on reload keeps the running set.
  writeFileSync(sloFile, 'service: x\nslos: {a: {target: 2}}\n');
  await assert.rejects(server.reload(parseConfig(raw, join(dir, 'vigil.yml'))), /slos\.yml/);
  assert.equal((await get<{ slos: SloStatus[] }>('/api/v1/slos')).slos.length, 1);
});
