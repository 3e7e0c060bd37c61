import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STALE_NAN, isStaleNaN, newLabelMatcher } from '@vigil/model';
import { seededRandom } from '@vigil/testing';
import {
  ChainSampleIterator,
  collectSamples,
  collectSeriesSet,
  listSeriesSet,
  mergeSeriesSets,
  seriesFromSamples,
} from './merge.js';
import type { CollectedSample, CollectedSeries } from './merge.js';
import { EMPTY_SERIES_SET } from './interfaces.js';
import type { SampleIterator, Series, SeriesSet } from './interfaces.js';
import { compareLabels, labelsKey, sortLabelPairs } from './labels.js';
import type { SeriesLabels } from './labels.js';
import { MemoryStorage } from './memory.js';

const L = (...pairs: string[]): SeriesLabels => sortLabelPairs(pairs);

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
function hex(v: number): string {
  bits[0] = v;
  return words[1]!.toString(16).padStart(8, '0') + words[0]!.toString(16).padStart(8, '0');
}
function render(samples: readonly CollectedSample[]): string[] {
  return samples.map((x) => `${x.t}@${hex(x.v)}`);
}
function renderSets(series: readonly CollectedSeries[]): { labels: string[]; samples: string[] }[] {
  return series.map((x) => ({ labels: [...x.labels], samples: render(x.samples) }));
}

/** A series from `{t, v}` objects (objects keep NaN payloads). */
function series(labels: SeriesLabels, samples: readonly CollectedSample[]): Series {
  const ts = samples.map((x) => x.t);
  const vs = new Float64Array(samples.length);
  samples.forEach((x, i) => (vs[i] = x.v));
  return seriesFromSamples(labels, ts, vs);
}

function iter(samples: readonly CollectedSample[]): SampleIterator {
  return series(L('__name__', 'x'), samples).iterator();
}

const s = (t: number, v: number): CollectedSample => ({ t, v });

describe('listSeriesSet and seriesFromSamples', () => {
  test('yields the series in order, then stays done', () => {
    const a = series(L('__name__', 'a'), [s(1, 1)]);
    const b = series(L('__name__', 'b'), [s(2, 2), s(3, 3)]);
    const set = listSeriesSet([a, b], ['careful']);
    assert.throws(() => set.at(), /without a current series/);
    assert.ok(set.next());
    assert.equal(set.at(), a);
    assert.ok(set.next());
    assert.equal(set.at(), b);
    assert.equal(set.next(), false);
    assert.equal(set.next(), false);
    assert.throws(() => set.at(), /without a current series/);
    assert.deepEqual(set.warnings(), ['careful']);
    assert.deepEqual(collectSeriesSet(listSeriesSet([])), []);
  });

  test('seriesFromSamples copies, keeps marker bits and rejects unordered timestamps', () => {
    const vs = new Float64Array(3);
    vs[0] = 1;
    vs[1] = STALE_NAN; // not through an array literal, which would canonicalise the NaN
    vs[2] = NaN;
    const x = seriesFromSamples(L('__name__', 'x'), [1, 2, 3], vs);
    vs[0] = 99;
    const got = collectSamples(x.iterator());
    assert.equal(got[0]!.v, 1, 'values were copied');
    assert.ok(isStaleNaN(got[1]!.v));
    assert.ok(Number.isNaN(got[2]!.v) && !isStaleNaN(got[2]!.v));
    assert.throws(() => seriesFromSamples([], [1, 1], [1, 2]), RangeError);
    assert.throws(() => seriesFromSamples([], [2, 1], [1, 2]), RangeError);
    assert.throws(() => seriesFromSamples([], [1, 2], [1]), RangeError);
  });

  test('its iterator seeks like the contract says', () => {
    const times = Array.from({ length: 100 }, (_, i) => i * 10);
    const it = iter(times.map((t) => s(t, t)));
    assert.ok(it.seek(-5));
    assert.equal(it.timestampMs(), 0);
    assert.ok(it.seek(0));
    assert.equal(it.timestampMs(), 0);
    assert.ok(it.seek(555));
    assert.equal(it.timestampMs(), 560);
    assert.ok(it.seek(100));
    assert.equal(it.timestampMs(), 560, 'never backwards');
    assert.ok(it.next());
    assert.equal(it.timestampMs(), 570);
    assert.ok(it.seek(990));
    assert.equal(it.timestampMs(), 990);
    assert.equal(it.next(), false);
    assert.equal(it.next(), false);
    assert.equal(it.seek(0), false);
    const it2 = iter(times.map((t) => s(t, t)));
    assert.equal(it2.seek(991), false);
    assert.equal(it2.next(), false);
    const empty = iter([]);
    assert.equal(empty.seek(0), false);
    assert.equal(empty.next(), false);
  });
});

