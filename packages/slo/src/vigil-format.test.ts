import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { loadSloFiles, parseSloDocument } from './load.js';
import { parseTarget } from './vigil-format.js';
import { assertSpecError } from './test-fixtures.test-util.js';

const FULL = `service: user-api
description: The user API
labels:
  team: identity
slos:
  availability:
    description: Requests that do not fail
    sli:
      ratio:
        bad: sum(rate(http_requests_total{job="user-api",code=~"5.."}[{{.window}}]))
        total: sum(rate(http_requests_total{job="user-api"}[{{.window}}]))
    target: 99.9%
    window: 30d
    labels:
      tier: "1"
    alerting:
      name: UserApiAvailability
      labels: { owner: identity }
      page: { labels: { route: pager } }
      ticket: false
      windows:
        - { tier: page, budget: 2%, short: 5m, long: 1h }
      minEvents: 20
      budgetExhausted: { labels: { route: tickets } }
      noData: false
      noDataFor: 15m
    exclude:
      - { name: upgrade, start: "2026-11-28T02:00:00Z", end: "2026-11-28T04:00:00Z" }
  latency:
    sli:
      latency: { metric: http_request_duration_seconds, threshold: 200ms, selector: 'job="user-api"' }
    target: 0.95
    window: { calendar: month, timeZone: Europe/Paris }
  probe:
    sli:
      availability: { expr: 'probe_success{job="blackbox"}' }
    target: 99.5%
    window: 7d
    budgeting: timeslices
    timeslice: { target: 95%, window: 1m }
  throughput:
    sli:
      throughput: { rate: 'sum(rate(jobs_total[5m]))', floor: 10 }
    target: 99%
    window: { calendar: week }
  freshness:
    sli:
      freshness: { timestamp: 'max(export_last_success_timestamp_seconds)', maxAge: 1h }
    target: 99%
    window: 28d
  completeness:
    sli:
      completeness:
        processed: sum(increase(records_processed_total[{{.window}}]))
        received: sum(increase(records_received_total[{{.window}}]))
    target: 99.99%
    window: 30d
  accuracy:
    sli:
      accuracy:
        correct: sum(increase(records_correct_total[{{.window}}]))
        checked: sum(increase(records_checked_total[{{.window}}]))
    target: 99%
    window: 30d
    budgeting: ratioTimeslices
    timeslice: { window: 5m }
  other:
    sli:
      raw: { errorRatio: 'max(rate(x_errors[{{.window}}]))' }
    target: 0.9
    window: 1w
`;

