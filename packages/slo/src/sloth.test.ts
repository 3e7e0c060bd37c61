import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSloFiles, parseSloDocument } from './load.js';
import { PEER_TESTS, assertSpecError, skipUnless, yamlFiles } from './test-fixtures.test-util.js';

const SLOTH = join(PEER_TESTS, 'sloth');
const TESTDATA = join(SLOTH, 'test/integration/prometheus/testdata');
const skip = skipUnless(SLOTH);

/** True when a file's first document is a Sloth `prometheus/v1` spec (the only kind in scope). */
function isPrometheusV1(file: string): boolean {
  return /^version:\s*"?prometheus\/v1"?\s*$/m.test(readFileSync(file, 'utf8'));
}

describe('Sloth prometheus/v1 validate fixtures', { skip }, () => {
  const good = yamlFiles(join(TESTDATA, 'validate/good'));
  const bad = yamlFiles(join(TESTDATA, 'validate/bad'));

  it('finds 7 good and 7 bad files, 4 and 4 of them prometheus/v1', () => {
    assert.equal(good.length, 7);
    assert.equal(bad.length, 7);
    assert.equal(good.filter(isPrometheusV1).length, 4);
    assert.equal(bad.filter(isPrometheusV1).length, 4);
  });

  for (const file of good.filter(isPrometheusV1)) {
    it(`accepts good/${basename(file)}`, async () => {
      const set = await loadSloFiles([file]);
      assert.ok(set.slos.length >= 2);
    });
  }

  const expected: Record<string, [path: string, rule: RegExp]> = {
    'bad-aa.yaml': ['slos[1].objective', /at most 100/],
    'bad-ab.yaml': ['slos[1].objective', /at most 100/],
    'bad-ba.yaml': ['slos[1].objective', /at most 100/],
    'bad-multi.yaml': ['slos[1].sli', /exactly one of events, raw or plugin \(none is set\)/],
  };
  for (const file of bad.filter(isPrometheusV1)) {
    const want = expected[basename(file)];
    it(`rejects bad/${basename(file)} at ${want?.[0] ?? '?'}`, async () => {
      assert.ok(want !== undefined, `no expectation for ${file}`);
      await assert.rejects(loadSloFiles([file]), (err) =>
        assertSpecError(err, file, want[0], want[1]),
      );
    });
  }

  it('the whole good folder loads as one set only with ignoreDuplicates (shared SLO ids)', async () => {
    const files = good.filter(isPrometheusV1);
    await assert.rejects(loadSloFiles(files), /duplicates SLO id "svc01-slo1"/);
    const set = await loadSloFiles(files, { ignoreDuplicates: true });
    assert.equal(set.slos.length, 10);
  });

  it('rejects the Kubernetes CRD and OpenSLO v1alpha inputs as not supported yet (3 good, 3 bad)', async () => {
    const others = [...good, ...bad].filter((f) => !isPrometheusV1(f));
    assert.equal(others.length, 6);
    for (const f of others) await assert.rejects(loadSloFiles([f]), /not supported/);
  });

  it('detects duplicate SLO ids across files and across documents of one file', async () => {
    const dir = join(TESTDATA, 'validate_with_duplicates');
    const prom = yamlFiles(join(dir, 'prom'));
    assert.equal(prom.length, 2);
    for (const f of prom) await loadSloFiles([f]);
    await assert.rejects(loadSloFiles(prom), /duplicates SLO id/);
    await loadSloFiles(prom, { ignoreDuplicates: true });
    const multi = join(dir, 'bad-prom-multi-duplicates.yaml');
    await assert.rejects(loadSloFiles([multi]), /duplicates SLO id "svc01-slo1"/);
  });
});

