import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStaleNaN, newLabelMatcher, ErrorCodes, VigilError } from '@vigil/model';
import type { MemoryStorage } from '@vigil/storage';
import type { QueryApi, QueryResult } from '../query-api.js';
import type { InstantSample } from '../value.js';
import { runTestScript, stepInvarianceTimes } from './runner.js';

/**
 * A stand-in for the engine (being written in parallel), just enough to
 * drive the runner through real MemoryStorage: a query is a bare metric
 * name, optionally `@ <ms>`; instant lookup with a 5m left-open lookback,
 * staleness markers hide the series. `fail_me` fails; `warn_me` warns.
 * `skew` returns a different value in range mode.
 */
class TinyEngine implements QueryApi {
  readonly seen: { query: string; kind: 'instant' | 'range'; timeMs: number }[] = [];

  constructor(private readonly storage: MemoryStorage) {}

  #at(query: string, timeMs: number): InstantSample[] {
    const m = /^(\w+)(?: @ (-?[\d.]+))?$/.exec(query);
    if (m === null) throw new Error(`TinyEngine cannot run ${query}`);
    const t = m[2] === undefined ? timeMs : Math.round(Number(m[2]) * 1000);
    const q = this.storage.querier(t - 300_000 + 1, t);
    const set = q.select([newLabelMatcher('=', '__name__', m[1]!)]);
    const out: InstantSample[] = [];
    while (set.next()) {
      const s = set.at();
      const it = s.iterator();
      let v: number | undefined;
      while (it.next()) v = it.value();
      if (v !== undefined && !isStaleNaN(v)) {
        out.push({ labels: s.labels.slice(2), timestampMs: timeMs, value: v });
      }
    }
    q.close();
    return out;
  }

  instantQuery(query: string, timeMs: number): Promise<QueryResult> {
    this.seen.push({ query, kind: 'instant', timeMs });
    if (query === 'fail_me') {
      return Promise.reject(
        new VigilError(
          ErrorCodes.PROMQL_EXECUTION,
          'vector cannot contain metrics with the same labelset',
        ),
      );
    }
    const warnings = query === 'warn_me' ? ['PromQL warning: careful (1:1)'] : [];
    if (query.startsWith('raw_')) {
      const q = this.storage.querier(0, timeMs);
      const set = q.select([newLabelMatcher('=', '__name__', query.slice(4))]);
      const samples: InstantSample[] = [];
      while (set.next()) {
        const s = set.at();
        const it = s.iterator();
        while (it.next()) {
          if (it.timestampMs() === timeMs) {
            samples.push({ labels: s.labels, timestampMs: timeMs, value: it.value() });
          }
        }
      }
      return Promise.resolve({ value: { type: 'vector', samples }, warnings: [], infos: [] });
    }
    const name = query === 'warn_me' || query === 'skew' ? 'foo' : query;
    return Promise.resolve({
      value: { type: 'vector', samples: this.#at(name, timeMs) },
      warnings,
      infos: [],
    });
  }

  async rangeQuery(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): Promise<QueryResult> {
    this.seen.push({ query, kind: 'range', timeMs: startMs });
    if (query.startsWith('raw_')) {
      const r = await this.instantQuery(query, startMs + stepMs);
      if (r.value.type !== 'vector') throw new Error('raw_ returns a vector');
      return {
        ...r,
        value: {
          type: 'matrix',
          series: r.value.samples.map((x) => {
            const values = new Float64Array(1);
            values[0] = x.value;
            return { labels: x.labels, timestampsMs: Float64Array.of(x.timestampMs), values };
          }),
        },
      };
    }
    const name = query === 'warn_me' || query === 'skew' ? 'foo' : query;
    const bySeries = new Map<string, { labels: readonly string[]; t: number[]; v: Float64Array }>();
    for (let t = startMs; t <= endMs; t += stepMs) {
      for (const s of this.#at(name, t)) {
        const key = s.labels.join('\u0000');
        let e = bySeries.get(key);
        if (e === undefined) {
          e = { labels: s.labels, t: [], v: new Float64Array(64) };
          bySeries.set(key, e);
        }
        e.v[e.t.length] = query === 'skew' ? s.value + 1 : s.value;
        e.t.push(t);
      }
    }
    return Promise.resolve({
      value: {
        type: 'matrix',
        series: [...bySeries.values()].map((e) => ({
          labels: e.labels,
          timestampsMs: Float64Array.from(e.t),
          values: e.v.slice(0, e.t.length),
        })),
      },
      warnings: [],
      infos: [],
    });
  }
}

