/**
 * Test helpers: compare rule files as parsed YAML, with expression whitespace
 * and float noise normalised.
 */
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';

const NUMBER_RE = /(?<![\w.:])(?:\d+\.\d*|\d*\.\d+|\d+)(?:e[+-]?\d+)?(?![\w])/gi;

interface Normalised {
  value: unknown;
  numbers: { path: string; value: number }[];
}

function normaliseExpr(expr: string, path: string, numbers: Normalised['numbers']): string {
  const flat = expr.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
  return flat.replace(NUMBER_RE, (m) => {
    numbers.push({ path, value: Number(m) });
    return '#';
  });
}

function normalise(value: unknown, path: string, numbers: Normalised['numbers']): unknown {
  if (Array.isArray(value)) return value.map((v, i) => normalise(v, `${path}[${i}]`, numbers));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] =
        k === 'expr' && typeof v === 'string'
          ? normaliseExpr(v, `${path}.${k}`, numbers)
          : normalise(v, `${path}.${k}`, numbers);
    return out;
  }
  return value;
}

/** Every `groups` entry of every YAML document in `text`, in order. */
export function parseGroups(text: string): unknown[] {
  const groups: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    assert.equal(doc.errors.length, 0, doc.errors[0]?.message);
    const js = doc.toJS() as { groups?: unknown[] } | null;
    if (js?.groups !== undefined) groups.push(...js.groups);
  }
  return groups;
}

/**
 * Asserts that two rule files hold the same groups: equal as parsed YAML,
 * except that `expr` strings are compared with whitespace collapsed and
 * numeric literals equal to a relative 1e-9.
 */
export function assertSameRules(actualText: string, expectedText: string, what: string): void {
  const a: Normalised = { value: undefined, numbers: [] };
  const e: Normalised = { value: undefined, numbers: [] };
  a.value = normalise(parseGroups(actualText), 'groups', a.numbers);
  e.value = normalise(parseGroups(expectedText), 'groups', e.numbers);
  assert.deepEqual(a.value, e.value, `${what}: rule files differ`);
  assert.equal(a.numbers.length, e.numbers.length, `${what}: number count`);
  a.numbers.forEach((n, i) => {
    const want = e.numbers[i]?.value ?? NaN;
    const scale = Math.max(Math.abs(want), Math.abs(n.value), Number.MIN_VALUE);
    assert.ok(
      Math.abs(n.value - want) / scale <= 1e-9,
      `${what}: ${n.path}: number ${n.value} differs from ${want}`,
    );
  });
}

/** Renders one of Sloth's `.yaml.tpl` golden files with `version`. */
export function renderSlothTemplate(template: string, version: string): string {
  return template.replace(/\{\{"(.*?)"\}\}/g, '$1').replaceAll('{{ .version }}', version);
}
