import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, STALE_NAN, isStaleNaN, isVigilError } from '@vigil/model';
import { seededRandom } from '@vigil/testing';
import {
  XOR_CHUNK_MAX_SAMPLES,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkEncoder,
  XorChunkIterator,
  decodeXorChunk,
  xorChunkSampleCount,
} from './xor.js';

// ---------------------------------------------------------------- helpers

/** A series kept in typed arrays so NaN payloads survive. */
interface Series {
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

function series(n: number, time: (i: number) => number, value: (i: number) => number): Series {
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = time(i);
    vs[i] = value(i);
  }
  return { ts, vs };
}

/** A float64 from its two 32-bit halves (kept in a Float64Array by callers). */
function fromBits(hi: number, lo: number): number {
  const u = new Uint32Array(2);
  const f = new Float64Array(u.buffer);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  u[le ? 1 : 0] = hi;
  u[le ? 0 : 1] = lo;
  return f[0]!;
}

function bitsOf(vs: Float64Array, i: number): string {
  const u = new Uint32Array(vs.buffer, vs.byteOffset + 8 * i, 2);
  return `${u[1]!.toString(16).padStart(8, '0')}${u[0]!.toString(16).padStart(8, '0')}`;
}

function encode(s: Series, count = s.ts.length): XorChunkEncoder {
  const enc = new XorChunkEncoder();
  for (let i = 0; i < count; i++) enc.append(s.ts[i]!, s.vs[i]!);
  return enc;
}

/** Asserts that `data` decodes (both ways) to exactly the first `count` samples of `s`. */
function assertDecodes(data: Uint8Array, s: Series, count = s.ts.length): void {
  assert.equal(xorChunkSampleCount(data), count);
  const ts = new Float64Array(count);
  const vs = new Float64Array(count);
  assert.equal(decodeXorChunk(data, ts, vs), count);
  for (let i = 0; i < count; i++) {
    assert.equal(ts[i], s.ts[i], `timestamp ${i}`);
    assert.equal(bitsOf(vs, i), bitsOf(s.vs, i), `value bits ${i}`);
  }
  const it = new XorChunkIterator(data);
  const one = new Float64Array(1);
  for (let i = 0; i < count; i++) {
    assert.equal(it.next(), true, `iterator sample ${i}`);
    assert.equal(it.timestampMs(), s.ts[i]);
    one[0] = it.value();
    assert.equal(bitsOf(one, 0), bitsOf(s.vs, i), `iterator value bits ${i}`);
  }
  assert.equal(it.next(), false);
  assert.equal(it.next(), false);
}

function roundTrip(s: Series): Uint8Array {
  const enc = encode(s);
  const data = enc.bytes();
  assert.equal(enc.numSamples, s.ts.length);
  assert.equal(enc.sizeBytes, data.length);
  if (s.ts.length > 0) {
    assert.equal(enc.minTimeMs, s.ts[0]);
    assert.equal(enc.maxTimeMs, s.ts[s.ts.length - 1]);
  }
  assertDecodes(data, s);
  return data;
}

function assertCorrupt(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => isVigilError(err, ErrorCodes.TSDB_CORRUPT));
}

const T0 = 1_764_000_000_000; // late 2025, ms
/**
 * Interesting float64 values. NaNs are set through a word view: a NaN that
 * passes through an array literal (`[x]`) comes out quieted by V8.
 */
const SPECIALS = (() => {
  const finite = [
    0,
    -0,
    Infinity,
    -Infinity,
    Number.MIN_VALUE, // smallest subnormal
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.EPSILON,
    1,
    -1,
    0.1,
    1e300,
    -1e-300,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
  ];
  const bits: [number, number][] = [
    [0x7ff80000, 0x00000000], // NaN as JS makes it
    [0x7ff00000, 0x00000002], // the staleness marker
    [0x7ff00000, 0x00000001], // signalling NaN
    [0xfff80000, 0x00000000], // negative quiet NaN
    [0x7fffffff, 0xffffffff], // NaN, all payload bits
    [0xffffffff, 0xffffffff],
    [0x7ff80000, 0x00000001],
    [0xfff00000, 0x00000001],
    [0x000fffff, 0xffffffff], // largest subnormal
    [0x80000000, 0x00000001], // negative subnormal
  ];
  const out = new Float64Array(finite.length + bits.length);
  finite.forEach((v, i) => (out[i] = v));
  const words = new Uint32Array(out.buffer);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  bits.forEach(([hi, lo], k) => {
    const at = 2 * (finite.length + k);
    words[at + (le ? 1 : 0)] = hi;
    words[at + (le ? 0 : 1)] = lo;
  });
  return out;
})();

