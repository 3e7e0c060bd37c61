/**
 * Prometheus rule-group files: YAML parsing and validation with the checks
 * `promtool check rules` makes, plus the compiled form the evaluator runs.
 *
 * @module
 */
import {
  ErrorCodes,
  VigilError,
  isValidLabelName,
  isValidMetricName,
  parseDurationMs,
} from '@vigil/model';
import { parseExpr } from '@vigil/promql';
import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { compileTemplate, TemplateError } from './template.js';
import type { Template } from './template.js';

/** A recording rule as written in the file. */
export interface RecordingRuleSpec {
  readonly type: 'recording';
  /** The metric name the result is written under. */
  readonly record: string;
  /** The PromQL expression. */
  readonly expr: string;
  /** Labels added to (or, with an empty value, removed from) each output series. */
  readonly labels: Readonly<Record<string, string>>;
}

/** An alerting rule as written in the file, with its templates compiled. */
export interface AlertingRuleSpec {
  readonly type: 'alerting';
  /** The alert name (the `alertname` label). */
  readonly alert: string;
  /** The PromQL expression; each output series is an alert. */
  readonly expr: string;
  /** How long an alert stays pending before it fires, ms (0: fires at once). */
  readonly forMs: number;
  /** How long a firing alert keeps firing after its condition cleared, ms. */
  readonly keepFiringForMs: number;
  /** Label templates (name → template). */
  readonly labels: Readonly<Record<string, string>>;
  /** Annotation templates (name → template). */
  readonly annotations: Readonly<Record<string, string>>;
  /** The compiled label templates, same keys as `labels`. */
  readonly labelTemplates: ReadonlyMap<string, Template>;
  /** The compiled annotation templates, same keys as `annotations`. */
  readonly annotationTemplates: ReadonlyMap<string, Template>;
}

/** One rule of a group. */
export type RuleSpec = RecordingRuleSpec | AlertingRuleSpec;

/** A validated rule group, ready for {@link RuleManager.load}. */
export interface RuleGroupSpec {
  /** Unique name of the group (within its file; the manager requires it unique overall). */
  readonly name: string;
  /** The file the group came from ('' when built in code). */
  readonly file: string;
  /** Evaluation interval, ms; undefined means the manager's default. */
  readonly intervalMs: number | undefined;
  /** Most series (recording) or alerts (alerting) a rule may produce; 0 means no limit. */
  readonly limit: number;
  /** Evaluate at `time - queryOffsetMs`, ms; undefined means the manager's default (0). */
  readonly queryOffsetMs: number | undefined;
  /** Labels added to every rule of the group (a rule's own labels win). */
  readonly labels: Readonly<Record<string, string>>;
  /** The rules, in evaluation order. */
  readonly rules: readonly RuleSpec[];
}

/** YAML scalars become strings, as go-yaml does when it fills a `map[string]string` or a duration. */
const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const labelMap = z.record(z.string(), scalarText);

const ruleSchema = z.strictObject({
  record: z.string().optional(),
  alert: z.string().optional(),
  expr: scalarText.optional(),
  for: scalarText.optional(),
  keep_firing_for: scalarText.optional(),
  labels: labelMap.nullish(),
  annotations: labelMap.nullish(),
});

const groupSchema = z.strictObject({
  name: z.string(),
  interval: scalarText.optional(),
  query_offset: scalarText.optional(),
  limit: z.number().int().nonnegative().optional(),
  labels: labelMap.nullish(),
  rules: z.array(ruleSchema).nullish(),
});

const fileSchema = z.strictObject({
  groups: z.array(groupSchema).nullish(),
});

type FileInput = z.infer<typeof fileSchema>;

/** One problem of a rule file. */
export interface RuleFileProblem {
  /** Where in the file, e.g. `groups[0].rules[2].expr` ('' for the whole file). */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
}

/**
 * Parses and validates the text of one rule file. `file` names it in error
 * messages and in {@link RuleGroupSpec.file}.
 *
 * @throws VigilError `RULES_INVALID` listing every problem found
 *   (`details.problems` holds them as {@link RuleFileProblem}s).
 */
export function parseRuleFile(text: string, file: string): RuleGroupSpec[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const fail = (problems: RuleFileProblem[]): never => {
    const lines = problems.map((p) => `${file}: ${p.path === '' ? '' : p.path + ': '}${p.message}`);
    throw new VigilError(
      ErrorCodes.RULES_INVALID,
      `Invalid rule file ${file}: ${problems.length === 1 ? lines[0] : '\n  ' + lines.join('\n  ')}`,
      { details: { file, problems } },
    );
  };
  const problems: RuleFileProblem[] = [];
  const yamlErrors = docs.flatMap((d) => d.errors);
  if (yamlErrors.length > 0) {
    fail(
      yamlErrors.map((e) => ({
        path: '',
        message: `YAML: ${e.message}`,
        line: lineCounter.linePos(e.pos[0]).line,
      })),
    );
  }
  // Unlike Prometheus, which reads the first YAML document only and ignores
  // the rest silently, every document of a multi-document file is read (as
  // Sloth writes them); group names must be unique across them.
  const groups: RuleGroupSpec[] = [];
  const seen = new Set<string>();
  docs.forEach((doc, di) => {
    const prefix = docs.length > 1 ? `document ${di + 1}: ` : '';
    const lineOf = (path: readonly (string | number)[]): number | undefined => {
      let node: unknown = doc.contents;
      for (const key of path) {
        if (isMap(node) || isSeq(node)) node = node.get(key, true);
        else return undefined;
      }
      const range = (node as YamlNode | undefined)?.range;
      return range === undefined || range === null ? undefined : lineCounter.linePos(range[0]).line;
    };
    const problem = (path: readonly (string | number)[], message: string): RuleFileProblem => {
      const line = lineOf(path);
      return { path: prefix + formatPath(path), message, ...(line === undefined ? {} : { line }) };
    };
    const data: unknown = doc.toJS() ?? {};
    const parsed = fileSchema.safeParse(data);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
        let message = issue.message;
        if (issue.code === 'unrecognized_keys') {
          message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
        }
        problems.push(problem(path, message));
      }
      return;
    }
    groups.push(
      ...validateFile(parsed.data, file, seen, (path, message) =>
        problems.push(problem(path, message)),
      ),
    );
  });
  if (problems.length > 0) fail(problems);
  return groups;
}

