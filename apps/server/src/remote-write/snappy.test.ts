import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { seededRandom } from '@vigil/testing';
import { snappyCompress, snappyDecompress, snappyUncompressedLength } from './snappy.js';

const MB = 1024 * 1024;

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function assertCode(fn: () => unknown, code: string, why?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isVigilError(err), `expected a VigilError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (why) assert.match(err.message, why);
    return true;
  });
}

function randomBytes(rand: () => number, n: number, alphabet = 256): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * alphabet);
  return out;
}

test('decodes hand-made blocks: literal, 1-byte-offset copy, overlapping copy, 4-byte offset', () => {
  // "abc" as one literal.
  assert.deepEqual(snappyDecompress(bytes(3, 2 << 2, 97, 98, 99), MB), bytes(97, 98, 99));
  // "ab" then copy-1 of length 4 at offset 2: "ababab".
  assert.deepEqual(
    snappyDecompress(bytes(6, 1 << 2, 97, 98, (0 << 2) | 1, 2), MB),
    new TextEncoder().encode('ababab'),
  );
  // "a" then a copy-2 of length 9 at offset 1 (overlapping run): ten "a".
  assert.deepEqual(
    snappyDecompress(bytes(10, 0, 97, (8 << 2) | 2, 1, 0), MB),
    new Uint8Array(10).fill(97),
  );
  // copy-4 with offset 3.
  assert.deepEqual(
    snappyDecompress(bytes(6, 2 << 2, 1, 2, 3, (2 << 2) | 3, 3, 0, 0, 0), MB),
    bytes(1, 2, 3, 1, 2, 3),
  );
  // A literal with a 1-byte length extension (61 bytes).
  const lit = new Uint8Array(61).fill(7);
  assert.deepEqual(snappyDecompress(bytes(61, 60 << 2, 60, ...lit), MB), lit);
  // Empty input.
  assert.deepEqual(snappyDecompress(bytes(0), MB), new Uint8Array(0));
});

test('round trips through the compressor, and compresses repetitive data', () => {
  const rand = seededRandom(1);
  const cases: Uint8Array[] = [
    new Uint8Array(0),
    bytes(1),
    bytes(1, 2, 3, 4),
    new Uint8Array(100_000).fill(42),
    randomBytes(rand, 70_000),
    randomBytes(rand, 200_000, 4),
    new TextEncoder().encode('up{job="node",instance="a:9100"} 1\n'.repeat(5000)),
  ];
  for (let i = 0; i < 50; i++)
    cases.push(randomBytes(rand, Math.floor(rand() * 3000), 1 + Math.floor(rand() * 255)));
  for (const input of cases) {
    const packed = snappyCompress(input);
    assert.deepEqual(snappyDecompress(packed, input.length), input);
  }
  const text = cases[6]!;
  assert.ok(snappyCompress(text).length < text.length / 10, 'repetitive text compresses');
  assert.ok(snappyCompress(cases[3]!).length < 5000, 'a run compresses');
});

test('reads the uncompressed length and refuses it above the limit before allocating', () => {
  assert.deepEqual(snappyUncompressedLength(bytes(0xfe, 0xff, 0xff, 0xff, 0x0f)), {
    lengthBytes: 0xfffffffe,
    start: 5,
  });
  // 4 GiB announced, a few bytes sent: refused by the limit, no 4 GiB allocation.
  assertCode(
    () => snappyDecompress(bytes(0xff, 0xff, 0xff, 0xff, 0x0f, 0), 64 * MB),
    ErrorCodes.REMOTE_WRITE_BODY_LIMIT,
    /4294967295/,
  );
  assertCode(() => snappyDecompress(bytes(11, 0, 97), 10), ErrorCodes.REMOTE_WRITE_BODY_LIMIT);
});

test('refuses each kind of malformed block with a reason', () => {
  const invalid = ErrorCodes.REMOTE_WRITE_INVALID;
  assertCode(() => snappyDecompress(bytes(), MB), invalid, /truncated/);
  assertCode(() => snappyDecompress(bytes(0x80, 0x80), MB), invalid, /truncated/);
  assertCode(() => snappyDecompress(bytes(0xff, 0xff, 0xff, 0xff, 0x1f), MB), invalid, /32 bits/);
  // Literal longer than the input.
  assertCode(
    () => snappyDecompress(bytes(5, 4 << 2, 1, 2), MB),
    invalid,
    /past the end of the input/,
  );
  // Literal longer than announced.
  assertCode(() => snappyDecompress(bytes(1, 1 << 2, 1, 2), MB), invalid, /announced length/);
  // Literal length extension truncated.
  assertCode(() => snappyDecompress(bytes(100, 61 << 2, 1), MB), invalid, /truncated/);
  // Copy with offset 0.
  assertCode(() => snappyDecompress(bytes(5, 0, 1, (0 << 2) | 1, 0), MB), invalid, /offset 0/);
  // Copy reaching before the start of the output.
  assertCode(
    () => snappyDecompress(bytes(5, 0, 1, (0 << 2) | 1, 2), MB),
    invalid,
    /offset 2 with 1 bytes/,
  );
  assertCode(
    () => snappyDecompress(bytes(5, (0 << 2) | 2, 1, 0), MB),
    invalid,
    /offset 1 with 0 bytes/,
  );
  // Copy longer than announced.
  assertCode(
    () => snappyDecompress(bytes(3, 0, 1, (7 << 2) | 2, 1, 0), MB),
    invalid,
    /announced length/,
  );
  // Truncated copies.
  assertCode(() => snappyDecompress(bytes(5, 0, 1, 1), MB), invalid, /truncated/);
  assertCode(() => snappyDecompress(bytes(5, 0, 1, 2, 1), MB), invalid, /truncated/);
  assertCode(() => snappyDecompress(bytes(5, 0, 1, 3, 1, 0, 0), MB), invalid, /truncated/);
  // Shorter than announced.
  assertCode(
    () => snappyDecompress(bytes(4, 1 << 2, 1, 2), MB),
    invalid,
    /decodes to 2 bytes but announces 4/,
  );
});

test('seeded fuzz: corrupt and random blocks end in a result or a coded error, quickly', () => {
  const rand = seededRandom(0x5eed);
  const text = new TextEncoder().encode(
    'http_requests_total{method="GET",code="200"} 1027 1395066363000\n'.repeat(40),
  );
  const valid = snappyCompress(text);
  let results = 0;
  let errors = 0;
  const started = Date.now();
  for (let i = 0; i < 20_000; i++) {
    let input: Uint8Array;
    const mode = i % 3;
    if (mode === 0) {
      input = valid.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++)
        input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
    } else if (mode === 1) {
      input = valid.slice(0, Math.floor(rand() * valid.length));
    } else {
      input = randomBytes(rand, Math.floor(rand() * 64));
    }
    try {
      const out = snappyDecompress(input, 1 * MB);
      assert.ok(out instanceof Uint8Array);
      results++;
    } catch (err) {
      assert.ok(isVigilError(err), `non-coded error: ${String(err)}`);
      assert.ok(
        err.code === ErrorCodes.REMOTE_WRITE_INVALID ||
          err.code === ErrorCodes.REMOTE_WRITE_BODY_LIMIT,
        err.code,
      );
      errors++;
    }
  }
  assert.equal(results + errors, 20_000);
  assert.ok(errors > 10_000, `most corrupt inputs are refused (${errors})`);
  assert.ok(Date.now() - started < 10_000, 'the fuzz loop finishes quickly');
});