// ------------------------------------------------------------- round trips

describe('XOR chunk round trip', () => {
  test('the worked example of docs/format/xor-chunk.md, byte for byte', () => {
    const enc = new XorChunkEncoder();
    enc.append(1_764_000_000_000, 1);
    enc.append(1_764_000_015_000, 1);
    enc.append(1_764_000_030_002, 2);
    enc.append(1_764_000_045_000, 2.5);
    assert.equal(
      Buffer.from(enc.bytes()).toString('hex'),
      '01000480a0bfe9d666c457ff30ea82c25fffbcda0c',
    );
    roundTrip(
      series(
        4,
        (i) => [1_764_000_000_000, 1_764_000_015_000, 1_764_000_030_002, 1_764_000_045_000][i]!,
        (i) => [1, 1, 2, 2.5][i]!,
      ),
    );
  });

  test('one sample, two samples, empty chunk', () => {
    roundTrip(
      series(
        1,
        () => T0,
        () => 42,
      ),
    );
    roundTrip(
      series(
        1,
        () => -5,
        () => STALE_NAN,
      ),
    );
    roundTrip(
      series(
        2,
        (i) => T0 + i * 15_000,
        (i) => i,
      ),
    );
    const empty = new XorChunkEncoder().bytes();
    assert.equal(xorChunkSampleCount(empty), 0);
    assert.equal(decodeXorChunk(empty, new Float64Array(0), new Float64Array(0)), 0);
    assert.equal(new XorChunkIterator(empty).next(), false);
    assert.equal(new XorChunkIterator(empty).seek(0), false);
  });

  test('constant values at a regular interval, 120 and 1000+ samples', () => {
    const data = roundTrip(
      series(
        120,
        (i) => T0 + i * 15_000,
        () => 1,
      ),
    );
    // Header 3 bytes, first timestamp 6, then bits: first value 23, first
    // delta 16, second value 1, then 2 bits per sample; 276 bits = 35 bytes.
    assert.equal(data.length, 3 + 6 + 35);
    roundTrip(
      series(
        1234,
        (i) => T0 + i * 15_000,
        () => 0.25,
      ),
    );
  });

  test('counters, gauges with noise, random bit patterns', () => {
    const rnd = seededRandom(1);
    let c = 0;
    roundTrip(
      series(
        1000,
        (i) => T0 + i * 15_000,
        () => (c += Math.floor(rnd() * 1000)),
      ),
    );
    let g = 50;
    roundTrip(
      series(
        500,
        (i) => T0 + i * 10_000,
        () => (g += rnd() - 0.5),
      ),
    );
    roundTrip(
      series(
        300,
        (i) => T0 + i,
        () => fromBits((rnd() * 2 ** 32) >>> 0, (rnd() * 2 ** 32) >>> 0),
      ),
    );
  });

  test('every special float and staleness markers between values', () => {
    assert.ok(SPECIALS.some((v) => isStaleNaN(v)));
    assert.ok(isStaleNaN(STALE_NAN));
    roundTrip(
      series(
        SPECIALS.length,
        (i) => T0 + i * 1000,
        (i) => SPECIALS[i]!,
      ),
    );
    // Every ordered pair of specials, so each transition is encoded once.
    const n = SPECIALS.length;
    roundTrip(
      series(
        n * n * 2,
        (i) => T0 + i * 15_000,
        (i) => SPECIALS[i % 2 === 0 ? Math.floor(i / 2) % n : Math.floor(i / 2 / n)]!,
      ),
    );
    const rnd = seededRandom(2);
    roundTrip(
      series(
        240,
        (i) => T0 + i * 15_000,
        (i) => (i % 5 === 3 ? STALE_NAN : 100 + Math.round(rnd() * 10)),
      ),
    );
    // Staleness marker survives as the very first and very last sample.
    roundTrip(
      series(
        3,
        (i) => T0 + i,
        (i) => (i === 1 ? 7 : STALE_NAN),
      ),
    );
  });

  test('irregular intervals, jitter, huge jumps, negative timestamps', () => {
    const rnd = seededRandom(3);
    let t = T0;
    roundTrip(
      series(
        1000,
        () => (t += 15_000 + Math.round((rnd() - 0.5) * 10)),
        (i) => i,
      ),
    );
    t = T0;
    roundTrip(
      series(
        1000,
        () => (t += 1 + Math.floor(rnd() * 100_000)),
        (i) => i,
      ),
    );
    // Deltas of delta in and around every bucket boundary.
    const gaps = [
      1,
      1,
      64,
      1,
      65,
      1,
      63,
      128,
      8192,
      1,
      8193,
      100,
      8292,
      524_288,
      1,
      524_289,
      2 ** 31,
      1,
      2 ** 31 + 1,
      2 ** 31 - 1,
      2 ** 40,
      1,
      2 ** 52,
      1,
      3,
      2 ** 33 + 7,
      15_000,
      15_000,
    ];
    t = -(2 ** 53 - 1);
    let k = 0;
    roundTrip(
      series(
        gaps.length + 1,
        (i) => (i === 0 ? t : (t += gaps[k++]!)),
        (i) => i * 1.5,
      ),
    );
    // The largest allowed gap, across zero, from the smallest timestamp.
    roundTrip(
      series(
        2,
        (i) => (i === 0 ? -(2 ** 53 - 1) : 0),
        () => 1,
      ),
    );
    roundTrip(
      series(
        3,
        (i) => [-(2 ** 53 - 1), 0, 2 ** 53 - 1][i]!,
        () => 1,
      ),
    );
    roundTrip(
      series(
        200,
        (i) => -1_000_000 + i * 7 + (i % 3),
        (i) => -i,
      ),
    );
    roundTrip(
      series(
        5,
        (i) => [0, 1, 2 ** 53 - 3, 2 ** 53 - 2, 2 ** 53 - 1][i]!,
        () => 0,
      ),
    );
  });

  test('the maximum number of samples', () => {
    const s = series(
      XOR_CHUNK_MAX_SAMPLES,
      (i) => i * 2,
      (i) => i % 7,
    );
    const enc = encode(s);
    assertDecodes(enc.bytes(), s);
    assert.throws(
      () => enc.append(2 ** 40, 1),
      (err: unknown) => isVigilError(err, ErrorCodes.SAMPLE_OUT_OF_BOUNDS),
    );
  });

  test('seeded random series of random shapes', () => {
    const rnd = seededRandom(4);
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(rnd() * 300);
      let t = Math.floor((rnd() - 0.5) * 2 ** 45);
      const step = 1 + Math.floor(rnd() * 60_000);
      const jitter = Math.floor(rnd() * 3) * Math.floor(rnd() * 50);
      let v = rnd() * 1000;
      const shape = Math.floor(rnd() * 5);
      roundTrip(
        series(
          n,
          () => (t += step + (jitter > 0 ? Math.floor(rnd() * jitter) : 0)),
          () => {
            const r = rnd();
            if (r < 0.03) return SPECIALS[Math.floor(rnd() * SPECIALS.length)]!;
            if (shape === 0) return v;
            if (shape === 1) return (v += Math.floor(rnd() * 100));
            if (shape === 2) return (v += rnd() - 0.5);
            if (shape === 3) return Math.round(rnd() * 4) * 0.25;
            return fromBits((rnd() * 2 ** 32) >>> 0, (rnd() * 2 ** 32) >>> 0);
          },
        ),
      );
    }
  });

  test('decodes from a Node Buffer inside a larger allocation, into large arrays', () => {
    const s = series(
      120,
      (i) => T0 + i * 15_000,
      (i) => (i % 3 === 0 ? STALE_NAN : i * 0.1),
    );
    const bytes = encode(s).bytes();
    // Buffer.from copies small inputs into a shared pool: non-zero byteOffset.
    const pooled = Buffer.from(bytes);
    assertDecodes(pooled, s);
    const big = new Float64Array(300_000); // 2.4 MB, beyond the view cache
    const ts = new Float64Array(300_000);
    const at = 250_000;
    assert.equal(decodeXorChunk(pooled, ts.subarray(at), big.subarray(at)), 120);
    for (let i = 0; i < 120; i++) {
      assert.equal(ts[at + i], s.ts[i]);
      assert.equal(bitsOf(big, at + i), bitsOf(s.vs, i));
    }
    assert.equal(big[at - 1], 0);
    assert.equal(big[at + 120], 0);
  });

  test('decodes into a Float64Array view that shares its buffer', () => {
    const s = series(
      120,
      (i) => T0 + i * 15_000,
      (i) => (i % 2 === 0 ? STALE_NAN : i),
    );
    const data = encode(s).bytes();
    const backing = new Float64Array(130).fill(-7);
    const values = backing.subarray(5, 125);
    const ts = new Float64Array(120);
    assert.equal(decodeXorChunk(data, ts, values), 120);
    for (let i = 0; i < 120; i++) assert.equal(bitsOf(values, i), bitsOf(s.vs, i));
    for (const i of [0, 1, 2, 3, 4, 125, 126, 127, 128, 129]) assert.equal(backing[i], -7);
    // Too small output arrays are a caller error, not corruption.
    assert.throws(() => decodeXorChunk(data, ts, backing.subarray(0, 119)), RangeError);
    assert.throws(() => decodeXorChunk(data, new Float64Array(10), values), RangeError);
  });
});

