import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newLabelMatcher } from '@vigil/model';
import { MemoryStorage } from '@vigil/storage';
import {
  answerFromEngine,
  answerFromJson,
  answerFromQuerier,
  compareAnswers,
  relativeDifference,
} from './results.js';

const matrixJson = (
  values: [number, string][],
  metric: Record<string, string> = { __name__: 'x', a: '1' },
): string =>
  JSON.stringify({
    status: 'success',
    data: { resultType: 'matrix', result: [{ metric, values }] },
  });

test('answerFromJson reads matrix, vector and scalar answers; throws on an error', () => {
  const m = answerFromJson(
    matrixJson([
      [1764000000.123, '1.5'],
      [1764000015.5, 'NaN'],
    ]),
  );
  assert.equal(m.type, 'matrix');
  const s = m.series.get('__name__="x",a="1"')!;
  assert.deepEqual([...s.t], [1_764_000_000_123, 1_764_000_015_500]);
  assert.equal(s.v[0], 1.5);
  assert.ok(Number.isNaN(s.v[1]));
  const v = answerFromJson(
    JSON.stringify({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { b: '2' }, value: [10, '+Inf'] },
          { metric: { c: '3' }, value: [10, '-Inf'] },
        ],
      },
    }),
  );
  assert.equal(v.series.get('b="2"')!.v[0], Infinity);
  assert.equal(v.series.get('c="3"')!.v[0], -Infinity);
  const sc = answerFromJson(
    JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [10, '3'] } }),
  );
  assert.equal(sc.series.get('')!.v[0], 3);
  assert.throws(
    () => answerFromJson(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'oops' })),
    /bad_data oops/,
  );
});

test('compareAnswers accepts equal answers and tiny differences, rejects the rest', () => {
  const a = answerFromJson(
    matrixJson([
      [10, '1'],
      [25, '2'],
    ]),
  );
  const same = compareAnswers(
    'q',
    a,
    answerFromJson(
      matrixJson([
        [10, '1'],
        [25, '2.0000000000001'],
      ]),
    ),
  );
  assert.equal(same.points, 2);
  assert.ok(same.maxRelativeDifference > 0 && same.maxRelativeDifference < 1e-9);
  assert.throws(
    () =>
      compareAnswers(
        'q',
        a,
        answerFromJson(
          matrixJson([
            [10, '1'],
            [25, '2.001'],
          ]),
        ),
      ),
    /q: answers differ: .* at 25000: 2 vs 2.001/,
  );
  assert.throws(
    () =>
      compareAnswers(
        'q',
        a,
        answerFromJson(
          matrixJson([
            [10, '1'],
            [26, '2'],
          ]),
        ),
      ),
    /time 25000 vs 26000/,
  );
  assert.throws(
    () => compareAnswers('q', a, answerFromJson(matrixJson([[10, '1']]))),
    /2 points vs 1/,
  );
  assert.throws(
    () =>
      compareAnswers(
        'q',
        a,
        answerFromJson(
          matrixJson(
            [
              [10, '1'],
              [25, '2'],
            ],
            { b: '1' },
          ),
        ),
      ),
    /series \{b="1"\} missing/,
  );
  assert.throws(
    () => compareAnswers('q', answerFromJson(matrixJson([])), answerFromJson(matrixJson([]))),
    /both answers are empty/,
  );
  // Values before valuesFromMs are not compared, their timestamps are.
  const early = compareAnswers(
    'q',
    a,
    answerFromJson(
      matrixJson([
        [10, '7'],
        [25, '2'],
      ]),
    ),
    1e-9,
    20_000,
  );
  assert.equal(early.timestampOnlyPoints, 1);
  assert.equal(early.points, 1);
});

test('relativeDifference: NaN equals NaN, zero against non-zero is infinite', () => {
  assert.equal(relativeDifference(NaN, NaN), 0);
  assert.equal(relativeDifference(0, 0), 0);
  assert.equal(relativeDifference(0, 1e-300), 1);
  assert.equal(relativeDifference(Infinity, Infinity), 0);
  assert.equal(relativeDifference(Infinity, 1), Infinity);
  assert.equal(relativeDifference(2, 1), 0.5);
});

test('answerFromEngine and answerFromQuerier give the same keys as the JSON form', async () => {
  const storage = new MemoryStorage();
  const app = storage.appender();
  app.append(0, ['__name__', 'x', 'a', '1'], 10_000, 1);
  app.append(0, ['__name__', 'x', 'a', '1'], 25_000, 2);
  app.append(0, ['__name__', 'y', 'a', '1'], 25_000, 5);
  await app.commit();
  const raw = answerFromQuerier(storage, [newLabelMatcher('=', '__name__', 'x')], 0, 30_000);
  compareAnswers(
    'raw',
    raw,
    answerFromJson(
      matrixJson([
        [10, '1'],
        [25, '2'],
      ]),
    ),
    0,
  );
  const fromEngine = answerFromEngine({
    value: {
      type: 'matrix',
      series: [
        {
          labels: ['__name__', 'x', 'a', '1'],
          timestampsMs: Float64Array.of(10_000, 25_000),
          values: Float64Array.of(1, 2),
        },
      ],
    },
    warnings: [],
    infos: [],
  });
  compareAnswers(
    'engine',
    fromEngine,
    answerFromJson(
      matrixJson([
        [10, '1'],
        [25, '2'],
      ]),
    ),
    0,
  );
});
