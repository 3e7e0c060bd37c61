import { parser as lezerParser } from '@prometheus-io/lezer-promql';
import { FUNCTION_SIGNATURES } from './function-table.js';

/**
 * lezer-promql's grammar differs from Prometheus's in a few places that do
 * not change token boundaries. This rewrites a copy of the query for lezer,
 * keeping every offset, so positions and token texts are read from the
 * original query:
 * - `2.` (a number with a trailing dot) becomes `2 `, `0X1F` becomes `0x1F`;
 * - `STEP(` / `Range(` / `MIN_OF(` … are lower-cased (Prometheus reads these
 *   duration functions case-insensitively);
 * - a call of a function lezer does not know (`min_of(…)` outside a duration)
 *   is renamed to a known function of the same length; the parser takes the
 *   name from the original text.
 */
const NUMBER = /0[xX][0-9a-fA-F_]+|[0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9_]+)?[a-zA-Z0-9_]*/y;
const WORD = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;

export function lezerInput(query: string): string {
  const out = query.split('');
  let changed = false;
  let i = 0;
  let bracketDepth = 0;
  const significant: string[] = [];
  // For each open parenthesis: whether it is part of a duration expression.
  const parens: boolean[] = [];
  let nextParenIsDuration = false;
  while (i < query.length) {
    const ch = query[i] ?? '';
    if (ch === '"' || ch === "'") {
      i = skipQuoted(query, i, ch);
      significant.push('str');
      continue;
    }
    if (ch === '`') {
      const end = query.indexOf('`', i + 1);
      i = end < 0 ? query.length : end + 1;
      significant.push('str');
      continue;
    }
    if (ch === '#') {
      while (i < query.length && query[i] !== '\n') i++;
      continue;
    }
    if (ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(query[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(query);
      const tok = m?.[0] ?? ch;
      if (tok.endsWith('.') && /^[0-9_]+\.$/.test(tok)) {
        out[i + tok.length - 1] = ' ';
        changed = true;
      }
      if (tok.startsWith('0X')) {
        out[i + 1] = 'x';
        changed = true;
      }
      i += Math.max(tok.length, 1);
      significant.push('num');
      continue;
    }
    if (/[a-zA-Z_:]/.test(ch)) {
      WORD.lastIndex = i;
      const m = WORD.exec(query);
      const word = m?.[0] ?? ch;
      let j = i + word.length;
      while (j < query.length && /\s/.test(query[j] ?? '')) j++;
      if (query[j] === '(') {
        const lower = word.toLowerCase();
        const inDuration =
          bracketDepth > 0 || afterOffset(significant) || parens[parens.length - 1] === true;
        nextParenIsDuration = inDuration;
        if (['step', 'range', 'min_of', 'max_of'].includes(lower) && lower !== word) {
          for (let k = 0; k < word.length; k++) out[i + k] = lower[k] ?? '';
          changed = true;
        }
        if (!inDuration && FUNCTION_SIGNATURES.has(word) && !lezerKnows(word)) {
          const stand = standIn(word.length);
          if (stand !== undefined) {
            for (let k = 0; k < word.length; k++) out[i + k] = stand[k] ?? '';
            changed = true;
          }
        }
      }
      significant.push(word.toLowerCase());
      i += word.length;
      continue;
    }
    if (ch === '(') {
      parens.push(
        nextParenIsDuration ||
          bracketDepth > 0 ||
          afterOffset(significant) ||
          parens[parens.length - 1] === true,
      );
      nextParenIsDuration = false;
    }
    if (ch === ')') parens.pop();
    if (ch === '[') bracketDepth++;
    if (ch === ']') bracketDepth = Math.max(0, bracketDepth - 1);
    significant.push(ch);
    i++;
  }
  return changed ? out.join('') : query;
}

function afterOffset(tokens: readonly string[]): boolean {
  for (let k = tokens.length - 1; k >= 0; k--) {
    const t = tokens[k];
    if (t === '(' || t === '-' || t === '+') continue;
    return t === 'offset';
  }
  return false;
}

function skipQuoted(q: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < q.length && q[i] !== quote && q[i] !== '\n') i += q[i] === '\\' ? 2 : 1;
  return i + 1;
}

const known = new Map<string, boolean>();

/** True when lezer-promql parses `name(...)` as a function call. */
function lezerKnows(name: string): boolean {
  let k = known.get(name);
  if (k === undefined) {
    const tree = lezerParser.parse(`${name}()`);
    k = tree.topNode.firstChild?.name === 'FunctionCall';
    known.set(name, k);
  }
  return k;
}

let standIns: Map<number, string> | undefined;

/** A function name lezer knows, of the given length. */
function standIn(length: number): string | undefined {
  if (standIns === undefined) {
    standIns = new Map();
    for (const name of FUNCTION_SIGNATURES.keys()) {
      if (!standIns.has(name.length) && lezerKnows(name)) standIns.set(name.length, name);
    }
  }
  return standIns.get(length);
}