// ----------------------------------------------------- snapshots, resume

describe('XOR chunk snapshots and resume', () => {
  const rnd = seededRandom(5);
  let t = -40_000;
  const s = series(
    XOR_CHUNK_TARGET_SAMPLES,
    () => (t += 15_000 + (rnd() < 0.3 ? Math.floor(rnd() * 20) : 0)),
    (i) => (i % 17 === 5 ? STALE_NAN : i % 11 === 0 ? SPECIALS[i % SPECIALS.length]! : rnd() * 100),
  );

  test('bytes() taken mid-way decode to the samples so far and stay unchanged', () => {
    const enc = new XorChunkEncoder(4);
    const snapshots: Uint8Array[] = [enc.bytes()];
    for (let i = 0; i < s.ts.length; i++) {
      enc.append(s.ts[i]!, s.vs[i]!);
      snapshots.push(enc.bytes());
      assert.deepEqual(enc.view(), snapshots[snapshots.length - 1]);
      assert.equal(enc.sizeBytes, enc.view().length);
    }
    snapshots.forEach((data, k) => assertDecodes(data, s, k));
  });

  test('resume then append equals appending in one go, at every split', () => {
    const whole = encode(s).bytes();
    for (let k = 0; k <= s.ts.length; k++) {
      const resumed = XorChunkEncoder.resume(encode(s, k).bytes());
      assert.equal(resumed.numSamples, k);
      if (k > 0) {
        assert.equal(resumed.minTimeMs, s.ts[0]);
        assert.equal(resumed.maxTimeMs, s.ts[k - 1]);
        const last = new Float64Array(1); // not from an array literal: V8 would quiet the NaN
        last[0] = resumed.lastValue;
        assert.equal(bitsOf(last, 0), bitsOf(s.vs, k - 1));
      }
      for (let i = k; i < s.ts.length; i++) resumed.append(s.ts[i]!, s.vs[i]!);
      assert.deepEqual(resumed.bytes(), whole, `split at ${k}`);
    }
  });

  test('resume of a resumed chunk, and of odd inputs', () => {
    let enc = XorChunkEncoder.resume(new XorChunkEncoder().bytes());
    for (let i = 0; i < s.ts.length; i++) {
      enc.append(s.ts[i]!, s.vs[i]!);
      if (i % 13 === 0) enc = XorChunkEncoder.resume(enc.bytes(), 1);
    }
    assert.deepEqual(enc.bytes(), encode(s).bytes());
    assertCorrupt(() => XorChunkEncoder.resume(new Uint8Array([1, 0])));
  });
});

