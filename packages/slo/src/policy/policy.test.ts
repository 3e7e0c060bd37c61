/**
 * The budget policy: thresholds, the `policy:` section of the Vigil format
 * (with its errors and paths), evaluatePolicy over statuses, and the written
 * rules over budget history read by the real PromQL engine from a
 * MemoryStorage holding recorded series.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, STALE_NAN, isVigilError } from '@vigil/model';
import { Engine } from '@vigil/promql';
import { MemoryStorage } from '@vigil/storage';
import { parseSloDocument } from '../load.js';
import { convertVigilDocument } from '../vigil-format.js';
import { evaluatePolicy, largestDrop } from './evaluate.js';
import { budgetHistoryFromQueryApi, BUDGET_REMAINING_METRIC } from './history.js';
import type { BudgetHistory, HistorySeries } from './history.js';
import { DEFAULT_BUDGET_POLICY, stateForRemaining, type BudgetPolicy } from './policy.js';
import { statusFixture, writeSeries } from './fixtures.test-util.js';

const DAY_MS = 86_400_000;
const ctx = { file: 'svc.yaml', docIndex: 1, docCount: 1 };
const SLO = {
  sli: { ratio: { bad: 'sum(rate(e[{{.window}}]))', total: 'sum(rate(t[{{.window}}]))' } },
  target: '99.9%',
  window: '30d',
};

function specError(doc: unknown): { path: string; rule: string }[] {
  try {
    convertVigilDocument(doc, ctx);
  } catch (err) {
    assert.ok(isVigilError(err, ErrorCodes.SLO_SPEC_INVALID), String(err));
    assert.match(err.message, /svc\.yaml: policy/);
    return (err.details as { issues: { path: string; rule: string }[] }).issues;
  }
  assert.fail('expected SLO_SPEC_INVALID');
}

test('thresholds: the default boundaries and custom ones', () => {
  const cases: [number | null, string][] = [
    [1, 'ship'],
    [0.5000001, 'ship'],
    [0.5, 'balance'],
    [0.1, 'balance'],
    [0.0999, 'reliability-first'],
    [0.000001, 'reliability-first'],
    [0, 'freeze'],
    [-0.4, 'freeze'],
    [null, 'unknown'],
    [Number.NaN, 'unknown'],
  ];
  for (const [remaining, state] of cases)
    assert.equal(stateForRemaining(remaining), state, String(remaining));
  assert.equal(stateForRemaining(0.6, { ship: 0.75, balance: 0.25 }), 'balance');
  assert.equal(stateForRemaining(0.2, { ship: 0.75, balance: 0.25 }), 'reliability-first');
});

test('the policy section of the Vigil format: defaults, thresholds, actions and rules', () => {
  const plain = convertVigilDocument({ service: 'svc', slos: { a: SLO } }, ctx);
  assert.equal(plain.service.policy, undefined);
  const { service } = convertVigilDocument(
    {
      service: 'svc',
      slos: { a: SLO },
      policy: {
        thresholds: { ship: '75%', balance: 0.25 },
        actions: { freeze: 'Only P0 fixes.' },
        rules: [
          { exhaustedFor: '4w', state: 'freeze', action: 'Freeze until positive.' },
          { name: 'big incident', budgetDrop: '20%', action: 'Postmortem with a P0 action item.' },
          { budgetDrop: 0.1, within: '6h', state: 'reliability-first', action: 'Review.' },
        ],
      },
    },
    ctx,
  );
  const policy = service.policy!;
  assert.deepEqual(policy.thresholds, { ship: 0.75, balance: 0.25 });
  assert.equal(policy.actions.freeze, 'Only P0 fixes.');
  assert.equal(policy.actions.ship, DEFAULT_BUDGET_POLICY.actions.ship);
  assert.deepEqual(policy.rules, [
    {
      kind: 'exhausted-for',
      name: 'budget exhausted for 4w',
      durationMs: 28 * DAY_MS,
      action: 'Freeze until positive.',
      state: 'freeze',
    },
    {
      kind: 'budget-drop',
      name: 'big incident',
      fraction: 0.2,
      withinMs: DAY_MS,
      action: 'Postmortem with a P0 action item.',
    },
    {
      kind: 'budget-drop',
      name: 'more than 10% of the budget spent within 6h',
      fraction: 0.1,
      withinMs: 6 * 3_600_000,
      action: 'Review.',
      state: 'reliability-first',
    },
  ]);
});

test('the policy section: every error names its path and rule', () => {
  const doc = (policy: unknown) => ({ service: 'svc', slos: { a: SLO }, policy });
  assert.deepEqual(specError(doc({ thresholds: { ship: '10%', balance: '20%' } })), [
    { path: 'policy.thresholds.balance', rule: 'must be below thresholds.ship (10%); got 20%' },
  ]);
  assert.deepEqual(
    specError(doc({ rules: [{ exhaustedFor: '4w', budgetDrop: '5%', action: 'x' }] })),
    [
      {
        path: 'policy.rules[0]',
        rule: 'must set exactly one condition: exhaustedFor or budgetDrop',
      },
    ],
  );
  assert.deepEqual(specError(doc({ rules: [{ action: 'x' }] })), [
    { path: 'policy.rules[0]', rule: 'must set exactly one condition: exhaustedFor or budgetDrop' },
  ]);
  assert.deepEqual(specError(doc({ rules: [{ exhaustedFor: '4w', within: '1d', action: 'x' }] })), [
    { path: 'policy.rules[0].within', rule: 'applies only to budgetDrop rules' },
  ]);
  let issues = specError(doc({ rules: [{ exhaustedFor: 'soon', action: 'x' }] }));
  assert.equal(issues[0]?.path, 'policy.rules[0].exhaustedFor');
  assert.match(issues[0].rule, /positive duration/);
  issues = specError(doc({ rules: [{ budgetDrop: '120%', action: 'x' }] }));
  assert.equal(issues[0]?.path, 'policy.rules[0].budgetDrop');
  issues = specError(doc({ rules: [{ budgetDrop: '20%', state: 'unknown', action: 'x' }] }));
  assert.equal(issues[0]?.path, 'policy.rules[0].state');
  issues = specError(doc({ rules: [{ budgetDrop: '20%' }] }));
  assert.equal(issues[0]?.path, 'policy.rules[0].action');
  issues = specError(doc({ threshold: {} }));
  assert.equal(issues[0]?.path, 'policy');
  assert.match(issues[0].rule, /threshold/);
});

test('evaluatePolicy: the worst SLO drives the state; the verdict says why', async () => {
  const d = await evaluatePolicy([
    statusFixture('api-availability', 0.8),
    statusFixture('api-latency', 0.3),
    statusFixture('api-errors', 0.6),
  ]);
  assert.equal(d.service, 'api');
  assert.equal(d.state, 'balance');
  assert.equal(d.remainingFraction, 0.3);
  assert.equal(d.drivingSloId, 'api-latency');
  assert.equal(
    d.verdict,
    'api: BALANCE, 30.0% of the budget remaining (worst: api-latency); balance reliability work with features',
  );
  assert.equal(d.reasons.length, 3);
  assert.match(d.reasons[1]!, /^api-latency: 30\.0% of the budget remaining → balance$/);
  assert.deepEqual(d.triggeredRules, []);

  assert.equal((await evaluatePolicy([statusFixture('api-a', 0.95)])).state, 'ship');
  assert.equal((await evaluatePolicy([statusFixture('api-a', 0.05)])).state, 'reliability-first');
  const frozen = await evaluatePolicy([statusFixture('api-a', -0.25), statusFixture('api-b', 0.9)]);
  assert.equal(frozen.state, 'freeze');
  assert.match(
    frozen.verdict,
    /-25\.0% of the budget remaining .*freeze all changes except P0 and security fixes/,
  );
});

test('evaluatePolicy: no data is never ship', async () => {
  const none = await evaluatePolicy([statusFixture('api-a', null), statusFixture('api-b', null)]);
  assert.equal(none.state, 'unknown');
  assert.equal(none.remainingFraction, null);
  assert.equal(none.drivingSloId, null);
  assert.equal(
    none.verdict,
    'api: UNKNOWN, no data for api-a, api-b; the budget cannot be judged without data: check that the SLI metrics exist',
  );
  // One SLO says ship, another has no data: unknown, not ship.
  const partial = await evaluatePolicy([statusFixture('api-a', 0.9), statusFixture('api-b', null)]);
  assert.equal(partial.state, 'unknown');
  assert.equal(partial.drivingSloId, 'api-a');
  assert.match(
    partial.verdict,
    /^api: UNKNOWN, 90\.0% of the budget remaining \(worst: api-a\), no data for api-b; /,
  );
  assert.ok(partial.reasons.some((r) => r.startsWith('api-b: no data')));
  // A measured balance or worse stands.
  const measured = await evaluatePolicy([
    statusFixture('api-a', 0.2),
    statusFixture('api-b', null),
  ]);
  assert.equal(measured.state, 'balance');
  // Not-evaluable SLOs are left out.
  const ne = await evaluatePolicy([
    statusFixture('api-a', 0.9),
    statusFixture('api-b', null, { dataState: 'not-evaluable', reason: 'no PromQL' }),
  ]);
  assert.equal(ne.state, 'ship');
  assert.ok(ne.reasons.includes('api-b: not evaluable, left out (no PromQL)'));
  const empty = await evaluatePolicy([], DEFAULT_BUDGET_POLICY, undefined, { service: 'ghost' });
  assert.equal(empty.service, 'ghost');
  assert.equal(empty.state, 'unknown');
  assert.match(empty.verdict, /^ghost: UNKNOWN, no SLO defined; /);
  // Low traffic still counts as data.
  const low = await evaluatePolicy([statusFixture('api-a', 0.9, { dataState: 'low-traffic' })]);
  assert.equal(low.state, 'ship');
  assert.match(low.reasons[0]!, /\(low traffic\)$/);
});

test('evaluatePolicy: custom thresholds and words; rules without history are named', async () => {
  const policy: BudgetPolicy = {
    thresholds: { ship: 0.9, balance: 0.5 },
    actions: { ...DEFAULT_BUDGET_POLICY.actions, balance: 'half and half' },
    rules: [{ kind: 'exhausted-for', name: 'long', durationMs: DAY_MS, action: 'stop' }],
  };
  const d = await evaluatePolicy([statusFixture('api-a', 0.8)], policy);
  assert.equal(d.state, 'balance');
  assert.match(d.verdict, /; half and half$/);
  assert.ok(d.reasons.includes('written rules not evaluated: no budget history available'));
});

test('largestDrop matches a brute-force search (seeded random walks)', () => {
  let seed = 12345;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  for (let run = 0; run < 50; run++) {
    const n = 1 + Math.floor(random() * 80);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let t = 0;
    let v = 1;
    for (let i = 0; i < n; i++) {
      t += 1 + Math.floor(random() * 3);
      v += (random() - 0.6) * 0.1;
      ts[i] = t;
      vs[i] = v;
    }
    const within = 1 + Math.floor(random() * 20);
    let best = 0;
    for (let i = 0; i < n; i++)
      for (let j = i; j < n && ts[j]! - ts[i]! <= within; j++)
        best = Math.max(best, vs[i]! - vs[j]!);
    assert.ok(Math.abs(largestDrop({ timestampsMs: ts, values: vs }, within).drop - best) < 1e-12);
  }
});

const NOW_MS = Date.UTC(2026, 10, 28, 12);
const WRITTEN_POLICY: BudgetPolicy = {
  ...DEFAULT_BUDGET_POLICY,
  rules: [
    {
      kind: 'exhausted-for',
      name: 'exhausted 4w',
      durationMs: 28 * DAY_MS,
      state: 'freeze',
      action: 'Freeze.',
    },
    {
      kind: 'budget-drop',
      name: 'incident',
      fraction: 0.2,
      withinMs: DAY_MS,
      action: 'Postmortem with a P0 action item.',
    },
  ],
};

/** A store with the recorded budget remaining of four SLOs over 35 days, every 2 minutes. */
async function historyStore(): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  const from = NOW_MS - 35 * DAY_MS;
  const step = 120_000;
  // Exhausted for all 35 days.
  await writeSeries(
    storage,
    BUDGET_REMAINING_METRIC,
    'long-exhausted',
    from,
    NOW_MS,
    step,
    () => -0.3,
  );
  // Exhausted only for the last 14 days (a 15% step down: no big incident).
  await writeSeries(storage, BUDGET_REMAINING_METRIC, 'short-exhausted', from, NOW_MS, step, (t) =>
    t < NOW_MS - 14 * DAY_MS ? 0.05 : -0.1,
  );
  // An incident 10 days ago: 25% spent within 6 hours.
  const incident = NOW_MS - 10 * DAY_MS;
  await writeSeries(storage, BUDGET_REMAINING_METRIC, 'incident-slo', from, NOW_MS, step, (t) =>
    t < incident
      ? 0.9
      : t < incident + 6 * 3_600_000
        ? 0.9 - (0.25 * (t - incident)) / (6 * 3_600_000)
        : 0.65,
  );
  // A slow burn: 30% over 5 days (6% a day), never 20% within a day.
  const slow = NOW_MS - 8 * DAY_MS;
  await writeSeries(storage, BUDGET_REMAINING_METRIC, 'slow-slo', from, NOW_MS, step, (t) =>
    t < slow ? 0.9 : t < slow + 5 * DAY_MS ? 0.9 - (0.3 * (t - slow)) / (5 * DAY_MS) : 0.6,
  );
  return storage;
}

