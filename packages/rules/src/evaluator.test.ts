import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStaleNaN, newLabelMatcher, STALE_NAN } from '@vigil/model';
import { Engine } from '@vigil/promql';
import type { QueryApi } from '@vigil/promql';
import { labelsFromRecord, labelsToRecord, MemoryStorage } from '@vigil/storage';
import { Registry } from '@vigil/sdk';
import { waitFor } from '@vigil/testing';
import { RuleManager } from './evaluator.js';
import type { RulesLogger } from './evaluator.js';
import { parseRuleFile } from './rule-file.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

/** Samples of the series named `name`: `stale` stands for a staleness marker (checked bit for bit). */
function dump(
  storage: MemoryStorage,
  name: string,
): { labels: Record<string, string>; samples: [number, number | 'stale'][] }[] {
  const q = storage.querier(-Infinity, Infinity);
  const set = q.select([newLabelMatcher('=', '__name__', name)], { sorted: true });
  const out: { labels: Record<string, string>; samples: [number, number | 'stale'][] }[] = [];
  while (set.next()) {
    const s = set.at();
    const it = s.iterator();
    const samples: [number, number | 'stale'][] = [];
    while (it.next()) {
      const v = it.value();
      samples.push([it.timestampMs(), isStaleNaN(v) ? 'stale' : v]);
    }
    out.push({ labels: labelsToRecord(s.labels), samples });
  }
  q.close();
  return out;
}

async function write(
  storage: MemoryStorage,
  series: Record<string, string>,
  tMs: number,
  v: number,
): Promise<void> {
  const app = storage.appender();
  app.append(0, labelsFromRecord(series), tMs, v);
  await app.commit();
}

function setup(yaml: string, extra: Partial<ConstructorParameters<typeof RuleManager>[0]> = {}) {
  const storage = new MemoryStorage();
  const engine = new Engine({ queryable: storage });
  const groups = parseRuleFile(yaml, 'test.yml');
  const manager = new RuleManager({ queryApi: engine, appendable: storage, ...extra });
  manager.load(groups);
  return { storage, engine, groups, manager };
}

describe('recording rules', () => {
  it('write their result under the record name with rule labels, and staleness markers for vanished series', async () => {
    const { storage, manager } = setup(`
groups:
  - name: rec
    labels: {origin: group}
    rules:
      - record: job:x:double
        expr: x * 2
        labels: {team: t, drop: ""}
`);
    await write(storage, { __name__: 'x', a: '1', drop: 'me' }, T0, 1);
    await write(storage, { __name__: 'x', a: '2', drop: 'me' }, T0, 2);
    await manager.evaluateGroup('rec', T0);
    await write(storage, { __name__: 'x', a: '1', drop: 'me' }, T0 + MIN, 3);
    await write(storage, { __name__: 'x', a: '2', drop: 'me' }, T0 + MIN, STALE_NAN);
    await manager.evaluateGroup('rec', T0 + MIN);
    await manager.evaluateGroup('rec', T0 + 2 * MIN);
    assert.deepEqual(dump(storage, 'job:x:double'), [
      {
        labels: { __name__: 'job:x:double', a: '1', origin: 'group', team: 't' },
        samples: [
          [T0, 2],
          [T0 + MIN, 6],
          [T0 + 2 * MIN, 6],
        ],
      },
      {
        labels: { __name__: 'job:x:double', a: '2', origin: 'group', team: 't' },
        samples: [
          [T0, 4],
          [T0 + MIN, 'stale'],
        ],
      },
    ]);
    const [group] = manager.rules().groups;
    assert.equal(group!.rules[0]!.health, 'ok');
    assert.equal(group!.lastEvaluation, new Date(T0 + 2 * MIN).toISOString().replace('.000Z', 'Z'));
  });

  it('write a scalar result as one series and honour query_offset', async () => {
    const { storage, manager } = setup(`
groups:
  - name: s
    query_offset: 30s
    rules:
      - record: answer
        expr: "42"
`);
    await manager.evaluateGroup('s', T0);
    assert.deepEqual(dump(storage, 'answer'), [
      { labels: { __name__: 'answer' }, samples: [[T0 - 30_000, 42]] },
    ]);
  });

  it('fail with the limit exceeded and record the error', async () => {
    const { storage, manager } = setup(`
groups:
  - name: l
    limit: 1
    rules:
      - record: y
        expr: x
`);
    await write(storage, { __name__: 'x', a: '1' }, T0, 1);
    await write(storage, { __name__: 'x', a: '2' }, T0, 1);
    await manager.evaluateGroup('l', T0);
    const rule = manager.rules().groups[0]!.rules[0]!;
    assert.equal(rule.health, 'err');
    assert.equal(rule.lastError, 'exceeded limit of 1 with 2 series');
    assert.deepEqual(dump(storage, 'y'), []);
  });
});