// ------------------------------------------------------------- iterator

describe('XorChunkIterator', () => {
  // Timestamps 1000, 2000, ..., 10000.
  const s = series(
    10,
    (i) => (i + 1) * 1000,
    (i) => i,
  );
  const data = encode(s).bytes();

  test('seek follows the SampleIterator contract', () => {
    const it = new XorChunkIterator(data);
    assert.equal(it.seek(500), true); // before the first sample: the first one
    assert.equal(it.timestampMs(), 1000);
    assert.equal(it.seek(1000), true); // current qualifies: stays
    assert.equal(it.timestampMs(), 1000);
    assert.equal(it.seek(2500), true); // between samples: the next one
    assert.equal(it.timestampMs(), 3000);
    assert.equal(it.value(), 2);
    assert.equal(it.seek(1000), true); // never backwards
    assert.equal(it.timestampMs(), 3000);
    assert.equal(it.next(), true);
    assert.equal(it.timestampMs(), 4000);
    assert.equal(it.seek(10_000), true); // exactly the last
    assert.equal(it.value(), 9);
    assert.equal(it.next(), false);
    assert.equal(it.seek(0), false); // exhausted stays exhausted
    assert.equal(it.next(), false);

    const past = new XorChunkIterator(data);
    assert.equal(past.seek(10_001), false);
    assert.equal(past.next(), false);
    assert.equal(past.seek(-1), false);
  });

  test('seek after next, seek to every time', () => {
    for (let t = 0; t <= 11_000; t += 250) {
      const it = new XorChunkIterator(data);
      assert.equal(it.next(), true);
      const want = Math.max(1000, Math.ceil(t / 1000) * 1000);
      assert.equal(it.seek(t), want <= 10_000);
      if (want <= 10_000) {
        assert.equal(it.timestampMs(), want);
        assert.equal(it.value(), want / 1000 - 1);
      }
    }
  });

  test('bounds [mint, maxt] are inclusive, also with seek', () => {
    const it = new XorChunkIterator(data, 3000, 5000);
    const seen: number[] = [];
    while (it.next()) seen.push(it.timestampMs());
    assert.deepEqual(seen, [3000, 4000, 5000]);

    it.reset(data, 2500, 5500);
    assert.equal(it.seek(0), true);
    assert.equal(it.timestampMs(), 3000);
    assert.equal(it.seek(5000), true);
    assert.equal(it.seek(5001), false);

    it.reset(data, 10_001, Infinity);
    assert.equal(it.next(), false);
    it.reset(data, -Infinity, 999);
    assert.equal(it.next(), false);
    it.reset(data, 4000, 4000);
    assert.equal(it.next(), true);
    assert.equal(it.timestampMs(), 4000);
    assert.equal(it.next(), false);
  });

  test('reset reuses the iterator across chunks of different sizes', () => {
    const big = series(
      1000,
      (i) => i * 15_000,
      (i) => (i % 3 === 0 ? STALE_NAN : i),
    );
    const it = new XorChunkIterator(data);
    assert.equal(it.next(), true);
    it.reset(encode(big).bytes());
    let n = 0;
    const one = new Float64Array(1);
    while (it.next()) {
      one[0] = it.value();
      assert.equal(bitsOf(one, 0), bitsOf(big.vs, n));
      n++;
    }
    assert.equal(n, 1000);
    it.reset(data);
    assert.equal(it.next(), true);
    assert.equal(it.timestampMs(), 1000);
  });
});

