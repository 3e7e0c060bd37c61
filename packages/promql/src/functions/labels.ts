import { ErrorCodes, VigilError, compileAnchoredRegex } from '@vigil/model';
import type { SeriesLabels } from '@vigil/storage';
import { compareStrings, labelValue } from '@vigil/storage';
import type { LabelFunction } from './types.js';

/**
 * `label_replace` and `label_join` (promql/functions.go `evalLabelReplace`,
 * `evalLabelJoin`). They only rewrite labels; the evaluator merges the
 * outputs, fails on duplicate label sets, and keeps the metric name (clears
 * the pending name drop) when the destination label is `__name__`.
 */

/**
 * Returns `labels` with `name` set to `value`, or without `name` when
 * `value` is empty (Prometheus drops empty labels). Keeps the sort order.
 */
export function setLabel(labels: SeriesLabels, name: string, value: string): SeriesLabels {
  const out: string[] = [];
  let placed = value === '';
  for (let i = 0; i < labels.length; i += 2) {
    const n = labels[i]!;
    if (n === name) continue;
    if (!placed && compareStrings(name, n) < 0) {
      out.push(name, value);
      placed = true;
    }
    out.push(n, labels[i + 1]!);
  }
  if (!placed) out.push(name, value);
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * A label name as Prometheus 3 validates it by default (UTF-8 names): any
 * non-empty text that is valid Unicode (no unpaired surrogate, which is what
 * an invalid UTF-8 byte sequence becomes once decoded).
 */
export function isValidUtf8LabelName(name: string): boolean {
  return name.length > 0 && !LONE_SURROGATE.test(name);
}

function isWordChar(ch: string): boolean {
  return ch === '_' || /^[\p{L}\p{Nd}]$/u.test(ch);
}

/**
 * Expands `template` as Go's `Regexp.Expand`: `$1`, `${1}`, `$name`,
 * `${name}` are replaced by the group (empty when it did not take part or
 * does not exist; a name is the longest run of letters, digits and `_`, so
 * `$1x` is the group named `1x`); `$$` is a `$`; a `$` not followed by a
 * valid reference is kept.
 */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  let rest = template;
  for (;;) {
    const at = rest.indexOf('$');
    if (at < 0) break;
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = extractReference(rest);
    if (ref === undefined) {
      out += '$';
      continue;
    }
    rest = rest.slice(ref.length);
    if (ref.num >= 0) out += match[ref.num] ?? '';
    else out += match.groups?.[ref.name] ?? '';
  }
  return out + rest;
}

function extractReference(text: string): { name: string; num: number; length: number } | undefined {
  if (text === '') return undefined;
  const brace = text.startsWith('{');
  let i = brace ? 1 : 0;
  const start = i;
  const chars = [...text.slice(start)];
  let nameLength = 0;
  for (const ch of chars) {
    if (!isWordChar(ch)) break;
    nameLength += ch.length;
  }
  if (nameLength === 0) return undefined;
  const name = text.slice(start, start + nameLength);
  i = start + nameLength;
  if (brace) {
    if (text[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (const ch of name) {
    if (ch < '0' || ch > '9' || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (ch.charCodeAt(0) - 48);
  }
  if (name.startsWith('0') && name.length > 1) num = -1;
  return { name, num, length: i };
}

const REGEX_CACHE_LIMIT = 64;
const regexCache = new Map<string, RegExp>();

function compileCached(regex: string): RegExp {
  let re = regexCache.get(regex);
  if (re === undefined) {
    re = compileAnchoredRegex(regex);
    if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
    regexCache.set(regex, re);
  }
  return re;
}

function labelReplaceRegex(stringArgs: readonly string[]): RegExp {
  const [dst = '', , , regex = ''] = stringArgs;
  let re: RegExp;
  try {
    re = compileCached(regex);
  } catch (err) {
    throw new VigilError(
      ErrorCodes.PROMQL_EXECUTION,
      `invalid regular expression in label_replace(): ${regex}`,
      { cause: err, details: { regex } },
    );
  }
  if (!isValidUtf8LabelName(dst)) {
    throw new VigilError(
      ErrorCodes.PROMQL_EXECUTION,
      `invalid destination label name in label_replace(): ${dst}`,
      { details: { dst } },
    );
  }
  return re;
}

/** `label_replace(v, dst, replacement, src, regex)`; `stringArgs` = `[dst, replacement, src, regex]`. */
export const labelReplace: LabelFunction = {
  kind: 'labels',
  validate: (stringArgs) => {
    labelReplaceRegex(stringArgs);
  },
  compute(labels, stringArgs) {
    const re = labelReplaceRegex(stringArgs);
    const [dst = '', replacement = '', src = ''] = stringArgs;
    const match = re.exec(labelValue(labels, src));
    if (match === null) return labels;
    return setLabel(labels, dst, expandTemplate(replacement, match));
  },
};

function validateLabelJoin(stringArgs: readonly string[]): void {
  const [dst = '', , ...sources] = stringArgs;
  for (const src of sources) {
    if (!isValidUtf8LabelName(src)) {
      throw new VigilError(
        ErrorCodes.PROMQL_EXECUTION,
        `invalid source label name in label_join(): ${src}`,
        { details: { src } },
      );
    }
  }
  if (!isValidUtf8LabelName(dst)) {
    throw new VigilError(
      ErrorCodes.PROMQL_EXECUTION,
      `invalid destination label name in label_join(): ${dst}`,
      { details: { dst } },
    );
  }
}

/** `label_join(v, dst, separator, src...)`; `stringArgs` = `[dst, separator, ...src]`. */
export const labelJoin: LabelFunction = {
  kind: 'labels',
  validate: validateLabelJoin,
  compute(labels, stringArgs) {
    validateLabelJoin(stringArgs);
    const [dst = '', separator = '', ...sources] = stringArgs;
    return setLabel(labels, dst, sources.map((s) => labelValue(labels, s)).join(separator));
  },
};
