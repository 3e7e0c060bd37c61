/**
 * The renderers: text helpers, the status table (with and without colour),
 * the month's figures against a hand computation, and the Markdown report
 * with its SVG charts computed over the real PromQL engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '@vigil/promql';
import { MemoryStorage } from '@vigil/storage';
import { evaluatePolicy } from '../policy/evaluate.js';
import { budgetHistoryFromQueryApi } from '../policy/history.js';
import { assertWellFormedXml, statusFixture, writeSeries } from '../policy/fixtures.test-util.js';
import {
  computeMonthlyReport,
  monthFigures,
  parseReportPeriod,
  renderMonthlyReport,
} from './report.js';
import { burnColumns, renderStatusTable } from './status-table.js';
import { renderBurndownSvg } from './svg.js';
import { budgetBar, formatTarget, shouldUseColour, stripAnsi } from './text.js';

const HOUR_MS = 3_600_000;

test('text helpers: bar, target, colour decision', () => {
  assert.equal(budgetBar(0.5, 10), '[#####.....]');
  assert.equal(budgetBar(1.3, 4), '[####]');
  assert.equal(budgetBar(-0.2, 4), '[....]');
  assert.equal(budgetBar(null, 4), '[????]');
  assert.equal(budgetBar(null, 11), '[  no data  ]');
  assert.equal(budgetBar(Number.NaN, 10), '[ no data  ]');
  assert.equal(formatTarget(0.999), '99.9%');
  assert.equal(formatTarget(0.9995), '99.95%');
  assert.equal(formatTarget(0.95), '95%');
  assert.equal(shouldUseColour({ isTTY: true }, {}), true);
  assert.equal(shouldUseColour({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(shouldUseColour({ isTTY: true }, { NO_COLOR: '' }), true);
  assert.equal(shouldUseColour({ isTTY: false }, {}), false);
  assert.equal(shouldUseColour({}, {}), false);
});

test('status table: rows, bar, burn columns, policy line; colour only when asked', async () => {
  const statuses = [
    statusFixture('api-availability', 0.75),
    statusFixture('api-latency', 0.05),
    statusFixture('web-home', null),
  ];
  const decisions = [
    await evaluatePolicy(statuses.slice(0, 2)),
    await evaluatePolicy(statuses.slice(2)),
  ];
  const plain = renderStatusTable(statuses, decisions, { colour: false });
  assert.ok(!plain.includes('\u001b'));
  const lines = plain.trimEnd().split('\n');
  assert.match(
    lines[0]!,
    /^SERVICE\s+SLO\s+SLI\s+TARGET\s+BUDGET REMAINING\s+BURN 1h\s+BURN 6h\s+BURN 1d\s+BURN 3d\s+DATA$/,
  );
  assert.match(
    lines[1]!,
    /^api\s+availability\s+99\.975%\s+99\.9%\s+\[###############\.\.\.\.\.\]\s+75\.0%\s+0\.50\s+1\.00\s+1\.50\s+2\.00\s+ok$/,
  );
  assert.match(lines[2]!, /^api\s+latency\s+.*\[#\.{19}\]\s+5\.0%/);
  assert.match(
    lines[3]!,
    /^ {2}policy api: RELIABILITY-FIRST, 5\.0% of the budget remaining \(worst: api-latency\)/,
  );
  assert.match(
    lines[4]!,
    /^web\s+home\s+-\s+99\.9%\s+\[ {6}no data {7}\]\s+-\s+-\s+-\s+-\s+-\s+no-data$/,
  );
  assert.match(lines[5]!, /^ {2}policy web: UNKNOWN/);
  // Columns line up: the budget column starts at the same place in every SLO row.
  const at = [1, 2, 4].map((i) => lines[i]!.indexOf('['));
  assert.equal(new Set(at).size, 1);
  for (const line of lines) assert.equal(line, line.trimEnd());

  const coloured = renderStatusTable(statuses, decisions, { colour: true });
  assert.ok(coloured.includes('\u001b[32m') && coloured.includes('\u001b[31m'));
  assert.equal(stripAnsi(coloured), plain);
  assert.equal(renderStatusTable([], [], { colour: false }).trimEnd().split('\n')[1], '(no SLOs)');
});

test("burn columns follow the SLOs' alert windows when they are not the default four", () => {
  const s = statusFixture('api-a', 0.5, {
    burnRates: [
      { windowMs: 300_000, window: '5m', errorRatio: 0, burnRate: 0, events: 1 },
      { windowMs: 2 * HOUR_MS, window: '2h', errorRatio: 0, burnRate: 0, events: 1 },
      { windowMs: HOUR_MS, window: '1h', errorRatio: 0, burnRate: 0, events: 1 },
    ],
  });
  assert.deepEqual(burnColumns([s]), ['5m', '1h', '2h']);
  // Time-scaled windows (the demo's 60x): the four longest.
  const scaled = statusFixture('api-c', 0.5, {
    burnRates: ['5s', '30s', '1m', '2m', '6m', '24m', '1h12m'].map((window, i) => ({
      windowMs: [5, 30, 60, 120, 360, 1440, 4320][i]! * 1000,
      window,
      errorRatio: 0,
      burnRate: 0,
      events: 1,
    })),
  });
  assert.deepEqual(burnColumns([scaled]), ['2m', '6m', '24m', '1h12m']);
  assert.deepEqual(burnColumns([statusFixture('api-b', 0.5)]), ['1h', '6h', '1d', '3d']);
});

test('report period parsing', () => {
  assert.deepEqual(parseReportPeriod('2026-11'), {
    label: '2026-11',
    startMs: Date.UTC(2026, 10, 1),
    endMs: Date.UTC(2026, 11, 1),
  });
  assert.equal(parseReportPeriod('2026-12')?.endMs, Date.UTC(2027, 0, 1));
  for (const bad of ['2026-13', '2026-1', '11-2026', '2026-00', '', '2026-11-01']) {
    assert.equal(parseReportPeriod(bad), undefined, bad);
  }
});

test('month figures against a hand computation (constant burn, one burst, a gap)', () => {
  const period = parseReportPeriod('2026-11')!; // 30 days, 720 hours
  const n = 700; // 20 hours without data
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = period.startMs + (i + 1) * HOUR_MS;
    vs[i] = i === 100 || i === 101 ? 0.02 : 0.0005;
  }
  const f = monthFigures(
    statusFixture('api-a', 0.5, {
      budget: { ...statusFixture('api-a', 0.5).budget, allowedMinutes: 43.2 },
    }),
    { timestampsMs: ts, values: vs },
    period,
    period.endMs,
  );
  const e = (698 * 0.0005 + 2 * 0.02) / 700; // 0.000555714...
  assert.ok(Math.abs(f.sli! - (1 - e)) < 1e-12);
  assert.ok(Math.abs(f.consumedFraction! - e / 0.001) < 1e-9);
  assert.ok(Math.abs(f.remainingFraction! - (1 - e / 0.001)) < 1e-9);
  assert.ok(Math.abs(f.allowedMinutes! - 43.2) < 1e-9);
  assert.ok(Math.abs(f.consumedMinutes! - 43.2 * (e / 0.001)) < 1e-9);
  assert.ok(Math.abs(f.coverage - 700 / 720) < 1e-12);
  assert.ok(Math.abs(f.worstBurn!.rate - 20) < 1e-9);
  assert.equal(f.worstBurn!.atMs, period.startMs + 101 * HOUR_MS);
  assert.equal(f.monthState, 'balance');
  assert.equal(f.burndown.values.length, 700);
  assert.ok(Math.abs(f.burndown.values[699]! - f.remainingFraction!) < 1e-12);
  assert.ok(Math.abs(f.burndown.values[0]! - (1 - 0.0005 / (700 * 0.001))) < 1e-12);

  const none = monthFigures(
    statusFixture('api-a', 0.5),
    { timestampsMs: new Float64Array(0), values: new Float64Array(0) },
    period,
    period.endMs,
  );
  assert.equal(none.sli, null);
  assert.equal(none.monthState, 'unknown');
  assert.equal(none.coverage, 0);
});

test('the burn-down SVG is well-formed and has the axis, 0% and target lines', () => {
  const period = parseReportPeriod('2026-11')!;
  const svg = renderBurndownSvg(
    {
      timestampsMs: Float64Array.from([
        period.startMs + HOUR_MS,
        period.startMs + 20 * 24 * HOUR_MS,
      ]),
      values: Float64Array.from([0.99, -0.35]),
    },
    { title: 'a<b & "c"', startMs: period.startMs, endMs: period.endMs },
  );
  const names = assertWellFormedXml(svg);
  assert.equal(names[0], 'svg');
  assert.ok(names.includes('polyline'));
  assert.match(svg, /class="zero"/);
  assert.match(svg, /class="target"/);
  assert.equal((svg.match(/class="axis"/g) ?? []).length, 2);
  assert.match(svg, />-40%</); // the y axis reaches below the lowest point
  assert.match(svg, /a&lt;b &amp; &quot;c&quot;/);
  const empty = renderBurndownSvg(
    { timestampsMs: new Float64Array(0), values: new Float64Array(0) },
    { title: 'x', startMs: period.startMs, endMs: period.endMs },
  );
  assertWellFormedXml(empty);
  assert.match(empty, />no data</);
  assert.throws(() => assertWellFormedXml('<svg><g></svg>'));
  assert.throws(() => assertWellFormedXml('<svg a=1></svg>'));
  assert.throws(() => assertWellFormedXml('<svg>&</svg>'));
});

test('monthly report over the real engine: figures from recorded series, Markdown and SVG', async () => {
  const period = parseReportPeriod('2026-10')!; // 31 days, 744 hours
  const storage = new MemoryStorage();
  const burst = period.startMs + 9 * 24 * HOUR_MS; // Oct 10, 00:00
  // Error ratio 0.0005, 1% during two hours; written every minute, like the engine's recording.
  await writeSeries(
    storage,
    'slo:sli_error:ratio_rate5m',
    'api-availability',
    period.startMs,
    period.endMs,
    60_000,
    (t) => (t > burst && t <= burst + 2 * HOUR_MS ? 0.01 : 0.0005),
    { sloth_window: '5m' },
  );
  const statuses = [statusFixture('api-availability', 0.4), statusFixture('api-quiet', null)];
  const decision = await evaluatePolicy(statuses);
  const report = await computeMonthlyReport(
    statuses,
    [{ service: 'api', decision }],
    budgetHistoryFromQueryApi(new Engine({ queryable: storage })),
    period,
    Date.UTC(2026, 10, 28),
  );
  const [f, quiet] = report.services[0]!.slos;
  const e = (742 * 0.0005 + 2 * 0.01) / 744;
  assert.ok(Math.abs(f!.sli! - (1 - e)) < 1e-9, String(f!.sli));
  assert.ok(Math.abs(f!.consumedFraction! - e / 0.001) < 1e-6);
  assert.equal(f!.coverage, 1);
  assert.ok(Math.abs(f!.worstBurn!.rate - 10) < 1e-9);
  assert.equal(f!.worstBurn!.atMs, burst + HOUR_MS);
  assert.equal(quiet!.sli, null);

  const md = renderMonthlyReport(report);
  assert.ok(md.startsWith('# SLO report 2026-10\n'));
  assert.ok(md.includes('\n## api\n'));
  assert.ok(md.includes('\nPolicy now: **balance**: api: BALANCE, 40.0% of the budget remaining'));
  const row = md.split('\n').find((l) => l.startsWith('| availability |'));
  assert.equal(
    row,
    `| availability | ${((1 - e) * 100).toFixed(3)}% | 99.9% | ${((e / 0.001) * 100).toFixed(1)}% | ${((1 - e / 0.001) * 100).toFixed(1)}% | 10.00 (2026-10-10 00:00 UTC) | 100% | balance |`,
  );
  assert.ok(md.includes('\n| quiet | - | 99.9% | - | - | - | 0% | unknown |\n'));
  const svgs = md.match(/<svg[^]*?<\/svg>/g) ?? [];
  assert.equal(svgs.length, 2);
  for (const svg of svgs) assertWellFormedXml(svg);
  // The burn-down is drawn from all 744 hourly points.
  assert.equal(svgs[0].match(/points="([^"]*)"/)![1]!.split(' ').length, 744);
});
