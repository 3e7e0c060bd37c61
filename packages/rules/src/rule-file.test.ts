import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ErrorCodes, isVigilError } from '@vigil/model';
import { requireTool } from '@vigil/testing';
import { parseRuleFile } from './rule-file.js';
import type { RuleFileProblem } from './rule-file.js';

const testdata = fileURLToPath(new URL('../src/testdata/', import.meta.url));

function problemsOf(text: string, file = 'rules.yml'): RuleFileProblem[] {
  try {
    parseRuleFile(text, file);
  } catch (err) {
    assert.ok(isVigilError(err, ErrorCodes.RULES_INVALID), String(err));
    assert.match(err.message, new RegExp(file.replace('.', '\\.')));
    return err.details!.problems as RuleFileProblem[];
  }
  return [];
}

describe('parseRuleFile', () => {
  it('parses groups and rules into specs', () => {
    const groups = parseRuleFile(readFileSync(testdata + 'valid/basic.yml', 'utf8'), 'basic.yml');
    assert.equal(groups.length, 1);
    const g = groups[0]!;
    assert.equal(g.name, 'example');
    assert.equal(g.file, 'basic.yml');
    assert.equal(g.intervalMs, 30_000);
    assert.equal(g.limit, 0);
    assert.equal(g.queryOffsetMs, undefined);
    assert.equal(g.rules.length, 2);
    const [rec, alert] = g.rules;
    assert.equal(rec!.type, 'recording');
    assert.deepEqual(rec, {
      type: 'recording',
      record: 'job:http_requests:rate5m',
      expr: 'sum by (job) (rate(http_requests_total[5m]))',
      labels: { team: 'web' },
    });
    assert.equal(alert!.type, 'alerting');
    if (alert!.type !== 'alerting') return;
    assert.equal(alert!.alert, 'HighErrorRate');
    assert.equal(alert!.forMs, 600_000);
    assert.equal(alert!.keepFiringForMs, 300_000);
    assert.deepEqual([...alert!.annotationTemplates.keys()], ['summary', 'description']);
  });

  it('accepts query_offset, group labels, limit and scalars where go-yaml accepts them', () => {
    const [g] = parseRuleFile(
      'groups:\n- name: g\n  query_offset: 1m\n  limit: 3\n  labels: {team: a}\n  rules:\n  - alert: A\n    expr: 1\n    for: 0\n    labels: {prio: 2}\n',
      'f.yml',
    );
    assert.equal(g!.queryOffsetMs, 60_000);
    assert.equal(g!.limit, 3);
    assert.deepEqual(g!.labels, { team: 'a' });
    const rule = g!.rules[0]!;
    assert.equal(rule.expr, '1');
    assert.deepEqual(rule.labels, { prio: '2' });
  });

  it('names the file, the path and the problem', () => {
    const problems = problemsOf(
      'groups:\n- name: g\n  rules:\n  - record: ok\n    expr: up\n  - record: x\n    expr: up\n  - record: y\n    expr: sum(\n',
      'my-rules.yml',
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, 'groups[0].rules[2].expr');
    assert.match(problems[0]!.message, /could not parse expression/);
    assert.equal(problems[0]!.line, 9);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(
      'groups:\n- name: g\n  rules:\n  - record: a-b\n    expr: up\n  - alert: A\n    expr: up\n    labels: {"x y": z}\n- name: g\n',
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      ['groups[0].rules[0].record', 'groups[0].rules[1].labels.x y', 'groups[1].name'],
    );
    assert.match(problems[0]!.message, /invalid recording rule name: a-b/);
    assert.match(problems[2]!.message, /"g" is repeated/);
  });

  it('reports template syntax errors at load time', () => {
    const problems = problemsOf(
      'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      s: "{{ if $value }}x{{ end }}"\n',
    );
    assert.equal(problems[0]!.path, 'groups[0].rules[0].annotations.s');
    assert.match(problems[0]!.message, /"if" actions are not supported/);
  });

  it('reports unknown fields by name', () => {
    const problems = problemsOf(
      'groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n    exprs: up\n',
    );
    assert.equal(problems[0]!.path, 'groups[0].rules[0]');
    assert.match(problems[0]!.message, /unknown field 'exprs'/);
  });
});

describe('parseRuleFile agrees with promtool check rules (testdata/valid, testdata/invalid)', () => {
  for (const verdict of ['valid', 'invalid'] as const) {
    for (const name of readdirSync(testdata + verdict).sort()) {
      it(`${verdict}/${name}`, (t) => {
        const promtool = requireTool('promtool', 'prometheus', (m) => t.skip(m));
        if (promtool === undefined) return;
        const path = testdata + verdict + '/' + name;
        const run = spawnSync(promtool, ['check', 'rules', path], { encoding: 'utf8' });
        const promtoolAccepts = run.status === 0;
        assert.equal(promtoolAccepts, verdict === 'valid', `promtool: ${run.stdout}${run.stderr}`);
        const ours = problemsOf(readFileSync(path, 'utf8'), name);
        assert.equal(ours.length === 0, promtoolAccepts, JSON.stringify(ours));
      });
    }
  }
});
