/**
 * Number parsing for the exposition parser, on a region of UTF-8 bytes,
 * without allocating on the common path.
 *
 * The accepted grammar is what Prometheus accepts (Go's `strconv.ParseFloat`
 * minus hexadecimal floats and `_` digit separators, which Prometheus
 * rejects), which is also the OpenMetrics 1.0 ABNF:
 *
 *   [+-] digits [ "." [digits] ] [ (e|E) [+-] digits ]
 *   [+-] "." digits [ (e|E) [+-] digits ]
 *   [+-] (inf | infinity)         case-insensitive
 *   nan                            case-insensitive, no sign
 *
 * A finite spelling whose value overflows float64 (`1e400`) is rejected, as Go
 * reports `ErrRange` for it.
 *
 * The functions take a Buffer: every caller passes one, which keeps the
 * byte loads monomorphic (a plain Uint8Array here would slow the parser).
 *
 * @module
 */
import { Buffer } from 'node:buffer';

/** Exact powers of ten: every one up to 1e22 is representable in float64. */
const POW10: readonly number[] = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22,
];

/** Mantissas with at most this many significant digits are below 2^53, hence exact. */
const MAX_EXACT_DIGITS = 15;

function latin1(b: Buffer, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) out += String.fromCharCode(b[i]!);
  return out;
}

function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function regionIsLower(b: Buffer, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if (lowerAscii(b[start + k]!) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Parses `b[start, end)` as a number and multiplies it by `10^shift` (`shift`
 * 0 for values, 3 to turn seconds into milliseconds, which stays exact for
 * decimal input such as `1520879607.789`). Returns `undefined` when the text
 * is not a number of the grammar above or is out of float64 range.
 * `allowSpecial` admits `NaN` and the infinities (values; not timestamps).
 *
 * Small on purpose, so that the parser can inline it: plain decimals of at
 * most 15 digits (`1027`, `-3`, `0.005`, `171.27`) are converted here,
 * everything else by {@link parseNumberFully}.
 */
export function parseNumber(
  b: Buffer,
  start: number,
  end: number,
  allowSpecial: boolean,
  shift: number,
): number | undefined {
  let i = start;
  const negative = i < end && b[i] === 45;
  if (negative) i++;
  if (end - i > 0 && end - i <= MAX_EXACT_DIGITS) {
    let mantissa = 0;
    let point = -1;
    for (; i < end; i++) {
      const d = b[i]! - 48;
      if (d >= 0 && d <= 9) mantissa = mantissa * 10 + d;
      else if (d === -2 && point < 0 && i > start + (negative ? 1 : 0)) point = i;
      else break;
    }
    if (i === end && point !== end - 1) {
      const scale = (point < 0 ? 0 : point + 1 - end) + shift;
      const value = scale >= 0 ? mantissa * POW10[scale]! : mantissa / POW10[-scale]!;
      return negative ? -value : value;
    }
  }
  return parseNumberFully(b, start, end, allowSpecial, shift);
}

/** The whole grammar of {@link parseNumber}. */
function parseNumberFully(
  b: Buffer,
  start: number,
  end: number,
  allowSpecial: boolean,
  shift: number,
): number | undefined {
  let i = start;
  if (i >= end) return undefined;
  let c = b[i]!;
  let negative = false;
  let signed = false;
  if (c === 43 || c === 45) {
    negative = c === 45;
    signed = true;
    i++;
    if (i >= end) return undefined;
    c = b[i]!;
  }
  if (c >= 65) {
    if (!allowSpecial) return undefined;
    if (regionIsLower(b, i, end, 'inf') || regionIsLower(b, i, end, 'infinity')) {
      return negative ? -Infinity : Infinity;
    }
    if (!signed && regionIsLower(b, i, end, 'nan')) return NaN;
    return undefined;
  }
  let mantissa = 0;
  let significant = 0;
  let exp10 = 0;
  let exact = true;
  let digits = false;
  // Integer part.
  while (i < end) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) break;
    digits = true;
    if (mantissa !== 0 || d !== 0) {
      if (significant < MAX_EXACT_DIGITS) {
        mantissa = mantissa * 10 + d;
        significant++;
      } else {
        exact = false;
      }
    }
    i++;
  }
  // Fraction.
  if (i < end && b[i]! === 46) {
    i++;
    while (i < end) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) break;
      digits = true;
      if (mantissa !== 0 || d !== 0) {
        if (significant < MAX_EXACT_DIGITS) {
          mantissa = mantissa * 10 + d;
          significant++;
          exp10--;
        } else {
          exact = false;
        }
      } else {
        exp10--;
      }
      i++;
    }
  }
  if (!digits) return undefined;
  // Exponent.
  if (i < end) {
    c = b[i]!;
    if (c !== 101 && c !== 69) return undefined;
    i++;
    if (i >= end) return undefined;
    c = b[i]!;
    let expNegative = false;
    if (c === 43 || c === 45) {
      expNegative = c === 45;
      i++;
    }
    let e = 0;
    let expDigits = false;
    while (i < end) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) return undefined;
      expDigits = true;
      if (e < 100_000) e = e * 10 + d;
      i++;
    }
    if (!expDigits) return undefined;
    exp10 += expNegative ? -e : e;
  }
  let value: number;
  const scale = exp10 + shift;
  if (exact && scale >= -22 && scale <= 22) {
    // One correctly rounded operation on exact operands: the result is the
    // float64 nearest to the decimal (Clinger's fast path).
    value = scale >= 0 ? mantissa * POW10[scale]! : mantissa / POW10[-scale]!;
  } else {
    // The text is a valid JavaScript numeric string by construction.
    value = Number(latin1(b, signed ? start + 1 : start, end));
    if (shift !== 0) value *= POW10[shift]!;
    if (!Number.isFinite(value)) return undefined;
  }
  return negative ? -value : value;
}

/**
 * Parses `b[start, end)` as a text-format timestamp: decimal digits only (no
 * sign, as in Prometheus's lexer), at most 2^53 - 1 so that the integer
 * milliseconds are exact. Returns `undefined` otherwise.
 */
export function parseIntegerTimestamp(b: Buffer, start: number, end: number): number | undefined {
  if (start >= end) return undefined;
  let i = start;
  while (i < end - 1 && b[i] === 48) i++;
  if (end - i > 16) return undefined;
  let value = 0;
  for (; i < end; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return value <= Number.MAX_SAFE_INTEGER ? value : undefined;
}

/** {@link parseNumber} on a string (values only, no shift); `undefined` when it is not a number. */
export function parseNumberText(text: string): number | undefined {
  // A Buffer, like the parser's input, keeps parseNumber's byte loads monomorphic.
  const bytes = Buffer.from(text, 'utf8');
  return parseNumber(bytes, 0, bytes.length, true, 0);
}
