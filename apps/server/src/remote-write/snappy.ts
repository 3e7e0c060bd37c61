/**
 * Snappy BLOCK format (not the framed/stream format), as remote write uses
 * it: a varint with the uncompressed length, then a sequence of literal and
 * copy elements.
 *
 * The decompressor is meant for bodies from the network: it reads the
 * announced length first and refuses it above the caller's limit before
 * allocating anything, bounds-checks every literal and every copy, and
 * consumes at least one input byte per element, so it always terminates.
 *
 * The compressor is a plain greedy one (a hash table of 4-byte sequences,
 * copies with 2-byte offsets inside a 64 KiB window). Its output is valid
 * snappy that any decoder reads; it compresses less well than the reference
 * implementation. For tests and for clients that push to Vigil.
 *
 * @module
 */
import { ErrorCodes, VigilError } from '@vigil/model';

/** Largest uncompressed length snappy can describe (its varint is 32 bits). */
export const SNAPPY_MAX_UNCOMPRESSED_BYTES = 0xffffffff;

function invalid(why: string, details?: Record<string, unknown>): never {
  throw new VigilError(
    ErrorCodes.REMOTE_WRITE_INVALID,
    `Invalid snappy block: ${why}. The body must be snappy block-compressed (not framed).`,
    details === undefined ? undefined : { details },
  );
}

/**
 * Reads the uncompressed length a snappy block announces (its leading
 * varint), and where the elements start.
 *
 * @throws VigilError `REMOTE_WRITE_INVALID` when the varint is truncated or
 *   longer than 32 bits.
 */
export function snappyUncompressedLength(input: Uint8Array): {
  lengthBytes: number;
  start: number;
} {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= input.length) invalid('the uncompressed-length varint is truncated');
    const b = input[i]!;
    if (i === 4 && b > 0x0f) invalid('the uncompressed-length varint is longer than 32 bits');
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return { lengthBytes: result, start: i + 1 };
  }
  return invalid('the uncompressed-length varint is longer than 32 bits');
}

/**
 * Decompresses one snappy block.
 *
 * @param input the compressed block.
 * @param maxBytes the largest uncompressed size accepted; checked against
 *   the announced length before any allocation.
 * @returns a new buffer of exactly the announced length.
 * @throws VigilError `REMOTE_WRITE_BODY_LIMIT` when the announced length
 *   exceeds `maxBytes`; `REMOTE_WRITE_INVALID` for any malformed input
 *   (truncated element, copy offset 0 or before the start of the output,
 *   output longer or shorter than announced).
 *
 * Pure and synchronous; safe to call from anywhere.
 */
export function snappyDecompress(input: Uint8Array, maxBytes: number): Uint8Array {
  const { lengthBytes, start } = snappyUncompressedLength(input);
  if (lengthBytes > maxBytes) {
    throw new VigilError(
      ErrorCodes.REMOTE_WRITE_BODY_LIMIT,
      `The snappy block announces ${lengthBytes} uncompressed bytes, more than the limit of ${maxBytes}; send smaller batches (queue_config.max_samples_per_send) or raise the limit.`,
      { details: { lengthBytes, maxBytes } },
    );
  }
  const out = new Uint8Array(lengthBytes);
  const n = input.length;
  let ip = start;
  let op = 0;
  while (ip < n) {
    const tag = input[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      // Literal.
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59; // 1..4 bytes of length follow, little-endian
        if (ip + extra > n) invalid('a literal length is truncated', { offset: ip });
        len = 0;
        for (let k = 0; k < extra; k++) len += input[ip + k]! * 2 ** (8 * k);
        ip += extra;
      }
      len += 1;
      if (len > n - ip) invalid('a literal runs past the end of the input', { offset: ip });
      if (len > lengthBytes - op) {
        invalid('a literal runs past the announced length', { offset: ip, lengthBytes });
      }
      if (len > 32) {
        out.set(input.subarray(ip, ip + len), op);
        op += len;
        ip += len;
      } else {
        const end = ip + len;
        while (ip < end) out[op++] = input[ip++]!;
      }
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip + 1 > n) invalid('a copy element is truncated', { offset: ip });
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | input[ip]!;
      ip += 1;
    } else if (kind === 2) {
      if (ip + 2 > n) invalid('a copy element is truncated', { offset: ip });
      len = 1 + (tag >>> 2);
      offset = input[ip]! | (input[ip + 1]! << 8);
      ip += 2;
    } else {
      if (ip + 4 > n) invalid('a copy element is truncated', { offset: ip });
      len = 1 + (tag >>> 2);
      offset =
        (input[ip]! | (input[ip + 1]! << 8) | (input[ip + 2]! << 16)) + input[ip + 3]! * 0x1000000;
      ip += 4;
    }
    if (offset === 0 || offset > op) {
      invalid(`a copy refers to offset ${offset} with ${op} bytes written`, { offset: ip });
    }
    if (len > lengthBytes - op) {
      invalid('a copy runs past the announced length', { offset: ip, lengthBytes });
    }
    let from = op - offset;
    if (len > 32 && offset >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Short or overlapping copy (an overlap repeats the last `offset` bytes).
      const end = op + len;
      while (op < end) out[op++] = out[from++]!;
    }
  }
  if (op !== lengthBytes) {
    invalid(`the block decodes to ${op} bytes but announces ${lengthBytes}`, { lengthBytes });
  }
  return out;
}

