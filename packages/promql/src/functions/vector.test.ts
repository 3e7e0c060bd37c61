import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '@vigil/model';
import { labelsFromRecord, labelsToRecord } from '@vigil/storage';
import { FUNCTIONS } from './index.js';
import { formatOpenMetricsFloat, naturalLess } from './vector.js';
import type { VectorElement, VectorFunction } from './types.js';
import { close, context } from './test-helpers.test.js';

function fn(name: string): VectorFunction {
  const f = FUNCTIONS.get(name);
  assert.ok(f !== undefined && f.kind === 'vector', `${name} is a vector function`);
  return f;
}

function el(labels: Record<string, string>, value: number): VectorElement {
  return { labels: labelsFromRecord(labels), value, dropName: false };
}

/** Output as `labels → value`, labels rendered as JSON, sorted for order-free comparison. */
function byLabels(out: VectorElement[]): Map<string, number> {
  return new Map(out.map((e) => [JSON.stringify(labelsToRecord(e.labels)), e.value]));
}

function assertValues(
  out: VectorElement[],
  expected: [Record<string, string>, number][],
  relTol = 1e-12,
): void {
  const got = byLabels(out);
  assert.equal(got.size, expected.length, `outputs: ${[...got.keys()].join(' ')}`);
  for (const [labels, value] of expected) {
    const key = JSON.stringify(labelsToRecord(labelsFromRecord(labels)));
    assert.ok(got.has(key), `missing ${key}`);
    assert.ok(close(got.get(key), value, relTol), `${key}: got ${got.get(key)}, want ${value}`);
  }
}

test('sort and sort_desc order by value with NaN last', () => {
  const input = [
    el({ i: 'a' }, 300),
    el({ i: 'b' }, NaN),
    el({ i: 'c' }, 100),
    el({ i: 'd' }, 800),
  ];
  const ctx = context(0);
  const asc = fn('sort').compute(input, [], [], ctx);
  assert.deepEqual(
    asc.map((e) => labelsToRecord(e.labels)['i']),
    ['c', 'a', 'd', 'b'],
  );
  const desc = fn('sort_desc').compute(input, [], [], ctx);
  assert.deepEqual(
    desc.map((e) => labelsToRecord(e.labels)['i']),
    ['d', 'a', 'c', 'b'],
  );
  // The input is not reordered in place.
  assert.equal(labelsToRecord(input[0]!.labels)['i'], 'a');
});

test('natural order compares digit runs as numbers', () => {
  assert.ok(naturalLess('2', '10'));
  assert.ok(!naturalLess('10', '2'));
  assert.ok(naturalLess('4m5', '4m600'));
  assert.ok(naturalLess('4m600', '4m1000'));
  assert.ok(naturalLess('1.2.3', '1.11.3'));
  assert.ok(naturalLess('1.11.3', '1.111.3'));
  assert.ok(naturalLess('a', 'b'));
  assert.ok(naturalLess('', 'a'));
  assert.ok(!naturalLess('a', 'a'));
  assert.ok(naturalLess('007', '8'));
});

test('sort_by_label and sort_by_label_desc: natural order, then the full label set', () => {
  const cpus = ['100', '2', '11', '0', '21', '3', '10', '1', '20', '12'].map((cpu) =>
    el({ __name__: 'cpu_time_total', cpu, job: 'cpu' }, 100),
  );
  const sorted = fn('sort_by_label').compute(cpus, [], ['cpu'], context(0));
  assert.deepEqual(
    sorted.map((e) => labelsToRecord(e.labels)['cpu']),
    ['0', '1', '2', '3', '10', '11', '12', '20', '21', '100'],
  );
  const input = [
    el({ group: 'production', instance: '1', job: 'api-server' }, 200),
    el({ group: 'canary', instance: '0', job: 'app-server' }, 700),
    el({ group: 'canary', instance: '1', job: 'api-server' }, 400),
    el({ group: 'production', instance: '0', job: 'api-server' }, 100),
  ];
  const render = (out: VectorElement[]): string[] =>
    out.map((e) => {
      const r = labelsToRecord(e.labels);
      return `${r['group']}/${r['instance']}/${r['job']}`;
    });
  assert.deepEqual(render(fn('sort_by_label').compute(input, [], ['instance'], context(0))), [
    'canary/0/app-server',
    'production/0/api-server',
    'canary/1/api-server',
    'production/1/api-server',
  ]);
  assert.deepEqual(render(fn('sort_by_label_desc').compute(input, [], ['instance'], context(0))), [
    'production/1/api-server',
    'canary/1/api-server',
    'production/0/api-server',
    'canary/0/app-server',
  ]);
});