// ---------------------------------------------------- encoder contract

describe('XorChunkEncoder input checks', () => {
  test('rejects out-of-order, duplicate and unrepresentable timestamps, unchanged', () => {
    const enc = new XorChunkEncoder();
    assert.throws(
      () => enc.append(1.5, 1),
      (e: unknown) => isVigilError(e, ErrorCodes.SAMPLE_OUT_OF_BOUNDS),
    );
    assert.throws(
      () => enc.append(2 ** 53, 1),
      (e: unknown) => isVigilError(e, ErrorCodes.SAMPLE_OUT_OF_BOUNDS),
    );
    assert.throws(
      () => enc.append(NaN, 1),
      (e: unknown) => isVigilError(e, ErrorCodes.SAMPLE_OUT_OF_BOUNDS),
    );
    assert.equal(enc.numSamples, 0);
    enc.append(-(2 ** 52), 1);
    enc.append(1000, 2);
    const before = enc.bytes();
    const cases: [number, string][] = [
      [1000, ErrorCodes.SAMPLE_OUT_OF_ORDER],
      [999, ErrorCodes.SAMPLE_OUT_OF_ORDER],
      [1000.5, ErrorCodes.SAMPLE_OUT_OF_BOUNDS],
      [NaN, ErrorCodes.SAMPLE_OUT_OF_BOUNDS],
      [Infinity, ErrorCodes.SAMPLE_OUT_OF_BOUNDS],
      [2 ** 53, ErrorCodes.SAMPLE_OUT_OF_BOUNDS],
    ];
    for (const [t, code] of cases) {
      assert.throws(
        () => enc.append(t, 3),
        (e: unknown) => isVigilError(e) && e.code === code,
        `${t}`,
      );
    }
    assert.deepEqual(enc.bytes(), before);
    assert.equal(enc.maxTimeMs, 1000);
    // A gap larger than 2^53-1 ms cannot be stored.
    const far = new XorChunkEncoder();
    far.append(-(2 ** 53 - 1), 1);
    assert.throws(
      () => far.append(1, 1),
      (e: unknown) => isVigilError(e, ErrorCodes.SAMPLE_OUT_OF_BOUNDS),
    );
  });
});

