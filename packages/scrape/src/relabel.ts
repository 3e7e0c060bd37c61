/**
 * Prometheus relabelling: the rules of `relabel_configs` and
 * `metric_relabel_configs`, with Prometheus's semantics (its
 * model/relabel package is the reference).
 *
 * Regular expressions are written in RE2 syntax, as in Prometheus, and run
 * as JavaScript regular expressions: {@link translateRegex} rewrites what
 * differs (`(?P<name>`, leading flag groups, `\A`, `\z`, `\Q…\E`, POSIX
 * classes) and rejects what JavaScript would read differently or RE2 does
 * not have (Unicode classes `\p{…}`, backreferences, lookaround, flag groups
 * after the start). Every regex is fully anchored.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { ErrorCodes, VigilError, isValidLabelName } from '@vigil/model';
import type { SeriesLabels } from '@vigil/storage';
import { LabelsBuilder } from './labels-builder.js';

/** The relabelling actions Prometheus knows. */
export type RelabelAction =
  | 'replace'
  | 'keep'
  | 'drop'
  | 'keepequal'
  | 'dropequal'
  | 'hashmod'
  | 'labelmap'
  | 'labeldrop'
  | 'labelkeep'
  | 'lowercase'
  | 'uppercase';

/** Every {@link RelabelAction}, in documentation order. */
export const RELABEL_ACTIONS: readonly RelabelAction[] = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
];

/** One relabelling rule as written in YAML (Prometheus key names). */
export interface RawRelabelConfig {
  readonly source_labels?: readonly string[] | undefined;
  readonly separator?: string | undefined;
  readonly regex?: string | undefined;
  readonly modulus?: number | undefined;
  readonly target_label?: string | undefined;
  readonly replacement?: string | undefined;
  readonly action?: string | undefined;
}

/** A piece of a `$1`/`${name}` template: literal text, a group number, or a group name. */
type TemplatePart = string | { readonly group: number } | { readonly name: string };

/**
 * A validated, compiled relabelling rule. Immutable; safe to share between
 * all scrape loops.
 */
export interface RelabelConfig {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  /** The regex as written (unanchored RE2 text). */
  readonly regexSource: string;
  /** The anchored JavaScript regex. */
  readonly regex: RegExp;
  readonly modulus: number;
  readonly targetLabel: string;
  readonly replacement: string;
  /** @internal */
  readonly targetTemplate: readonly TemplatePart[];
  /** @internal */
  readonly replacementTemplate: readonly TemplatePart[];
  /** @internal True for the default regex `(.*)`. */
  readonly defaultRegex: boolean;
  /** @internal True when neither target nor replacement contains `$`. */
  readonly noVariables: boolean;
}

/** Defaults of a relabelling rule, as in Prometheus. */
export const RELABEL_DEFAULTS: {
  readonly separator: string;
  readonly regex: string;
  readonly replacement: string;
  readonly action: RelabelAction;
} = Object.freeze({
  separator: ';',
  regex: '(.*)',
  replacement: '$1',
  action: 'replace',
});

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function regexError(source: string, why: string): never {
  throw new VigilError(
    ErrorCodes.RELABEL_CONFIG_INVALID,
    `invalid regex ${JSON.stringify(source)}: ${why}; expected an RE2 regular expression as in Prometheus`,
    { details: { regex: source } },
  );
}

/**
 * Rewrites an RE2 regular expression into an equivalent JavaScript one,
 * anchored at both ends (`^(?:…)$`), and compiles it.
 *
 * @throws VigilError `RELABEL_CONFIG_INVALID` for syntax errors and RE2
 *   features JavaScript would read differently.
 */
