import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSloFiles, parseSloDocument } from './load.js';
import { errorRatioExpr } from './model.js';
import { PEER_TESTS, assertSpecError, skipUnless, yamlFiles } from './test-fixtures.test-util.js';

const OPENSLO = join(PEER_TESTS, 'openslo');
const SPEC = join(OPENSLO, 'schema-test/spec-files');
const V1 = join(SPEC, 'v1');
const skip = skipUnless(OPENSLO);

/** Valid files from upstream's test table (SOURCE.md). */
const VALID = [
  'alert-condition/alert-condition.yaml',
  'alert-condition/alert-condition-no-description.yaml',
  'alert-notification-target/alert-notification-target.yaml',
  'alert-notification-target/alert-notification-target-no-description.yaml',
  'alert-policy/alert-policy.yaml',
  'alert-policy/alert-policy-inline-cond.yaml',
  'alert-policy/alert-policy-many-notificationref.yaml',
  'data-source/data-source.yaml',
  'service/service.yaml',
  'service/service-no-displayname.yaml',
  ...['description', 'no-description'].flatMap((d) =>
    ['ratio-bad', 'ratio-good', 'threshold'].flatMap((k) =>
      ['inline-metricsource', 'metricsourceref'].map((m) => `sli/sli-${d}-${k}-${m}.yaml`),
    ),
  ),
  ...['indicatorref', 'no-indicatorref'].flatMap((i) =>
    ['calendar', 'rolling'].flatMap((w) =>
      ['alerts', 'no-alerts'].map((a) => `slo/slo-${i}-${w}-${a}.yaml`),
    ),
  ),
];