describe('ChainSampleIterator', () => {
  test('union in time order; a shared timestamp once, the first input wins', () => {
    const it = new ChainSampleIterator([
      iter([s(1, 1), s(3, 3), s(5, 5)]),
      iter([s(2, 20), s(3, 30), s(6, 60)]),
      iter([s(0, 100), s(3, 300), s(5, 500), s(7, 700)]),
    ]);
    assert.deepEqual(collectSamples(it), [
      s(0, 100),
      s(1, 1),
      s(2, 20),
      s(3, 3),
      s(5, 5),
      s(6, 60),
      s(7, 700),
    ]);
    assert.equal(it.next(), false);
    assert.equal(it.seek(0), false);
  });

  test('no inputs, empty inputs', () => {
    assert.equal(new ChainSampleIterator([]).next(), false);
    assert.equal(new ChainSampleIterator([]).seek(0), false);
    assert.deepEqual(collectSamples(new ChainSampleIterator([iter([]), iter([])])), []);
    assert.deepEqual(collectSamples(new ChainSampleIterator([iter([]), iter([s(1, 1)])])), [
      s(1, 1),
    ]);
  });

  test('seek: before start, exact, between, no going back, after next, past end', () => {
    const make = (): ChainSampleIterator =>
      new ChainSampleIterator([
        iter([s(10, 1), s(30, 3), s(50, 5)]),
        iter([s(20, 2), s(30, 9), s(40, 4)]),
      ]);
    const it = make();
    assert.ok(it.seek(5));
    assert.equal(it.timestampMs(), 10);
    assert.ok(it.seek(30));
    assert.equal(it.timestampMs(), 30);
    assert.equal(it.value(), 3, 'first input wins on a shared timestamp');
    assert.ok(it.seek(15));
    assert.equal(it.timestampMs(), 30, 'never backwards');
    assert.ok(it.next());
    assert.equal(it.timestampMs(), 40, 'the duplicate at 30 was skipped');
    assert.ok(it.seek(45));
    assert.equal(it.timestampMs(), 50);
    assert.equal(it.next(), false);
    assert.equal(it.next(), false);
    assert.equal(it.seek(0), false);
    const it2 = make();
    assert.ok(it2.next());
    assert.ok(it2.seek(25));
    assert.equal(it2.timestampMs(), 30);
    assert.equal(it2.value(), 3);
    assert.equal(it2.seek(51), false);
    assert.equal(it2.next(), false);
  });

  test('staleness markers keep their bits through the merge', () => {
    const it = new ChainSampleIterator([iter([s(1, STALE_NAN)]), iter([s(1, 5), s(2, STALE_NAN)])]);
    assert.ok(it.next());
    assert.ok(isStaleNaN(it.value()));
    assert.ok(it.next());
    assert.ok(isStaleNaN(it.value()));
  });

  test('random inputs and operations match a model', () => {
    const rand = seededRandom(1234);
    for (let round = 0; round < 200; round++) {
      const k = 1 + Math.floor(rand() * 5);
      const inputs: CollectedSample[][] = [];
      for (let j = 0; j < k; j++) {
        const list: CollectedSample[] = [];
        let t = Math.floor(rand() * 20);
        const n = Math.floor(rand() * 30);
        for (let i = 0; i < n; i++) {
          list.push(s(t, j * 1000 + i));
          t += 1 + Math.floor(rand() * 5);
        }
        inputs.push(list);
      }
      // Model: first input wins per timestamp.
      const byT = new Map<number, CollectedSample>();
      for (const list of inputs) for (const x of list) if (!byT.has(x.t)) byT.set(x.t, x);
      const want = [...byT.values()].sort((a, b) => a.t - b.t);
      const it = new ChainSampleIterator(inputs.map(iter));
      let pos = -1; // index into want of the current sample
      for (let op = 0; op < 40; op++) {
        if (rand() < 0.5) {
          const ok = it.next();
          if (pos < want.length) pos++;
          assert.equal(ok, pos < want.length, `round ${round} op ${op} next`);
        } else {
          const target = Math.floor(rand() * 160) - 5;
          let p = Math.max(pos, 0);
          if (pos < want.length) while (p < want.length && want[p]!.t < target) p++;
          else p = want.length;
          pos = p;
          assert.equal(
            it.seek(target),
            pos < want.length,
            `round ${round} op ${op} seek ${target}`,
          );
        }
        if (pos >= 0 && pos < want.length) {
          assert.equal(it.timestampMs(), want[pos]!.t, `round ${round} op ${op}`);
          assert.equal(it.value(), want[pos]!.v, `round ${round} op ${op}`);
        }
      }
    }
  });
});

