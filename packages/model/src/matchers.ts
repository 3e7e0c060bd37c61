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
 * Creates a matcher. Regular expressions are compiled once, anchored as
 * `^(?:re)$` with the `s` flag so that `.` matches a newline, as in RE2.
 * JavaScript regular expressions are not RE2: syntax RE2 rejects may be
 * accepted, and a few RE2-only forms (`\z`, `(?P<name>`) are rejected here.
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
    re = new RegExp(`^(?:${value})$`, 's');
  } catch (err) {
    throw new VigilError(
      ErrorCodes.MATCHER_INVALID,
      `Label matcher ${name}${type}${JSON.stringify(value)} has an invalid regular expression: ${(err as Error).message}.`,
      { cause: err, details: { type, name, value } },
    );
  }
  // Literal alternatives and plain strings are common; test() on them is fast enough.
  if (type === '=~') return { type, name, value, matches: (v) => re.test(v) };
  return { type, name, value, matches: (v) => !re.test(v) };
}

/**
 * True when the matcher also matches the empty string, i.e. it selects
 * series that lack the label. Index lookups use this: such a matcher cannot
 * be answered from the postings of its label alone.
 */
export function matchesEmpty(matcher: LabelMatcher): boolean {
  return matcher.matches('');
}
