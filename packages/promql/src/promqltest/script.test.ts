import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStaleNaN, isVigilError } from '@vigil/model';
import { analyzeQuery, classifyScript } from './classify.js';
import {
  PointKind,
  parseScalarLine,
  parseScriptDuration,
  parseSeriesDesc,
  parseSeriesValues,
  parseTestScript,
  readQuoted,
} from './script.js';
import type { EvalCommand, LoadCommand, SeriesValues } from './script.js';

/** Floats of a values list, `_` for missing and `H` for histogram positions. */
function show(v: SeriesValues): (number | string)[] {
  return [...v.kinds].map((k, i) =>
    k === PointKind.Missing ? '_' : k === PointKind.Histogram ? 'H' : v.values[i]!,
  );
}

function evals(text: string): EvalCommand[] {
  return parseTestScript(text, 't.test').commands.filter(
    (c): c is EvalCommand => c.type === 'eval',
  );
}

function throwsAtLine(text: string, line: number, pattern?: RegExp): void {
  assert.throws(
    () => parseTestScript(text, 'bad.test'),
    (err: unknown) => {
      assert.ok(isVigilError(err));
      assert.equal(err.details?.['line'], line);
      assert.match(err.message, new RegExp(`^bad\\.test:${line}: `));
      if (pattern !== undefined) assert.match(err.message, pattern);
      return true;
    },
  );
}

void test('durations: units largest first, bare 0, no sign or fraction', () => {
  assert.equal(parseScriptDuration('0'), 0);
  assert.equal(parseScriptDuration('5m'), 300_000);
  assert.equal(parseScriptDuration('1h30m'), 5_400_000);
  assert.equal(parseScriptDuration('5m1ms'), 300_001);
  assert.equal(parseScriptDuration('10s53ms'), 10_053);
  assert.equal(parseScriptDuration('1d'), 86_400_000);
  assert.equal(parseScriptDuration('1w'), 604_800_000);
  assert.equal(parseScriptDuration('1y'), 31_536_000_000);
  assert.equal(parseScriptDuration('0m'), 0);
  for (const bad of ['', '5', '-5m', '1.5m', '30m1h', '5m5m', 'm', '5x']) {
    assert.equal(parseScriptDuration(bad), undefined, bad);
  }
});

