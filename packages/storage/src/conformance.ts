/**
 * The storage conformance suite: the contract of `interfaces.ts` written as
 * `node:test` cases that every implementation of `Appendable & Queryable`
 * must pass. Import it from `@vigil/storage/conformance` in a test file:
 *
 * ```ts
 * describeStorageConformance('MemoryStorage', async () => {
 *   const storage = new MemoryStorage();
 *   return { storage, close: async () => storage.close() };
 * });
 * ```
 *
 * A durable storage also passes `reopen`; the suite then checks that what
 * was committed survives closing and opening the same data again.
 *
 * Not part of the main barrel: it imports `node:test`.
 *
 * @module
 */
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { STALE_NAN, isStaleNaN, newLabelMatcher } from '@vigil/model';
import type { LabelMatcher, MatchType } from '@vigil/model';
import type { Appendable, Appender, Queryable, SeriesRef } from './interfaces.js';
import {
  compareLabels,
  compareStrings,
  labelValue,
  labelsKey,
  sortLabelPairs,
  validateSeriesLabels,
} from './labels.js';
import type { SeriesLabels } from './labels.js';
import { collectSamples, collectSeriesSet } from './merge.js';
import type { CollectedSample, CollectedSeries } from './merge.js';

export { collectSeriesSet, collectSamples } from './merge.js';
export type { CollectedSample, CollectedSeries } from './merge.js';

/** A storage handed to the suite, with what the suite needs to manage it. */
export interface StorageUnderTest {
  /** The storage under test, fresh and empty when `open` returns it. */
  readonly storage: Appendable & Queryable;
  /** Closes the storage and releases everything it holds (files, handles). */
  close(): Promise<void>;
  /**
   * For durable storages: closes this one and opens the same data again.
   * The suite then checks that every committed batch survives.
   */
  reopen?(): Promise<StorageUnderTest>;
}

/** The widest range the suite queries (ms). */
const ALL_MINT = Number.MIN_SAFE_INTEGER;
const ALL_MAXT = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------------------
// Small helpers

/** Sorted series labels from name/value pairs. */
function L(...pairs: string[]): SeriesLabels {
  return sortLabelPairs(pairs);
}

/** A sample as an object: object fields keep NaN payloads, `[t, v]` arrays do not. */
function s(t: number, v: number): CollectedSample {
  return { t, v };
}

const bitsScratch = new Float64Array(1);
const bitsWords = new Uint32Array(bitsScratch.buffer);

/** The 64 bits of a double as 16 hex digits (high word first). */
function bitsOf(v: number): string {
  bitsScratch[0] = v;
  return bitsWords[1]!.toString(16).padStart(8, '0') + bitsWords[0]!.toString(16).padStart(8, '0');
}

function sameBits(a: number, b: number): boolean {
  return bitsOf(a) === bitsOf(b);
}

/** A comparable rendering of samples: `t@bits(value)`. */
function render(samples: readonly CollectedSample[]): string[] {
  return samples.map((x) => `${x.t}@${bitsOf(x.v)}(${x.v})`);
}

function renderSeries(
  series: readonly CollectedSeries[],
): { labels: string[]; samples: string[] }[] {
  return series.map((x) => ({ labels: [...x.labels], samples: render(x.samples) }));
}

/** Asserts a series list equals the expected one, sample values compared bit for bit. */
function assertSeries(
  actual: readonly CollectedSeries[],
  expected: readonly CollectedSeries[],
  message?: string,
): void {
  assert.deepEqual(renderSeries(actual), renderSeries(expected), message);
}

/** A predicate for assert.throws/rejects: a VigilError-like error with this code. */
function code(expected: string): (err: unknown) => true {
  return (err: unknown) => {
    const got = (err as { code?: unknown } | null)?.code;
    assert.equal(got, expected, `expected error code ${expected}, got ${String(err)}`);
    return true;
  };
}

const M = (type: MatchType, name: string, value: string): LabelMatcher =>
  newLabelMatcher(type, name, value);

/**
 * Runs a select and checks what the contract promises of every answer:
 * samples in `[mint, maxt]`, strictly increasing, each series with at
 * least one sample, valid distinct labels, sorted when asked, and a second
 * `iterator()` yielding the same samples.
 */
function query(
  storage: Queryable,
  mint: number,
  maxt: number,
  matchers: readonly LabelMatcher[] = [],
  sorted = true,
): CollectedSeries[] {
  const q = storage.querier(mint, maxt);
  try {
    assert.equal(q.mint, mint, 'querier.mint');
    assert.equal(q.maxt, maxt, 'querier.maxt');
    const set = q.select(matchers, sorted ? { sorted: true } : undefined);
    const out: CollectedSeries[] = [];
    const seen = new Set<string>();
    while (set.next()) {
      const series = set.at();
      validateSeriesLabels(series.labels);
      const key = labelsKey(series.labels);
      assert.ok(!seen.has(key), `series ${key} returned twice`);
      seen.add(key);
      const samples = collectSamples(series.iterator());
      assert.ok(samples.length > 0, `series ${key} returned without samples in range`);
      for (let i = 0; i < samples.length; i++) {
        const x = samples[i]!;
        assert.ok(
          x.t >= mint && x.t <= maxt,
          `sample at ${x.t} outside [${mint}, ${maxt}] in ${key}`,
        );
        if (i > 0)
          assert.ok(x.t > samples[i - 1]!.t, `timestamps not strictly increasing in ${key}`);
      }
      const again = collectSamples(series.iterator());
      assert.deepEqual(render(again), render(samples), 'a second iterator() yields the same');
      for (const m of matchers) {
        assert.ok(
          m.matches(labelValue(series.labels, m.name)),
          `series ${key} does not match ${m.name}${m.type}${JSON.stringify(m.value)}`,
        );
      }
      out.push({ labels: series.labels, samples });
    }
    assert.ok(Array.isArray(set.warnings()), 'warnings() returns an array');
    if (sorted) {
      for (let i = 1; i < out.length; i++) {
        assert.ok(
          compareLabels(out[i - 1]!.labels, out[i]!.labels) < 0,
          'select with { sorted: true } returns series ordered by compareLabels',
        );
      }
    } else {
      out.sort((a, b) => compareLabels(a.labels, b.labels));
    }
    return out;
  } finally {
    q.close();
  }
}

/** The labels of a select's answer, as keys in order. */
function selectKeys(
  storage: Queryable,
  mint: number,
  maxt: number,
  matchers: readonly LabelMatcher[],
): string[] {
  return query(storage, mint, maxt, matchers).map((x) => labelsKey(x.labels));
}

function labelNames(
  storage: Queryable,
  mint: number,
  maxt: number,
  matchers?: readonly LabelMatcher[],
): string[] {
  const q = storage.querier(mint, maxt);
  try {
    const names = matchers === undefined ? q.labelNames() : q.labelNames(matchers);
    assertSortedDistinct(names);
    return names;
  } finally {
    q.close();
  }
}

function labelValues(
  storage: Queryable,
  name: string,
  mint: number,
  maxt: number,
  matchers?: readonly LabelMatcher[],
): string[] {
  const q = storage.querier(mint, maxt);
  try {
    const values = matchers === undefined ? q.labelValues(name) : q.labelValues(name, matchers);
    assertSortedDistinct(values);
    assert.ok(!values.includes(''), 'labelValues never lists the empty value');
    return values;
  } finally {
    q.close();
  }
}

function assertSortedDistinct(list: readonly string[]): void {
  for (let i = 1; i < list.length; i++) {
    assert.ok(
      compareStrings(list[i - 1]!, list[i]!) < 0,
      `not sorted and distinct: ${JSON.stringify(list)}`,
    );
  }
}

/** Appends samples of one series with ref 0 and returns the ref of the last append. */
function appendAll(
  app: Appender,
  labels: SeriesLabels,
  samples: readonly CollectedSample[],
): SeriesRef {
  let ref = 0;
  for (const x of samples) ref = app.append(0, labels, x.t, x.v);
  return ref;
}

/** Commits one batch of series -> samples. */
async function commitSeries(
  storage: Appendable,
  series: readonly CollectedSeries[],
): Promise<void> {
  const app = storage.appender();
  for (const x of series) appendAll(app, x.labels, x.samples);
  await app.commit();
}

/** Every method of a finished appender throws (or rejects with) `APPENDER_CLOSED`. */
async function assertAppenderClosed(app: Appender): Promise<void> {
  assert.throws(() => app.append(0, L('__name__', 'x'), 1, 1), code('APPENDER_CLOSED'));
  assert.throws(() => app.rollback(), code('APPENDER_CLOSED'));
  await assert.rejects(async () => app.commit(), code('APPENDER_CLOSED'));
}