// --------------------------------------------------------- corruption

describe('XOR chunk corruption', () => {
  const rnd = seededRandom(6);
  let t = T0;
  const s = series(
    XOR_CHUNK_TARGET_SAMPLES,
    () => (t += 15_000 + Math.floor(rnd() * 5)),
    (i) => (i % 9 === 4 ? STALE_NAN : Math.round(rnd() * 1e6) / 100),
  );
  const good = encode(s).bytes();

  test('every truncation is TSDB_CORRUPT', () => {
    for (let len = 0; len < good.length; len++) {
      const cut = good.slice(0, len);
      assertCorrupt(() => decodeXorChunk(cut, new Float64Array(200), new Float64Array(200)));
      assertCorrupt(() => new XorChunkIterator(cut).next());
      assertCorrupt(() => XorChunkEncoder.resume(cut));
    }
  });

  test('header damage, trailing bytes and bad padding are TSDB_CORRUPT', () => {
    const big = new Float64Array(70_000);
    const mutate = (f: (d: Uint8Array) => Uint8Array): Uint8Array => f(good.slice());
    assertCorrupt(() =>
      decodeXorChunk(
        mutate((d) => ((d[0] = 2), d)),
        big,
        big,
      ),
    );
    assertCorrupt(() => xorChunkSampleCount(mutate((d) => ((d[0] = 0), d))));
    assertCorrupt(() => xorChunkSampleCount(new Uint8Array(0)));
    // More samples claimed than stored; fewer claimed than stored. (Up to
    // three more claimed than stored can go unnoticed when the zero padding
    // reads as "same interval, same value": the chunk has no checksum, the
    // container it is stored in has to provide one.)
    assertCorrupt(() =>
      decodeXorChunk(
        mutate((d) => ((d[2] = d[2]! + 4), d)),
        big,
        big,
      ),
    );
    assertCorrupt(() =>
      decodeXorChunk(
        mutate((d) => ((d[2] = d[2]! - 1), d)),
        big,
        big,
      ),
    );
    assertCorrupt(() =>
      decodeXorChunk(
        mutate((d) => ((d[1] = 0xff), d)),
        big,
        big,
      ),
    );
    // A trailing byte, zero or not.
    for (const extra of [0, 1, 0xff]) {
      const longer = new Uint8Array(good.length + 1);
      longer.set(good);
      longer[good.length] = extra;
      assertCorrupt(() => decodeXorChunk(longer, big, big));
    }
    // An empty chunk with a body; a one-sample chunk with a trailing byte.
    assertCorrupt(() => decodeXorChunk(new Uint8Array([1, 0, 0, 0]), big, big));
    const one = new XorChunkEncoder();
    one.append(5, 5);
    const oneBytes = new Uint8Array([...one.bytes(), 0]);
    assertCorrupt(() => decodeXorChunk(oneBytes, big, big));
    // A 9-byte first-timestamp varint.
    const longVarint = new Uint8Array([1, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1]);
    assertCorrupt(() => decodeXorChunk(longVarint, big, big));
  });

  test('fuzz: seeded random byte flips never hang and only throw TSDB_CORRUPT', () => {
    const frnd = seededRandom(7);
    const sources: Uint8Array[] = [good];
    for (let k = 0; k < 8; k++) {
      let tt = Math.floor((frnd() - 0.5) * 2 ** 44);
      const n = 1 + Math.floor(frnd() * 200);
      sources.push(
        encode(
          series(
            n,
            () => (tt += 1 + Math.floor(frnd() * (k % 2 === 0 ? 30_000 : 2 ** 35))),
            () => (frnd() < 0.1 ? SPECIALS[Math.floor(frnd() * SPECIALS.length)]! : frnd() * 1e3),
          ),
        ).bytes(),
      );
    }
    const ts = new Float64Array(XOR_CHUNK_MAX_SAMPLES);
    const vs = new Float64Array(XOR_CHUNK_MAX_SAMPLES);
    const it = new XorChunkIterator(good);
    let decodedOk = 0;
    let rejected = 0;
    for (let round = 0; round < 20_000; round++) {
      const src = sources[round % sources.length]!;
      const d = src.slice();
      const flips = 1 + Math.floor(frnd() * 4);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(frnd() * d.length);
        if (frnd() < 0.5) d[at] = d[at]! ^ (1 << Math.floor(frnd() * 8));
        else d[at] = Math.floor(frnd() * 256);
      }
      const data = frnd() < 0.2 ? d.subarray(0, Math.floor(frnd() * d.length)) : d;
      try {
        const n = decodeXorChunk(data, ts, vs);
        decodedOk++;
        // Whatever decodes must be well-formed: strictly increasing safe integers.
        for (let i = 1; i < n; i++) {
          if (!(ts[i]! > ts[i - 1]!) || !Number.isSafeInteger(ts[i]!)) {
            assert.fail(`decoded timestamps not increasing at ${i}`);
          }
        }
        it.reset(data);
        let m = 0;
        while (it.next()) m++;
        assert.equal(m, n);
        // A decodable chunk can be resumed and appended to.
        const enc = XorChunkEncoder.resume(data);
        if (n < XOR_CHUNK_MAX_SAMPLES && enc.maxTimeMs < 2 ** 52) {
          enc.append(enc.maxTimeMs + 1, 1);
          assert.equal(decodeXorChunk(enc.bytes(), ts, vs), n + 1);
        }
      } catch (err) {
        if (!isVigilError(err, ErrorCodes.TSDB_CORRUPT)) throw err;
        assert.match(err.message, /XOR chunk is corrupt/);
        rejected++;
      }
    }
    // Most flips must be caught; some (in value bits) legitimately decode.
    assert.ok(rejected > 10_000, `rejected ${rejected}`);
    assert.ok(decodedOk > 100, `decoded ${decodedOk}`);
  });

  test('fuzz: random bytes behind a valid header', () => {
    const frnd = seededRandom(8);
    const big = new Float64Array(XOR_CHUNK_MAX_SAMPLES);
    for (let round = 0; round < 5000; round++) {
      const d = new Uint8Array(3 + Math.floor(frnd() * 64));
      for (let i = 3; i < d.length; i++) d[i] = Math.floor(frnd() * 256);
      d[0] = 1;
      const n = Math.floor(frnd() * (round % 2 === 0 ? 300 : 65_536));
      d[1] = n >>> 8;
      d[2] = n & 0xff;
      try {
        decodeXorChunk(d, big, big.subarray(0, XOR_CHUNK_MAX_SAMPLES));
      } catch (err) {
        if (!isVigilError(err, ErrorCodes.TSDB_CORRUPT)) throw err;
      }
    }
  });
});
