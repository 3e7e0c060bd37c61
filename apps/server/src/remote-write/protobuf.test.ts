import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, STALE_NAN, isStaleNaN, isVigilError } from '@vigil/model';
import { seededRandom } from '@vigil/testing';
import { decodeWriteRequest, encodeWriteRequest } from './protobuf.js';
import type { DecodedWriteRequest, SeriesToEncode } from './protobuf.js';

// Hand-written wire helpers, independent of the encoder under test.
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
const len = (field: number, body: number[]): number[] => [
  ...tag(field, 2),
  ...varint(body.length),
  ...body,
];
const str = (field: number, s: string): number[] => len(field, [...new TextEncoder().encode(s)]);
function double(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return [...b];
}
const label = (name: string, value: string): number[] =>
  len(1, [...str(1, name), ...str(2, value)]);
const sample = (value: number[], ts: number[]): number[] =>
  len(2, [...tag(1, 1), ...value, ...tag(2, 0), ...ts]);
const series = (...fields: number[][]): number[] => len(1, fields.flat());

function decode(bytes: number[]): DecodedWriteRequest {
  return decodeWriteRequest(Uint8Array.from(bytes));
}

function bitsOf(values: Float64Array, i: number): string {
  const w = new Uint32Array(values.buffer, values.byteOffset + i * 8, 2);
  return w[1]!.toString(16) + ':' + w[0]!.toString(16);
}

function assertInvalid(bytes: number[] | Uint8Array, why: RegExp): void {
  assert.throws(
    () => decodeWriteRequest(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)),
    (err: unknown) => {
      assert.ok(isVigilError(err), `expected a VigilError, got ${String(err)}`);
      assert.equal(err.code, ErrorCodes.REMOTE_WRITE_INVALID);
      assert.match(err.message, why);
      return true;
    },
  );
}

test('decodes a hand-written request: labels, samples, defaults, fields in any order', () => {
  const req = decode([
    ...series(
      label('__name__', 'up'),
      label('job', 'node'),
      sample(double(1), varint(1_700_000_000_123)),
      // timestamp before value, and a sample with no value (0.0) and no timestamp (0).
      len(2, [...tag(2, 0), ...varint(5), ...tag(1, 1), ...double(2.5)]),
      len(2, []),
    ),
    ...series(label('__name__', 'b'), sample(double(-0), varint(7))),
  ]);
  assert.equal(req.series.length, 2);
  assert.deepEqual(req.series[0]!.labels, ['__name__', 'up', 'job', 'node']);
  assert.deepEqual(req.series[0], { labels: ['__name__', 'up', 'job', 'node'], start: 0, end: 3 });
  assert.deepEqual(req.series[1], { labels: ['__name__', 'b'], start: 3, end: 4 });
  assert.equal(req.sampleCount, 4);
  assert.deepEqual([...req.timestamps.subarray(0, 4)], [1_700_000_000_123, 5, 0, 7]);
  assert.deepEqual([...req.values.subarray(0, 3)], [1, 2.5, 0]);
  assert.ok(Object.is(req.values[3], -0));
});