/** Mulberry32: deterministic randomness for the workloads (kept here so the suite needs no test-only package). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Holds the storage under test across reopens. */
class Harness {
  private sut: StorageUnderTest | undefined;

  constructor(sut: StorageUnderTest) {
    this.sut = sut;
  }

  get storage(): Appendable & Queryable {
    if (this.sut === undefined) throw new Error('the storage under test failed to reopen');
    return this.sut.storage;
  }

  get durable(): boolean {
    return this.sut?.reopen !== undefined;
  }

  /** Reopens a durable storage; false (and nothing done) for others. */
  async reopen(): Promise<boolean> {
    const sut = this.sut;
    if (sut?.reopen === undefined) return false;
    this.sut = undefined;
    this.sut = await sut.reopen();
    return true;
  }

  /** Runs `check` now and, for a durable storage, again after a reopen. */
  async checkSurvives(
    check: (storage: Appendable & Queryable) => void | Promise<void>,
  ): Promise<void> {
    await check(this.storage);
    if (await this.reopen()) await check(this.storage);
  }

  async close(): Promise<void> {
    const sut = this.sut;
    this.sut = undefined;
    if (sut !== undefined) await sut.close();
  }
}

// ---------------------------------------------------------------------------
// A simple model of the contract, for randomised workloads

class ModelSeries {
  ts = new Float64Array(16);
  vs = new Float64Array(16);
  n = 0;

  constructor(readonly labels: SeriesLabels) {}

  push(t: number, v: number): void {
    if (this.n === this.ts.length) {
      const ts = new Float64Array(this.n * 2);
      ts.set(this.ts);
      const vs = new Float64Array(this.n * 2);
      vs.set(this.vs);
      this.ts = ts;
      this.vs = vs;
    }
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }

  samplesIn(mint: number, maxt: number): CollectedSample[] {
    const out: CollectedSample[] = [];
    for (let i = 0; i < this.n; i++) {
      const t = this.ts[i]!;
      if (t >= mint && t <= maxt) out.push({ t, v: this.vs[i]! });
    }
    return out;
  }
}

/** What the model says an append must do. */
type Expect = 'ok' | 'ignored' | 'SAMPLE_OUT_OF_ORDER' | 'SAMPLE_DUPLICATE';

class Model {
  readonly series = new Map<string, ModelSeries>();

  batch(): ModelBatch {
    return new ModelBatch(this);
  }

  select(mint: number, maxt: number, matchers: readonly LabelMatcher[]): CollectedSeries[] {
    const out: CollectedSeries[] = [];
    for (const x of this.series.values()) {
      if (!matchers.every((m) => m.matches(labelValue(x.labels, m.name)))) continue;
      const samples = x.samplesIn(mint, maxt);
      if (samples.length > 0) out.push({ labels: x.labels, samples });
    }
    return out.sort((a, b) => compareLabels(a.labels, b.labels));
  }

  labelNames(mint: number, maxt: number, matchers: readonly LabelMatcher[]): string[] {
    const names = new Set<string>();
    for (const x of this.select(mint, maxt, matchers)) {
      for (let i = 0; i < x.labels.length; i += 2) names.add(x.labels[i]!);
    }
    return [...names].sort(compareStrings);
  }

  labelValues(
    name: string,
    mint: number,
    maxt: number,
    matchers: readonly LabelMatcher[],
  ): string[] {
    const values = new Set<string>();
    for (const x of this.select(mint, maxt, matchers)) {
      const v = labelValue(x.labels, name);
      if (v !== '') values.add(v);
    }
    return [...values].sort(compareStrings);
  }
}

class ModelBatch {
  private readonly newest = new Map<string, { t: number; v: number }>();
  private readonly pending: { key: string; labels: SeriesLabels; t: number; v: number }[] = [];

  constructor(private readonly model: Model) {}

  append(labels: SeriesLabels, t: number, v: number): Expect {
    const key = labelsKey(labels);
    let last = this.newest.get(key);
    if (last === undefined) {
      const x = this.model.series.get(key);
      if (x !== undefined && x.n > 0) last = { t: x.ts[x.n - 1]!, v: x.vs[x.n - 1]! };
    }
    if (last !== undefined) {
      if (t < last.t) return 'SAMPLE_OUT_OF_ORDER';
      if (t === last.t) return sameBits(v, last.v) ? 'ignored' : 'SAMPLE_DUPLICATE';
    }
    this.newest.set(key, { t, v });
    this.pending.push({ key, labels, t, v });
    return 'ok';
  }

  commit(): void {
    for (const p of this.pending) {
      let x = this.model.series.get(p.key);
      if (x === undefined) {
        x = new ModelSeries(p.labels);
        this.model.series.set(p.key, x);
      }
      x.push(p.t, p.v);
    }
  }
}

/** Appends through the storage and the model, checking the storage does what the model says. */
function appendChecked(
  app: Appender,
  batch: ModelBatch,
  ref: SeriesRef,
  labels: SeriesLabels,
  t: number,
  v: number,
): SeriesRef | undefined {
  const expect = batch.append(labels, t, v);
  if (expect === 'ok' || expect === 'ignored') {
    const got = app.append(ref, labels, t, v);
    assert.ok(typeof got === 'number' && got !== 0, 'append returns a non-zero ref');
    return got;
  }
  assert.throws(() => app.append(ref, labels, t, v), code(expect));
  return undefined;
}

function compareWithModel(
  storage: Queryable,
  model: Model,
  mint: number,
  maxt: number,
  matchers: readonly LabelMatcher[],
  what: string,
): void {
  const expected = model.select(mint, maxt, matchers);
  const actual = query(storage, mint, maxt, matchers);
  if (actual.length !== expected.length) {
    assert.deepEqual(
      actual.map((x) => labelsKey(x.labels)),
      expected.map((x) => labelsKey(x.labels)),
      `${what}: series differ`,
    );
  }
  for (let i = 0; i < expected.length; i++) {
    assert.deepEqual([...actual[i]!.labels], [...expected[i]!.labels], `${what}: labels`);
    assert.deepEqual(
      render(actual[i]!.samples),
      render(expected[i]!.samples),
      `${what}: samples of ${labelsKey(expected[i]!.labels)}`,
    );
  }
}

// ---------------------------------------------------------------------------
// Fixtures

/** The matcher fixture: five series over three label names. */
const FX = {
  A: L('__name__', 'http_requests_total', 'env', 'prod', 'instance', 'a:80', 'job', 'api'),
  B: L('__name__', 'http_requests_total', 'env', 'dev', 'instance', 'b:80', 'job', 'api'),
  C: L('__name__', 'http_requests_total', 'instance', 'c:80', 'job', 'api-v2'),
  D: L('__name__', 'up', 'instance', 'd:9100', 'job', 'node'),
  E: L('__name__', 'up', 'env', 'prod', 'instance', 'e:9100', 'job', 'node2'),
} as const;
type FxName = keyof typeof FX;

function fixtureSeries(): CollectedSeries[] {
  return [
    { labels: FX.A, samples: [s(1000, 1), s(2000, 2), s(3000, 3)] },
    { labels: FX.B, samples: [s(1000, 10), s(2000, 20), s(3000, 30)] },
    { labels: FX.C, samples: [s(2000, 200)] },
    { labels: FX.D, samples: [s(4000, 1), s(5000, 0)] },
    {
      labels: FX.E,
      samples: [s(1000, 1), s(2000, 1), s(3000, 1), s(4000, 1), s(5000, 1)],
    },
  ];
}

/** Keys of fixture series in label order. */
function fxKeys(...names: FxName[]): string[] {
  return names
    .map((n) => FX[n])
    .sort(compareLabels)
    .map(labelsKey);
}

// ---------------------------------------------------------------------------
// The suite

/**
 * Registers the storage conformance suite as `node:test` cases under
 * `describe(name)`. `open` is called once per test and must return a fresh,
 * empty storage; the suite closes it at the end of the test.
 *
 * @param name Shown in the test report, e.g. `MemoryStorage`.
 * @param open Creates the storage under test.
 */
