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
const utf8Decoder = new TextDecoder('utf-8');

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
  return utf8Decoder.decode(new Uint8Array(bytes));
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
    if (cp < 0x20 || cp === 0x7f) {
      out += `\\x${cp.toString(16).padStart(2, '0')}`;
    } else if (cp === 0xfffd && ch !== '\ufffd') {
      out += ch;
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