void test('series notation: every row of the table', () => {
  assert.deepEqual(show(parseSeriesValues('7 -2.5 1e3 .5')), [7, -2.5, 1000, 0.5]);
  assert.deepEqual(show(parseSeriesValues('+Inf -Inf Inf inf')), [
    Infinity,
    -Infinity,
    Infinity,
    Infinity,
  ]);
  const nan = parseSeriesValues('NaN nan');
  assert.ok(Number.isNaN(nan.values[0]) && Number.isNaN(nan.values[1]));
  assert.ok(!isStaleNaN(nan.values[0]!));
  assert.deepEqual(show(parseSeriesValues('1 _ 3')), [1, '_', 3]);
  assert.deepEqual(show(parseSeriesValues('_x3 1')), ['_', '_', '_', 1], '_xN is N positions');
  assert.deepEqual(show(parseSeriesValues('5x2')), [5, 5, 5], 'axN is N+1 samples');
  assert.deepEqual(show(parseSeriesValues('0+10x3')), [0, 10, 20, 30]);
  assert.deepEqual(show(parseSeriesValues('1-1x2')), [1, 0, -1]);
  assert.deepEqual(show(parseSeriesValues('-2+1x1 1e-3-1e-3x1')), [-2, -1, 0.001, 0]);
  assert.deepEqual(show(parseSeriesValues('\t1\t 2 ')), [1, 2], 'tabs separate items');
  const h = parseSeriesValues('{{schema:1 sum:-0.3 count:3.1 buckets:[5.1 10 7] offset:-3}} 2');
  assert.deepEqual(show(h), ['H', 2]);
  assert.match(h.histograms[0]!, /^\{\{schema:1/);
  assert.deepEqual(show(parseSeriesValues('{{schema:0 sum:1 count:1}}x2')), ['H', 'H', 'H']);
  assert.deepEqual(
    show(parseSeriesValues('{{schema:-53 sum:1 custom_values:[5 10]}}+{{schema:-53 sum:1}}x1')),
    ['H', 'H'],
  );
  assert.deepEqual(show(parseSeriesValues('{{schema:-1 count:1}}-{{schema:0 count:4}}x2 _')), [
    'H',
    'H',
    'H',
    '_',
  ]);
});

void test('series notation: repetition accumulates with floating-point addition', () => {
  const v = parseSeriesValues('0+0.1x3');
  assert.equal(v.values[3], 0.1 + 0.1 + 0.1);
  assert.notEqual(v.values[3], 0.30000000000000004 - 1e-17 * 0 + 3 * 0.1 - 3 * 0.1 + 0.3);
});

void test('series notation: stale keeps the staleness-marker bits', () => {
  const v = parseSeriesValues('1 stale 2 STALE');
  assert.ok(isStaleNaN(v.values[1]!));
  assert.ok(isStaleNaN(v.values[3]!));
  const bits = new Uint32Array(v.values.buffer, 8, 2);
  assert.equal(bits[0], 0x00000002);
  assert.equal(bits[1], 0x7ff00000);
});

void test('series notation: invalid items', () => {
  assert.throws(() => parseSeriesValues('stalex3'), /invalid value/);
  assert.deepEqual(show(parseSeriesValues('0x2')), [0, 0, 0], 'no hex: 0x2 repeats 0');
  assert.throws(() => parseSeriesValues('abc'), /invalid value/);
  assert.throws(() => parseSeriesValues('1+x3'), /invalid value/);
  assert.throws(() => parseSeriesValues('{{schema:0'), /unterminated/);
});

void test('series descriptions: names, labels, quoting, empty sets', () => {
  assert.deepEqual(parseSeriesDesc('foo 1').labels, [['__name__', 'foo']]);
  assert.deepEqual(parseSeriesDesc('foo:bar_total{a="b", c=\'d\'} 1').labels, [
    ['__name__', 'foo:bar_total'],
    ['a', 'b'],
    ['c', 'd'],
  ]);
  assert.deepEqual(parseSeriesDesc('{a="b",} 1').labels, [['a', 'b']]);
  assert.deepEqual(parseSeriesDesc('{} 1'), { labels: [], end: 2 });
  assert.deepEqual(parseSeriesDesc('{__name__="x", l="a\\"b\\n"} 1').labels, [
    ['__name__', 'x'],
    ['l', 'a"b\n'],
  ]);
  assert.deepEqual(parseSeriesDesc('{"my.metric", "a.b"="c"} 1').labels, [
    ['__name__', 'my.metric'],
    ['a.b', 'c'],
  ]);
  assert.deepEqual(parseSeriesDesc('x{a=`raw\\n`} 1').labels, [
    ['__name__', 'x'],
    ['a', 'raw\\n'],
  ]);
  assert.deepEqual(parseSeriesDesc('x{a=""} 1').labels, [
    ['__name__', 'x'],
    ['a', ''],
  ]);
  assert.throws(() => parseSeriesDesc('x{a=~"b"} 1'), /only "=" is allowed/);
  assert.throws(() => parseSeriesDesc('x{a="b" 1'), /expected "," or "}"/);
  assert.equal(readQuoted('"\\xc5\\x9b"', 0)?.value, 'ś');
  assert.equal(readQuoted('"\\u00e9"', 0)?.value, 'é');
});

void test('scalar result lines: numbers only, incl. hex and octal', () => {
  assert.equal(parseScalarLine('1'), 1);
  assert.equal(parseScalarLine('-2.5e3'), -2500);
  assert.equal(parseScalarLine('0x1f'), 31);
  assert.equal(parseScalarLine('010'), 8);
  assert.equal(parseScalarLine('0'), 0);
  assert.equal(parseScalarLine('+Inf'), Infinity);
  assert.equal(parseScalarLine('-inf'), -Infinity);
  assert.ok(Number.isNaN(parseScalarLine('NaN')));
  assert.equal(parseScalarLine('{} 1'), undefined);
  assert.equal(parseScalarLine('foo'), undefined);
  assert.equal(parseScalarLine('1 2'), undefined);
});

void test('lines: trimmed, comment lines become blank and end blocks', () => {
  const script = parseTestScript(
    [
      '  load 5m  ',
      '\tfoo{a="b"} 1 2\r',
      '# a comment ends the block',
      'eval instant at 5m foo',
      '  foo{a="b"} 2',
      '',
      'eval instant at 5m bar',
      '  # empty',
      'EVAL instant at 0 1',
      '  1',
      'clear',
    ].join('\n'),
    't.test',
  );
  const kinds = script.commands.map((c) => `${c.type}@${c.line}`);
  assert.deepEqual(kinds, ['load@1', 'eval@4', 'eval@7', 'eval@9', 'clear@11']);
  const load = script.commands[0] as LoadCommand;
  assert.equal(load.intervalMs, 300_000);
  assert.equal(load.series.length, 1);
  const empty = script.commands[2] as EvalCommand;
  assert.equal(empty.expected.length, 0, 'a trailing "# empty" line is not a series');
  const scalar = script.commands[3] as EvalCommand;
  assert.equal(scalar.expectedScalar?.[0], 1);
});

void test('a comment in the middle of a block makes the rest top-level errors', () => {
  throwsAtLine('load 1m\n  foo 1\n# comment\n  bar 1\n', 4, /invalid command/);
});

void test('a number line ends the eval block', () => {
  throwsAtLine('eval instant at 0 1\n  1\n  2\n', 3, /invalid command/);
});

void test('eval headers: instant, range, deprecated variants', () => {
  const [a, b, c, d] = evals(
    [
      'eval instant at 1h30m sum by (x) (rate(foo[5m]))',
      '',
      'eval range from 0 to 10m step 1m foo',
      '  foo 1 _ 3',
      '',
      'eval_fail instant at 0 foo',
      '  expected_fail_message vector cannot contain metrics with the same labelset',
      '',
      'eval_ordered instant at 1m sort(foo)',
    ].join('\n'),
  );
  assert.equal(a!.kind, 'instant');
  assert.equal(a!.timeMs, 5_400_000);
  assert.equal(a!.expr, 'sum by (x) (rate(foo[5m]))');
  assert.equal(b!.kind, 'range');
  assert.deepEqual([b!.startMs, b!.endMs, b!.stepMs], [0, 600_000, 60_000]);
  assert.deepEqual(show(b!.expected[0]!.values), [1, '_', 3]);
  assert.deepEqual(c!.fail, {
    message: 'vector cannot contain metrics with the same labelset',
  });
  assert.equal(d!.ordered, true);
  throwsAtLine('eval range from 10m to 0 step 1m foo\n', 1, /end timestamp is before start/);
  throwsAtLine('eval instant at foo\n', 1, /invalid eval command|invalid eval time/);
  throwsAtLine('eval range from 0 to 1m step 1m foo\n  foo 1 2 3\n', 2, /only 2 steps/);
  throwsAtLine('eval instant at 0 foo\n  foo 1 2\n', 2, /exactly one value/);
  throwsAtLine('bogus line\n', 1, /invalid command/);
  throwsAtLine('load_foo 1m\n', 1, /unknown load command/);
  throwsAtLine('load 1q\n', 1, /invalid load interval/);
  throwsAtLine('load 1m\n  foo 1 bar\n', 2, /invalid value/);
});

void test('expect lines: types, msg:, regex:, contradictions', () => {
  const [e] = evals(
    [
      'eval instant at 1m foo',
      '  expect fail msg:Parameter value is NaN',
      '  expect warn',
      '  expect warn regex: \\(1:[0-9]+\\)$',
      '  expect info msg: PromQL info: x (1:1)',
      '  expect ordered',
      '  expect{} 1',
    ].join('\n'),
  );
  assert.deepEqual(e!.fail, { message: 'Parameter value is NaN' });
  assert.equal(e!.warn?.length, 2);
  assert.equal(e!.warn?.[0]?.message, undefined);
  assert.ok(e!.warn?.[1]?.regex?.test('PromQL warning: w (1:12)'));
  assert.equal(e!.info?.[0]?.message, 'PromQL info: x (1:1)');
  assert.equal(e!.ordered, true);
  assert.deepEqual(e!.expected[0]!.labels, [['__name__', 'expect']], 'expect{} is a series');
  const [n] = evals('eval instant at 0 foo\n  expect no_warn\n  expect no_info\n');
  assert.equal(n!.noWarn, true);
  assert.equal(n!.noInfo, true);
  assert.equal(n!.warn, undefined, 'no warn lines: warnings unchecked');
  const [r] = evals(
    'eval instant at 0 foo[1m]\n  expect range vector from 0 to 1m step 30s\n  foo 1 2 3\n',
  );
  assert.deepEqual(r!.rangeVector, { startMs: 0, endMs: 60_000, stepMs: 30_000 });
  const [s] = evals('eval instant at 0 "a\\tb"\n  expect string "a\\tb"\n');
  assert.equal(s!.expectedString, 'a\tb');
  const [w] = evals('eval_warn instant at 0 foo\n');
  assert.equal(w!.warn?.length, 1);
  throwsAtLine('eval instant at 0 foo\n  expect warn\n  expect no_warn\n', 1, /cannot be used/);
  throwsAtLine('eval instant at 0 foo\n  expect info\n  expect no_info\n', 1, /cannot be used/);
  throwsAtLine('eval instant at 0 foo\n  expect fail\n  expect fail\n', 3, /only one/);
  throwsAtLine('eval instant at 0 foo\n  expect bogus\n', 2, /unknown expect type/);
  throwsAtLine('eval instant at 0 foo\n  expect warn something\n', 2, /msg:/);
});

void test('@st lines are recognised and checked, not loaded', () => {
  const script = parseTestScript(
    [
      'load 1m',
      '  cumulative{type="st_resets"}@st  _ _ -30s-1mx2 -1m-1mx2 _x2 -59999ms',
      '  cumulative{type="st_resets"}     _ _ 0+60x14',
    ].join('\n'),
    't.test',
  );
  const load = script.commands[0] as LoadCommand;
  assert.equal(load.startTimestampLines, 1);
  assert.equal(load.series.length, 1);
  throwsAtLine('load 1m\n  x@st 1q\n', 2, /start-timestamp/);
});

void test('query lexer: calls, selectors, operators', () => {
  const f = analyzeQuery(
    'sum(rate(foo{a=~"b.*"}[5m] anchored)) by (job) </ 2 + last_over_time(x @ start()) # step(',
  );
  assert.ok(f.calls.has('sum') && f.calls.has('rate') && f.calls.has('last_over_time'));
  assert.ok(!f.calls.has('start'), '@ start() is a modifier, not a call');
  assert.ok(!f.calls.has('step'), 'comments are skipped');
  assert.ok(f.extendedRange);
  assert.ok(f.trimOps);
  assert.deepEqual(
    f.selectors.find((s) => s.name === 'foo'),
    { name: 'foo', matchers: [['a', '=~', 'b.*']] },
  );
  assert.ok(!analyzeQuery('label_replace(x, "a", "info(", "", "")').calls.has('info'));
  assert.ok(analyzeQuery('limitk by (g) (1, x)').limitAggregators);
  assert.ok(analyzeQuery('metric smoothed').extendedRange);
  assert.ok(analyzeQuery('x offset STEP()').calls.has('step'), 'keywords are case-insensitive');
  assert.ok(analyzeQuery('metric offset -100 anchored + 0').extendedRange);
  assert.ok(!analyzeQuery('foo + smoothed').extendedRange, 'a metric named smoothed');
  assert.ok(!analyzeQuery('rate(anchored[5m])').extendedRange);
  assert.ok(!analyzeQuery('limitk').limitAggregators, 'a metric named limitk');
});

void test('classification examples', () => {
  const script = parseTestScript(
    [
      'load 5m',
      '  foo{a="1"} 1 2',
      '  hist{a="1"} {{schema:0 count:1 sum:1}}',
      '  hist{a="2"} 1',
      '',
      'eval instant at 5m foo',
      '  foo{a="1"} 2',
      '',
      'eval instant at 5m hist',
      '',
      'eval instant at 5m hist{a="2"}',
      '',
      'eval instant at 5m {a="1"}',
      '',
      'eval instant at 5m {a="3"}',
      '',
      'eval instant at 5m histogram_count(foo)',
      '',
      'eval instant at 5m limitk(1, foo)',
      '',
      'eval instant at 5m foo + fill(0) foo',
      '',
      'eval instant at 5m foo[step()*5]',
      '',
      'eval instant at 5m foo[5m+5m]',
      '',
      'eval instant at 5m foo @ end()',
      '',
      'eval instant at 5m rate(foo[5m] smoothed)',
      '',
      'eval instant at 5m info(foo)',
      '',
      'eval instant at 5m label_replace(rate(foo[5m]), "__name__", "x", "", "")',
      '',
      'clear',
      'load_with_nhcb 5m',
      '  b_bucket{le="1"} 1',
      '',
      'eval instant at 5m b_bucket',
      '',
      'eval instant at 5m b',
      '',
      'clear',
      'load 1m',
      '  c@st 0',
      '  c 1',
      '',
      'eval instant at 1m c',
      '',
      'clear',
      'load 1m',
      '  f 1',
      '',
      'eval instant at 1m f',
      '  f {{count:1}}',
      '',
      'eval instant at 1m f',
      '  f 1',
    ].join('\n'),
    't.test',
  );
  const got = [...classifyScript(script).entries()].map(([ev, s]) =>
    s.scope === 'float' ? `${ev.line} float` : `${ev.line} ${s.reason}`,
  );
  assert.deepEqual(got, [
    '6 float',
    '9 native-histogram', // names a histogram series
    '11 float', // matchers exclude the histogram series
    '13 native-histogram', // nameless selector matches hist{a="1"}
    '15 float', // nameless selector matches no histogram series
    '17 native-histogram', // native-only function
    '19 experimental', // limitk
    '21 experimental', // fill modifier
    '23 experimental', // step() is an experimental function
    '25 float', // duration expressions are not experimental
    '27 float', // @ end() is a modifier
    '29 experimental', // smoothed
    '31 experimental', // info()
    '33 float', // delayed name removal is always on
    '39 float', // load_with_nhcb: the classic float series stay in scope
    '41 native-histogram', // …but not the NHCB series b
    '48 experimental', // @st in context
    '54 native-histogram', // histogram in the expected output
    '57 float',
  ]);
});
