/**
 * UTF-8 helpers for the byte-level parser: validation of the regions that may
 * hold non-ASCII text, and positions for error messages.
 *
 * @module
 */

/** Length of the UTF-8 sequence a lead byte announces; 1 for ASCII and for invalid lead bytes. */
export function utf8SequenceLength(lead: number): number {
  if (lead < 0xc2) return 1;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf5) return 4;
  return 1;
}

function isContinuation(bytes: Uint8Array, i: number, end: number): boolean {
  return i < end && (bytes[i]! & 0xc0) === 0x80;
}

function inRange(bytes: Uint8Array, i: number, end: number, lo: number, hi: number): boolean {
  return i < end && bytes[i]! >= lo && bytes[i]! <= hi;
}

/**
 * Index of the first byte of the first invalid or truncated UTF-8 sequence in
 * `bytes[start, end)` (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF), or `end` when the region is valid.
 */
export function firstInvalidUtf8(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (!isContinuation(bytes, i + 1, end)) return i;
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      const lo = b === 0xe0 ? 0xa0 : 0x80;
      const hi = b === 0xed ? 0x9f : 0xbf;
      if (!inRange(bytes, i + 1, end, lo, hi) || !isContinuation(bytes, i + 2, end)) return i;
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      const lo = b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xf4 ? 0x8f : 0xbf;
      if (
        !inRange(bytes, i + 1, end, lo, hi) ||
        !isContinuation(bytes, i + 2, end) ||
        !isContinuation(bytes, i + 3, end)
      ) {
        return i;
      }
      i += 4;
    } else {
      return i;
    }
  }
  return end;
}

/** Number of code points that start in `bytes[start, end)` (bytes that are not continuation bytes). */
export function codePointCount(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if ((bytes[i]! & 0xc0) !== 0x80) n++;
  return n;
}
