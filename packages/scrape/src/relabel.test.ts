import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ErrorCodes, VigilError } from '@vigil/model';
import { labelsToRecord } from '@vigil/storage';
import { LabelsBuilder } from './labels-builder.js';
import { compileRelabelConfigs, relabel, relabelBuilder, translateRegex } from './relabel.js';
import type { RawRelabelConfig } from './relabel.js';

interface Case {
  name: string;
  rules: RawRelabelConfig[];
  input: Record<string, string>;
  output: Record<string, string> | null;
}
interface ErrorCase {
  name: string;
  rules: RawRelabelConfig[];
  field: string;
  message: string;
}

const fixtures = JSON.parse(
  readFileSync(new URL('../src/testdata/relabel-cases.json', import.meta.url), 'utf8'),
) as { cases: Case[]; errors: ErrorCase[] };

const flat = (record: Record<string, string>): string[] => Object.entries(record).flat();

describe('relabel (testdata/relabel-cases.json)', () => {
  for (const c of fixtures.cases) {
    test(c.name, () => {
      const result = relabel(flat(c.input), compileRelabelConfigs(c.rules));
      assert.deepEqual(result === null ? null : labelsToRecord(result), c.output);
      if (result !== null) {
        const names = result.filter((_, i) => i % 2 === 0);
        assert.deepEqual(names, [...names].sort(), 'result is sorted');
      }
    });
  }
  for (const c of fixtures.errors) {
    test(`rejects: ${c.name}`, () => {
      assert.throws(
        () => compileRelabelConfigs(c.rules),
        (err: unknown) =>
          err instanceof VigilError &&
          err.code === ErrorCodes.RELABEL_CONFIG_INVALID &&
          err.details?.['field'] === c.field &&
          err.message.includes(c.message),
      );
    });
  }
});

describe('relabel details', () => {
  test('covers every action in the fixtures', () => {
    const seen = new Set(
      fixtures.cases.flatMap((c) => c.rules.map((r) => (r.action ?? 'replace').toLowerCase())),
    );
    for (const action of [
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
    ]) {
      assert.ok(seen.has(action), action);
    }
  });

  test('the builder treats empty values as absent and does not modify its input', () => {
    const input = ['b', '2', 'a', '1', 'e', ''];
    const copy = [...input];
    const out = relabel(
      input,
      compileRelabelConfigs([{ source_labels: ['a'], target_label: 'c' }]),
    );
    assert.deepEqual(out, ['a', '1', 'b', '2', 'c', '1']);
    assert.deepEqual(input, copy);
    const lb = new LabelsBuilder(['x', '1']);
    lb.set('x', '');
    assert.equal(lb.size, 0);
  });

  test('translateRegex anchors and maps RE2 syntax', () => {
    assert.equal(translateRegex('a|b').test('ab'), false);
    assert.equal(translateRegex('a|b').test('b'), true);
    assert.equal(translateRegex('\\Aab\\z').test('ab'), true);
    assert.equal(translateRegex('[]a]+').test(']a]'), true);
    assert.equal(translateRegex('(?s)a.b').test('a\nb'), true);
    assert.equal(translateRegex('a.b').test('a\nb'), false);
  });

  test('relabelBuilder stops at the first drop', () => {
    const lb = new LabelsBuilder(['a', '1']);
    const rules = compileRelabelConfigs([
      { source_labels: ['a'], regex: '1', action: 'drop' },
      { target_label: 'never', replacement: 'x' },
    ]);
    assert.equal(relabelBuilder(lb, rules), false);
    assert.equal(lb.get('never'), '');
  });
});
