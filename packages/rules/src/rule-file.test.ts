import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
      'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      s: "{{ range $labels }}x{{ end }}"\n',
    );
    assert.equal(problems[0]!.path, 'groups[0].rules[0].annotations.s');
    assert.match(problems[0]!.message, /"range" actions are not supported/);
  });

  it('reports unknown fields by name', () => {
    const problems = problemsOf(
      'groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n    exprs: up\n',
    );
    assert.equal(problems[0]!.path, 'groups[0].rules[0]');
    assert.match(problems[0]!.message, /unknown field 'exprs'/);
  });
});

describe('parseRuleFile with several YAML documents', () => {
  it('reads every document (Prometheus reads only the first)', () => {
    const groups = parseRuleFile(
      readFileSync(testdata + 'valid/multi-doc.yml', 'utf8'),
      'multi-doc.yml',
    );
    assert.deepEqual(
      groups.map((g) => g.name),
      ['first', 'second'],
    );
  });

  it('names the document of a problem and checks group names across documents', () => {
    const problems = problemsOf(
      'groups: [{name: g, rules: []}]\n---\ngroups: [{name: g, rules: [{record: x}]}]\n',
    );
    assert.deepEqual(
      problems.map((p) => [p.path, p.line]),
      [
        ['document 2: groups[0].name', 3],
        ['document 2: groups[0].rules[0].expr', undefined],
      ],
    );
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

// The Sloth golden files of the workspace (never copied into the repository):
// every Prometheus rule file among them gets the same verdict from us and promtool.
const slothDir = fileURLToPath(
  new URL('../../../../shared/peer-tests/sloth/examples/_gen/', import.meta.url),
);

describe('parseRuleFile agrees with promtool on the Sloth golden files', () => {
  const files = existsSync(slothDir) ? readdirSync(slothDir).filter((f) => /\.ya?ml$/.test(f)) : [];
  if (files.length === 0)
    it('Sloth golden files', { skip: `${slothDir} is not there (outside the repository)` });
  for (const name of files.sort()) {
    const text = existsSync(slothDir + name) ? readFileSync(slothDir + name, 'utf8') : '';
    // Kubernetes PrometheusRule objects are not rule files.
    if (/^kind:/m.test(text)) continue;
    it(name, (t) => {
      const promtool = requireTool('promtool', 'prometheus', (m) => t.skip(m));
      if (promtool === undefined) return;
      const run = spawnSync(promtool, ['check', 'rules', slothDir + name], { encoding: 'utf8' });
      const ours = problemsOf(text, name);
      assert.equal(
        ours.length === 0,
        run.status === 0,
        `ours: ${JSON.stringify(ours)}; promtool: ${run.stdout}`,
      );
    });
  }
});