test('written rules over history from the real engine: exhausted for 4 weeks, one big incident', async () => {
  const history = budgetHistoryFromQueryApi(new Engine({ queryable: await historyStore() }));
  const at = { evaluatedAtMs: NOW_MS, periodStartMs: NOW_MS - 30 * DAY_MS };

  const long = await evaluatePolicy(
    [statusFixture('long-exhausted', -0.3, at)],
    WRITTEN_POLICY,
    history,
  );
  assert.equal(long.state, 'freeze');
  assert.deepEqual(
    long.triggeredRules.map((t) => [t.rule, t.sloId, t.action, t.state]),
    [['exhausted 4w', 'long-exhausted', 'Freeze.', 'freeze']],
  );
  assert.match(long.verdict, /; rule: Freeze\.$/);

  const short = await evaluatePolicy(
    [statusFixture('short-exhausted', -0.1, at)],
    WRITTEN_POLICY,
    history,
  );
  assert.equal(short.state, 'freeze'); // by the threshold, not the rule
  assert.deepEqual(short.triggeredRules, []);

  const incident = await evaluatePolicy(
    [statusFixture('incident-slo', 0.65, at)],
    WRITTEN_POLICY,
    history,
  );
  assert.equal(incident.state, 'ship'); // the rule sets no state
  assert.equal(incident.triggeredRules.length, 1);
  const t = incident.triggeredRules[0]!;
  assert.equal(t.rule, 'incident');
  assert.equal(t.action, 'Postmortem with a P0 action item.');
  const m = /^incident-slo: (\d+\.\d)% of the budget was spent between (\S+) and (\S+) /.exec(
    t.detail,
  );
  assert.ok(m !== null, t.detail);
  assert.equal(m[1], '25.0');
  const incidentAt = NOW_MS - 10 * DAY_MS;
  const [fromText, toText] = [m[2]!, m[3]!];
  // Times are as precise as the history step: 30 days over 5000 points, 519 s.
  assert.ok(Math.abs(Date.parse(fromText) - incidentAt) <= 519_000, fromText);
  assert.ok(Math.abs(Date.parse(toText) - (incidentAt + 6 * 3_600_000)) <= 519_000, toText);

  const slow = await evaluatePolicy([statusFixture('slow-slo', 0.6, at)], WRITTEN_POLICY, history);
  assert.deepEqual(slow.triggeredRules, []);
  assert.equal(slow.state, 'ship');
});