/** Invalid files: upstream's table plus the three we decided (see SOURCE.md), with path and rule. */
const INVALID: [file: string, path: string, rule: RegExp][] = [
  ['v1/invalid-apiversion.yaml', 'apiVersion', /must be "openslo\/v1"/],
  ['v1/alert-condition/alert-condition-no-condition.yaml', 'spec.condition', /is required/],
  ['v1/alert-condition/alert-condition-no-sev.yaml', 'spec.severity', /is required/],
  [
    'v1/alert-notification-target/alert-notification-target-no-target.yaml',
    'spec.target',
    /is required/,
  ],
  [
    'v1/alert-policy/alert-policy-malformed-cond.yaml',
    'spec.conditions[0]',
    /either \{conditionRef/,
  ],
  [
    'v1/alert-policy/alert-policy-malformed-targetref.yaml',
    'spec.notificationTargets[0]',
    /either \{targetRef/,
  ],
  ['v1/alert-policy/alert-policy-many-cond.yaml', 'spec.conditions', /exactly one condition/],
  ['v1/alert-policy/alert-policy-no-cond.yaml', 'spec.conditions', /is required/],
  ['v1/alert-policy/alert-policy-no-notification.yaml', 'spec.notificationTargets', /is required/],
  ['v1/service/service-long-description.yaml', 'spec.description', /at most 1050/],
  // Not in upstream's table: good and bad both set (the README forbids it).
  ['v1/sli/sli-ratio-good-and-bad.yaml', 'spec.ratioMetric', /only one of good and bad/],
  // Not in upstream's table: good and bad both set, and total's spec is empty.
  [
    'v1/sli/sli-description-ratio-inline-metricsource.yaml',
    'spec.ratioMetric.total.metricSource.spec',
    /must be a map/,
  ],
  ['invalid-apiversion.yaml', 'apiVersion', /"foo" is not supported/],
];

describe('OpenSLO v1 schema-test fixtures', { skip }, () => {
  it('lists every fixture file in one of the two tables', () => {
    const all = yamlFiles(SPEC).map((f) => f.slice(SPEC.length + 1));
    const known = new Set([...VALID.map((f) => `v1/${f}`), ...INVALID.map(([f]) => f)]);
    assert.deepEqual(
      all.filter((f) => !known.has(f)),
      [],
    );
    assert.equal(all.length, VALID.length + INVALID.length);
    assert.equal(VALID.length, 30);
  });

  for (const file of VALID) {
    it(`accepts ${file}`, async () => {
      const set = await loadSloFiles([join(V1, file)]);
      assert.ok(set.slos.length <= 1);
    });
  }

  for (const [file, path, rule] of INVALID) {
    it(`rejects ${file} at ${path}`, async () => {
      const full = join(SPEC, file);
      await assert.rejects(loadSloFiles([full]), (err) => assertSpecError(err, full, path, rule));
    });
  }

  it('converts an inline-indicator SLO; a missing indicatorRef is a warning, not an error', async () => {
    const inline = await loadSloFiles([join(V1, 'slo/slo-no-indicatorref-rolling-alerts.yaml')]);
    assert.equal(inline.slos.length, 1);
    const slo = inline.slos[0]!;
    assert.equal(slo.id, 'the-service-name-test-slo');
    assert.equal(slo.objective.target, 0.98);
    assert.deepEqual(slo.window, { kind: 'rolling', durationMs: 30 * 86_400_000 });
    assert.equal(slo.budgetingMethod, 'occurrences');
    assert.equal(slo.evaluable, false);
    assert.match(slo.notEvaluableReason ?? '', /"Datadog" is not Prometheus/);
    const ref = await loadSloFiles([join(V1, 'slo/slo-indicatorref-calendar-alerts.yaml')]);
    assert.equal(ref.slos.length, 0);
    assert.ok(
      ref.warnings.some(
        (w) => w.path === 'spec.indicatorRef' && /indicator-ref-string/.test(w.message),
      ),
    );
  });
});

describe('OpenSLO SDK examples (v1) and spec-repo examples', { skip }, () => {
  const files = [
    ...yamlFiles(join(OPENSLO, 'sdk-examples/v1')),
    ...yamlFiles(join(OPENSLO, 'head/examples')),
  ];
  it('finds the 7 SDK files and the 4 examples', () => {
    assert.equal(files.length, 11);
  });
  for (const file of files) {
    it(`accepts ${file.slice(OPENSLO.length + 1)}`, async () => {
      await loadSloFiles([file]);
    });
  }

  it('loads all SDK v1 files as one set and resolves the Prometheus SLO', async () => {
    const set = await loadSloFiles(yamlFiles(join(OPENSLO, 'sdk-examples/v1')));
    assert.equal(set.slos.length, 1);
    const slo = set.slos[0]!;
    assert.equal(slo.evaluable, true);
    assert.deepEqual(slo.window, { kind: 'calendar', unit: 'week', timeZone: 'America/New_York' });
    assert.equal(slo.budgetingMethod, 'timeslices');
    assert.deepEqual(slo.labels, { env: 'prod', team: 'team-a,team-b' });
    assert.equal(slo.source.path, '[0].spec.objectives[0]');
    assert.deepEqual(slo.objective, {
      target: 0.995,
      timeSliceTarget: 0.95,
      timeSliceWindowMs: 60_000,
    });
    assert.equal(
      errorRatioExpr(slo.sli, '1h'),
      '1 - ((sum(increase((sum(http_requests{k8s_cluster="prod",component="web",code=~"2xx|4xx"}))[1h:])))\n/\n' +
        '(sum(increase((sum(http_requests{k8s_cluster="prod",component="web"}))[1h:]))))',
    );
    assert.ok(set.services.some((s) => s.name === 'example-service'));
  });

  it('rejects other OpenSLO versions as not supported yet (v1alpha: 2 files, v2alpha: 7 files)', async () => {
    const others = [
      ...yamlFiles(join(OPENSLO, 'sdk-examples/v1alpha')),
      ...yamlFiles(join(OPENSLO, 'sdk-examples/v2alpha')),
    ];
    assert.equal(others.length, 9);
    for (const f of others)
      await assert.rejects(loadSloFiles([f]), (err) =>
        assertSpecError(err, f, '[0].apiVersion', /not supported yet/),
      );
  });
});

describe('OpenSLO references and Prometheus queries', () => {
  const sli = `apiVersion: openslo/v1
kind: SLI
metadata:
  name: api-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        metricSourceRef: prom
        spec:
          query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
    total:
      metricSource:
        metricSourceRef: prom
        spec:
          query: sum(rate(http_requests_total[{{.window}}]))
`;
  const ds = `apiVersion: openslo/v1
kind: DataSource
metadata:
  name: prom
spec:
  type: Prometheus
  connectionDetails:
    url: http://localhost:9090
`;
  const slo = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  indicatorRef: api-errors
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar:
        startTime: 2026-01-01 00:00:00
        timeZone: Europe/Paris
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
    - target: 0.99
`;

  it('resolves indicatorRef and metricSourceRef across documents; one model SLO per objective', () => {
    const set = parseSloDocument([sli, ds, slo].join('---\n'), 'api.yaml');
    assert.deepEqual(
      set.slos.map((s) => [s.id, s.objective.target, s.evaluable]),
      [
        ['api-api-availability-0', 0.999, true],
        ['api-api-availability-1', 0.99, true],
      ],
    );
    assert.deepEqual(set.slos[0]!.window, {
      kind: 'calendar',
      unit: 'month',
      timeZone: 'Europe/Paris',
    });
    assert.deepEqual(set.slos[0]!.sli, {
      kind: 'ratio',
      numerator: 'bad',
      numeratorQuery: 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
      totalQuery: 'sum(rate(http_requests_total[{{.window}}]))',
    });
    assert.deepEqual(set.warnings, []);
  });

  it('without the DataSource the SLO is kept but not evaluable', () => {
    const set = parseSloDocument([sli, slo].join('---\n'), 'api.yaml');
    assert.equal(set.slos[0]!.evaluable, false);
    assert.match(set.slos[0]!.notEvaluableReason ?? '', /data source "prom" is not defined/);
  });

  it('rejects a Prometheus query that does not parse, naming the document, path and parse error', () => {
    const bad = sli.replace(
      'sum(rate(http_requests_total[{{.window}}]))',
      'sum(rate(http_requests_total[{{.window}}])',
    );
    assert.throws(
      () => parseSloDocument([bad, ds, slo].join('---\n'), 'api.yaml'),
      (err) => {
        assertSpecError(
          err,
          'api.yaml (document 1 of 3)',
          'spec.ratioMetric.total.metricSource.spec.query',
          /must be valid PromQL: 1:\d+: parse error/,
        );
        return true;
      },
    );
  });

  it('rejects a bad query in an inline indicator at its full path', () => {
    const inline = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: inline
spec:
  service: api
  indicator:
    metadata:
      name: errs
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(ok_total[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(all_total[{{.window}}]) by
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
`;
    assert.throws(
      () => parseSloDocument(inline, 'inline.yaml'),
      (err) =>
        assertSpecError(
          err,
          'inline.yaml',
          'spec.indicator.spec.ratioMetric.total.metricSource.spec.query',
          /must be valid PromQL/,
        ),
    );
    const fixed = parseSloDocument(inline.replace(']) by', ']))'), 'inline.yaml');
    assert.deepEqual(fixed.slos[0]!.window, { kind: 'rolling', durationMs: 28 * 86_400_000 });
    assert.equal(fixed.slos[0]!.evaluable, true);
  });

  it('rejects a Timeslices objective without timeSliceTarget', () => {
    const ts = slo.replace('Occurrences', 'Timeslices');
    assert.throws(
      () => parseSloDocument(ts, 'ts.yaml'),
      (err) =>
        assertSpecError(
          err,
          'ts.yaml',
          'spec.objectives[0]',
          /timeSliceTarget and timeSliceWindow/,
        ),
    );
  });
});