/** Classic buckets of one histogram: `[le, count]` pairs with extra labels. */
function buckets(
  name: string,
  labels: Record<string, string>,
  pairs: [string, number][],
): VectorElement[] {
  return pairs.map(([le, count]) => el({ __name__: name, ...labels, le }, count));
}

const testhistogram3 = [
  ...buckets('testhistogram3_bucket', { start: 'positive' }, [
    ['0', 0],
    ['0.1', 50],
    ['.2', 70],
    ['1e0', 110],
    ['+Inf', 110],
  ]),
  ...buckets('testhistogram3_bucket', { start: 'negative' }, [
    ['-.25', 0],
    ['-.2', 10],
    ['-0.1', 20],
    ['0.3', 20],
    ['+Inf', 20],
  ]),
];

test('histogram_quantile over classic buckets (upstream testhistogram3 at 50m)', () => {
  const q = (phi: number): VectorElement[] =>
    fn('histogram_quantile').compute(testhistogram3, [phi], [], context(0));
  const cases: [number, number, number][] = [
    [0, 0, -0.25],
    [0.25, 0.055, -0.225],
    [0.5, 0.125, -0.2],
    [0.75, 0.45, -0.15],
    [1, 1, -0.1],
  ];
  for (const [phi, positive, negative] of cases) {
    const out = q(phi);
    assertValues(out, [
      [{ __name__: 'testhistogram3_bucket', start: 'positive' }, positive],
      [{ __name__: 'testhistogram3_bucket', start: 'negative' }, negative],
    ]);
    // `le` is gone; the name goes when the result is returned.
    for (const e of out) {
      assert.equal(labelsToRecord(e.labels)['le'], undefined);
      assert.equal(e.dropName, true);
    }
  }
});

test('histogram_quantile: φ out of range gives ±Inf/NaN and a warning at φ', () => {
  const ctx = context(0, [
    { start: 19, end: 23 },
    { start: 25, end: 38 },
  ]);
  const f = fn('histogram_quantile');
  for (const [phi, want] of [
    [-0.1, -Infinity],
    [1.01, Infinity],
    [NaN, NaN],
  ] as const) {
    for (const e of f.compute(testhistogram3, [phi], [], ctx)) {
      assert.ok(close(e.value, want));
    }
  }
  assert.deepEqual(
    ctx.annotations.list().map((a) => [a.kind, a.message, a.pos.start]),
    [
      ['warning', 'quantile value should be between 0 and 1, got -0.1', 19],
      ['warning', 'quantile value should be between 0 and 1, got 1.01', 19],
      ['warning', 'quantile value should be between 0 and 1, got NaN', 19],
    ],
  );
});

test('histogram_quantile: non-monotonic counts are fixed, with an info at the vector', () => {
  const input = buckets('nonmonotonic_bucket', {}, [
    ['0.1', 20],
    ['1', 10],
    ['10', 50],
    ['100', 40],
    ['1000', 90],
    ['+Inf', 80],
  ]);
  const ctx = context(0, [
    { start: 19, end: 23 },
    { start: 25, end: 44 },
  ]);
  const f = fn('histogram_quantile');
  assert.ok(close(f.compute(input, [0.01], [], ctx)[0]!.value, 0.0045));
  assert.ok(close(f.compute(input, [0.5], [], ctx)[0]!.value, 8.5));
  assert.ok(close(f.compute(input, [0.99], [], ctx)[0]!.value, 979.75));
  assert.deepEqual(ctx.annotations.list(), [
    {
      kind: 'info',
      message:
        'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "nonmonotonic_bucket"',
      pos: { start: 25, end: 44 },
    },
  ]);
});