test('budget history over the engine: labels pick the SLO; staleness markers and gaps leave points out', async () => {
  const storage = new MemoryStorage();
  const from = NOW_MS - 3_600_000;
  await writeSeries(storage, BUDGET_REMAINING_METRIC, 'a-x', from, NOW_MS, 60_000, (t) =>
    t === from + 30 * 60_000 ? STALE_NAN : 0.5,
  );
  await writeSeries(storage, BUDGET_REMAINING_METRIC, 'b-x', from, NOW_MS, 60_000, () => 0.1);
  const history = budgetHistoryFromQueryApi(new Engine({ queryable: storage }));
  const h: HistorySeries = await history.budgetRemaining('a-x', from, NOW_MS, 60_000);
  // 61 steps; the stale marker at minute 30 hides that step.
  assert.equal(h.values.length, 60);
  assert.ok(h.values.every((v) => v === 0.5));
  assert.ok(!Array.from(h.timestampsMs).includes(from + 30 * 60_000));
  const none = await history.budgetRemaining('nope', from, NOW_MS, 60_000);
  assert.equal(none.values.length, 0);
  await writeSeries(
    storage,
    'slo:sli_error:ratio_rate5m',
    'a-x',
    from,
    NOW_MS,
    60_000,
    () => 0.002,
    {
      sloth_window: '5m',
    },
  );
  const mean = await history.meanErrorRatio('a-x', from + 600_000, NOW_MS, 600_000);
  assert.equal(mean.values.length, 6);
  assert.ok(mean.values.every((v) => Math.abs(v - 0.002) < 1e-15));
});