export function describeStorageConformance(
  name: string,
  open: () => Promise<StorageUnderTest>,
): void {
  const it = (title: string, fn: (h: Harness, t: TestContext) => Promise<void>): void => {
    test(title, async (t) => {
      const h = new Harness(await open());
      try {
        await fn(h, t);
      } finally {
        await h.close();
      }
    });
  };

  describe(`storage conformance: ${name}`, () => {
    describe('append, commit and rollback', () => {
      it('committed samples are visible; appended but uncommitted ones are not', async (h) => {
        const x = L('__name__', 'm', 'job', 'a');
        const app = h.storage.appender();
        app.append(0, x, 1000, 1);
        app.append(0, x, 2000, 2);
        assert.deepEqual(query(h.storage, ALL_MINT, ALL_MAXT), [], 'nothing before commit');
        assert.deepEqual(labelNames(h.storage, ALL_MINT, ALL_MAXT), []);
        assert.deepEqual(labelValues(h.storage, 'job', ALL_MINT, ALL_MAXT), []);
        await app.commit();
        const expected = [{ labels: x, samples: [s(1000, 1), s(2000, 2)] }];
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), expected);
          assert.deepEqual(labelNames(st, ALL_MINT, ALL_MAXT), ['__name__', 'job']);
        });
      });

      it('a second batch adds to the first; an empty commit changes nothing', async (h) => {
        const x = L('__name__', 'm');
        await commitSeries(h.storage, [{ labels: x, samples: [s(1, 1), s(2, 2)] }]);
        await h.storage.appender().commit();
        await commitSeries(h.storage, [{ labels: x, samples: [s(3, 3)] }]);
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), [
            { labels: x, samples: [s(1, 1), s(2, 2), s(3, 3)] },
          ]);
        });
      });

      it('a rolled-back batch leaves no trace', async (h) => {
        const x = L('__name__', 'm', 'job', 'a');
        const gone = L('__name__', 'gone', 'only_here', 'yes');
        await commitSeries(h.storage, [{ labels: x, samples: [s(100, 1)] }]);
        const app = h.storage.appender();
        app.append(0, x, 500, 5);
        app.append(0, gone, 500, 5);
        app.rollback();
        assertSeries(query(h.storage, ALL_MINT, ALL_MAXT), [{ labels: x, samples: [s(100, 1)] }]);
        assert.deepEqual(labelNames(h.storage, ALL_MINT, ALL_MAXT), ['__name__', 'job']);
        assert.deepEqual(labelValues(h.storage, '__name__', ALL_MINT, ALL_MAXT), ['m']);
        // The rolled-back samples do not count as the newest: earlier times are accepted.
        const app2 = h.storage.appender();
        app2.append(0, x, 200, 2);
        app2.append(0, gone, 300, 3);
        await app2.commit();
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), [
            { labels: gone, samples: [s(300, 3)] },
            { labels: x, samples: [s(100, 1), s(200, 2)] },
          ]);
        });
      });

      it('a finished appender throws APPENDER_CLOSED from every method', async (h) => {
        const x = L('__name__', 'm');
        const committed = h.storage.appender();
        committed.append(0, x, 1, 1);
        await committed.commit();
        await assertAppenderClosed(committed);
        const rolledBack = h.storage.appender();
        rolledBack.append(0, x, 2, 2);
        rolledBack.rollback();
        await assertAppenderClosed(rolledBack);
        const empty = h.storage.appender();
        empty.rollback();
        await assertAppenderClosed(empty);
        assertSeries(query(h.storage, ALL_MINT, ALL_MAXT), [{ labels: x, samples: [s(1, 1)] }]);
      });

      it('many appenders may be open at once and interleave', async (h) => {
        const x = L('__name__', 'm', 'series', 'x');
        const y = L('__name__', 'm', 'series', 'y');
        const z = L('__name__', 'm', 'series', 'z');
        const w = L('__name__', 'm', 'series', 'w');
        const a1 = h.storage.appender();
        const a2 = h.storage.appender();
        const a3 = h.storage.appender();
        const za: SeriesRef[] = [];
        const zb: SeriesRef[] = [];
        a1.append(0, x, 1, 1);
        a2.append(0, y, 1, 10);
        a3.append(0, w, 1, 100);
        a1.append(0, x, 2, 2);
        a2.append(0, y, 2, 20);
        for (let t = 1; t <= 3; t++) {
          za.push(a1.append(0, z, t, t));
          zb.push(a2.append(0, z, t + 9, t + 9));
        }
        assert.deepEqual(query(h.storage, ALL_MINT, ALL_MAXT), []);
        await a1.commit();
        assertSeries(query(h.storage, ALL_MINT, ALL_MAXT), [
          { labels: x, samples: [s(1, 1), s(2, 2)] },
          { labels: z, samples: [s(1, 1), s(2, 2), s(3, 3)] },
        ]);
        a3.rollback();
        await a2.commit();
        const expected = [
          { labels: x, samples: [s(1, 1), s(2, 2)] },
          { labels: y, samples: [s(1, 10), s(2, 20)] },
          {
            labels: z,
            samples: [s(1, 1), s(2, 2), s(3, 3), s(10, 10), s(11, 11), s(12, 12)],
          },
        ];
        assertSeries(query(h.storage, ALL_MINT, ALL_MAXT), expected);
        // Both appenders created z and both batches were committed: each
        // ref they returned is a ref of z for the lifetime of the storage.
        const a4 = h.storage.appender();
        assert.equal(a4.append(0, z, 13, 13), a4.append(0, z, 13, 13));
        a4.append(za[0]!, [], 14, 14);
        a4.append(zb[0]!, [], 15, 15);
        await a4.commit();
        expected[2]!.samples.push(s(13, 13), s(14, 14), s(15, 15));
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), expected);
        });
      });
      it('many small commits, and commits in flight at the same time', async (h) => {
        const series = [0, 1, 2].map((i) => L('__name__', 'small', 'i', String(i)));
        const expected: CollectedSeries[] = series.map((labels) => ({ labels, samples: [] }));
        for (let k = 0; k < 150; k++) {
          const app = h.storage.appender();
          const i = k % 3;
          app.append(0, series[i]!, k * 1000, k);
          expected[i]!.samples.push(s(k * 1000, k));
          await app.commit();
        }
        // Twenty appenders committed without waiting for each other.
        const commits: Promise<void>[] = [];
        const concurrent: CollectedSeries[] = [];
        for (let j = 0; j < 20; j++) {
          const labels = L('__name__', 'concurrent', 'j', String(j).padStart(2, '0'));
          const app = h.storage.appender();
          const samples = [s(1, j), s(2, j + 0.5)];
          appendAll(app, labels, samples);
          concurrent.push({ labels, samples });
          commits.push(app.commit());
        }
        await Promise.all(commits);
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), [...concurrent, ...expected]);
        });
      });

      it('the newest sample is the newest of committed data and the batch', async (h) => {
        const x = L('__name__', 'm', 'series', 'x');
        await commitSeries(h.storage, [{ labels: x, samples: [s(1, 1)] }]);
        const a = h.storage.appender();
        a.append(0, x, 10, 10);
        // Another appender commits newer samples of x meanwhile.
        const b = h.storage.appender();
        b.append(0, x, 100, 100);
        await b.commit();
        assert.throws(() => a.append(0, x, 20, 20), code('SAMPLE_OUT_OF_ORDER'));
        assert.throws(() => a.append(0, x, 100, 99), code('SAMPLE_DUPLICATE'));
        assert.ok(a.append(0, x, 100, 100) !== 0, 'same time and value as committed: ignored');
        const other = L('__name__', 'm', 'series', 'other');
        a.append(0, other, 10, 10);
        // Committing drops the sample at 10 that the other batch overtook; the rest goes in.
        await a.commit();
        // And the other way round: the batch is ahead of committed data.
        const c = h.storage.appender();
        c.append(0, x, 200, 200);
        assert.throws(() => c.append(0, x, 150, 150), code('SAMPLE_OUT_OF_ORDER'));
        assert.throws(() => c.append(0, x, 200, 0), code('SAMPLE_DUPLICATE'));
        await c.commit();
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), [
            { labels: other, samples: [s(10, 10)] },
            { labels: x, samples: [s(1, 1), s(100, 100), s(200, 200)] },
          ]);
        });
      });
    });

    describe('series refs', () => {
      it('refs are non-zero, per series, and stable across batches', async (h) => {
        const x = L('__name__', 'm', 'series', 'x');
        const y = L('__name__', 'm', 'series', 'y');
        const a = h.storage.appender();
        const rx = a.append(0, x, 1, 1);
        assert.ok(Number.isSafeInteger(rx) && rx !== 0, `ref ${rx} is a non-zero integer`);
        assert.equal(a.append(rx, [], 2, 2), rx, 'the ref of a series new in this batch');
        assert.equal(a.append(0, x, 3, 3), rx, 'the same series by labels in the same batch');
        const ry = a.append(0, y, 1, 1);
        assert.notEqual(ry, rx, 'different series, different refs');
        await a.commit();
        const b = h.storage.appender();
        assert.equal(b.append(0, x, 4, 4), rx, 'the ref after commit');
        assert.equal(b.append(ry, y, 2, 2), ry);
        await b.commit();
        assertSeries(query(h.storage, ALL_MINT, ALL_MAXT), [
          { labels: x, samples: [s(1, 1), s(2, 2), s(3, 3), s(4, 4)] },
          { labels: y, samples: [s(1, 1), s(2, 2)] },
        ]);
      });

      it('with a known ref the labels are not looked at', async (h) => {
        const x = L('__name__', 'm', 'series', 'x');
        const a = h.storage.appender();
        const rx = a.append(0, x, 1, 1);
        await a.commit();
        const b = h.storage.appender();
        assert.equal(b.append(rx, [], 2, 2), rx);
        await b.commit();
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), [{ labels: x, samples: [s(1, 1), s(2, 2)] }]);
        });
      });

      it('an unknown ref falls back to the labels', async (h) => {
        const x = L('__name__', 'm', 'series', 'x');
        const y = L('__name__', 'm', 'series', 'y');
        const a = h.storage.appender();
        const rx = a.append(0, x, 1, 1);
        await a.commit();
        const unknown = [Number.MAX_SAFE_INTEGER, 987_654_321_987, 2 ** 31 + 17].filter(
          (r) => r !== rx,
        );
        const b = h.storage.appender();
        assert.equal(b.append(unknown[0]!, x, 2, 2), rx, 'existing series, unknown ref');
        const ry = b.append(unknown[1]!, y, 1, 1);
        assert.ok(ry !== 0 && ry !== rx);
        assert.equal(b.append(0, y, 2, 2), ry);
        await b.commit();
        // A ref of a series created only in a rolled-back batch: still fine with its labels.
        const w = L('__name__', 'm', 'series', 'w');
        const c = h.storage.appender();
        const rw = c.append(0, w, 1, 1);
        c.rollback();
        const d = h.storage.appender();
        d.append(rw, w, 5, 5);
        await d.commit();
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), [
            { labels: w, samples: [s(5, 5)] },
            { labels: x, samples: [s(1, 1), s(2, 2)] },
            { labels: y, samples: [s(1, 1), s(2, 2)] },
          ]);
        });
      });
    });

    describe('series labels', () => {
      it('invalid labels throw SERIES_LABELS_INVALID and the appender stays usable', async (h) => {
        const invalid: [string, SeriesLabels][] = [
          ['unsorted', ['__name__', 'm', 'job', 'a', 'env', 'x']],
          ['duplicate name', ['__name__', 'm', 'job', 'a', 'job', 'b']],
          ['empty value', ['__name__', 'm', 'job', '']],
          ['empty metric name', ['__name__', '', 'job', 'a']],
          ['no __name__', ['instance', 'i', 'job', 'a']],
          ['name starting with a digit', ['1abc', 'x', '__name__', 'm']],
          ['name with a dash', ['__name__', 'm', 'a-b', 'x']],
          ['name with a colon', ['__name__', 'm', 'a:b', 'x']],
          ['name with a space', ['__name__', 'm', 'a b', 'x']],
          ['empty name', ['', 'x', '__name__', 'm']],
          ['odd length', ['__name__', 'm', 'job']],
          ['no labels', []],
        ];
        const ok = L('__name__', 'ok', 'job', 'a');
        const app = h.storage.appender();
        let t = 0;
        for (const [why, labels] of invalid) {
          assert.throws(() => app.append(0, labels, 10, 1), code('SERIES_LABELS_INVALID'), why);
          app.append(0, ok, ++t, t);
        }
        await app.commit();
        await h.checkSurvives((st) => {
          const all = query(st, ALL_MINT, ALL_MAXT);
          assert.deepEqual(
            all.map((x) => [...x.labels]),
            [[...ok]],
          );
          assert.equal(all[0]!.samples.length, invalid.length);
          assert.deepEqual(labelNames(st, ALL_MINT, ALL_MAXT), ['__name__', 'job']);
        });
      });

      it('label values with any characters round-trip', async (h) => {
        const odd = [
          L('__name__', 'm', 'v', 'with "quotes" and \\ backslash'),
          L('__name__', 'm', 'v', 'line\nbreak'),
          L('__name__', 'm', 'v', 'unicode ünïcødé 😀 日本'),
          L('__name__', 'm', 'v', '{a="b"},=\t'),
          L('__name__', 'm', 'v', 'x'.repeat(2000)),
          L('__name__', 'm', 'v', ' '),
          L('__name__', 'm:with:colons', 'v', 'a'),
          L(
            '__name__',
            'm',
            'v',
            'many labels',
            ...Array.from({ length: 40 }, (_, i) => [`label_${i}`, `value_${i}`]).flat(),
          ),
        ];
        await commitSeries(
          h.storage,
          odd.map((labels, i) => ({ labels, samples: [s(1, i)] })),
        );
        await h.checkSurvives((st) => {
          assertSeries(
            query(st, ALL_MINT, ALL_MAXT),
            odd
              .map((labels, i) => ({ labels, samples: [s(1, i)] }))
              .sort((a, b) => compareLabels(a.labels, b.labels)),
          );
          for (const labels of odd) {
            const v = labelValue(labels, 'v');
            assert.deepEqual(
              selectKeys(st, ALL_MINT, ALL_MAXT, [M('=', 'v', v), M('=', '__name__', labels[1]!)]),
              [labelsKey(labels)],
            );
          }
        });
      });
    });

    describe('sample order', () => {
      it('out of order within a batch: SAMPLE_OUT_OF_ORDER, sample skipped, appender usable', async (h) => {
        const x = L('__name__', 'm');
        const app = h.storage.appender();
        app.append(0, x, 10, 1);
        assert.throws(() => app.append(0, x, 5, 2), code('SAMPLE_OUT_OF_ORDER'));
        app.append(0, x, 11, 3);
        assert.throws(() => app.append(0, x, 10, 9), code('SAMPLE_OUT_OF_ORDER'));
        await app.commit();
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), [
            { labels: x, samples: [s(10, 1), s(11, 3)] },
          ]);
        });
      });

      it('out of order and duplicates against committed data', async (h) => {
        const x = L('__name__', 'm');
        await commitSeries(h.storage, [{ labels: x, samples: [s(100, 1), s(200, 2)] }]);
        const check = async (st: Appendable & Queryable, next: number): Promise<void> => {
          const app = st.appender();
          assert.throws(() => app.append(0, x, 150, 7), code('SAMPLE_OUT_OF_ORDER'));
          assert.throws(() => app.append(0, x, -200, 7), code('SAMPLE_OUT_OF_ORDER'));
          const prev = query(st, ALL_MINT, ALL_MAXT)[0]!.samples.at(-1)!;
          assert.ok(app.append(0, x, prev.t, prev.v) !== 0, 'same time, same value: accepted');
          assert.throws(() => app.append(0, x, prev.t, prev.v + 1), code('SAMPLE_DUPLICATE'));
          app.append(0, x, next, next);
          await app.commit();
        };
        await check(h.storage, 300);
        if (await h.reopen()) await check(h.storage, 400);
        const expected = [s(100, 1), s(200, 2), s(300, 300)];
        if (h.durable) expected.push(s(400, 400));
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), [{ labels: x, samples: expected }]);
        });
      });

      it('same timestamp: same value bits are ignored, other bits are SAMPLE_DUPLICATE', async (h) => {
        const pairs: [string, number, number, boolean][] = [
          ['1 and 1', 1, 1, true],
          ['1 and 2', 1, 2, false],
          ['0 and -0', 0, -0, false],
          ['-0 and -0', -0, -0, true],
          ['NaN and NaN', NaN, NaN, true],
          ['stale and stale', STALE_NAN, STALE_NAN, true],
          ['stale and NaN', STALE_NAN, NaN, false],
          ['NaN and stale', NaN, STALE_NAN, false],
          ['Inf and Inf', Infinity, Infinity, true],
          ['Inf and -Inf', Infinity, -Infinity, false],
        ];
        const app = h.storage.appender();
        const expected: CollectedSeries[] = [];
        for (const [why, first, second, same] of pairs) {
          const labels = L('__name__', 'm', 'case', why);
          app.append(0, labels, 1000, first);
          if (same) app.append(0, labels, 1000, second);
          else
            assert.throws(() => app.append(0, labels, 1000, second), code('SAMPLE_DUPLICATE'), why);
          app.append(0, labels, 2000, 5);
          expected.push({ labels, samples: [s(1000, first), s(2000, 5)] });
        }
        await app.commit();
        expected.sort((a, b) => compareLabels(a.labels, b.labels));
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), expected);
        });
        // And against committed data, in a new batch.
        const app2 = h.storage.appender();
        for (const [why, , second, same] of pairs) {
          const labels = L('__name__', 'm', 'case', why);
          app2.append(0, labels, 2000, 5);
          assert.throws(() => app2.append(0, labels, 2000, second), code('SAMPLE_DUPLICATE'), why);
          if (same) assert.ok(app2.append(0, labels, 2000, 5) !== 0);
        }
        await app2.commit();
        assertSeries(query(h.storage, ALL_MINT, ALL_MAXT), expected);
      });
    });

    describe('values and timestamps', () => {
      it('the staleness marker keeps its bits; an ordinary NaN stays ordinary', async (h) => {
        assert.ok(isStaleNaN(STALE_NAN), 'the test input is the marker');
        const x = L('__name__', 'm');
        const allStale = L('__name__', 'stale_only');
        const special = [
          s(1, 1),
          s(2, STALE_NAN),
          s(3, NaN),
          s(4, STALE_NAN),
          s(5, STALE_NAN),
          s(6, 2),
          s(7, NaN),
          s(8, STALE_NAN),
        ];
        await commitSeries(h.storage, [
          { labels: x, samples: special },
          { labels: allStale, samples: [s(3, STALE_NAN)] },
        ]);
        await h.checkSurvives((st) => {
          const got = query(st, ALL_MINT, ALL_MAXT);
          assertSeries(got, [
            { labels: x, samples: special },
            { labels: allStale, samples: [s(3, STALE_NAN)] },
          ]);
          const vs = got[0]!.samples.map((p) => p.v);
          const stale = got[0]!.samples.map((p) => isStaleNaN(p.v));
          assert.deepEqual(stale, [false, true, false, true, true, false, false, true]);
          assert.ok(Number.isNaN(vs[2]) && Number.isNaN(vs[6]), 'NaN stays NaN');
          assert.ok(isStaleNaN(got[1]!.samples[0]!.v));
          // Seek lands on a marker with its bits too.
          const q = st.querier(ALL_MINT, ALL_MAXT);
          const set = q.select([M('=', '__name__', 'm')]);
          assert.ok(set.next());
          const iter = set.at().iterator();
          assert.ok(iter.seek(4));
          assert.ok(isStaleNaN(iter.value()));
          assert.ok(iter.next());
          assert.ok(isStaleNaN(iter.value()));
          q.close();
        });
      });

      it('special and extreme values round-trip exactly', async (h) => {
        const values = [
          0,
          -0,
          Infinity,
          -Infinity,
          Number.MIN_VALUE,
          -Number.MIN_VALUE,
          2.2250738585072014e-308,
          Number.MAX_VALUE,
          -Number.MAX_VALUE,
          1e-300,
          -1e300,
          0.1 + 0.2,
          2 ** 53,
          2 ** 53 + 2,
          -(2 ** 63),
          123456789.12345679,
          Math.PI,
          -1.5,
          1,
          1,
          1,
          1.0000000000000002,
          0.9999999999999999,
        ];
        // Random bit patterns: every finite double (and infinities), subnormals included.
        const rand = prng(42);
        const scratch = new Float64Array(1);
        const words = new Uint32Array(scratch.buffer);
        const fromBits: number[] = [];
        while (fromBits.length < 500) {
          words[0] = Math.floor(rand() * 2 ** 32);
          words[1] = Math.floor(rand() * 2 ** 32);
          const v = scratch[0]!;
          if (!Number.isNaN(v)) fromBits.push(v);
        }
        const x = L('__name__', 'values', 'kind', 'special');
        const y = L('__name__', 'values', 'kind', 'random_bits');
        const xs = values.map((v, i) => s(1000 + i * 15000, v));
        const ys = fromBits.map((v, i) => s(i * 1000, v));
        await commitSeries(h.storage, [
          { labels: x, samples: xs },
          { labels: y, samples: ys },
        ]);
        await h.checkSurvives((st) => {
          const got = query(st, ALL_MINT, ALL_MAXT);
          // random_bits sorts before special.
          assertSeries(got, [
            { labels: y, samples: ys },
            { labels: x, samples: xs },
          ]);
          assert.ok(Object.is(got[1]!.samples[1]!.v, -0), '-0 keeps its sign');
        });
      });

      it('timestamps: negative, zero, beyond 2^32, near MAX_SAFE_INTEGER / 1000', async (h) => {
        const big = Math.floor(Number.MAX_SAFE_INTEGER / 1000);
        const times = [
          -1e12 - 7,
          -86_400_000,
          -1,
          0,
          1,
          2 ** 31 - 1,
          2 ** 31,
          2 ** 32 - 1,
          2 ** 32,
          2 ** 32 + 1,
          2 ** 40 + 3,
          1_700_000_000_000,
          1_700_000_015_000,
          1_700_000_030_001,
          big - 1000,
          big - 1,
          big,
        ];
        const x = L('__name__', 'times');
        const neg = L('__name__', 'negative_only');
        const xs = times.map((t, i) => s(t, i));
        const ns = [s(-5000, 1), s(-4000, 2), s(-3001, 3)];
        await commitSeries(h.storage, [
          { labels: x, samples: xs },
          { labels: neg, samples: ns },
        ]);
        const within = (mint: number, maxt: number): CollectedSeries[] =>
          [
            { labels: neg, samples: ns.filter((p) => p.t >= mint && p.t <= maxt) },
            { labels: x, samples: xs.filter((p) => p.t >= mint && p.t <= maxt) },
          ].filter((z) => z.samples.length > 0);
        await h.checkSurvives((st) => {
          const ranges: [number, number][] = [
            [ALL_MINT, ALL_MAXT],
            [-1, 0],
            [-4000, -1],
            [-5000, -5000],
            [2 ** 32 - 1, 2 ** 32],
            [2 ** 31, 2 ** 40 + 3],
            [2 ** 40 + 4, big - 1001],
            [big, ALL_MAXT],
            [big - 1, big],
            [-1e12 - 7, -1e12 - 7],
            [-1e12 - 8, -1e12 - 8],
          ];
          for (const [mint, maxt] of ranges) {
            assertSeries(query(st, mint, maxt), within(mint, maxt), `[${mint}, ${maxt}]`);
          }
        });
      });
    });

    describe('select', () => {
      const load = async (h: Harness): Promise<void> => commitSeries(h.storage, fixtureSeries());

      it('matchers: =, !=, =~, !~, anchoring, missing labels as "", several, none', async (h) => {
        await load(h);
        const cases: [string, LabelMatcher[], string[]][] = [
          ['no matchers', [], fxKeys('A', 'B', 'C', 'D', 'E')],
          ['name =', [M('=', '__name__', 'up')], fxKeys('D', 'E')],
          ['=', [M('=', 'job', 'api')], fxKeys('A', 'B')],
          ['= is exact', [M('=', 'job', 'ap')], []],
          ['= is case-sensitive', [M('=', 'job', 'API')], []],
          ['!= includes series without the label', [M('!=', 'env', 'prod')], fxKeys('B', 'C', 'D')],
          ['!=', [M('!=', 'job', 'api')], fxKeys('C', 'D', 'E')],
          ['=~ is anchored (prefix)', [M('=~', 'job', 'ap')], []],
          ['=~ is anchored (suffix)', [M('=~', 'job', 'pi')], []],
          ['=~ exact', [M('=~', 'job', 'api')], fxKeys('A', 'B')],
          ['=~ prefix', [M('=~', 'job', 'api.*')], fxKeys('A', 'B', 'C')],
          ['=~ suffix', [M('=~', 'job', '.*2')], fxKeys('C', 'E')],
          [
            '=~ alternation anchored as a whole',
            [M('=~', 'job', 'api|node')],
            fxKeys('A', 'B', 'D'),
          ],
          ['=~ class', [M('=~', 'instance', '[a-c]:80')], fxKeys('A', 'B', 'C')],
          ['!~', [M('!~', 'job', 'api.*')], fxKeys('D', 'E')],
          ['!~ is anchored', [M('!~', 'job', 'api')], fxKeys('C', 'D', 'E')],
          ['="" selects series without the label', [M('=', 'env', '')], fxKeys('C', 'D')],
          ['!="" selects series with the label', [M('!=', 'env', '')], fxKeys('A', 'B', 'E')],
          ['=~"" like =""', [M('=~', 'env', '')], fxKeys('C', 'D')],
          ['=~ with an empty alternative', [M('=~', 'env', 'prod|')], fxKeys('A', 'C', 'D', 'E')],
          ['!~ with an empty alternative', [M('!~', 'env', 'prod|')], fxKeys('B')],
          ['=~".*" matches all', [M('=~', 'env', '.*')], fxKeys('A', 'B', 'C', 'D', 'E')],
          ['=~".+" needs the label', [M('=~', 'env', '.+')], fxKeys('A', 'B', 'E')],
          ['!~".*" matches none', [M('!~', 'env', '.*')], []],
          ['!~".+" selects series without the label', [M('!~', 'env', '.+')], fxKeys('C', 'D')],
          ['unknown label =""', [M('=', 'nope', '')], fxKeys('A', 'B', 'C', 'D', 'E')],
          ['unknown label ="x"', [M('=', 'nope', 'x')], []],
          ['unknown label !="x"', [M('!=', 'nope', 'x')], fxKeys('A', 'B', 'C', 'D', 'E')],
          ['unknown metric', [M('=', '__name__', 'nope')], []],
          ['name regex', [M('=~', '__name__', 'http_.*|up')], fxKeys('A', 'B', 'C', 'D', 'E')],
          [
            'two matchers',
            [M('=', '__name__', 'http_requests_total'), M('!=', 'env', 'dev')],
            fxKeys('A', 'C'),
          ],
          [
            'three matchers',
            [M('=~', 'job', 'api.*'), M('=~', 'env', 'prod|dev'), M('!=', 'instance', 'a:80')],
            fxKeys('B'),
          ],
          ['contradictory matchers', [M('=', 'job', 'api'), M('=', 'job', 'node')], []],
          [
            'the same label twice',
            [M('=~', 'job', 'api.*'), M('!~', 'job', '.*2')],
            fxKeys('A', 'B'),
          ],
        ];
        await h.checkSurvives((st) => {
          for (const [why, matchers, expected] of cases) {
            assert.deepEqual(selectKeys(st, ALL_MINT, ALL_MAXT, matchers), expected, why);
            // Without the sorted hint: the same set, in any order.
            const unsorted = query(st, ALL_MINT, ALL_MAXT, matchers, false).map((x) =>
              labelsKey(x.labels),
            );
            assert.deepEqual(unsorted, expected, `${why} (no hint)`);
          }
        });
      });

      it('only series with samples in [mint, maxt], bounds inclusive', async (h) => {
        await load(h);
        const fx = fixtureSeries();
        const expect = (mint: number, maxt: number): CollectedSeries[] =>
          fx
            .map((x) => ({
              labels: x.labels,
              samples: x.samples.filter((p) => p.t >= mint && p.t <= maxt),
            }))
            .filter((x) => x.samples.length > 0)
            .sort((a, b) => compareLabels(a.labels, b.labels));
        const ranges: [number, number, number][] = [
          // mint, maxt, expected number of series (to keep the fixture honest)
          [ALL_MINT, ALL_MAXT, 5],
          [2000, 2000, 4],
          [3001, 3999, 0],
          [3000, 4000, 4],
          [0, 999, 0],
          [0, 1000, 3],
          [5000, 5000, 2],
          [4500, ALL_MAXT, 2],
          [5001, ALL_MAXT, 0],
          [1001, 1999, 0],
          [3000, 2000, 0],
        ];
        await h.checkSurvives((st) => {
          for (const [mint, maxt, count] of ranges) {
            const want = expect(mint, maxt);
            assert.equal(want.length, count, `fixture [${mint}, ${maxt}]`);
            assertSeries(query(st, mint, maxt), want, `[${mint}, ${maxt}]`);
            assertSeries(
              query(st, mint, maxt, [M('=', '__name__', 'up')]),
              want.filter((x) => labelValue(x.labels, '__name__') === 'up'),
              `up [${mint}, ${maxt}]`,
            );
          }
        });
      });

      it('hints do not change the answer', async (h) => {
        await load(h);
        const q = h.storage.querier(ALL_MINT, ALL_MAXT);
        try {
          const base = collectSeriesSet(q.select([], { sorted: true }));
          for (const hints of [
            { sorted: true, stepMs: 15000, func: 'rate' },
            { sorted: true, stepMs: 1 },
            { sorted: true, func: 'series' },
          ]) {
            assertSeries(collectSeriesSet(q.select([], hints)), base, JSON.stringify(hints));
          }
          // Without the sorted hint: the same series, in any order.
          for (const hints of [undefined, { sorted: false }, {}]) {
            const got = collectSeriesSet(q.select([], hints));
            got.sort((a, b) => compareLabels(a.labels, b.labels));
            assertSeries(got, base, JSON.stringify(hints));
          }
          // Several selects on one querier, and series sets used side by side.
          const s1 = q.select([M('=', 'job', 'api')], { sorted: true });
          const s2 = q.select([M('=', '__name__', 'up')], { sorted: true });
          const order: string[] = [];
          while (true) {
            const a = s1.next();
            const b = s2.next();
            if (a) order.push(labelValue(s1.at().labels, 'instance'));
            if (b) order.push(labelValue(s2.at().labels, 'instance'));
            if (!a && !b) break;
          }
          assert.deepEqual(order, ['b:80', 'e:9100', 'a:80', 'd:9100']);
        } finally {
          q.close();
        }
      });
    });

    describe('label names and values', () => {
      it('labelNames with and without matchers and time restriction', async (h) => {
        await commitSeries(h.storage, fixtureSeries());
        await h.checkSurvives((st) => {
          const all = ['__name__', 'env', 'instance', 'job'];
          assert.deepEqual(labelNames(st, ALL_MINT, ALL_MAXT), all);
          assert.deepEqual(labelNames(st, ALL_MINT, ALL_MAXT, []), all);
          assert.deepEqual(labelNames(st, ALL_MINT, ALL_MAXT, [M('=', 'job', 'api-v2')]), [
            '__name__',
            'instance',
            'job',
          ]);
          assert.deepEqual(labelNames(st, 4000, 4000, [M('=', 'job', 'node')]), [
            '__name__',
            'instance',
            'job',
          ]);
          // D alone has samples in [4000, 4000] among series without env.
          assert.deepEqual(labelNames(st, 4000, 4000, [M('=', 'env', '')]), [
            '__name__',
            'instance',
            'job',
          ]);
          assert.deepEqual(labelNames(st, 3001, 3999), []);
          assert.deepEqual(labelNames(st, ALL_MINT, ALL_MAXT, [M('=', 'job', 'nope')]), []);
        });
      });

      it('labelValues with and without matchers and time restriction', async (h) => {
        await commitSeries(h.storage, fixtureSeries());
        await h.checkSurvives((st) => {
          assert.deepEqual(labelValues(st, 'job', ALL_MINT, ALL_MAXT), [
            'api',
            'api-v2',
            'node',
            'node2',
          ]);
          assert.deepEqual(labelValues(st, 'env', ALL_MINT, ALL_MAXT), ['dev', 'prod']);
          assert.deepEqual(labelValues(st, 'env', ALL_MINT, ALL_MAXT, [M('=', '__name__', 'up')]), [
            'prod',
          ]);
          assert.deepEqual(labelValues(st, 'job', 4000, 5000), ['node', 'node2']);
          assert.deepEqual(labelValues(st, 'job', 3001, 3999), []);
          assert.deepEqual(labelValues(st, 'nope', ALL_MINT, ALL_MAXT), []);
          assert.deepEqual(labelValues(st, '__name__', ALL_MINT, ALL_MAXT), [
            'http_requests_total',
            'up',
          ]);
          assert.deepEqual(labelValues(st, 'instance', 2000, 2000, [M('=~', 'job', 'api.*')]), [
            'a:80',
            'b:80',
            'c:80',
          ]);
          assert.deepEqual(labelValues(st, 'env', ALL_MINT, ALL_MAXT, [M('=', 'env', '')]), []);
        });
      });

      it('values sort by UTF-16 code units, not by locale', async (h) => {
        const values = ['b', 'B', 'a', '_', 'Z', 'é', '10', '9', 'a b', 'ab', '😀', '\uffff'];
        await commitSeries(
          h.storage,
          values.map((v, i) => ({ labels: L('__name__', 'm', 'k', v), samples: [s(i, i)] })),
        );
        const expected = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        assert.deepEqual(expected.slice(0, 4), ['10', '9', 'B', 'Z']);
        await h.checkSurvives((st) => {
          assert.deepEqual(labelValues(st, 'k', ALL_MINT, ALL_MAXT), expected);
          assert.deepEqual(
            query(st, ALL_MINT, ALL_MAXT).map((x) => labelValue(x.labels, 'k')),
            expected,
          );
          assert.deepEqual(labelValues(st, 'k', 3, 5), [...values.slice(3, 6)].sort());
        });
      });
    });

    describe('sample iterators', () => {
      const x = L('__name__', 'iter');
      const times = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
      const load = (h: Harness): Promise<void> =>
        commitSeries(h.storage, [{ labels: x, samples: times.map((t) => s(t, t / 10)) }]);
      const openIter = (st: Queryable, mint = ALL_MINT, maxt = ALL_MAXT) => {
        const q = st.querier(mint, maxt);
        const set = q.select([]);
        assert.ok(set.next(), 'one series');
        return { q, it: set.at().iterator() };
      };

      it('seek: before start, exact, between, no going back, after next, past end', async (h) => {
        await load(h);
        await h.checkSurvives((st) => {
          const { q, it } = openIter(st);
          assert.ok(it.seek(5), 'before the first sample');
          assert.equal(it.timestampMs(), 10);
          assert.equal(it.value(), 1);
          assert.ok(it.seek(10), 'current qualifies: stays');
          assert.equal(it.timestampMs(), 10);
          assert.ok(it.seek(30), 'exact hit');
          assert.equal(it.timestampMs(), 30);
          assert.equal(it.value(), 3);
          assert.ok(it.seek(25), 'never backwards');
          assert.equal(it.timestampMs(), 30);
          assert.ok(it.seek(-1000), 'never backwards, far');
          assert.equal(it.timestampMs(), 30);
          assert.ok(it.seek(35), 'between samples');
          assert.equal(it.timestampMs(), 40);
          assert.ok(it.next(), 'next after seek');
          assert.equal(it.timestampMs(), 50);
          assert.equal(it.value(), 5);
          assert.ok(it.seek(50), 'seek after next, current qualifies');
          assert.equal(it.timestampMs(), 50);
          assert.ok(it.seek(100), 'the last sample');
          assert.equal(it.timestampMs(), 100);
          assert.equal(it.next(), false, 'nothing after the last');
          assert.equal(it.next(), false, 'stays exhausted');
          assert.equal(it.seek(10), false, 'seek after exhaustion');
          assert.equal(it.next(), false);
          const { it: it2 } = openIter(st);
          assert.equal(it2.seek(101), false, 'past the end');
          assert.equal(it2.next(), false, 'exhausted by the failed seek');
          assert.equal(it2.seek(0), false);
          const { it: it3 } = openIter(st);
          assert.ok(it3.seek(100));
          assert.equal(it3.timestampMs(), 100);
          assert.equal(it3.next(), false);
          q.close();
        });
      });

      it('next walks every sample once and stays false at the end', async (h) => {
        await load(h);
        const { q, it } = openIter(h.storage);
        const seen: number[] = [];
        while (it.next()) seen.push(it.timestampMs());
        assert.deepEqual(seen, times);
        for (let i = 0; i < 3; i++) assert.equal(it.next(), false);
        q.close();
      });

      it('iterators stay inside the querier range', async (h) => {
        await load(h);
        await h.checkSurvives((st) => {
          const { q, it } = openIter(st, 25, 75);
          assert.ok(it.seek(0), 'seek before mint lands on the first sample in range');
          assert.equal(it.timestampMs(), 30);
          assert.equal(it.seek(80), false, 'samples after maxt are not reachable');
          const { it: it2 } = openIter(st, 25, 75);
          const seen: number[] = [];
          while (it2.next()) seen.push(it2.timestampMs());
          assert.deepEqual(seen, [30, 40, 50, 60, 70]);
          const { it: it3 } = openIter(st, 30, 70);
          assert.ok(it3.seek(70));
          assert.equal(it3.timestampMs(), 70);
          assert.equal(it3.next(), false);
          const { it: it4 } = openIter(st, 30, 70);
          assert.ok(it4.next());
          assert.equal(it4.timestampMs(), 30, 'mint is inclusive');
          q.close();
        });
      });
    });

    describe('queriers and concurrent commits', () => {
      it('a querier opened before a commit keeps working and still sees the old data', async (h) => {
        const x = L('__name__', 'm', 'series', 'x');
        const y = L('__name__', 'm', 'series', 'y');
        await commitSeries(h.storage, [{ labels: x, samples: [s(1, 1), s(2, 2), s(3, 3)] }]);
        const q = h.storage.querier(ALL_MINT, ALL_MAXT);
        const early = q.select([]);
        assert.ok(early.next());
        const earlyIt = early.at().iterator();
        assert.ok(earlyIt.next());
        assert.equal(earlyIt.timestampMs(), 1);
        await commitSeries(h.storage, [
          { labels: x, samples: [s(4, 4), s(5, 5)] },
          { labels: y, samples: [s(1, 10)] },
        ]);
        // The old iterator goes on: the old samples, then maybe the new ones.
        const rest: CollectedSample[] = [s(1, 1), ...collectSamples(earlyIt)];
        const full = [s(1, 1), s(2, 2), s(3, 3), s(4, 4), s(5, 5)];
        assert.ok(rest.length >= 3 && rest.length <= 5, `iterator yielded ${rest.length}`);
        assert.deepEqual(render(rest), render(full.slice(0, rest.length)));
        // New selects on the old querier: old data, maybe the new batch too.
        const got = collectSeriesSet(q.select([], { sorted: true }));
        const gx = got.find((z) => labelsKey(z.labels) === labelsKey(x));
        assert.ok(gx !== undefined, 'x still there');
        assert.ok(gx.samples.length === 3 || gx.samples.length === 5);
        assert.deepEqual(render(gx.samples), render(full.slice(0, gx.samples.length)));
        for (const z of got) {
          if (labelsKey(z.labels) === labelsKey(y))
            assertSeries([z], [{ labels: y, samples: [s(1, 10)] }]);
          else assert.equal(labelsKey(z.labels), labelsKey(x));
        }
        const names = q.labelNames();
        assert.deepEqual(names, ['__name__', 'series']);
        const values = q.labelValues('series');
        assert.ok(values.length === 1 || values.length === 2);
        assert.equal(values[0], 'x');
        q.close();
        q.close(); // idempotent
        // A new querier sees everything.
        assertSeries(query(h.storage, ALL_MINT, ALL_MAXT), [
          { labels: x, samples: full },
          { labels: y, samples: [s(1, 10)] },
        ]);
      });

      it('several queriers at once', async (h) => {
        await commitSeries(h.storage, fixtureSeries());
        const q1 = h.storage.querier(1000, 2000);
        const q2 = h.storage.querier(4000, 5000);
        const s1 = q1.select([M('=', '__name__', 'up')], { sorted: true });
        const s2 = q2.select([M('=', '__name__', 'up')], { sorted: true });
        assert.ok(s1.next());
        assert.ok(s2.next());
        q2.close();
        const e1 = collectSamples(s1.at().iterator());
        assert.deepEqual(render(e1), render([s(1000, 1), s(2000, 1)]));
        assert.equal(s1.next(), false, 'D has no sample in [1000, 2000]');
        q1.close();
        const q3 = h.storage.querier(4000, 5000);
        assert.deepEqual(q3.labelValues('job'), ['node', 'node2']);
        q3.close();
      });
    });

    describe('scale and randomised workloads', () => {
      it('2,000 series in one batch', async (h) => {
        const n = 2000;
        const series: CollectedSeries[] = [];
        for (let i = 0; i < n; i++) {
          series.push({
            labels: L('__name__', `scale_${i % 10}`, 'instance', `host-${i}`, 'job', `job${i % 7}`),
            samples: [s(1000, i), s(16000, i + 0.5)],
          });
        }
        await commitSeries(h.storage, series);
        series.sort((a, b) => compareLabels(a.labels, b.labels));
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), series);
          assert.equal(labelValues(st, 'instance', ALL_MINT, ALL_MAXT).length, n);
          assert.deepEqual(selectKeys(st, ALL_MINT, ALL_MAXT, [M('=', 'instance', 'host-1234')]), [
            labelsKey(L('__name__', 'scale_4', 'instance', 'host-1234', 'job', `job${1234 % 7}`)),
          ]);
          assert.equal(query(st, 16000, 16000, [M('=~', 'job', 'job[03]')]).length, 572);
        });
      });

      it('a long series of 10,000 samples crossing chunk boundaries', async (h) => {
        const x = L('__name__', 'long', 'job', 'a');
        const samples: CollectedSample[] = [];
        let t = 1_600_000_000_000;
        let counter = 0;
        for (let i = 0; i < 10_000; i++) {
          t += i % 97 === 0 ? 60_000 + i : 15_000;
          counter += i % 13;
          samples.push(s(t, i % 500 === 499 ? STALE_NAN : counter));
        }
        for (let b = 0; b < 10; b++) {
          await commitSeries(h.storage, [
            { labels: x, samples: samples.slice(b * 1000, b * 1000 + 1000) },
          ]);
        }
        await h.checkSurvives((st) => {
          assertSeries(query(st, ALL_MINT, ALL_MAXT), [{ labels: x, samples }]);
          for (const edge of [
            0, 119, 120, 121, 239, 240, 999, 1000, 1001, 4095, 4096, 9998, 9999,
          ]) {
            const lo = samples[Math.max(0, edge - 3)]!.t;
            const hi = samples[edge]!.t;
            const want = samples.slice(Math.max(0, edge - 3), edge + 1);
            assertSeries(query(st, lo, hi), [{ labels: x, samples: want }], `range to ${edge}`);
            assertSeries(
              query(st, hi, hi + 1),
              [{ labels: x, samples: samples.slice(edge, edge + 1) }],
              `range at ${edge}`,
            );
          }
          // Seeks across the whole series against the plain list.
          const q = st.querier(ALL_MINT, ALL_MAXT);
          const set = q.select([]);
          assert.ok(set.next());
          const iter = set.at().iterator();
          const rand = prng(7);
          let pos = 0;
          for (let k = 0; k < 300 && pos < samples.length; k++) {
            const target = samples[pos]!.t + Math.floor(rand() * 15_000 * 60) - 15_000 * 5;
            let want = pos;
            while (want < samples.length && samples[want]!.t < target) want++;
            const ok = iter.seek(target);
            assert.equal(ok, want < samples.length, `seek(${target})`);
            if (!ok) break;
            assert.equal(iter.timestampMs(), samples[want]!.t, `seek(${target})`);
            assert.equal(bitsOf(iter.value()), bitsOf(samples[want]!.v));
            pos = want;
            if (rand() < 0.3 && iter.next()) {
              pos++;
              assert.equal(iter.timestampMs(), samples[pos]!.t);
            }
          }
          q.close();
        });
      });

      it('seeded random workload matches a simple model', async (h) => {
        const rand = prng(20261128);
        const model = new Model();
        const nSeries = 2000;
        const labels: SeriesLabels[] = [];
        for (let i = 0; i < nSeries; i++) {
          const pairs = [
            '__name__',
            `wl_metric_${i % 7}`,
            'job',
            `job${i % 5}`,
            'instance',
            `host-${i}`,
          ];
          if (i % 3 === 0) pairs.push('env', 'prod');
          else if (i % 3 === 1) pairs.push('env', 'dev');
          if (i % 11 === 0) pairs.push('zone', `z${i % 4}`);
          labels.push(L(...pairs));
        }
        const longLabels = L('__name__', 'wl_long', 'job', 'long');
        const refs = new Float64Array(nSeries + 1);
        const clocks = new Float64Array(nSeries + 1).fill(1_700_000_000_000);
        const nextValue = (i: number): number => {
          const r = rand();
          if (r < 0.02) return STALE_NAN;
          if (r < 0.03) return NaN;
          if (r < 0.04) return i % 2 === 0 ? Infinity : -0;
          if (r < 0.5) return Math.round(rand() * 1000) / 10;
          return rand() * 1e6 - 5e5;
        };
        const batches = 12;
        for (let b = 0; b < batches; b++) {
          const app = h.storage.appender();
          const batch = model.batch();
          for (let i = 0; i < nSeries; i++) {
            if (rand() > 0.4) continue;
            const n = 1 + Math.floor(rand() * 3);
            for (let k = 0; k < n; k++) {
              clocks[i] = clocks[i]! + 1 + Math.floor(rand() * 30_000);
              const useRef = refs[i] !== 0 && rand() < 0.5 ? refs[i]! : 0;
              const v = nextValue(i);
              const r = appendChecked(app, batch, useRef, labels[i]!, clocks[i]!, v);
              if (r !== undefined) refs[i] = r;
              const bad = rand();
              if (bad < 0.03) {
                // Out of order.
                const t = clocks[i]! - 1 - Math.floor(rand() * 1000);
                appendChecked(app, batch, 0, labels[i]!, t, 1);
              } else if (bad < 0.06) {
                // Same timestamp: the same value is ignored, another one is a duplicate.
                appendChecked(app, batch, refs[i]!, labels[i]!, clocks[i]!, rand() < 0.5 ? v : 2);
              }
            }
          }
          // The long series: about 850 samples per batch, 10,000 in all.
          for (let k = 0; k < 850; k++) {
            const i = nSeries;
            const jump = rand() < 0.01 ? 3_600_000 : 1 + Math.floor(rand() * 20_000);
            clocks[i] = clocks[i]! + jump;
            const v = rand() < 0.6 ? Math.floor(clocks[i] / 1000) : nextValue(k);
            const useRef = refs[i] !== 0 && rand() < 0.9 ? refs[i]! : 0;
            const r = appendChecked(app, batch, useRef, longLabels, clocks[i], v);
            if (r !== undefined) refs[i] = r;
          }
          if (b === 5) {
            app.rollback();
            // The model forgets the batch; the storage must too. Clocks stay ahead, which is fine.
          } else {
            await app.commit();
            batch.commit();
          }
        }
        const pool: LabelMatcher[] = [
          M('=', '__name__', 'wl_metric_3'),
          M('=~', 'job', 'job[12]'),
          M('!=', 'env', 'prod'),
          M('!~', 'instance', 'host-1.*'),
          M('=', 'env', ''),
          M('!=', 'zone', ''),
          M('=~', '__name__', 'wl_.*'),
          M('=~', 'env', 'prod|'),
          M('!~', 'job', 'job0'),
          M('=', 'job', 'long'),
          M('=~', 'zone', 'z[0-2]'),
        ];
        let tmin = Infinity;
        let tmax = -Infinity;
        for (const x of model.series.values()) {
          tmin = Math.min(tmin, x.ts[0]!);
          tmax = Math.max(tmax, x.ts[x.n - 1]!);
        }
        const compareAll = (st: Queryable, seed: number): void => {
          compareWithModel(st, model, ALL_MINT, ALL_MAXT, [], 'everything');
          const r = prng(seed);
          for (let k = 0; k < 25; k++) {
            const a = tmin + Math.floor(r() * (tmax - tmin));
            const b = a + Math.floor(r() * (tmax - tmin) * (k % 2 === 0 ? 0.05 : 0.5));
            const matchers: LabelMatcher[] = [];
            const m = Math.floor(r() * 4);
            for (let j = 0; j < m; j++) matchers.push(pool[Math.floor(r() * pool.length)]!);
            compareWithModel(st, model, a, b, matchers, `query ${k}`);
            assert.deepEqual(
              labelNames(st, a, b, matchers),
              model.labelNames(a, b, matchers),
              `labelNames ${k}`,
            );
            for (const name of ['env', 'zone', 'job']) {
              assert.deepEqual(
                labelValues(st, name, a, b, matchers),
                model.labelValues(name, a, b, matchers),
                `labelValues ${name} ${k}`,
              );
            }
          }
        };
        compareAll(h.storage, 1);
        if (await h.reopen()) {
          compareAll(h.storage, 2);
          // Appends continue from the recovered newest samples.
          const app = h.storage.appender();
          const batch = model.batch();
          for (let i = 0; i < nSeries; i += 97) {
            appendChecked(app, batch, 0, labels[i]!, clocks[i]! - 5, 1); // maybe out of order
            appendChecked(app, batch, 0, labels[i]!, clocks[i]! + 5, 2);
          }
          await app.commit();
          batch.commit();
          compareAll(h.storage, 3);
        }
      });
    });

    describe('durability', () => {
      it('committed batches survive a reopen; rolled-back and unfinished ones do not', async (h, t) => {
        if (!h.durable) {
          t.skip('the storage has no reopen()');
          return;
        }
        const x = L('__name__', 'd', 'series', 'x');
        const y = L('__name__', 'd', 'series', 'y');
        const lost = L('__name__', 'd', 'series', 'lost');
        await commitSeries(h.storage, [
          { labels: x, samples: [s(1, 1), s(2, 2), s(3, 3), s(4, STALE_NAN), s(5, 5)] },
          { labels: y, samples: [s(1, NaN)] },
        ]);
        const rolledBack = h.storage.appender();
        rolledBack.append(0, x, 6, 6);
        rolledBack.append(0, lost, 6, 6);
        rolledBack.rollback();
        const unfinished = h.storage.appender();
        unfinished.append(0, x, 100, 100);
        unfinished.append(0, lost, 100, 100);
        assert.ok(await h.reopen());
        const want = [
          { labels: x, samples: [s(1, 1), s(2, 2), s(3, 3), s(4, STALE_NAN), s(5, 5)] },
          { labels: y, samples: [s(1, NaN)] },
        ];
        assertSeries(query(h.storage, ALL_MINT, ALL_MAXT), want);
        assert.deepEqual(labelValues(h.storage, 'series', ALL_MINT, ALL_MAXT), ['x', 'y']);
        const app = h.storage.appender();
        assert.throws(() => app.append(0, x, 3, 3), code('SAMPLE_OUT_OF_ORDER'));
        app.append(0, x, 5, 5);
        assert.throws(() => app.append(0, x, 5, 6), code('SAMPLE_DUPLICATE'));
        app.append(0, x, 6, 6);
        app.append(0, lost, 7, 7);
        await app.commit();
        assert.ok(await h.reopen());
        assert.ok(await h.reopen(), 'twice in a row');
        assertSeries(query(h.storage, ALL_MINT, ALL_MAXT), [
          { labels: lost, samples: [s(7, 7)] },
          { labels: x, samples: [...want[0]!.samples, s(6, 6)] },
          want[1]!,
        ]);
      });
    });
  });
}
