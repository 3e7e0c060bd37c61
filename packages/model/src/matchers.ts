import { ErrorCodes, VigilError } from './errors.js';

/** How a {@link LabelMatcher} compares: equal, not equal, regex match, regex non-match. */
export type MatchType = '=' | '!=' | '=~' | '!~';

/**
 * A label matcher as in a PromQL selector (`{job="api", route=~"/users/.*"}`).
 * A label that a series does not have matches as the empty string, so
 * `{env=""}` selects series without `env` and `{env!=""}` those with it.
 * Regular expressions are fully anchored, as Prometheus anchors them.
 *
 * Immutable; safe to share between queries.
 */
export interface LabelMatcher {
  readonly type: MatchType;
  /** The label name, e.g. `__name__`. */
  readonly name: string;
  /** The value or the (unanchored, as written) regular expression. */
  readonly value: string;
  /** True when a label value (`''` for a missing label) satisfies the matcher. */
  matches(value: string): boolean;
}

const MATCH_TYPES: ReadonlySet<string> = new Set(['=', '!=', '=~', '!~']);

/**
 * Creates a matcher. Regular expressions are compiled once, fully anchored
 * (`^(?:re)$`), in Unicode mode (`.` is one code point) with the `s` flag
 * so that `.` matches a newline, as in RE2.
 *
 * JavaScript regular expressions are not RE2; the expression is translated
 * so that what Prometheus users write means what it means there: a
 * backslash before any ASCII punctuation is that character, a `{` or `}`
 * that is not part of a repetition and a `]` outside a class are literals,
 * `(?P<name>` is a named group, and a leading `(?i)` / `(?s)` / `(?is)` sets
 * flags. Some RE2-only forms are rejected (`\z`, `\A`, `\Q…\E`, POSIX
 * classes like `[[:alpha:]]`, other inline flags) and a few forms RE2
 * rejects are accepted (lookarounds, backreferences).
 *
 * @throws VigilError `MATCHER_INVALID` for an unknown type or a regular
 *   expression that does not compile.
 */
export function newLabelMatcher(type: MatchType, name: string, value: string): LabelMatcher {
  if (!MATCH_TYPES.has(type)) {
    throw new VigilError(
      ErrorCodes.MATCHER_INVALID,
      `Unknown matcher type ${JSON.stringify(type)}: use one of =, !=, =~, !~.`,
      { details: { type, name } },
    );
  }
  if (type === '=') return { type, name, value, matches: (v) => v === value };
  if (type === '!=') return { type, name, value, matches: (v) => v !== value };
  let re: RegExp;
  try {
    const { source, flags } = translateRe2(value);
    // Compiling the expression alone first keeps a value like `a)|(b` from
    // escaping the anchoring group below.
    new RegExp(source, flags);
    re = new RegExp(`^(?:${source})$`, flags);
  } catch (err) {
    throw new VigilError(
      ErrorCodes.MATCHER_INVALID,
      `Label matcher ${name}${type}${JSON.stringify(value)} has an invalid regular expression: ${(err as Error).message}.`,
      { cause: err, details: { type, name, value } },
    );
  }
  if (type === '=~') return { type, name, value, matches: (v) => re.test(v) };
  return { type, name, value, matches: (v) => !re.test(v) };
}

/**
 * Compiles an RE2-style regular expression fully anchored (`^(?:re)$`), with
 * the same translation and flags as {@link newLabelMatcher}, for callers that
 * need the capture groups (PromQL's `label_replace`). Numbered and named
 * groups keep RE2's numbering; `(?P<name>` becomes a JavaScript named group.
 * The returned RegExp has no `g` or `y` flag, so `exec` is stateless and it
 * may be shared between concurrent queries.
 *
 * @throws SyntaxError when the expression does not compile.
 */
export function compileAnchoredRegex(re2: string): RegExp {
  const { source, flags } = translateRe2(re2);
  // Compiling the expression alone first keeps `a)|(b` from escaping the anchoring group.
  new RegExp(source, flags);
  return new RegExp(`^(?:${source})$`, flags);
}