export function translateRegex(source: string): RegExp {
  let i = 0;
  let flags = '';
  for (;;) {
    const m = /^\(\?([a-zA-Z]+)\)/.exec(source.slice(i));
    if (m === null) break;
    for (const f of m[1]!) {
      if (f === 'i' || f === 's' || f === 'm') {
        if (!flags.includes(f)) flags += f;
      } else regexError(source, `flag ${f} is not supported`);
    }
    i += m[0].length;
  }
  let out = '';
  let inClass = false;
  const n = source.length;
  for (; i < n; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const d = source[i + 1];
      if (d === undefined) regexError(source, 'trailing backslash');
      if (d === 'p' || d === 'P') regexError(source, 'Unicode classes (\\p) are not supported');
      if (!inClass) {
        if (d >= '1' && d <= '9') regexError(source, 'backreferences are not supported by RE2');
        if (d === 'A') {
          out += '^';
          i++;
          continue;
        }
        if (d === 'z') {
          out += '$';
          i++;
          continue;
        }
        if (d === 'Q') {
          const end = source.indexOf('\\E', i + 2);
          const literal = source.slice(i + 2, end < 0 ? n : end);
          out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
          i = end < 0 ? n : end + 1;
          continue;
        }
      }
      out += c + d;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && source[i + 1] === ':') {
        const close = source.indexOf(':]', i + 2);
        const name = close < 0 ? '' : source.slice(i + 2, close);
        const negated = name.startsWith('^');
        const range = POSIX_CLASSES[negated ? name.slice(1) : name];
        if (range === undefined) regexError(source, `unknown POSIX class [:${name}:]`);
        if (negated) regexError(source, 'negated POSIX classes are not supported');
        out += range;
        i = close + 1;
        continue;
      }
      if (c === '[') {
        out += '\\[';
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (source[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith(':') || /^<[A-Za-z_]/.test(rest)) {
        out += c;
        continue;
      }
      if (/^[a-zA-Z-]+[:)]/.test(rest)) {
        regexError(source, 'flag groups are only supported at the start of the regex');
      }
      regexError(source, 'lookaround groups are not supported by RE2');
    }
    out += c;
  }
  try {
    return new RegExp(`^(?:${out})$`, flags);
  } catch (err) {
    return regexError(source, (err as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

const NAME_CHAR = /[\p{L}\p{N}_]/u;

/** Parses a Go `Regexp.Expand` template into parts. */
function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      literal += template.slice(i);
      break;
    }
    literal += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      literal += '$';
      i++;
      continue;
    }
    const brace = template[i] === '{';
    let j = brace ? i + 1 : i;
    const start = j;
    while (j < template.length) {
      const cp = template.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!NAME_CHAR.test(ch)) break;
      j += ch.length;
    }
    const name = template.slice(start, j);
    if (name === '' || (brace && template[j] !== '}')) {
      literal += '$'; // malformed: the dollar is literal text
      continue;
    }
    if (brace) j++;
    i = j;
    if (literal !== '') parts.push(literal);
    literal = '';
    if (/^[0-9]+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length <= 8) {
      parts.push({ group: Number(name) });
    } else {
      parts.push({ name });
    }
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

function expand(parts: readonly TemplatePart[], match: RegExpExecArray): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else if ('group' in part) out += match[part.group] ?? '';
    else out += match.groups?.[part.name] ?? '';
  }
  return out;
}

/** Prometheus's pattern for a `replace` target: a label name, possibly with `$1`/`${name}` parts. */
const TARGET_WITH_VARS = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

function invalid(field: string, why: string): never {
  throw new VigilError(ErrorCodes.RELABEL_CONFIG_INVALID, why, { details: { field } });
}

/**
 * Validates and compiles one rule, applying Prometheus's defaults and checks
 * (which fields each action needs or forbids).
 *
 * @throws VigilError `RELABEL_CONFIG_INVALID`; `details.field` names the
 *   offending key (e.g. `regex`) so that a config loader can build a path.
 */
export function compileRelabelConfig(raw: RawRelabelConfig): RelabelConfig {
  const actionText = (raw.action ?? RELABEL_DEFAULTS.action).toLowerCase();
  if (!(RELABEL_ACTIONS as readonly string[]).includes(actionText)) {
    invalid(
      'action',
      `unknown relabel action ${JSON.stringify(raw.action)}; expected one of ${RELABEL_ACTIONS.join(', ')}`,
    );
  }
  const action = actionText as RelabelAction;
  const sourceLabels = raw.source_labels ?? [];
  for (const name of sourceLabels) {
    if (!isValidLabelName(name)) {
      invalid('source_labels', `${JSON.stringify(name)} is not a valid label name`);
    }
  }
  const regexSource = raw.regex ?? RELABEL_DEFAULTS.regex;
  let regex: RegExp;
  try {
    regex = translateRegex(regexSource);
  } catch (err) {
    throw new VigilError(ErrorCodes.RELABEL_CONFIG_INVALID, (err as Error).message, {
      cause: err,
      details: { field: 'regex' },
    });
  }
  const separator = raw.separator ?? RELABEL_DEFAULTS.separator;
  const replacement = raw.replacement ?? RELABEL_DEFAULTS.replacement;
  const modulus = raw.modulus ?? 0;
  const targetLabel = raw.target_label ?? '';
  if (!Number.isSafeInteger(modulus) || modulus < 0) {
    invalid('modulus', 'modulus must be a non-negative integer');
  }
  if (action === 'hashmod' && modulus === 0) {
    invalid('modulus', 'the hashmod action requires a non-zero modulus');
  }
  const needsTarget: readonly RelabelAction[] = [
    'replace',
    'hashmod',
    'lowercase',
    'uppercase',
    'keepequal',
    'dropequal',
  ];
  if (needsTarget.includes(action) && targetLabel === '') {
    invalid('target_label', `the ${action} action requires a target_label`);
  }
  if (
    action === 'replace' &&
    !isValidLabelName(targetLabel) &&
    !TARGET_WITH_VARS.test(targetLabel)
  ) {
    invalid(
      'target_label',
      `${JSON.stringify(targetLabel)} is not a valid label name or $-template`,
    );
  }
  if (action !== 'replace' && needsTarget.includes(action) && !isValidLabelName(targetLabel)) {
    invalid('target_label', `${JSON.stringify(targetLabel)} is not a valid label name`);
  }
  if (action === 'keepequal' || action === 'dropequal') {
    if (
      raw.regex !== undefined ||
      raw.modulus !== undefined ||
      raw.separator !== undefined ||
      raw.replacement !== undefined
    ) {
      invalid(
        raw.regex !== undefined
          ? 'regex'
          : raw.modulus !== undefined
            ? 'modulus'
            : raw.separator !== undefined
              ? 'separator'
              : 'replacement',
        `the ${action} action takes only source_labels and target_label`,
      );
    }
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    const extra = (
      ['source_labels', 'target_label', 'modulus', 'separator', 'replacement'] as const
    ).find((k) => raw[k] !== undefined);
    if (extra !== undefined) invalid(extra, `the ${action} action takes only a regex`);
  }
  if (action === 'labelmap' && !TARGET_WITH_VARS.test(replacement)) {
    invalid(
      'replacement',
      `${JSON.stringify(replacement)} is not a valid label name or $-template`,
    );
  }
  return {
    action,
    sourceLabels: [...sourceLabels],
    separator,
    regexSource,
    regex,
    modulus,
    targetLabel,
    replacement,
    targetTemplate: parseTemplate(targetLabel),
    replacementTemplate: parseTemplate(replacement),
    defaultRegex: regexSource === RELABEL_DEFAULTS.regex,
    noVariables: !targetLabel.includes('$') && !replacement.includes('$'),
  };
}