test('histogram_quantile: equal bounds written differently are merged; one bucket or none observed is NaN', () => {
  const input = [
    ...buckets('mixed_bucket', { instance: 'ins1', job: 'job1' }, [
      ['0.1', 1],
      ['0.2', 1],
      ['2e-1', 1],
      ['2.0e-1', 1],
      ['+Inf', 4],
    ]),
    ...buckets('mixed_bucket', { instance: 'ins2', job: 'job1' }, [
      ['+inf', 0],
      ['+Inf', 0],
    ]),
  ];
  assertValues(fn('histogram_quantile').compute(input, [0.5], [], context(0)), [
    [{ __name__: 'mixed_bucket', instance: 'ins1', job: 'job1' }, 0.15],
    [{ __name__: 'mixed_bucket', instance: 'ins2', job: 'job1' }, NaN],
  ]);
  assertValues(fn('histogram_quantile').compute(input, [1], [], context(0)), [
    [{ __name__: 'mixed_bucket', instance: 'ins1', job: 'job1' }, 0.2],
    [{ __name__: 'mixed_bucket', instance: 'ins2', job: 'job1' }, NaN],
  ]);
  // No +Inf bucket.
  const open = buckets('open_bucket', {}, [
    ['1', 1],
    ['2', 3],
  ]);
  assert.ok(Number.isNaN(fn('histogram_quantile').compute(open, [0.5], [], context(0))[0]!.value));
  // A single +Inf bucket: fewer than two buckets.
  const single = buckets('one_bucket', {}, [['+Inf', 5]]);
  assert.ok(
    Number.isNaN(fn('histogram_quantile').compute(single, [0.5], [], context(0))[0]!.value),
  );
  // Zero observations.
  const empty = buckets('none_bucket', {}, [
    ['1', 0],
    ['+Inf', 0],
  ]);
  assert.ok(Number.isNaN(fn('histogram_quantile').compute(empty, [0.5], [], context(0))[0]!.value));
});

test('histogram_quantile/fraction: a missing or malformed le is skipped with a warning', () => {
  for (const [le, shown] of [
    [undefined, ''],
    ['Hello World', 'Hello World'],
    [' 1', ' 1'],
    ['1e400', '1e400'],
  ] as const) {
    const labels: Record<string, string> = { __name__: 'series' };
    if (le !== undefined) labels['le'] = le;
    const input = [el(labels, 2)];
    const ctx = context(0, [
      { start: 19, end: 22 },
      { start: 24, end: 30 },
      { start: 28, end: 34 },
    ]);
    assert.deepEqual(fn('histogram_quantile').compute(input, [0.8], [], ctx), []);
    assert.deepEqual(fn('histogram_fraction').compute(input, [-Infinity, 1], [], ctx), []);
    assert.deepEqual(
      ctx.annotations.list().map((a) => [a.kind, a.message, a.pos.start]),
      [
        [
          'warning',
          `bucket label "le" is missing or has a malformed value of ${JSON.stringify(shown)} for metric name "series"`,
          24,
        ],
        [
          'warning',
          `bucket label "le" is missing or has a malformed value of ${JSON.stringify(shown)} for metric name "series"`,
          28,
        ],
      ],
    );
  }
});

