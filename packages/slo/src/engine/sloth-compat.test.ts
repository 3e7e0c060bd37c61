/**
 * Sloth's own generated alert rules fire on the series the engine writes: the
 * Sloth example `getting-started.yml` is loaded with our Sloth loader, the
 * engine evaluates it over synthetic traffic and writes its series into the
 * store, and the alert expressions of Sloth's golden output for that example
 * (`_gen/getting-started.yml`, read in place from the shared peer tests) are
 * evaluated by the PromQL engine over that store.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadSloFiles } from '../load.js';
import { PEER_TESTS, skipUnless } from '../test-fixtures.test-util.js';
import { SloEngine } from './engine.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, newStore, writeTraffic } from './engine.test-util.js';

const EXAMPLES = join(PEER_TESTS, 'sloth', 'examples');
const skip = skipUnless(EXAMPLES);
const T = Date.UTC(2026, 10, 20);

interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
}

function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(join(EXAMPLES, '_gen', 'getting-started.yml'), 'utf8')) as {
    groups: { rules: (AlertRule | { record: string })[] }[];
  };
  return doc.groups.flatMap((g) => g.rules).filter((r): r is AlertRule => 'alert' in r);
}

async function firing(
  scenario: (t: number) => number,
  evaluateFromMs: number,
  atMs: number[],
): Promise<Map<number, string[]>> {
  const { storage, engine: promql } = newStore();
  await writeTraffic(storage, {
    fromMs: T - 4 * DAY_MS,
    toMs: T,
    metric: 'http_request_duration_seconds_count',
    job: 'myservice',
    traffic: (t) => ({ perSecond: 20, errorRatio: scenario(t) }),
  });
  const set = await loadSloFiles([join(EXAMPLES, 'getting-started.yml')]);
  assert.equal(set.slos.length, 1);
  const engine = new SloEngine({ queryApi: promql, appendable: storage });
  engine.load(set.slos);
  for (let t = evaluateFromMs; t <= T; t += MINUTE_MS) await engine.evaluate(t);
  const out = new Map<number, string[]>();
  for (const at of atMs) {
    const tiers: string[] = [];
    for (const rule of alertRules()) {
      const res = await promql.instantQuery(rule.expr, at);
      assert.equal(res.value.type, 'vector');
      if (res.value.type === 'vector' && res.value.samples.length > 0) {
        tiers.push(rule.labels?.['sloth_severity'] ?? '?');
      }
    }
    out.set(at, tiers);
  }
  return out;
}

describe("Sloth's generated alert rules on the engine's series", { skip }, () => {
  test('a 5% error burst pages (burn 50 > 14.4 over 5m and 1h); the quiet time before does not', async () => {
    const burst = T - 30 * MINUTE_MS;
    const result = await firing((t) => (t > burst ? 0.05 : 0.0005), T - 2 * HOUR_MS, [
      burst - 5 * MINUTE_MS,
      T,
    ]);
    assert.deepEqual(result.get(burst - 5 * MINUTE_MS), []);
    // At T: 5m = 5%; 1h = (30 × 5% + 30 × 0.05%) / 60 = 2.525% > 1.44%: page.
    // Ticket: 1d = (30 × 5% + 1,410 × 0.05%) / 1,440 = 0.153% < 0.3%, and 3d ≈ 0.084% < 0.1%: quiet.
    assert.deepEqual(result.get(T), ['page']);
  });

  test('a steady burn of 2 (0.2% errors) opens a ticket (6h and 3d over 1×) and does not page', async () => {
    const result = await firing(() => 0.002, T - 10 * MINUTE_MS, [T]);
    assert.deepEqual(result.get(T), ['ticket']);
  });
});