/** Compiles a list of rules (see {@link compileRelabelConfig}). */
export function compileRelabelConfigs(raw: readonly RawRelabelConfig[]): RelabelConfig[] {
  return raw.map(compileRelabelConfig);
}

function hashMod(value: string, modulus: number): number {
  const digest = createHash('md5').update(value, 'utf8').digest();
  return Number(digest.readBigUInt64BE(8) % BigInt(modulus));
}

function sourceValue(cfg: RelabelConfig, lb: LabelsBuilder): string {
  const names = cfg.sourceLabels;
  if (names.length === 1) return lb.get(names[0]!);
  let val = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) val += cfg.separator;
    val += lb.get(names[i]!);
  }
  return val;
}

/**
 * Applies one rule to `lb`. Returns false when the rule drops the label set.
 */
function applyRule(cfg: RelabelConfig, lb: LabelsBuilder): boolean {
  switch (cfg.action) {
    case 'drop':
      return !cfg.regex.test(sourceValue(cfg, lb));
    case 'keep':
      return cfg.regex.test(sourceValue(cfg, lb));
    case 'dropequal':
      return lb.get(cfg.targetLabel) !== sourceValue(cfg, lb);
    case 'keepequal':
      return lb.get(cfg.targetLabel) === sourceValue(cfg, lb);
    case 'replace': {
      const val = sourceValue(cfg, lb);
      if (val === '' && cfg.defaultRegex && cfg.noVariables) {
        lb.set(cfg.targetLabel, cfg.replacement);
        return true;
      }
      const match = cfg.regex.exec(val);
      if (match === null) return true;
      const target = expand(cfg.targetTemplate, match);
      if (!isValidLabelName(target)) return true;
      lb.set(target, expand(cfg.replacementTemplate, match)); // '' deletes
      return true;
    }
    case 'lowercase':
      lb.set(cfg.targetLabel, sourceValue(cfg, lb).toLowerCase());
      return true;
    case 'uppercase':
      lb.set(cfg.targetLabel, sourceValue(cfg, lb).toUpperCase());
      return true;
    case 'hashmod':
      lb.set(cfg.targetLabel, String(hashMod(sourceValue(cfg, lb), cfg.modulus)));
      return true;
    case 'labelmap':
      for (const name of lb.nameList()) {
        const match = cfg.regex.exec(name);
        if (match === null) continue;
        const target = expand(cfg.replacementTemplate, match);
        // Deviation: Prometheus 3 accepts any UTF-8 name here; names must be valid for our storage.
        if (isValidLabelName(target)) lb.set(target, lb.get(name));
      }
      return true;
    case 'labeldrop':
      for (const name of lb.nameList()) if (cfg.regex.test(name)) lb.del(name);
      return true;
    case 'labelkeep':
      for (const name of lb.nameList()) if (!cfg.regex.test(name)) lb.del(name);
      return true;
  }
}

/**
 * Applies `configs` in order to the labels in `lb`, as Prometheus's
 * `relabel.ProcessBuilder` does. Returns false when a rule dropped the
 * label set (the builder is then left part-way). Rules read the labels as
 * the previous rules left them.
 */
export function relabelBuilder(lb: LabelsBuilder, configs: readonly RelabelConfig[]): boolean {
  for (let i = 0; i < configs.length; i++) {
    if (!applyRule(configs[i]!, lb)) return false;
  }
  return true;
}

/**
 * Relabels a label set: the sorted result, or `null` when the rules drop it.
 * `labels` may be in any order; it is not modified.
 */
export function relabel(
  labels: readonly string[],
  configs: readonly RelabelConfig[],
): SeriesLabels | null {
  const lb = new LabelsBuilder(labels);
  return relabelBuilder(lb, configs) ? lb.labels() : null;
}