const ALERT_RULES = `
groups:
  - name: alerts
    interval: 1m
    rules:
      - alert: HighErrors
        expr: errors > 5
        for: 2m
        keep_firing_for: 2m
        labels:
          severity: page
          service: "svc-{{ $labels.job }}"
        annotations:
          summary: "{{ $labels.job }} has {{ $value }} errors in {{ $externalLabels.cluster }}"
          human: "{{ humanize $value }}"
`;

describe('alerting rules', () => {
  it('go inactive → pending → firing → kept firing → resolved, writing ALERTS and ALERTS_FOR_STATE', async () => {
    const logged: string[] = [];
    const logger: RulesLogger = {
      info: (_o, msg) => logged.push(msg),
      warn: (_o, msg) => logged.push(msg),
      error: (_o, msg) => logged.push(msg),
    };
    const { storage, manager } = setup(ALERT_RULES, { externalLabels: { cluster: 'eu1' }, logger });
    const series = { __name__: 'errors', job: 'api' };
    const states: string[] = [];
    const values = [10, 10, 10, 1, 1, 1];
    for (let i = 0; i < values.length; i++) {
      const t = T0 + (i + 1) * MIN;
      await write(storage, series, t, values[i]!);
      await manager.evaluateGroup('alerts', t);
      const all = manager.alertStates();
      states.push(all.map((a) => a.state).join(',') || 'none');
    }
    assert.deepEqual(states, ['pending', 'pending', 'firing', 'firing', 'firing', 'inactive']);
    const [alert] = manager.alertStates();
    assert.deepEqual(alert, {
      labels: { alertname: 'HighErrors', job: 'api', service: 'svc-api', severity: 'page' },
      annotations: { summary: 'api has 10 errors in eu1', human: '10' },
      state: 'inactive',
      value: 10,
      activeAtMs: T0 + MIN,
      firedAtMs: T0 + 3 * MIN,
      resolvedAtMs: T0 + 6 * MIN,
      keepFiringSinceMs: T0 + 4 * MIN,
    });
    assert.deepEqual(manager.alerts(), { alerts: [] });
    const labels = { alertname: 'HighErrors', job: 'api', service: 'svc-api', severity: 'page' };
    assert.deepEqual(dump(storage, 'ALERTS'), [
      {
        labels: { __name__: 'ALERTS', ...labels, alertstate: 'firing' },
        samples: [
          [T0 + 3 * MIN, 1],
          [T0 + 4 * MIN, 1],
          [T0 + 5 * MIN, 1],
          [T0 + 6 * MIN, 'stale'],
        ],
      },
      {
        labels: { __name__: 'ALERTS', ...labels, alertstate: 'pending' },
        samples: [
          [T0 + MIN, 1],
          [T0 + 2 * MIN, 1],
          [T0 + 3 * MIN, 'stale'],
        ],
      },
    ]);
    // Not written on the first evaluation (before for-state restoration), then every evaluation.
    const activeAtSeconds = (T0 + MIN) / 1000;
    assert.deepEqual(dump(storage, 'ALERTS_FOR_STATE'), [
      {
        labels: { __name__: 'ALERTS_FOR_STATE', ...labels },
        samples: [
          [T0 + 2 * MIN, activeAtSeconds],
          [T0 + 3 * MIN, activeAtSeconds],
          [T0 + 4 * MIN, activeAtSeconds],
          [T0 + 5 * MIN, activeAtSeconds],
          [T0 + 6 * MIN, 'stale'],
        ],
      },
    ]);
    assert.deepEqual(logged, ['alert firing', 'alert resolved']);
    // Resolved alerts are kept 15 minutes, then dropped.
    await manager.evaluateGroup('alerts', T0 + 21 * MIN);
    assert.equal(manager.alertStates().length, 1);
    await manager.evaluateGroup('alerts', T0 + 21 * MIN + 1000);
    assert.equal(manager.alertStates().length, 0);
  });

  it('fire at once without for, and a returning condition starts a new alert', async () => {
    const { storage, manager } = setup(`
groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
`);
    await write(storage, { __name__: 'up', job: 'a' }, T0, 0);
    await manager.evaluateGroup('g', T0);
    assert.deepEqual(
      manager.alertStates().map((a) => [a.state, a.activeAtMs, a.firedAtMs]),
      [['firing', T0, T0]],
    );
    await write(storage, { __name__: 'up', job: 'a' }, T0 + MIN, 1);
    await manager.evaluateGroup('g', T0 + MIN);
    assert.equal(manager.alertStates()[0]!.state, 'inactive');
    await write(storage, { __name__: 'up', job: 'a' }, T0 + 2 * MIN, 0);
    await manager.evaluateGroup('g', T0 + 2 * MIN);
    assert.deepEqual(
      manager.alertStates().map((a) => [a.state, a.activeAtMs, a.resolvedAtMs]),
      [['firing', T0 + 2 * MIN, undefined]],
    );
  });

  it('report rules and alerts in the shapes of /api/v1/rules and /api/v1/alerts', async () => {
    const { storage, manager } = setup(ALERT_RULES, { externalLabels: { cluster: 'eu1' } });
    await write(storage, { __name__: 'errors', job: 'api' }, T0, 12.5);
    await manager.evaluateGroup('alerts', T0);
    const activeAt = new Date(T0).toISOString().replace('.000Z', 'Z');
    const apiAlert = {
      labels: { alertname: 'HighErrors', job: 'api', service: 'svc-api', severity: 'page' },
      annotations: { summary: 'api has 12.5 errors in eu1', human: '12.5' },
      state: 'pending',
      activeAt,
      value: '1.25e+01',
    };
    assert.deepEqual(manager.alerts(), { alerts: [apiAlert] });
    const { groups } = manager.rules();
    assert.equal(groups.length, 1);
    const g = groups[0]!;
    assert.equal(g.name, 'alerts');
    assert.equal(g.file, 'test.yml');
    assert.equal(g.interval, 60);
    assert.equal(g.limit, 0);
    assert.equal(g.lastEvaluation, activeAt);
    assert.ok(g.evaluationTime >= 0 && g.evaluationTime < 5);
    const rule = g.rules[0]!;
    assert.ok(rule.evaluationTime >= 0);
    assert.deepEqual(
      { ...rule, evaluationTime: 0 },
      {
        type: 'alerting',
        state: 'pending',
        name: 'HighErrors',
        query: 'errors > 5',
        duration: 120,
        keepFiringFor: 120,
        labels: { severity: 'page', service: 'svc-{{ $labels.job }}' },
        annotations: {
          summary: '{{ $labels.job }} has {{ $value }} errors in {{ $externalLabels.cluster }}',
          human: '{{ humanize $value }}',
        },
        alerts: [apiAlert],
        health: 'ok',
        evaluationTime: 0,
        lastEvaluation: activeAt,
      },
    );
    const fresh = setup(ALERT_RULES).manager.rules().groups[0]!;
    assert.equal(fresh.lastEvaluation, '0001-01-01T00:00:00Z');
    assert.equal(fresh.rules[0]!.health, 'unknown');
  });

  it('mark a rule whose query fails unhealthy, log it, and go on with the next rules', async () => {
    const warned: object[] = [];
    const logger: RulesLogger = { info: () => {}, warn: (o) => warned.push(o), error: () => {} };
    const { storage, manager } = setup(
      `
groups:
  - name: g
    rules:
      - alert: Dup
        expr: '{__name__=~"a|b"} + 0'
      - record: str
        expr: '"text"'
      - record: ok
        expr: a
`,
      { logger },
    );
    await write(storage, { __name__: 'a', job: 'x' }, T0, 1);
    await write(storage, { __name__: 'b', job: 'x' }, T0, 1);
    await manager.evaluateGroup('g', T0);
    const rules = manager.rules().groups[0]!.rules;
    assert.deepEqual(
      rules.map((r) => r.health),
      ['err', 'err', 'ok'],
    );
    assert.match(rules[0]!.lastError!, /same labelset/);
    assert.equal(rules[1]!.lastError, 'rule result is not a vector or scalar: got string');
    assert.equal(warned.length, 2);
    assert.deepEqual(dump(storage, 'ok'), [
      { labels: { __name__: 'ok', job: 'x' }, samples: [[T0, 1]] },
    ]);
  });

  it('recover health once the query succeeds again', async () => {
    const storage = new MemoryStorage();
    const engine = new Engine({ queryable: storage });
    let fail = true;
    const flaky: QueryApi = {
      instantQuery: (q, t, o) =>
        fail ? Promise.reject(new Error('backend down')) : engine.instantQuery(q, t, o),
      rangeQuery: (q, s, e, st, o) => engine.rangeQuery(q, s, e, st, o),
    };
    const manager = new RuleManager({ queryApi: flaky, appendable: storage });
    manager.load(
      parseRuleFile('groups:\n- name: g\n  rules:\n  - record: r\n    expr: vector(1)\n', 'f.yml'),
    );
    await manager.evaluateGroup('g', T0);
    assert.equal(manager.rules().groups[0]!.rules[0]!.lastError, 'backend down');
    fail = false;
    await manager.evaluateGroup('g', T0 + MIN);
    const rule = manager.rules().groups[0]!.rules[0]!;
    assert.equal(rule.health, 'ok');
    assert.equal(rule.lastError, undefined);
    // A failing evaluation writes nothing and does not mark the rule's series stale.
    fail = true;
    await manager.evaluateGroup('g', T0 + 2 * MIN);
    fail = false;
    await manager.evaluateGroup('g', T0 + 3 * MIN);
    assert.deepEqual(dump(storage, 'r'), [
      {
        labels: { __name__: 'r' },
        samples: [
          [T0 + MIN, 1],
          [T0 + 3 * MIN, 1],
        ],
      },
    ]);
  });
});