const ASCII_PUNCTUATION = /^[!-/:-@[-`{-~]$/;
const REPETITION = /^\{\d+(,\d*)?\}/;

function hexEscape(ch: string): string {
  return '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
}

/**
 * Rewrites RE2 syntax into an equivalent JavaScript source for the `u`
 * flag (see {@link newLabelMatcher}). Throws a SyntaxError for RE2 forms it
 * does not support.
 */
function translateRe2(re2: string): { source: string; flags: string } {
  let flags = 'su';
  let rest = re2;
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(rest);
  if (inline !== null) {
    for (const f of inline[1]!) {
      if (f === 'i') flags += flags.includes('i') ? '' : 'i';
      else if (f !== 's') throw new SyntaxError(`inline flag (?${f}) is not supported`);
    }
    rest = rest.slice(inline[0].length);
  }
  // Case-insensitive scopes opened later (`(?i:…)`, or `(?i)` inside a group)
  // have no JavaScript equivalent on Node 20: their letters are expanded into
  // `[aA]`-style classes instead.
  let foldCase = false;
  const groupFold: boolean[] = [];
  let out = '';
  let inClass = false;
  let classStart = -1;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i]!;
    if (ch === '\\') {
      const next = rest[i + 1];
      if (next === undefined) throw new SyntaxError('trailing backslash');
      if (ASCII_PUNCTUATION.test(next)) out += hexEscape(next);
      else if (next === 'z' || next === 'A' || next === 'Q' || next === 'E') {
        throw new SyntaxError(
          `\\${next} is not supported; use ^, $ or escape characters one by one`,
        );
      } else out += ch + next;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']' && i !== classStart) {
        inClass = false;
        out += ch;
      } else if (ch === ']' || ch === '[') {
        if (ch === '[' && rest[i + 1] === ':') {
          throw new SyntaxError('POSIX classes like [[:alpha:]] are not supported');
        }
        out += hexEscape(ch);
      } else if (
        foldCase &&
        rest[i + 1] === '-' &&
        rest[i + 2] !== undefined &&
        rest[i + 2] !== ']'
      ) {
        const to = rest[i + 2]!;
        out += `${ch}-${to}${foldRange(ch, to)}`;
        i += 2;
      } else out += foldCase ? foldClassChar(ch) : ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal in RE2.
      classStart = rest[i + 1] === '^' ? i + 2 : i + 1;
      out += ch;
      if (rest[i + 1] === '^') {
        out += '^';
        i++;
      }
      continue;
    }
    if (ch === '{') {
      const m = REPETITION.exec(rest.slice(i));
      if (m !== null && i > 0) {
        out += m[0];
        i += m[0].length - 1;
      } else out += hexEscape(ch);
      continue;
    }
    if (ch === '}' || ch === ']') {
      out += hexEscape(ch);
      continue;
    }
    if (ch === '(') {
      if (rest.startsWith('(?P<', i)) {
        groupFold.push(foldCase);
        out += '(?<';
        i += 3;
        continue;
      }
      const flagGroup = /^\(\?(-?[a-zA-Z]+(?:-[a-zA-Z]+)?)(:|\))/.exec(rest.slice(i));
      if (flagGroup !== null) {
        const [whole, spec, end] = flagGroup as unknown as [string, string, string];
        let fold: boolean = foldCase;
        let on = true;
        for (const f of spec) {
          if (f === '-') on = false;
          else if (f === 'i') fold = on;
          else if (f !== 's') throw new SyntaxError(`inline flag (?${f}) is not supported`);
        }
        if (end === ':') {
          groupFold.push(foldCase);
          out += '(?:';
        }
        foldCase = fold && !flags.includes('i');
        i += whole.length - 1;
        continue;
      }
      groupFold.push(foldCase);
      out += ch;
      continue;
    }
    if (ch === ')') {
      foldCase = groupFold.pop() ?? false;
      out += ch;
      continue;
    }
    out += foldCase ? foldChar(ch) : ch;
  }
  return { source: out, flags };
}

/** A letter as a class of both cases (`a` → `[aA]`); other characters unchanged. */
function foldChar(ch: string): string {
  const lower = ch.toLowerCase();
  const upper = ch.toUpperCase();
  if (lower === upper || lower.length !== 1 || upper.length !== 1) return ch;
  return `[${lower}${upper}]`;
}

/** Inside a class: the character and its other case. */
function foldClassChar(ch: string): string {
  const lower = ch.toLowerCase();
  const upper = ch.toUpperCase();
  if (lower === upper || lower.length !== 1 || upper.length !== 1) return ch;
  return lower + upper;
}

/** The other-case counterpart of an ASCII letter range inside a class (`a-z` → `A-Z`). */
function foldRange(from: string, to: string): string {
  const isLower = (c: string): boolean => c >= 'a' && c <= 'z';
  const isUpper = (c: string): boolean => c >= 'A' && c <= 'Z';
  if (isLower(from) && isLower(to)) return `${from.toUpperCase()}-${to.toUpperCase()}`;
  if (isUpper(from) && isUpper(to)) return `${from.toLowerCase()}-${to.toLowerCase()}`;
  return '';
}

/**
 * True when the matcher also matches the empty string, i.e. it selects
 * series that lack the label. Index lookups use this: such a matcher cannot
 * be answered from the postings of its label alone.
 */
export function matchesEmpty(matcher: LabelMatcher): boolean {
  return matcher.matches('');
}
