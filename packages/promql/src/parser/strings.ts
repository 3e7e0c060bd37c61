/**
 * PromQL string literals: Go's quoting rules. `"…"` and `'…'` take Go
 * escapes (`\n`, `\xNN`, `\NNN` octal, `\uNNNN`, `\UNNNNNNNN`, …; `\'` only
 * inside single quotes and `\"` only inside double quotes); `` `…` `` is raw.
 */

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
};

const utf8 = new TextEncoder();

/**
 * Decodes UTF-8; a byte that is not part of a valid sequence becomes the
 * lone surrogate U+DC00 + byte (as Python's `surrogateescape`), so Go
 * strings with invalid UTF-8 (`"a\xc5z"`) survive and {@link goQuote}
 * prints them back as `\xc5`.
 */
export function decodeUtf8Escaped(bytes: ArrayLike<number>): string {
  let out = '';
  let i = 0;
  const n = bytes.length;
  const at = (k: number): number => bytes[k] ?? -1;
  const cont = (k: number): boolean => (at(k) & 0xc0) === 0x80 && at(k) >= 0;
  while (i < n) {
    const b = at(i);
    let cp = -1;
    let len = 1;
    if (b < 0x80) {
      cp = b;
    } else if (b >= 0xc2 && b <= 0xdf && cont(i + 1)) {
      cp = ((b & 0x1f) << 6) | (at(i + 1) & 0x3f);
      len = 2;
    } else if (b >= 0xe0 && b <= 0xef && cont(i + 1) && cont(i + 2)) {
      cp = ((b & 0x0f) << 12) | ((at(i + 1) & 0x3f) << 6) | (at(i + 2) & 0x3f);
      len = 3;
      if (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000)) cp = -1;
    } else if (b >= 0xf0 && b <= 0xf4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      cp =
        ((b & 0x07) << 18) |
        ((at(i + 1) & 0x3f) << 12) |
        ((at(i + 2) & 0x3f) << 6) |
        (at(i + 3) & 0x3f);
      len = 4;
      if (cp < 0x10000 || cp > 0x10ffff) cp = -1;
    }
    if (cp < 0) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    } else {
      out += String.fromCodePoint(cp);
      i += len;
    }
  }
  return out;
}

/**
 * Unquotes a PromQL string literal written with its quotes.
 *
 * @throws Error with the lexer's message for a bad escape.
 */
export function unquoteString(text: string): string {
  const quote = text[0];
  if (quote === '`') return text.slice(1, -1);
  const body = text.slice(1, -1);
  if (!body.includes('\\')) return body;
  // Escapes may produce raw bytes (`\xff`), so work in UTF-8 and decode at the end.
  const bytes: number[] = [];
  const pushString = (s: string): void => {
    for (const b of utf8.encode(s)) bytes.push(b);
  };
  let i = 0;
  while (i < body.length) {
    const ch = body[i] ?? '';
    if (ch !== '\\') {
      const cp = body.codePointAt(i) ?? 0;
      const s = String.fromCodePoint(cp);
      pushString(s);
      i += s.length;
      continue;
    }
    const e = body[i + 1] ?? '';
    i += 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple);
    } else if (e === quote) {
      bytes.push(e.charCodeAt(0));
    } else if (e === 'x') {
      const hex = body.slice(i, i + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error('illegal character in escape sequence');
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = body.slice(i, i + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) {
        throw new Error('illegal character in escape sequence');
      }
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
        throw new Error('escape sequence is an invalid Unicode code point');
      }
      pushString(String.fromCodePoint(cp));
      i += n;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(oct)) throw new Error('illegal character in escape sequence');
      const v = parseInt(oct, 8);
      if (v > 255) throw new Error('escape sequence is an invalid Unicode code point');
      bytes.push(v);
      i += 2;
    } else {
      throw new Error(`unknown escape sequence ${goRuneDesc(e)}`);
    }
  }
  return decodeUtf8Escaped(bytes);
}

function goRuneDesc(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`;
}

/**
 * Go's `strconv.Quote`: double-quoted, with `\a\b\f\n\r\t\v`, `\\`, `\"`,
 * `\xNN` for other control bytes and `\uNNNN` / `\UNNNNNNNN` for
 * non-printable code points. Printable Unicode stays as is.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
      default:
        break;
    }
    if (cp >= 0xdc80 && cp <= 0xdcff) {
      // A byte of invalid UTF-8, kept by decodeUtf8Escaped.
      out += `\\x${(cp - 0xdc00).toString(16).padStart(2, '0')}`;
    } else if (cp < 0x20 || cp === 0x7f) {
      out += `\\x${cp.toString(16).padStart(2, '0')}`;
    } else if (!isPrintable(cp)) {
      out +=
        cp > 0xffff
          ? `\\U${cp.toString(16).padStart(8, '0')}`
          : `\\u${cp.toString(16).padStart(4, '0')}`;
    } else {
      out += ch;
    }
  }
  return out + '"';
}

/** Approximates Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and U+0020. */
function isPrintable(cp: number): boolean {
  if (cp >= 0x20 && cp < 0x7f) return true;
  if (cp >= 0xd800 && cp < 0xe000) return false;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(cp));
}