test('a failing history source is a reason, not a crash', async () => {
  const failing: BudgetHistory = {
    budgetRemaining: () => Promise.reject(new Error('backend down')),
  };
  const d = await evaluatePolicy([statusFixture('api-a', 0.7)], WRITTEN_POLICY, failing);
  assert.equal(d.state, 'ship');
  assert.ok(d.reasons.includes('rule "exhausted 4w" not evaluated for api-a: backend down'));
});

test('a policy written in YAML loads onto the service', () => {
  const set = parseSloDocument(
    [
      'service: checkout',
      'slos:',
      '  availability:',
      '    sli: { ratio: { bad: "sum(rate(e[{{.window}}]))", total: "sum(rate(t[{{.window}}]))" } }',
      '    target: 99.9%',
      '    window: 30d',
      'policy:',
      '  thresholds: { ship: 60%, balance: 20% }',
      '  rules:',
      '    - exhaustedFor: 4w',
      '      state: freeze',
      '      action: Freeze feature work.',
      '    - budgetDrop: 20%',
      '      within: 1d',
      '      action: Postmortem with a P0 action item.',
      '',
    ].join('\n'),
    'checkout.yaml',
  );
  const policy = set.services[0]?.policy;
  assert.deepEqual(policy?.thresholds, { ship: 0.6, balance: 0.2 });
  assert.deepEqual(
    policy?.rules.map((r) => [r.kind, r.name, r.state]),
    [
      ['exhausted-for', 'budget exhausted for 4w', 'freeze'],
      ['budget-drop', 'more than 20% of the budget spent within 1d', undefined],
    ],
  );
  // JSON round trip (the API serves it as data).
  assert.deepEqual(JSON.parse(JSON.stringify(policy)), policy);
});