function setup(): {
  engines: TinyEngine[];
  storages: MemoryStorage[];
  engineFor: (s: MemoryStorage) => QueryApi;
} {
  const engines: TinyEngine[] = [];
  const storages: MemoryStorage[] = [];
  return {
    engines,
    storages,
    engineFor: (s) => {
      storages.push(s);
      const e = new TinyEngine(s);
      engines.push(e);
      return e;
    },
  };
}

const SCRIPT = [
  'load 1m',
  '  foo{a="1"} 1 2 stale',
  '  foo{a="2"} _ 5',
  '  hist {{schema:0 count:1}}',
  '',
  'eval instant at 1m foo', // 4 runs pass
  '  {a="1"} 2',
  '  {a="2"} 5',
  '',
  'eval instant at 2m foo', // stale marker hides a="1"
  '  {a="2"} 5',
  '',
  'eval instant at 1m foo', // wrong value
  '  {a="1"} 3',
  '  {a="2"} 5',
  '',
  'eval range from 0 to 2m step 1m foo',
  '  {a="1"} 1 2',
  '  {a="2"} _ 5 5',
  '',
  'eval instant at 1m fail_me',
  '  expect fail msg: vector cannot contain metrics with the same labelset',
  '',
  'eval instant at 1m warn_me',
  '  expect no_warn',
  '  {a="1"} 2',
  '  {a="2"} 5',
  '',
  'eval instant at 1m skew',
  '  {a="1"} 2',
  '  {a="2"} 5',
  '',
  'eval instant at 1m hist',
  '',
  'eval instant at 1m limitk(1, foo)',
  '',
  'clear',
  '',
  'eval instant at 1m foo',
].join('\n');

void test('runner: passes, failures with file:line diffs, skips by reason, clear', async () => {
  const { engineFor, storages } = setup();
  const report = await runTestScript(SCRIPT, 'tiny.test', { engineFor, pinQuery: false });
  assert.equal(report.pass, 5, report.failures.join('\n'));
  assert.equal(report.fail, 3);
  assert.deepEqual(report.skipped, { 'native-histogram': 1, experimental: 1 });
  const [wrong, warned, skew] = report.failures;
  assert.match(
    wrong!,
    /^tiny\.test:13: eval instant at 1m foo\n {2}series \{a="1"\}: expected 3, got 2/,
  );
  assert.match(wrong!, /expected: series:/);
  assert.match(warned!, /^tiny\.test:24: .*expected no warn annotations/s);
  assert.match(
    skew!,
    /^tiny\.test:29: eval instant at 1m skew\n {2}in range-mode re-run "skew" from 0ms to 120000ms step 1m, at 60000ms: series \{a="1"\}: expected 2, got 3/,
  );
  assert.equal(storages.length, 2, 'clear makes a new storage');
  assert.ok(storages[0]!.isClosed());
  const statuses = report.evals.map((e) => `${e.line}:${e.outcome.status}`);
  assert.deepEqual(statuses, [
    '6:pass',
    '10:pass',
    '13:fail',
    '17:pass',
    '21:pass',
    '24:fail',
    '29:fail',
    '33:skipped',
    '35:skipped',
    '39:pass',
  ]);
});

void test('runner: a staleness marker survives load, storage, query and comparison', async () => {
  const { engineFor } = setup();
  const script = [
    'load 1m',
    '  foo 1 stale',
    '',
    'eval instant at 1m raw_foo',
    '  foo stale',
    '',
    'eval instant at 1m raw_foo',
    '  foo NaN',
  ].join('\n');
  const report = await runTestScript(script, 'stale.test', { engineFor, pinQuery: false });
  assert.deepEqual(
    report.evals.map((e) => e.outcome.status),
    ['pass', 'fail'],
    report.failures.join('\n'),
  );
  assert.match(report.failures[0]!, /expected NaN, got stale/);
});

void test('runner: the last line of a series in a block wins; out-of-order loads fail', async () => {
  const { engineFor } = setup();
  const ok = await runTestScript(
    'load 1m\n  foo 1\n  foo 2\n\neval instant at 0 foo\n  {} 2\n',
    'dup.test',
    { engineFor },
  );
  assert.deepEqual([ok.pass, ok.fail], [1, 0], ok.failures.join('\n'));
  const bad = await runTestScript('load 1m\n  foo 1 2\n\nload 1m\n  foo 7\n', 'ooo.test', {
    engineFor,
  });
  assert.deepEqual([bad.fail, bad.scriptErrors], [0, 1]);
  assert.match(bad.failures[0]!, /^ooo\.test:4: load failed: /);
});