describe('Vigil SLO format', () => {
  it('parses every SLI kind and option into the model', () => {
    const set = parseSloDocument(FULL, 'user-api.yaml');
    assert.deepEqual(
      set.slos.map((s) => [s.id, s.sli.kind, s.objective.target]),
      [
        ['user-api-availability', 'ratio', 0.999],
        ['user-api-latency', 'latency', 0.95],
        ['user-api-probe', 'availability', 0.995],
        ['user-api-throughput', 'throughput', 0.99],
        ['user-api-freshness', 'freshness', 0.99],
        ['user-api-completeness', 'completeness', 0.9999],
        ['user-api-accuracy', 'accuracy', 0.99],
        ['user-api-other', 'raw', 0.9],
      ],
    );
    const [avail, latency, probe, throughput, freshness, , accuracy, raw] = set.slos;
    assert.deepEqual(avail!.window, { kind: 'rolling', durationMs: 30 * 86_400_000 });
    assert.deepEqual(avail!.labels, { team: 'identity', tier: '1' });
    assert.deepEqual(avail!.alerting, {
      name: 'UserApiAvailability',
      labels: { owner: 'identity' },
      annotations: {},
      page: { enabled: true, labels: { route: 'pager' }, annotations: {} },
      ticket: { enabled: false, labels: {}, annotations: {} },
      windows: [
        { tier: 'page', errorBudgetPercent: 2, shortWindowMs: 300_000, longWindowMs: 3_600_000 },
      ],
      minEvents: 20,
      budgetExhausted: { enabled: true, labels: { route: 'tickets' }, annotations: {} },
      noData: { enabled: false, labels: {}, annotations: {} },
      noDataForMs: 900_000,
    });
    assert.deepEqual(avail!.exclusions, [
      { name: 'upgrade', startMs: Date.UTC(2026, 10, 28, 2), endMs: Date.UTC(2026, 10, 28, 4) },
    ]);
    assert.equal(avail!.source.path, 'slos.availability');
    assert.deepEqual(latency!.sli, {
      kind: 'latency',
      metric: 'http_request_duration_seconds',
      thresholdSeconds: 0.2,
      selector: 'job="user-api"',
    });
    assert.deepEqual(latency!.window, {
      kind: 'calendar',
      unit: 'month',
      timeZone: 'Europe/Paris',
    });
    assert.equal(probe!.budgetingMethod, 'timeslices');
    assert.deepEqual(probe!.objective, {
      target: 0.995,
      timeSliceTarget: 0.95,
      timeSliceWindowMs: 60_000,
    });
    assert.deepEqual(throughput!.window, { kind: 'calendar', unit: 'week', timeZone: 'UTC' });
    assert.deepEqual(throughput!.sli, {
      kind: 'throughput',
      rateExpr: 'sum(rate(jobs_total[5m]))',
      floorPerSecond: 10,
    });
    assert.deepEqual(freshness!.sli, {
      kind: 'freshness',
      timestampExpr: 'max(export_last_success_timestamp_seconds)',
      maxAgeSeconds: 3600,
    });
    assert.equal(accuracy!.budgetingMethod, 'ratioTimeslices');
    assert.deepEqual(accuracy!.objective, { target: 0.99, timeSliceWindowMs: 300_000 });
    assert.deepEqual(raw!.window, { kind: 'rolling', durationMs: 7 * 86_400_000 });
    assert.deepEqual(set.services, [
      {
        name: 'user-api',
        description: 'The user API',
        labels: { team: 'identity' },
        source: { format: 'vigil', file: 'user-api.yaml', path: '' },
      },
    ]);
  });

  /** [what, text to replace in FULL, replacement, path, rule]. */
  const errors: [string, string, string, string, RegExp][] = [
    [
      'a bare number above 1 as target',
      'target: 99.9%',
      'target: 99.9',
      'slos.availability.target',
      /write "99.9%" for a percentage/,
    ],
    [
      'a target of 100%',
      'target: 99.9%',
      'target: 100%',
      'slos.availability.target',
      /strictly between 0% and 100%/,
    ],
    [
      'a target that is not a number',
      'target: 99.9%',
      'target: high',
      'slos.availability.target',
      /percentage such as "99.9%"/,
    ],
    ['a bad duration', 'window: 28d', 'window: 28x', 'slos.freshness.window', /./],
    [
      'an unknown calendar unit',
      'calendar: month',
      'calendar: fortnight',
      'slos.latency.window',
      /./,
    ],
    [
      'an unknown time zone',
      'timeZone: Europe/Paris',
      'timeZone: Mars/Olympus',
      'slos.latency.window.timeZone',
      /IANA time zone/,
    ],
    [
      'two SLI kinds',
      "      raw: { errorRatio: 'max(rate(x_errors[{{.window}}]))' }",
      "      raw: { errorRatio: 'max(rate(x_errors[{{.window}}]))' }\n      availability: { expr: up }",
      'slos.other.sli',
      /exactly one SLI kind.*availability and raw are set/,
    ],
    [
      'no SLI kind',
      "      raw: { errorRatio: 'max(rate(x_errors[{{.window}}]))' }",
      '      {}',
      'slos.other.sli',
      /./,
    ],
    [
      'good and bad together',
      '        bad: sum',
      '        good: sum(rate(ok[{{.window}}]))\n        bad: sum',
      'slos.availability.sli.ratio',
      /exactly one of good and bad/,
    ],
    [
      'a ratio query without {{.window}}',
      'records_processed_total[{{.window}}]',
      'records_processed_total[5m]',
      'slos.completeness.sli.completeness.processed',
      /must contain the \{\{\.window\}\} placeholder/,
    ],
    [
      '{{.window}} in a sampled SLI',
      'sum(rate(jobs_total[5m]))',
      'sum(rate(jobs_total[{{.window}}]))',
      'slos.throughput.sli.throughput.rate',
      /must not contain \{\{\.window\}\}/,
    ],
    [
      'a query that does not parse',
      'max(export_last_success_timestamp_seconds)',
      'max(export_last_success_timestamp_seconds',
      'slos.freshness.sli.freshness.timestamp',
      /must be valid PromQL: 1:\d+: parse error/,
    ],
    [
      'a bad latency selector',
      `selector: 'job="user-api"'`,
      `selector: 'job=user-api'`,
      'slos.latency.sli.latency.selector',
      /must be valid PromQL/,
    ],
    [
      'a misspelt key',
      '    window: 1w\n',
      '    windw: 1w\n',
      'slos.other',
      /Unrecognized key.*windw/,
    ],
    [
      'timeslices budgeting without timeslice',
      '    timeslice: { target: 95%, window: 1m }\n',
      '',
      'slos.probe.timeslice',
      /is required when budgeting is timeslices/,
    ],
    [
      'a timeslice without budgeting',
      '    window: 28d\n',
      '    window: 28d\n    timeslice: { window: 1m }\n',
      'slos.freshness.timeslice',
      /applies only when budgeting/,
    ],
    [
      'an exclusion ending before it starts',
      'end: "2026-11-28T04:00:00Z"',
      'end: "2026-11-28T01:00:00Z"',
      'slos.availability.exclude[0].end',
      /must be after start/,
    ],
    [
      'an SLO name with a space',
      '  other:\n',
      '  "other one":\n',
      'slos["other one"]',
      /must be a name/,
    ],
    [
      'alert windows whose short is not shorter',
      'short: 5m, long: 1h',
      'short: 2h, long: 1h',
      'slos.availability.alerting.windows[0].short',
      /shorter than long/,
    ],
    [
      'a fractional minimum event count',
      'minEvents: 20',
      'minEvents: 2.5',
      'slos.availability.alerting.minEvents',
      /whole number of events/,
    ],
  ];
  for (const [what, from, to, path, rule] of errors) {
    it(`rejects ${what} at ${path}`, () => {
      const text = FULL.replace(from, to);
      assert.notEqual(text, FULL, `the replacement of ${JSON.stringify(from)} applies`);
      assert.throws(
        () => parseSloDocument(text, 'user-api.yaml'),
        (err) => assertSpecError(err, 'user-api.yaml', path, rule),
      );
    });
  }

  it('rejects invalid YAML with its line and a document that is no known format', () => {
    assert.throws(
      () => parseSloDocument('service: a\nslos: [\n', 'broken.yaml'),
      (err) => assertSpecError(err, 'broken.yaml', '', /must be valid YAML at line \d+/),
    );
    assert.throws(
      () => parseSloDocument('groups: []\n', 'rules.yaml'),
      (err) => assertSpecError(err, 'rules.yaml', '', /not a recognised SLO spec/),
    );
    assert.throws(
      () => parseSloDocument('# only a comment\n', 'empty.yaml'),
      /holds no YAML document/,
    );
  });

  it('loads files from disk, mixing formats, and reports an unreadable file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-'));
    try {
      const a = join(dir, 'a.yaml');
      const b = join(dir, 'b.yaml');
      writeFileSync(a, FULL);
      writeFileSync(
        b,
        `version: prometheus/v1\nservice: billing\nslos:\n  - name: pay\n    objective: 99\n    sli: {raw: {error_ratio_query: "max(rate(e[{{.window}}]))"}}\n    alerting: {name: Pay}\n`,
      );
      const set = await loadSloFiles([a, b]);
      assert.equal(set.slos.length, 9);
      assert.deepEqual(
        set.services.map((s) => [s.name, s.source.format]),
        [
          ['user-api', 'vigil'],
          ['billing', 'sloth'],
        ],
      );
      await assert.rejects(loadSloFiles([a, a]), /duplicates SLO id "user-api-availability"/);
      await assert.rejects(loadSloFiles([join(dir, 'missing.yaml')]), (err: unknown) => {
        assert.ok(isVigilError(err, ErrorCodes.SLO_SPEC_INVALID));
        assert.match(err.message, /Cannot read SLO spec file .*missing\.yaml/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parseTarget reads percentages and fractions without float noise', () => {
    assert.equal(parseTarget('99.9%'), 0.999);
    assert.equal(parseTarget('99.99 %'), 0.9999);
    assert.equal(parseTarget(0.999), 0.999);
    assert.deepEqual(parseTarget(0), {
      error:
        'must be a percentage such as "99.9%" or a fraction such as 0.999, strictly between 0% and 100%',
    });
    assert.equal(parseTarget('100%', true), 1);
  });
});