describe('for-state restoration', () => {
  const RULES = `
groups:
  - name: g
    rules:
      - alert: Slow
        expr: latency > 1
        for: 15m
`;
  const series = { __name__: 'latency', job: 'db' };

  async function run(
    manager: RuleManager,
    storage: MemoryStorage,
    fromMin: number,
    toMin: number,
  ): Promise<void> {
    for (let m = fromMin; m <= toMin; m++) {
      await write(storage, series, T0 + m * MIN, 2);
      await manager.evaluateGroup('g', T0 + m * MIN);
    }
  }

  it('restores activeAt after a restart so that time pending before the outage counts', async () => {
    const { storage, engine, groups, manager } = setup(RULES);
    await run(manager, storage, 0, 5);
    assert.equal(manager.alertStates()[0]!.activeAtMs, T0);
    // Down from T0+5m to T0+15m; a new manager over the same storage.
    const restarted = new RuleManager({ queryApi: engine, appendable: storage });
    restarted.load(groups);
    await run(restarted, storage, 15, 15);
    // 5 of 15 minutes were spent pending; the outage of 10 minutes does not count.
    assert.equal(restarted.alertStates()[0]!.activeAtMs, T0 + 10 * MIN);
    await run(restarted, storage, 16, 24);
    assert.equal(restarted.alertStates()[0]!.state, 'pending');
    await run(restarted, storage, 25, 25);
    assert.equal(restarted.alertStates()[0]!.state, 'firing');
    const forState = dump(storage, 'ALERTS_FOR_STATE')[0]!.samples;
    assert.deepEqual(
      forState.find(([t]) => t === T0 + 16 * MIN),
      [T0 + 16 * MIN, (T0 + 10 * MIN) / 1000],
    );
  });

  it('gives at least the grace period when little pending time remained', async () => {
    const { storage, engine, groups, manager } = setup(RULES);
    await run(manager, storage, 0, 8);
    const restarted = new RuleManager({ queryApi: engine, appendable: storage });
    restarted.load(groups);
    await run(restarted, storage, 20, 20);
    // 7 minutes remained, less than the 10-minute grace period: fire 10 minutes after the restart.
    assert.equal(restarted.alertStates()[0]!.activeAtMs, T0 + 20 * MIN + 10 * MIN - 15 * MIN);
  });

  it('does not restore beyond the outage tolerance', async () => {
    const { storage, engine, groups, manager } = setup(RULES);
    await run(manager, storage, 0, 5);
    const restarted = new RuleManager({
      queryApi: engine,
      appendable: storage,
      outageToleranceMs: 30 * MIN,
    });
    restarted.load(groups);
    await run(restarted, storage, 40, 40);
    assert.equal(restarted.alertStates()[0]!.activeAtMs, T0 + 40 * MIN);
  });
});