describe('mergeSeriesSets', () => {
  const a = L('__name__', 'm', 'i', 'a');
  const b = L('__name__', 'm', 'i', 'b');
  const c = L('__name__', 'm', 'i', 'c');
  const d = L('__name__', 'n');

  test('no sets, one set', () => {
    assert.equal(mergeSeriesSets([]), EMPTY_SERIES_SET);
    const one = listSeriesSet([series(a, [s(1, 1)])]);
    assert.equal(mergeSeriesSets([one]), one);
  });

  test('sorted output; equal labels merged; the first set wins a shared timestamp', () => {
    const set1 = listSeriesSet([series(a, [s(1, 1), s(3, 3)]), series(c, [s(1, 1)])], ['w1']);
    const set2 = listSeriesSet([
      series(a, [s(2, 20), s(3, 30)]),
      series(b, [s(5, 5)]),
      series(d, [s(9, 9)]),
    ]);
    const set3 = listSeriesSet([], ['w3']);
    const set4 = listSeriesSet([series(c, [s(0, 0), s(1, 100), s(2, STALE_NAN)])]);
    const merged = mergeSeriesSets([set1, set2, set3, set4]);
    const got = collectSeriesSet(merged);
    assert.deepEqual(
      renderSets(got),
      renderSets([
        { labels: a, samples: [s(1, 1), s(2, 20), s(3, 3)] },
        { labels: b, samples: [s(5, 5)] },
        { labels: c, samples: [s(0, 0), s(1, 1), s(2, STALE_NAN)] },
        { labels: d, samples: [s(9, 9)] },
      ]),
    );
    assert.deepEqual(merged.warnings(), ['w1', 'w3']);
    assert.equal(merged.next(), false);
    assert.throws(() => merged.at(), /without a current series/);
  });

  test('a merged series gives a fresh iterator each time', () => {
    const merged = mergeSeriesSets([
      listSeriesSet([series(a, [s(1, 1)])]),
      listSeriesSet([series(a, [s(2, 2)])]),
    ]);
    assert.ok(merged.next());
    const x = merged.at();
    assert.deepEqual(collectSamples(x.iterator()), [s(1, 1), s(2, 2)]);
    assert.deepEqual(collectSamples(x.iterator()), [s(1, 1), s(2, 2)]);
    assert.equal(merged.next(), false);
  });

  test('random sets match a model', () => {
    const rand = seededRandom(99);
    const pool: SeriesLabels[] = [];
    for (let i = 0; i < 40; i++) pool.push(L('__name__', `m${i % 4}`, 'i', String(i)));
    for (let round = 0; round < 100; round++) {
      const k = 2 + Math.floor(rand() * 5);
      const inputs: CollectedSeries[][] = [];
      for (let j = 0; j < k; j++) {
        const picked = pool.filter(() => rand() < 0.3).sort(compareLabels);
        inputs.push(
          picked.map((labels) => {
            const samples: CollectedSample[] = [];
            let t = Math.floor(rand() * 10);
            const n = 1 + Math.floor(rand() * 6);
            for (let i = 0; i < n; i++) {
              samples.push(s(t, j * 100 + i));
              t += 1 + Math.floor(rand() * 3);
            }
            return { labels, samples };
          }),
        );
      }
      const model = new Map<string, { labels: SeriesLabels; byT: Map<number, CollectedSample> }>();
      for (const list of inputs) {
        for (const x of list) {
          const key = labelsKey(x.labels);
          let m = model.get(key);
          if (m === undefined) model.set(key, (m = { labels: x.labels, byT: new Map() }));
          for (const p of x.samples) if (!m.byT.has(p.t)) m.byT.set(p.t, p);
        }
      }
      const want = [...model.values()]
        .sort((x, y) => compareLabels(x.labels, y.labels))
        .map((m) => ({ labels: m.labels, samples: [...m.byT.values()].sort((x, y) => x.t - y.t) }));
      const sets: SeriesSet[] = inputs.map((list) =>
        listSeriesSet(list.map((x) => series(x.labels, x.samples))),
      );
      assert.deepEqual(
        renderSets(collectSeriesSet(mergeSeriesSets(sets))),
        renderSets(want),
        `round ${round}`,
      );
    }
  });

  test('merging the selects of two storages (e.g. head and a block)', async () => {
    const older = new MemoryStorage();
    const newer = new MemoryStorage();
    const app1 = older.appender();
    app1.append(0, a, 1, 1);
    app1.append(0, a, 2, 2);
    app1.append(0, b, 1, 1);
    await app1.commit();
    const app2 = newer.appender();
    app2.append(0, a, 2, 2);
    app2.append(0, a, 3, 3);
    app2.append(0, c, 3, 3);
    await app2.commit();
    const q1 = older.querier(0, 10);
    const q2 = newer.querier(0, 10);
    const matchers = [newLabelMatcher('=', '__name__', 'm')];
    const got = collectSeriesSet(
      mergeSeriesSets([
        q2.select(matchers, { sorted: true }),
        q1.select(matchers, { sorted: true }),
      ]),
    );
    q1.close();
    q2.close();
    assert.deepEqual(
      renderSets(got),
      renderSets([
        { labels: a, samples: [s(1, 1), s(2, 2), s(3, 3)] },
        { labels: b, samples: [s(1, 1)] },
        { labels: c, samples: [s(3, 3)] },
      ]),
    );
  });
});