const HASH_BITS = 14;
const MAX_OFFSET = 0xffff;
const MIN_MATCH = 4;

function load32(buf: Uint8Array, i: number): number {
  return (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) >>> 0;
}

function hash(word: number): number {
  return Math.imul(word, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

/** The largest size a compressed block of `n` input bytes can take. */
export function snappyMaxCompressedLength(n: number): number {
  return 32 + n + Math.ceil(n / 6);
}

/**
 * Compresses `input` as one snappy block (greedy matching; valid but not as
 * small as the reference compressor's output).
 *
 * @throws RangeError when `input` is longer than 2^32 - 1 bytes.
 */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const n = input.length;
  if (n > SNAPPY_MAX_UNCOMPRESSED_BYTES) throw new RangeError('snappy blocks hold at most 4 GiB');
  const out = new Uint8Array(snappyMaxCompressedLength(n));
  let op = 0;
  // Uncompressed length varint.
  let len = n;
  while (len >= 0x80) {
    out[op++] = (len & 0x7f) | 0x80;
    len = Math.floor(len / 128);
  }
  out[op++] = len;

  const emitLiteral = (from: number, to: number): void => {
    let count = to - from;
    while (count > 0) {
      // Cap each literal element at 2^16 bytes (2-byte length form); any size works.
      const chunk = Math.min(count, 0x10000);
      const l = chunk - 1;
      if (l < 60) {
        out[op++] = l << 2;
      } else if (l < 0x100) {
        out[op++] = 60 << 2;
        out[op++] = l;
      } else {
        out[op++] = 61 << 2;
        out[op++] = l & 0xff;
        out[op++] = l >>> 8;
      }
      out.set(input.subarray(from, from + chunk), op);
      op += chunk;
      from += chunk;
      count -= chunk;
    }
  };
  const emitCopy = (offset: number, length: number): void => {
    while (length > 0) {
      // Copy-2 elements carry 1..64 bytes; avoid leaving a remainder under 4 (still valid, just tidy).
      let chunk = Math.min(length, 64);
      if (length - chunk > 0 && length - chunk < 4) chunk = length - 4;
      out[op++] = ((chunk - 1) << 2) | 2;
      out[op++] = offset & 0xff;
      out[op++] = offset >>> 8;
      length -= chunk;
    }
  };

  if (n < MIN_MATCH + 1) {
    emitLiteral(0, n);
    return out.slice(0, op);
  }
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  let literalStart = 0;
  let i = 0;
  const limit = n - MIN_MATCH;
  while (i <= limit) {
    const word = load32(input, i);
    const h = hash(word);
    const candidate = table[h]!;
    table[h] = i;
    if (candidate >= 0 && i - candidate <= MAX_OFFSET && load32(input, candidate) === word) {
      let matchLen = MIN_MATCH;
      while (i + matchLen < n && input[candidate + matchLen] === input[i + matchLen]) matchLen++;
      emitLiteral(literalStart, i);
      emitCopy(i - candidate, matchLen);
      i += matchLen;
      literalStart = i;
    } else {
      i++;
    }
  }
  emitLiteral(literalStart, n);
  return out.slice(0, op);
}
