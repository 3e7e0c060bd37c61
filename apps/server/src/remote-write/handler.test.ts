import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, STALE_NAN, isStaleNaN, isVigilError } from '@vigil/model';
import { MemoryStorage, labelsToRecord } from '@vigil/storage';
import type { Appendable, Appender } from '@vigil/storage';
import { applyWriteRequest } from './handler.js';
import { decodeWriteRequest, encodeWriteRequest } from './protobuf.js';
import type { SeriesToEncode } from './protobuf.js';

function request(series: SeriesToEncode[]) {
  return decodeWriteRequest(encodeWriteRequest(series));
}

interface Dumped {
  labels: Record<string, string>;
  timestamps: number[];
  stale: boolean[];
  values: number[];
}

function dump(storage: MemoryStorage): Dumped[] {
  const q = storage.querier(-1e15, 1e15);
  const set = q.select([]);
  const out: Dumped[] = [];
  while (set.next()) {
    const s = set.at();
    const it = s.iterator();
    const d: Dumped = { labels: labelsToRecord(s.labels), timestamps: [], stale: [], values: [] };
    while (it.next()) {
      d.timestamps.push(it.timestampMs());
      const v = it.value();
      d.stale.push(isStaleNaN(v));
      d.values.push(v);
    }
    out.push(d);
  }
  q.close();
  return out;
}

test('appends every sample with sorted labels, empty-valued labels dropped', async () => {
  const storage = new MemoryStorage();
  const outcome = await applyWriteRequest(
    storage,
    request([
      {
        labels: ['job', 'node', '__name__', 'up', 'empty', ''],
        timestamps: [1000, 2000],
        values: Float64Array.of(1, 0),
      },
      {
        labels: ['__name__', 'temp', 'room', 'kitchen'],
        timestamps: [1500],
        values: Float64Array.of(21.5),
      },
      { labels: ['__name__', 'nothing'], timestamps: [], values: new Float64Array(0) },
    ]),
  );
  assert.deepEqual(outcome, {
    seriesCount: 2,
    sampleCount: 3,
    exemplarCount: 0,
    histogramCount: 0,
    metadataCount: 0,
  });
  assert.deepEqual(dump(storage), [
    {
      labels: { __name__: 'temp', room: 'kitchen' },
      timestamps: [1500],
      stale: [false],
      values: [21.5],
    },
    {
      labels: { __name__: 'up', job: 'node' },
      timestamps: [1000, 2000],
      stale: [false, false],
      values: [1, 0],
    },
  ]);
});

test('staleness markers keep their bits through decode and append', async () => {
  const storage = new MemoryStorage();
  await applyWriteRequest(
    storage,
    request([
      {
        labels: ['__name__', 'x'],
        timestamps: [1, 2, 3],
        values: Float64Array.of(5, STALE_NAN, NaN),
      },
    ]),
  );
  const [x] = dump(storage);
  assert.deepEqual(x!.stale, [false, true, false]);
  assert.ok(Number.isNaN(x!.values[2]));
});

async function assertNothingApplied(
  storage: MemoryStorage,
  series: SeriesToEncode[],
  code: string,
  why: RegExp,
): Promise<void> {
  const before = JSON.stringify(dump(storage));
  await assert.rejects(applyWriteRequest(storage, request(series)), (err: unknown) => {
    assert.ok(isVigilError(err), String(err));
    assert.equal(err.code, code);
    assert.match(err.message, why);
    assert.match(err.message, /Nothing of the request was written/);
    return true;
  });
  assert.equal(JSON.stringify(dump(storage)), before, 'storage unchanged');
}

test('a refused sample rolls the whole request back (nothing partially applied)', async () => {
  const storage = new MemoryStorage();
  const good = { labels: ['__name__', 'a'], timestamps: [10, 20], values: Float64Array.of(1, 2) };
  // Out of order inside the request, after a good series.
  await assertNothingApplied(
    storage,
    [good, { labels: ['__name__', 'b'], timestamps: [30, 29], values: Float64Array.of(1, 2) }],
    ErrorCodes.SAMPLE_OUT_OF_ORDER,
    /Sample at 29 of series \{"__name__":"b"\} was refused/,
  );
  assert.deepEqual(dump(storage), []);
  await applyWriteRequest(storage, request([good]));
  // Out of order against stored data, and a duplicate with another value.
  await assertNothingApplied(
    storage,
    [
      { labels: ['__name__', 'c'], timestamps: [1], values: Float64Array.of(1) },
      { labels: ['__name__', 'a'], timestamps: [15], values: Float64Array.of(1) },
    ],
    ErrorCodes.SAMPLE_OUT_OF_ORDER,
    /older/,
  );
  await assertNothingApplied(
    storage,
    [{ labels: ['__name__', 'a'], timestamps: [20, 30], values: Float64Array.of(99, 3) }],
    ErrorCodes.SAMPLE_DUPLICATE,
    /different value/,
  );
  // The same sample again is accepted and ignored, as in Prometheus.
  await applyWriteRequest(
    storage,
    request([{ labels: ['__name__', 'a'], timestamps: [20], values: Float64Array.of(2) }]),
  );
  assert.deepEqual(dump(storage)[0]!.timestamps, [10, 20]);
});

test('invalid labels refuse the request before anything is appended', async () => {
  const storage = new MemoryStorage();
  const good = { labels: ['__name__', 'a'], timestamps: [10], values: Float64Array.of(1) };
  const cases: Array<[string[], RegExp]> = [
    [['job', 'x'], /no __name__/],
    [['__name__', 'b', 'bad-name', 'x'], /"bad-name" is not valid/],
    [['__name__', 'b', 'job', 'x', 'job', 'y'], /job appears twice/],
    [['__name__', ''], /no __name__/],
  ];
  for (const [labels, why] of cases) {
    await assertNothingApplied(
      storage,
      [good, { labels, timestamps: [1], values: Float64Array.of(1) }],
      ErrorCodes.SERIES_LABELS_INVALID,
      why,
    );
    assert.deepEqual(dump(storage), []);
  }
});

test('a failing commit propagates and the appender is not reused', async () => {
  let rolledBack = 0;
  const failing: Appendable = {
    appender(): Appender {
      return {
        append: () => 1,
        commit: () => Promise.reject(new Error('disk full')),
        rollback: () => {
          rolledBack++;
        },
      };
    },
  };
  await assert.rejects(
    applyWriteRequest(
      failing,
      request([{ labels: ['__name__', 'a'], timestamps: [1], values: Float64Array.of(1) }]),
    ),
    /disk full/,
  );
  assert.equal(rolledBack, 0);
});