function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out;
}

type Report = (path: readonly (string | number)[], message: string) => void;

function validateFile(
  input: FileInput,
  file: string,
  seen: Set<string>,
  report: Report,
): RuleGroupSpec[] {
  const groups: RuleGroupSpec[] = [];
  (input.groups ?? []).forEach((g, gi) => {
    const at = ['groups', gi];
    if (g.name === '') report([...at, 'name'], 'group name must not be empty');
    else if (seen.has(g.name))
      report([...at, 'name'], `group name ${JSON.stringify(g.name)} is repeated in the same file`);
    seen.add(g.name);
    const intervalMs = duration(g.interval, [...at, 'interval'], report);
    const queryOffsetMs = duration(g.query_offset, [...at, 'query_offset'], report);
    const groupLabels = g.labels ?? {};
    checkLabels(groupLabels, [...at, 'labels'], report);
    const rules: RuleSpec[] = [];
    (g.rules ?? []).forEach((r, ri) => {
      const rule = validateRule(r, [...at, 'rules', ri], report);
      if (rule !== undefined) rules.push(rule);
    });
    groups.push({
      name: g.name,
      file,
      intervalMs,
      limit: g.limit ?? 0,
      queryOffsetMs,
      labels: groupLabels,
      rules,
    });
  });
  return groups;
}

function duration(
  text: string | undefined,
  path: readonly (string | number)[],
  report: Report,
): number | undefined {
  if (text === undefined) return undefined;
  if (text === '0') return 0;
  try {
    return parseDurationMs(text);
  } catch {
    report(path, `not a valid duration string: ${JSON.stringify(text)}`);
    return undefined;
  }
}

function checkLabels(
  labels: Readonly<Record<string, string>>,
  path: readonly (string | number)[],
  report: Report,
): void {
  for (const name of Object.keys(labels)) {
    if (!isValidLabelName(name) || name === '__name__')
      report([...path, name], `invalid label name: ${name}`);
  }
}

function validateRule(
  r: z.infer<typeof ruleSchema>,
  at: readonly (string | number)[],
  report: Report,
): RuleSpec | undefined {
  const hasRecord = r.record !== undefined && r.record !== '';
  const hasAlert = r.alert !== undefined && r.alert !== '';
  let ok = true;
  const bad = (path: readonly (string | number)[], message: string): void => {
    ok = false;
    report(path, message);
  };
  if (hasRecord && hasAlert) bad(at, "only one of 'record' and 'alert' must be set");
  if (!hasRecord && !hasAlert) bad(at, "one of 'record' or 'alert' must be set");
  const expr = r.expr ?? '';
  if (expr === '') bad([...at, 'expr'], "field 'expr' must be set in rule");
  else {
    try {
      parseExpr(expr);
    } catch (err) {
      bad(
        [...at, 'expr'],
        `could not parse expression: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  const labels = r.labels ?? {};
  const annotations = r.annotations ?? {};
  for (const name of Object.keys(labels)) {
    if (!isValidLabelName(name) || name === '__name__')
      bad([...at, 'labels', name], `invalid label name: ${name}`);
  }
  for (const name of Object.keys(annotations)) {
    if (!isValidLabelName(name))
      bad([...at, 'annotations', name], `invalid annotation name: ${name}`);
  }
  if (hasRecord && !hasAlert) {
    const record = r.record!;
    if (r.annotations !== undefined && r.annotations !== null)
      bad([...at, 'annotations'], "invalid field 'annotations' in recording rule");
    if (r.for !== undefined) bad([...at, 'for'], "invalid field 'for' in recording rule");
    if (r.keep_firing_for !== undefined)
      bad([...at, 'keep_firing_for'], "invalid field 'keep_firing_for' in recording rule");
    if (!isValidMetricName(record))
      bad([...at, 'record'], `invalid recording rule name: ${record}`);
    return ok ? { type: 'recording', record, expr, labels } : undefined;
  }
  if (!hasAlert) return undefined;
  const forMs = duration(r.for, [...at, 'for'], bad) ?? 0;
  const keepFiringForMs = duration(r.keep_firing_for, [...at, 'keep_firing_for'], bad) ?? 0;
  const compile = (
    kind: 'labels' | 'annotations',
    map: Readonly<Record<string, string>>,
  ): Map<string, Template> => {
    const out = new Map<string, Template>();
    for (const [name, text] of Object.entries(map)) {
      try {
        out.set(name, compileTemplate(text));
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        bad(
          [...at, kind, name],
          `template error in ${kind === 'labels' ? 'label' : 'annotation'} ${JSON.stringify(name)}: ${err.message}`,
        );
      }
    }
    return out;
  };
  const labelTemplates = compile('labels', labels);
  const annotationTemplates = compile('annotations', annotations);
  if (!ok) return undefined;
  return {
    type: 'alerting',
    alert: r.alert!,
    expr,
    forMs,
    keepFiringForMs,
    labels,
    annotations,
    labelTemplates,
    annotationTemplates,
  };
}
