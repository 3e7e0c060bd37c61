import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { parseRuleFile } from '@vigil/rules';
import type { Slo } from '../model.js';
import { parseAlertWindowsSpec } from './alert-windows-spec.js';
import { formatRuleFile } from './rule-file-text.js';
import {
  eventCountExpr,
  generateRuleGroups,
  planSloRules,
  type GeneratedAlertingRule,
  type GeneratedRecordingRule,
  type GeneratedRuleGroup,
} from './rule-groups.js';

const DAY_MS = 86_400_000;
const tier = { enabled: true, labels: {}, annotations: {} };
const BASE: Slo = {
  id: 'api-avail',
  service: 'api',
  name: 'avail',
  sli: {
    kind: 'ratio',
    numerator: 'good',
    numeratorQuery: 'sum(rate(req_total{code!~"5.."}[{{.window}}]))',
    totalQuery: 'sum(rate(req_total[{{.window}}]))',
  },
  objective: { target: 0.999 },
  window: { kind: 'rolling', durationMs: 30 * DAY_MS },
  budgetingMethod: 'occurrences',
  labels: { team: 'core' },
  alerting: { labels: { owner: 'a' }, annotations: {}, page: tier, ticket: tier },
  exclusions: [],
  evaluable: true,
  source: { format: 'vigil', file: 'x.yml', path: 'slos.avail' },
};

function group(groups: GeneratedRuleGroup[], prefix: string): GeneratedRuleGroup | undefined {
  return groups.find((g) => g.name === `${prefix}-api-avail`);
}
function alerts(g: GeneratedRuleGroup | undefined): GeneratedAlertingRule[] {
  return (g?.rules ?? []).filter((r): r is GeneratedAlertingRule => 'alert' in r);
}

