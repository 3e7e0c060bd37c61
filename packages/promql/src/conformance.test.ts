import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runTestFile } from './promqltest/index.js';
import type { FileReport } from './promqltest/index.js';

// dist/conformance.test.js → packages/promql/dist → repository root three levels up.
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TESTS_DIR =
  process.env['VIGIL_PEER_TESTS_DIR'] ?? path.resolve(REPO_ROOT, '../shared/peer-tests/promql');

void test('PromQL conformance (upstream promqltest scripts)', async (t) => {
  if (!existsSync(TESTS_DIR)) {
    t.skip('../shared/peer-tests/promql not found (fresh clone): conformance skipped');
    return;
  }
  const files = readdirSync(TESTS_DIR)
    .filter((f) => f.endsWith('.test'))
    .sort();
  assert.ok(files.length > 0, `no .test files in ${TESTS_DIR}`);
  const reports: FileReport[] = [];
  for (const file of files) {
    await t.test(file, async () => {
      const report = await runTestFile(path.join(TESTS_DIR, file));
      reports.push(report);
      assert.ok(
        report.fail === 0 && report.scriptErrors === 0,
        `${report.fail} in-scope eval(s) failed and ${report.scriptErrors} script error(s) in ` +
          `${file}:\n\n${report.failures.join('\n\n')}`,
      );
    });
  }
  const rows = reports.map((r) => [
    r.file,
    String(r.pass),
    String(r.fail),
    String(r.scriptErrors),
    String(r.skipped['native-histogram']),
    String(r.skipped.experimental),
  ]);
  const total = (pick: (r: FileReport) => number): string =>
    String(reports.reduce((sum, r) => sum + pick(r), 0));
  rows.push([
    'TOTAL',
    total((r) => r.pass),
    total((r) => r.fail),
    total((r) => r.scriptErrors),
    total((r) => r.skipped['native-histogram']),
    total((r) => r.skipped.experimental),
  ]);
  const head = [
    'file',
    'pass',
    'fail',
    'script-errors',
    'skip:native-histogram',
    'skip:experimental',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  t.diagnostic(['', fmt(head), ...rows.map(fmt)].join('\n'));
});