void test('runner: a broken script is one failure naming file and line', async () => {
  const report = await runTestScript('load 1m\n  foo 1\n\nnonsense\n', 'broken.test', setup());
  assert.deepEqual([report.fail, report.scriptErrors], [0, 1]);
  assert.match(report.failures[0]!, /^broken\.test:4: invalid command/);
});

void test('runner: step-invariance re-runs (default @ pinning), and one-line runs', async () => {
  const { engineFor, engines } = setup();
  const report = await runTestScript(SCRIPT, 'tiny.test', {
    engineFor,
    onlyLine: 6,
  });
  assert.deepEqual([report.pass, report.fail, report.evals.length], [1, 0, 1]);
  const runs = engines[0]!.seen.map((s) => `${s.kind} ${s.query} ${s.timeMs}`);
  const instants = stepInvarianceTimes(60_000).map((t) => `instant foo @ 60.000 ${t}`);
  assert.deepEqual(
    runs.filter((r) => r.startsWith('instant')),
    ['instant foo 60000', ...instants],
  );
  assert.equal(runs.filter((r) => r.startsWith('range')).length, 6, 'each run also in range mode');
  assert.deepEqual(stepInvarianceTimes(0), [-1000, 0, 1000]);
  assert.deepEqual(stepInvarianceTimes(60_000), [-600_000, 0, 12_000, 60_000, 600_000]);
});

void test('runner: a query that does not parse fails the script', async () => {
  const report = await runTestScript(
    'eval instant at 0 sum(\n  expect fail\n\neval instant at 0 1\n  1\n',
    'parse.test',
    setup(),
  );
  assert.match(
    report.failures[0]!,
    /^parse\.test:1: the script is invalid: query "sum\(" does not parse/,
  );
  assert.equal(report.scriptErrors, 1);
});

void test('runner with the real engine: values, staleness, range, annotations, failure, order', async () => {
  const script = [
    'load 1m',
    '  foo{a="1"} 1 2 3 stale 5',
    '  foo{a="2"} 0+10x4',
    '  bar_total 0+1x4',
    '',
    'eval instant at 2m foo',
    '  foo{a="1"} 3',
    '  foo{a="2"} 20',
    '',
    'eval instant at 3m foo',
    '  foo{a="2"} 30',
    '',
    'eval range from 0 to 4m step 1m foo{a="1"}',
    '  foo{a="1"} 1 2 3 _ 5',
    '',
    'eval instant at 4m rate(foo{a="2"}[5m])',
    '  expect info msg: PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "foo" (1:6)',
    '  {a="2"} 0.13333333333333333',
    '',
    'eval instant at 4m rate(bar_total[5m])',
    '  expect no_info',
    '  expect no_warn',
    '  {} 0.013333333333333334',
    '',
    'eval instant at 1m label_replace(foo, "b", "x", "a", ".*") + on(b) foo',
    '  expect fail regex: many-to-many matching not allowed',
    '',
    'eval instant at 1m 1 + 1',
    '  2',
    '',
    'eval instant at 1m sort_desc(foo)',
    '  expect ordered',
    '  foo{a="2"} 10',
    '  foo{a="1"} 2',
  ].join('\n');
  const report = await runTestScript(script, 'real.test');
  assert.equal(report.failures.join('\n'), '');
  assert.deepEqual([report.pass, report.fail, report.scriptErrors], [8, 0, 0]);
  // The same script with a wrong expectation in each kind of check fails each one.
  const broken = script
    .replace('foo{a="1"} 1 2 3 _ 5', 'foo{a="1"} 1 2 3 4 5')
    .replace('(1:6)', '(1:7)')
    .replace('many-to-many', 'one-to-one')
    .replace('  2\n', '  3\n')
    .replace('  foo{a="2"} 10\n  foo{a="1"} 2', '  foo{a="1"} 2\n  foo{a="2"} 10');
  const bad = await runTestScript(broken, 'real.test');
  assert.deepEqual(
    bad.evals.map((e) => `${e.line}:${e.outcome.status}`),
    ['6:pass', '10:pass', '13:fail', '16:fail', '20:pass', '25:fail', '28:fail', '31:fail'],
    bad.failures.join('\n'),
  );
});