describe('Sloth generate inputs and examples', { skip }, () => {
  const inputs = [
    ...yamlFiles(TESTDATA).filter((f) => basename(f).startsWith('in-')),
    ...yamlFiles(join(SLOTH, 'examples')).filter(
      (f) => !f.includes('/_gen/') && !f.includes('/windows/'),
    ),
  ];
  const prom = inputs.filter(isPrometheusV1);
  /** prometheus/v1 inputs we reject, and why. */
  const rejected: Record<string, [path: string, rule: RegExp]> = {
    'in-sli-plugin.yaml': ['slos[0].sli.plugin', /SLI plugins are not supported/],
    'plugin-getting-started.yml': ['slos[0].sli.plugin', /SLI plugins are not supported/],
    // MetricsQL (histogram_share, a range over vector(1)) is not PromQL.
    'victoria-metrics.yml': [
      'slos[0].sli.events.error_query',
      /unknown function with name "histogram_share"/,
    ],
  };

  it('finds 9 inputs and 18 examples; 14 are prometheus/v1 (11 accepted, 3 rejected)', () => {
    assert.equal(inputs.length, 27);
    assert.equal(prom.length, 14);
  });

  for (const file of prom) {
    const name = basename(file);
    const want = rejected[name];
    if (want === undefined)
      it(`accepts ${name}`, async () => {
        const set = await loadSloFiles([file]);
        assert.ok(set.slos.length > 0);
      });
    else
      it(`rejects ${name} at ${want[0]}`, async () => {
        await assert.rejects(loadSloFiles([file]), (err) =>
          assertSpecError(err, file, want[0], want[1]),
        );
      });
  }

  it('rejects the other 13 inputs (k8s CRDs, OpenSLO v1alpha, an unknown version) with a clear rule', async () => {
    const others = inputs.filter((f) => !isPrometheusV1(f));
    assert.equal(others.length, 13);
    for (const f of others)
      await assert.rejects(loadSloFiles([f]), /not supported|must be "prometheus\/v1"/);
    const v999 = join(TESTDATA, 'in-invalid-version.yaml');
    await assert.rejects(loadSloFiles([v999]), (err) =>
      assertSpecError(err, v999, 'version', /must be "prometheus\/v1"/),
    );
  });

  it('converts in-base.yaml to the model', async () => {
    const set = await loadSloFiles([join(TESTDATA, 'in-base.yaml')]);
    assert.deepEqual(
      set.slos.map((s) => s.id),
      ['svc01-slo1', 'svc01-slo02'],
    );
    const [a, b] = set.slos;
    assert.equal(a!.objective.target, 0.999);
    assert.equal(b!.objective.target, 0.95);
    assert.deepEqual(a!.window, { kind: 'rolling', durationMs: 30 * 86_400_000 });
    assert.deepEqual(a!.labels, { global01k1: 'global01v1', global02k1: 'global02v1' });
    assert.deepEqual(a!.sli, {
      kind: 'ratio',
      numerator: 'bad',
      numeratorQuery:
        'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))',
      totalQuery: 'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))',
    });
    assert.deepEqual(a!.alerting, {
      name: 'myServiceAlert',
      labels: { alert01k1: 'alert01v1' },
      annotations: { alert02k1: 'alert02k2' },
      page: { enabled: true, labels: { alert03k1: 'alert03v1' }, annotations: {} },
      ticket: { enabled: true, labels: { alert04k1: 'alert04v1' }, annotations: {} },
    });
    assert.equal(b!.sli.kind, 'raw');
    assert.equal(b!.alerting.page.enabled, false);
    assert.equal(b!.alerting.ticket.enabled, false);
  });
});

describe('Sloth validation rules', () => {
  const base = `version: prometheus/v1
service: svc
slos:
  - name: slo1
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(errors_total[{{.window}}]))
        total_query: sum(rate(requests_total[{{.window}}]))
    alerting:
      name: Alert
`;
  const cases: [what: string, from: string, to: string, path: string, rule: RegExp][] = [
    ['an objective of 0', 'objective: 99.9', 'objective: 0', 'slos[0].objective', /greater than 0/],
    ['an empty service', 'service: svc', 'service: ""', 'service', /must be a name/],
    [
      'a query without {{.window}}',
      'errors_total[{{.window}}]',
      'errors_total[5m]',
      'slos[0].sli.events.error_query',
      /\{\{\.window\}\}/,
    ],
    [
      'a query that does not parse',
      'sum(rate(requests_total[{{.window}}]))',
      'sum(rate(requests_total[{{.window}}])',
      'slos[0].sli.events.total_query',
      /must be valid PromQL: .*parse error/,
    ],
    [
      'no alert name with alerts on',
      '    alerting:\n      name: Alert\n',
      '',
      'slos[0].alerting.name',
      /is required unless both/,
    ],
    [
      'a bad label name',
      'slos:',
      'labels:\n  bad-name: x\nslos:',
      'labels.bad-name',
      /valid Prometheus label name/,
    ],
    [
      'a second SLO of the same name',
      'slos:\n',
      'slos:\n  - name: slo1\n    objective: 95\n    sli: {raw: {error_ratio_query: "errs[{{.window}}]"}}\n    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}\n',
      'slos[1].name',
      /duplicates SLO "slo1"/,
    ],
  ];
  it('accepts the base spec', () => {
    assert.equal(parseSloDocument(base, 's.yaml').slos.length, 1);
  });
  for (const [what, from, to, path, rule] of cases) {
    it(`rejects ${what}`, () => {
      const text = base.replace(from, to);
      assert.notEqual(text, base);
      assert.throws(
        () => parseSloDocument(text, 's.yaml'),
        (err) => assertSpecError(err, 's.yaml', path, rule),
      );
    });
  }
});