describe('RuleManager', () => {
  it('keeps alert state across load() of an unchanged group, and drops it for a changed one', async () => {
    const { storage, manager, groups } = setup(ALERT_RULES);
    await write(storage, { __name__: 'errors', job: 'api' }, T0, 10);
    await manager.evaluateGroup('alerts', T0);
    manager.load(parseRuleFile(ALERT_RULES, 'test.yml'));
    assert.deepEqual(
      manager.alertStates().map((a) => [a.state, a.activeAtMs]),
      [['pending', T0]],
    );
    manager.load(parseRuleFile(ALERT_RULES.replace('for: 2m', 'for: 3m'), 'test.yml'));
    assert.deepEqual(manager.alertStates(), []);
    assert.equal(groups.length, 1);
  });

  it('identifies groups by file and name, as Prometheus: a name may repeat across files only', async () => {
    const yaml = 'groups:\n- name: g\n  rules:\n  - record: r\n    expr: vector(1)\n';
    const { storage, manager, groups } = setup(yaml);
    assert.throws(() => manager.load([...groups, ...groups]), /appears twice in test.yml/);
    const other = parseRuleFile(yaml.replace('vector(1)', 'vector(2)'), 'other.yml');
    manager.load([...groups, ...other]);
    await assert.rejects(manager.evaluateGroup('g', T0), /loaded from 2 files; pass the file/);
    await manager.evaluateGroup('g', T0, 'other.yml');
    assert.deepEqual(dump(storage, 'r'), [{ labels: { __name__: 'r' }, samples: [[T0, 2]] }]);
    await assert.rejects(manager.evaluateGroup('nope', T0), /No rule group named "nope"/);
    assert.equal(manager.rules().groups.length, 2);
  });

  it('marks the series of a group removed by a reload stale', async () => {
    let now = T0;
    const { storage, manager, groups } = setup(
      'groups:\n- name: gone\n  rules:\n  - record: r\n    expr: vector(1)\n' +
        '  - alert: A\n    expr: vector(1)\n',
      { now: () => now },
    );
    await manager.evaluateGroup('gone', T0);
    now = T0 + 10_000;
    manager.load(groups.filter((g) => g.name !== 'gone'));
    await manager.stop(); // waits for the markers
    assert.deepEqual(dump(storage, 'r')[0]!.samples, [
      [T0, 1],
      [T0 + 10_000, 'stale'],
    ]);
    assert.deepEqual(dump(storage, 'ALERTS')[0]!.samples, [
      [T0, 1],
      [T0 + 10_000, 'stale'],
    ]);
  });

  it('counts evaluations and failures in vigil_rule_* metrics per group', async () => {
    const registry = new Registry();
    const { manager } = setup(
      'groups:\n- name: g\n  interval: 15s\n  rules:\n  - record: ok\n    expr: vector(1)\n' +
        '  - record: bad\n    expr: label_replace(vector(1), "x", "y", "nope", "(")\n',
      { registry },
    );
    await manager.evaluateGroup('g', T0);
    await manager.evaluateGroup('g', T0 + 15_000);
    const text = await registry.metrics();
    assert.match(text, /^vigil_rule_evaluations_total\{rule_group="test.yml;g"\} 4$/m);
    assert.match(text, /^vigil_rule_evaluation_failures_total\{rule_group="test.yml;g"\} 2$/m);
    assert.match(text, /^vigil_rule_group_interval_seconds\{rule_group="test.yml;g"\} 15$/m);
    assert.match(text, /^vigil_rule_group_rules\{rule_group="test.yml;g"\} 2$/m);
    assert.match(
      text,
      /^vigil_rule_group_last_evaluation_timestamp_seconds\{rule_group="test.yml;g"\} 1700000015$/m,
    );
    manager.load([]);
    await manager.stop();
    assert.doesNotMatch(await registry.metrics(), /rule_group="test.yml;g"/);
  });

  it('evaluates groups on their interval between start() and stop()', async () => {
    const { storage, manager } = setup(
      'groups:\n- name: fast\n  interval: 50ms\n  rules:\n  - record: tick\n    expr: vector(1)\n',
    );
    manager.start();
    await waitFor(
      'three evaluations',
      () => ((dump(storage, 'tick')[0]?.samples.length ?? 0) >= 3 ? true : undefined),
      5000,
      20,
    );
    await manager.stop();
    const n = dump(storage, 'tick')[0]!.samples.length;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(dump(storage, 'tick')[0]!.samples.length, n);
    const times = dump(storage, 'tick')[0]!.samples.map(([t]) => t);
    for (const t of times) assert.equal(t % 50, times[0]! % 50);
  });
});
