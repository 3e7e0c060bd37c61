/**
 * Rule files in `vigil server`: loading (patterns, errors) and a running
 * server evaluating them, answering /api/v1/rules and /api/v1/alerts, and
 * reloading them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { createLogger } from '@vigil/sdk';
import { freePort, waitFor } from '@vigil/testing';
import { parseConfig } from './config.js';
import { loadRuleFiles } from './rules.js';
import { startServer } from './server.js';

const logger = createLogger({ service: 'test', level: 'fatal' });

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const RULES = `groups:
  - name: demo
    interval: 1s
    rules:
      - record: vigil:answer
        expr: vector(42)
        labels: { source: rule }
      - alert: AlwaysOn
        expr: vector(1) > 0
        labels: { severity: ticket }
        annotations: { summary: 'value is {{ $value }}' }
`;

test('rule_files patterns expand in order; a missing plain file and a broken file are errors naming the file', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'b.yml'), RULES.replace('name: demo', 'name: b'));
  writeFileSync(join(dir, 'rules', 'a.yml'), RULES.replace('name: demo', 'name: a'));
  writeFileSync(join(dir, 'rules', 'notes.txt'), 'not a rule file');
  const loaded = loadRuleFiles([join(dir, 'rules', '*.yml')]);
  assert.deepEqual(loaded.files, [join(dir, 'rules', 'a.yml'), join(dir, 'rules', 'b.yml')]);
  assert.deepEqual(
    loaded.groups.map((g) => g.name),
    ['a', 'b'],
  );
  assert.deepEqual(loadRuleFiles([join(dir, 'none', '*.yml')]).groups, []);
  assert.throws(
    () => loadRuleFiles([join(dir, 'missing.yml')]),
    (err) => isVigilError(err, ErrorCodes.RULES_INVALID) && /missing\.yml/.test(err.message),
  );
  writeFileSync(join(dir, 'bad.yml'), RULES.replace('expr: vector(42)', 'expr: sum(('));
  assert.throws(
    () => loadRuleFiles([join(dir, 'bad.yml')]),
    (err) =>
      isVigilError(err, ErrorCodes.RULES_INVALID) &&
      err.message.includes('bad.yml') &&
      err.message.includes('groups[0].rules[0].expr'),
  );
});

test('a running server evaluates its rule files, answers /api/v1/rules and /api/v1/alerts, and reloads them', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const rulesFile = join(dir, 'rules.yml');
  writeFileSync(rulesFile, RULES);
  const raw = {
    storage: { path: join(dir, 'data') },
    server: { listen: `127.0.0.1:${port}` },
    rule_files: [rulesFile],
  };
  const server = await startServer(parseConfig(raw, 'test'), logger);
  t.after(() => server.stop());
  const api = async (path: string): Promise<{ status: string; data: unknown }> =>
    (await (await fetch(`${server.url}${path}`)).json()) as { status: string; data: unknown };

  const alerts = await waitFor(
    'the alert to fire',
    async () => {
      const body = (await api('/api/v1/alerts')).data as {
        alerts: {
          state: string;
          labels: Record<string, string>;
          annotations: Record<string, string>;
        }[];
      };
      return body.alerts.find((a) => a.state === 'firing') ? body.alerts : undefined;
    },
    10_000,
    100,
  );
  assert.deepEqual(alerts[0]!.labels, { alertname: 'AlwaysOn', severity: 'ticket' });
  assert.equal(alerts[0]!.annotations.summary, 'value is 1');

  // The recording rule's output is in the store, queryable like any series.
  const recorded = (await api('/api/v1/query?query=vigil:answer')).data as {
    result: { metric: Record<string, string>; value: [number, string] }[];
  };
  assert.deepEqual(recorded.result[0]?.metric, { __name__: 'vigil:answer', source: 'rule' });
  assert.equal(recorded.result[0]?.value[1], '42');
  // So are ALERTS, as Prometheus writes them.
  const alertsSeries = (await api('/api/v1/query?query=ALERTS')).data as {
    result: { metric: Record<string, string> }[];
  };
  assert.equal(alertsSeries.result[0]?.metric.alertstate, 'firing');

  const rules = (await api('/api/v1/rules')).data as {
    groups: {
      name: string;
      file: string;
      rules: { type: string; name: string; health: string }[];
    }[];
  };
  assert.equal(rules.groups[0]!.name, 'demo');
  assert.equal(rules.groups[0]!.file, rulesFile);
  assert.deepEqual(
    rules.groups[0]!.rules.map((r) => [r.type, r.name]),
    [
      ['recording', 'vigil:answer'],
      ['alerting', 'AlwaysOn'],
    ],
  );
  const onlyAlerts = (await api('/api/v1/rules?type=alert')).data as typeof rules;
  assert.deepEqual(
    onlyAlerts.groups[0]!.rules.map((r) => r.type),
    ['alerting'],
  );
  const badType = await fetch(`${server.url}/api/v1/rules?type=both`);
  assert.equal(badType.status, 400);

  // A broken file on reload keeps the running rules; a good one replaces them.
  writeFileSync(rulesFile, RULES.replace('expr: vector(42)', 'expr: sum(('));
  await assert.rejects(server.reload(parseConfig(raw, 'test')), (err) =>
    isVigilError(err, ErrorCodes.RULES_INVALID),
  );
  assert.equal(server.rules.rules().groups[0]!.rules.length, 2);
  writeFileSync(rulesFile, RULES.replace('name: demo', 'name: renamed'));
  await server.reload(parseConfig(raw, 'test'));
  assert.deepEqual(
    server.rules.rules().groups.map((g) => g.name),
    ['renamed'],
  );
});