test("decodes int64 timestamps without BigInt: negatives are 10-byte two's complement", () => {
  // -1 is ten bytes: nine 0xff and 0x01.
  const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  // -1000: two's complement of 1000 over 64 bits.
  const minus1000 = [0x98, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  const req = decode([
    ...series(label('__name__', 'x'), sample(double(1), minusOne), sample(double(1), minus1000)),
    ...series(
      label('__name__', 'y'),
      sample(double(1), varint(2 ** 53 - 1)),
      sample(double(1), varint(2 ** 40 + 3)),
    ),
  ]);
  assert.deepEqual([...req.timestamps.subarray(0, 4)], [-1, -1000, 2 ** 53 - 1, 2 ** 40 + 3]);
  // Beyond ±2^53: refused.
  assertInvalid(
    series(label('__name__', 'x'), sample(double(1), varint(2 ** 53))),
    /outside ±2\^53/,
  );
  // A 10th byte above 1 overflows 64 bits.
  assertInvalid(
    series(
      label('__name__', 'x'),
      sample(double(1), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
    ),
    /overflows 64 bits/,
  );
});

test('round trips through the encoder, staleness markers and NaN payloads bit for bit', () => {
  const rand = seededRandom(42);
  const input: SeriesToEncode[] = [];
  for (let s = 0; s < 20; s++) {
    const n = Math.floor(rand() * 30);
    const timestamps: number[] = [];
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      timestamps.push(Math.floor((rand() - 0.3) * 2 ** 45));
      values[i] = i % 7 === 3 ? STALE_NAN : (rand() - 0.5) * 10 ** Math.floor(rand() * 30);
    }
    input.push({
      labels: ['__name__', `m_${s}`, 'ünïcode', 'värde ☃', 'job', String(s)],
      timestamps,
      values,
    });
  }
  // One NaN with another payload, which must not become the staleness marker or vice versa.
  const odd = new Float64Array(2);
  new Uint32Array(odd.buffer).set([1, 0x7ff80000, 0, 0x7ff80000]);
  input.push({ labels: ['__name__', 'nan'], timestamps: [1, 2], values: odd });
  const req = decodeWriteRequest(encodeWriteRequest(input));
  assert.equal(req.series.length, input.length);
  for (let s = 0; s < input.length; s++) {
    const got = req.series[s]!;
    const want = input[s]!;
    assert.deepEqual(got.labels, want.labels);
    assert.equal(got.end - got.start, want.values.length);
    for (let i = 0; i < want.values.length; i++) {
      assert.equal(req.timestamps[got.start + i], want.timestamps[i]);
      assert.equal(bitsOf(req.values, got.start + i), bitsOf(want.values, i));
      if (isStaleNaN(want.values[i]!)) assert.ok(isStaleNaN(req.values[got.start + i]!));
    }
  }
  const nan = req.series.at(-1)!;
  assert.equal(bitsOf(req.values, nan.start), '7ff80000:1');
  assert.ok(!isStaleNaN(req.values[nan.start]!));
});

test('skips unknown fields of every wire type; counts exemplars, histograms and metadata', () => {
  const unknown = [
    ...tag(9, 0),
    ...varint(123456789),
    ...tag(10, 1),
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    ...len(11, [1, 2, 3]),
    ...tag(12, 5),
    1,
    2,
    3,
    4,
  ];
  const req = decode([
    ...unknown,
    ...series(
      ...[unknown],
      label('__name__', 'x'),
      len(3, [...label('trace_id', 'abc'), ...tag(2, 1), ...double(1)]), // exemplar
      len(4, [...tag(1, 0), ...varint(3)]), // native histogram
      len(4, []),
      len(2, [...unknown, ...tag(1, 1), ...double(4), ...tag(2, 0), ...varint(10)]),
      len(1, [...str(1, 'job'), ...unknown, ...str(2, 'j')]),
    ),
    ...len(3, [...tag(1, 0), 1, ...str(2, 'x'), ...str(4, 'help')]), // metadata
    ...len(2, [1, 2, 3]), // reserved field 2: skipped
  ]);
  assert.equal(req.series.length, 1);
  assert.deepEqual(req.series[0]!.labels, ['__name__', 'x', 'job', 'j']);
  assert.equal(req.sampleCount, 1);
  assert.equal(req.values[0], 4);
  assert.equal(req.timestamps[0], 10);
  assert.equal(req.exemplarCount, 1);
  assert.equal(req.histogramCount, 2);
  assert.equal(req.metadataCount, 1);
  // A metadata-only request, as Prometheus sends them.
  const meta = decode(len(3, [...str(2, 'up')]));
  assert.equal(meta.series.length, 0);
  assert.equal(meta.metadataCount, 1);
  assert.equal(decode([]).series.length, 0);
});

test('refuses hostile input with a reason', () => {
  const ok = series(label('__name__', 'x'), sample(double(1), varint(5)));
  // Truncated anywhere inside: always refused (a prefix ending between top-level fields is valid).
  for (let cut = 1; cut < ok.length; cut++) {
    assertInvalid(ok.slice(0, cut), /truncated|past the end/);
  }
  assertInvalid([0x0a], /truncated/);
  assertInvalid([0x0a, 0x80], /truncated/);
  assertInvalid([0x0a, 0x05, 1], /past the end/);
  assertInvalid([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], /past the end/);
  assertInvalid([0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f], /32 bits/);
  assertInvalid(
    [0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
    /longer than 10 bytes/,
  );
  // A label length past the end of its series (but inside the body).
  assertInvalid(
    [...len(1, [...tag(1, 2), 10, 1, 2]), 0, 0, 0, 0, 0, 0, 0, 0],
    /past the end of its message/,
  );
  // Known fields with the wrong wire type.
  assertInvalid([...tag(1, 0), 1], /WriteRequest.timeseries has wire type 0/);
  assertInvalid(series([...tag(1, 0), 1]), /TimeSeries.labels has wire type 0/);
  assertInvalid(series([...tag(2, 5), 1, 2, 3, 4]), /TimeSeries.samples has wire type 5/);
  assertInvalid(series(len(1, [...tag(1, 0), 1])), /Label.name has wire type 0/);
  assertInvalid(series(len(1, [...tag(2, 1), ...double(1)])), /Label.value has wire type 1/);
  assertInvalid(series(len(2, [...tag(1, 0), 1])), /Sample.value has wire type 0/);
  assertInvalid(series(len(2, [...tag(2, 1), ...double(1)])), /Sample.timestamp has wire type 1/);
  assertInvalid(series(len(2, [...tag(1, 1), 1, 2, 3])), /Sample.value is truncated/);
  assertInvalid([...tag(3, 0), 1], /WriteRequest.metadata has wire type 0/);
  // Groups, field number 0, truncated fixed fields.
  assertInvalid([...tag(7, 3)], /wire type 3/);
  assertInvalid([...tag(7, 4)], /wire type 4/);
  assertInvalid([...tag(7, 6)], /wire type 6/);
  assertInvalid([0x02, 0x00], /field number 0/);
  assertInvalid([...tag(9, 1), 1, 2], /fixed64 field is truncated/);
  assertInvalid([...tag(9, 5), 1, 2], /fixed32 field is truncated/);
  // Invalid UTF-8 in a label name and value (short, long, and a lone surrogate).
  assertInvalid(series(len(1, [...tag(1, 2), 2, 0xc3, 0x28])), /not valid UTF-8/);
  assertInvalid(series(len(1, [...tag(2, 2), 3, 0xed, 0xa0, 0x80])), /not valid UTF-8/);
  const longBad = [...new Array<number>(100).fill(0x61), 0xff];
  assertInvalid(
    series(len(1, [...tag(2, 2), ...varint(longBad.length), ...longBad])),
    /not valid UTF-8/,
  );
});

test('seeded fuzz: mutated requests decode or fail with REMOTE_WRITE_INVALID', () => {
  const rand = seededRandom(7);
  const valid = encodeWriteRequest([
    {
      labels: ['__name__', 'a', 'job', 'x'],
      timestamps: [1, 2, -3],
      values: Float64Array.of(1, STALE_NAN, 3),
    },
    { labels: ['__name__', 'b'], timestamps: [2 ** 50], values: Float64Array.of(0.5) },
  ]);
  let refused = 0;
  for (let i = 0; i < 20_000; i++) {
    const input = valid.slice(
      0,
      valid.length - (i % 5 === 0 ? Math.floor(rand() * valid.length) : 0),
    );
    const flips = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < flips && input.length > 0; k++)
      input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
    try {
      const req = decodeWriteRequest(input);
      assert.ok(req.sampleCount <= input.length);
    } catch (err) {
      assert.ok(isVigilError(err, ErrorCodes.REMOTE_WRITE_INVALID), String(err));
      refused++;
    }
  }
  assert.ok(refused > 1000, `refused ${refused}`);
});