describe('generateRuleGroups', () => {
  it("adds Vigil's group by default and leaves it out in Sloth-compatible mode", () => {
    const vigil = generateRuleGroups([BASE]);
    assert.deepEqual(
      vigil.map((g) => g.name),
      [
        'sloth-slo-sli-recordings-api-avail',
        'sloth-slo-meta-recordings-api-avail',
        'sloth-slo-alerts-api-avail',
        'vigil-slo-alerts-api-avail',
      ],
    );
    const extra = alerts(group(vigil, 'vigil-slo-alerts'));
    assert.deepEqual(
      extra.map((r) => [r.alert, r.labels['vigil_alert'], r.labels['sloth_severity'], r.for]),
      [
        ['ApiAvailErrorBudgetBurnBudgetExhausted', 'budget-exhausted', 'ticket', undefined],
        ['ApiAvailErrorBudgetBurnNoData', 'no-data', 'ticket', '10m'],
      ],
    );
    const compat = generateRuleGroups([BASE], { slothCompatible: true });
    assert.equal(group(compat, 'vigil-slo-alerts'), undefined);
  });

  it('honours tier switches, labels and annotations, and the no-data delay', () => {
    const slo: Slo = {
      ...BASE,
      alerting: {
        ...BASE.alerting,
        name: 'Avail',
        page: { enabled: false, labels: {}, annotations: {} },
        ticket: { enabled: true, labels: { route: 'jira' }, annotations: { runbook: 'r' } },
        budgetExhausted: { enabled: false, labels: {}, annotations: {} },
        noData: { enabled: true, labels: { sev: 'low' }, annotations: {} },
        noDataForMs: 30 * 60_000,
      },
    };
    const groups = generateRuleGroups([slo]);
    const burn = alerts(group(groups, 'sloth-slo-alerts'));
    assert.equal(burn.length, 1);
    assert.deepEqual(burn[0]?.labels, { owner: 'a', route: 'jira', sloth_severity: 'ticket' });
    assert.equal(burn[0]?.annotations['runbook'], 'r');
    const extra = alerts(group(groups, 'vigil-slo-alerts'));
    assert.deepEqual(
      extra.map((r) => [r.alert, r.for, r.labels['sev']]),
      [['AvailNoData', '30m', 'low']],
    );
  });

  it('guards burn-rate pairs with minEvents for event SLIs only, and not in Sloth mode', () => {
    const slo: Slo = { ...BASE, alerting: { ...BASE.alerting, minEvents: 50 } };
    const expr = alerts(group(generateRuleGroups([slo]), 'sloth-slo-alerts'))[0]?.expr ?? '';
    assert.equal(expr.match(/and on\(\)/g)?.length, 2);
    assert.match(expr, /\(sum\(sum\(rate\(req_total\[1h\]\)\)\) \* 3600 >= 50\)/);
    assert.match(expr, /\(sum\(sum\(rate\(req_total\[6h\]\)\)\) \* 21600 >= 50\)/);
    const compat = generateRuleGroups([slo], { slothCompatible: true });
    assert.doesNotMatch(alerts(group(compat, 'sloth-slo-alerts'))[0]?.expr ?? '', /and on\(\)/);
    const raw: Slo = { ...slo, sli: { kind: 'raw', errorRatioQuery: 'max(e[{{.window}}])' } };
    assert.doesNotMatch(
      alerts(group(generateRuleGroups([raw]), 'sloth-slo-alerts'))[0]?.expr ?? '',
      /and on\(\)/,
    );
    assert.equal(
      eventCountExpr(
        { kind: 'completeness', goodQuery: 'x', totalQuery: 'sum(increase(r[{{.window}}]))' },
        3_600_000,
      ),
      'sum(sum(increase(r[1h])))',
    );
  });

  it('exports calendar windows with their nominal period and scales the burn factors', () => {
    const slo: Slo = { ...BASE, window: { kind: 'calendar', unit: 'week', timeZone: 'UTC' } };
    const plan = planSloRules(slo);
    assert.equal(plan.periodMs, 7 * DAY_MS);
    const groups = generateRuleGroups([slo]);
    const meta = group(groups, 'sloth-slo-meta-recordings')?.rules as GeneratedRecordingRule[];
    assert.equal(meta.find((r) => r.record === 'slo:time_period:days')?.expr, 'vector(7)');
    const sli = group(groups, 'sloth-slo-sli-recordings')?.rules.map((r) =>
      'record' in r ? r.record : '',
    );
    assert.equal(sli?.at(-1), 'slo:sli_error:ratio_rate1w');
    // 2% of a 7-day budget in 1 h: 2 × 168 / 100 / 1 = 3.36.
    assert.match(alerts(group(groups, 'sloth-slo-alerts'))[0]?.expr ?? '', /\(3\.36 \* /);
  });

  it('uses a window catalog and reports a period it lacks', () => {
    const spec = `apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 30d
  page:
    quick: { errorBudgetPercent: 1, shortWindow: 2m, longWindow: 30m }
    slow: { errorBudgetPercent: 2, shortWindow: 15m, longWindow: 3h }
  ticket:
    quick: { errorBudgetPercent: 5, shortWindow: 1h, longWindow: 12h }
    slow: { errorBudgetPercent: 5, shortWindow: 3h, longWindow: 36h }
`;
    const windowCatalog = parseAlertWindowsSpec(spec, 'custom.yaml');
    const plan = planSloRules(BASE, { windowCatalog });
    assert.deepEqual(
      plan.recordingWindowsMs.map((ms) => ms / 60_000),
      [2, 15, 30, 60, 180, 720, 2160, 43200],
    );
    const weekly: Slo = { ...BASE, window: { kind: 'rolling', durationMs: 7 * DAY_MS } };
    assert.throws(
      () => generateRuleGroups([weekly], { windowCatalog }),
      (err) =>
        isVigilError(err) &&
        err.code === ErrorCodes.SLO_SPEC_INVALID &&
        /1w period/.test(err.message),
    );
    assert.throws(() => parseAlertWindowsSpec('kind: Other\n', 'bad.yaml'), /bad\.yaml/);
  });

  it('skips SLOs that are not evaluable, and writes files our rule parser accepts', () => {
    const off: Slo = { ...BASE, id: 'api-off', name: 'off', evaluable: false };
    const groups = generateRuleGroups([BASE, off], { extraLabels: { team: 'x', env: 'p' } });
    assert.ok(groups.every((g) => !g.name.endsWith('api-off')));
    const rec = group(groups, 'sloth-slo-sli-recordings')?.rules[0] as GeneratedRecordingRule;
    assert.equal(rec.labels['team'], 'x', 'extra labels win over SLO labels');
    assert.equal(rec.labels['env'], 'p');
    const burn = alerts(group(groups, 'sloth-slo-alerts'))[0];
    assert.equal(burn?.labels['env'], undefined, 'extra labels are not put on alerts');
    const text = formatRuleFile(groups, ['header']);
    assert.ok(text.startsWith('# header\n\ngroups:\n'));
    const parsed = parseRuleFile(text, 'out.yml');
    assert.equal(parsed.length, 4);
    assert.equal(
      parsed.reduce((n, g) => n + g.rules.length, 0),
      8 + 7 + 2 + 2,
    );
  });
});

describe('SLO plugins', () => {
  const plugged = (plugins: Slo['plugins']): Slo => ({
    ...BASE,
    source: { ...BASE.source, format: 'sloth' },
    ...(plugins === undefined ? {} : { plugins }),
  });

  it('rule_intervals sets per-kind intervals, info_labels merges labels, in priority order', () => {
    const slo = plugged([
      { id: 'sloth.dev/contrib/info_labels/v1', priority: 5, config: { labels: { a: 'late' } } },
      {
        id: 'sloth.dev/contrib/rule_intervals/v1',
        priority: 0,
        config: { interval: { default: '1m', sliError: '30s', alert: '2m' } },
      },
      { id: 'sloth.dev/contrib/info_labels/v1', priority: 1, config: { labels: { a: 'x', b: 2 } } },
      { id: 'sloth.dev/contrib/info_labels/v1', priority: -1, config: { labels: { c: 'gone' } } },
    ]);
    const groups = generateRuleGroups([slo]);
    assert.deepEqual(
      groups.map((g) => [g.name.replace(/-api-avail$/, ''), g.interval]),
      [
        ['sloth-slo-sli-recordings', '30s'],
        ['sloth-slo-meta-recordings', '1m'],
        ['sloth-slo-alerts', '2m'],
        ['vigil-slo-alerts', undefined],
      ],
    );
    const info = group(groups, 'sloth-slo-meta-recordings')?.rules.find(
      (r) => 'record' in r && r.record === 'sloth_slo_info',
    );
    assert.equal(info?.labels['a'], 'late');
    assert.equal(info?.labels['b'], '2');
    assert.equal(info?.labels['c'], undefined, 'a plugin before the defaults changes nothing');
    assert.match(
      formatRuleFile(groups),
      /- name: sloth-slo-sli-recordings-api-avail\n {2}interval: 30s\n/,
    );
  });

  it('rejects unknown plugins and bad configurations, and accepts registered ones', () => {
    assert.throws(
      () => generateRuleGroups([plugged([{ id: 'x/y', priority: 0, config: {} }])]),
      /SLO plugin "x\/y" is not known/,
    );
    assert.throws(
      () =>
        generateRuleGroups([
          plugged([
            {
              id: 'sloth.dev/contrib/rule_intervals/v1',
              priority: 0,
              config: { interval: { default: 'soon' } },
            },
          ]),
        ]),
      (err) => isVigilError(err) && /rule_intervals\/v1" failed: config must be/.test(err.message),
    );
    const groups = generateRuleGroups([plugged([{ id: 'x/y', priority: 0, config: {} }])], {
      sloPlugins: new Map([
        ['x/y', ({ groups: g }) => g.filter((x) => !x.name.includes('alerts'))],
      ]),
    });
    assert.deepEqual(
      groups.map((g) => g.name),
      [
        'sloth-slo-sli-recordings-api-avail',
        'sloth-slo-meta-recordings-api-avail',
        'vigil-slo-alerts-api-avail',
      ],
    );
  });
});