test('histogram_fraction over classic buckets (upstream cases)', () => {
  const frac = (lower: number, upper: number, pairs: [string, number][]): number => {
    const out = fn('histogram_fraction').compute(
      buckets('h_bucket', {}, pairs),
      [lower, upper],
      [],
      context(0),
    );
    assert.equal(out.length, 1);
    assert.equal(out[0]!.dropName, true);
    return out[0]!.value;
  };
  const h2: [string, number][] = [
    ['0', 0],
    ['2', 10],
    ['4', 20],
    ['6', 30],
    ['+Inf', 30],
  ];
  assert.ok(close(frac(0, 4, h2), 0.6666666666666666));
  assert.ok(close(frac(0, 6, h2), 1));
  assert.ok(close(frac(0, 3.5, h2), 0.5833333333333334));
  const pos: [string, number][] = [
    ['1', 1],
    ['2', 3],
    ['3', 6],
    ['+Inf', 100],
  ];
  const neg: [string, number][] = [
    ['-3', 10],
    ['-2', 12],
    ['-1', 15],
    ['+Inf', 100],
  ];
  const cases: [number, number, [string, number][], number][] = [
    [0, 1.5, pos, 0.02],
    [-4, -2, neg, 0.02],
    [-Infinity, -1.5, neg, 0.135],
    [-Infinity, Infinity, pos, 1],
    [-Infinity, Infinity, neg, 1],
    [4, 5, pos, 0],
    [0, 1, neg, 0],
    [2, 5, pos, 0.03],
    [400, Infinity, pos, 0.94],
    [2, 2, pos, 0],
    [3, 2, pos, 0],
    [0, 1, [['+Inf', 100]], 0],
    [2, 3.5, pos, 0.03],
    [0.5, 2, pos, 0.025],
    [1, 3, pos, 0.05],
    [
      0.1,
      0.75,
      [
        ['0.5', 2.5],
        ['1', 7.5],
        ['+Inf', 100],
      ],
      0.045,
    ],
    [
      -1,
      1,
      [
        ['-2', 5],
        ['-1', 10],
        ['0', 15],
        ['1', 20],
        ['+Inf', 100],
      ],
      0.1,
    ],
  ];
  for (const [lower, upper, pairs, want] of cases) {
    const got = frac(lower, upper, pairs);
    assert.ok(close(got, want), `fraction(${lower}, ${upper}): got ${got}, want ${want}`);
  }
  const zero: [string, number][] = [
    ['1', 0],
    ['2', 0],
    ['+Inf', 0],
  ];
  assert.ok(Number.isNaN(frac(0, 5, zero)));
  assert.ok(Number.isNaN(frac(NaN, 1, pos)));
  assert.ok(Number.isNaN(frac(0, NaN, pos)));
  assert.ok(
    Number.isNaN(
      frac(0, 1, [
        ['1', 1],
        ['2', 3],
      ]),
    ),
  );
});

test('histogram_quantiles labels each φ and fails when the label collides', () => {
  const f = fn('histogram_quantiles');
  const out = f.compute(testhistogram3, [0, 0.25, 1], ['q'], context(0));
  assertValues(out, [
    [{ __name__: 'testhistogram3_bucket', q: '0.0', start: 'positive' }, 0],
    [{ __name__: 'testhistogram3_bucket', q: '0.0', start: 'negative' }, -0.25],
    [{ __name__: 'testhistogram3_bucket', q: '0.25', start: 'positive' }, 0.055],
    [{ __name__: 'testhistogram3_bucket', q: '0.25', start: 'negative' }, -0.225],
    [{ __name__: 'testhistogram3_bucket', q: '1.0', start: 'positive' }, 1],
    [{ __name__: 'testhistogram3_bucket', q: '1.0', start: 'negative' }, -0.1],
  ]);
  assert.throws(
    () => f.compute(testhistogram3, [0, 0.25], ['start'], context(0)),
    (err: unknown) =>
      isVigilError(err) &&
      err.code === 'PROMQL_EXECUTION' &&
      err.message === 'vector cannot contain metrics with the same labelset',
  );
  assert.equal(formatOpenMetricsFloat(-0.1), '-0.1');
  assert.equal(formatOpenMetricsFloat(NaN), 'NaN');
  assert.equal(formatOpenMetricsFloat(Infinity), '+Inf');
  assert.equal(formatOpenMetricsFloat(2), '2.0');
  assert.equal(formatOpenMetricsFloat(1e6), '1e+06');
});

test('histogram_quantile(s) warn about φ even for an empty input vector', () => {
  const ctx = context(0, [{ start: 19, end: 22 }]);
  assert.deepEqual(fn('histogram_quantile').compute([], [NaN], [], ctx), []);
  const ctx2 = context(0, [
    { start: 20, end: 32 },
    { start: 34, end: 37 },
    { start: 39, end: 42 },
  ]);
  assert.deepEqual(fn('histogram_quantiles').compute([], [NaN], ['q'], ctx2), []);
  assert.deepEqual(
    [...ctx.annotations.list(), ...ctx2.annotations.list()].map((a) => [a.message, a.pos.start]),
    [
      ['quantile value should be between 0 and 1, got NaN', 19],
      ['quantile value should be between 0 and 1, got NaN', 39],
    ],
  );
});
