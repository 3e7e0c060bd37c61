// Runs every compiled test file (`dist/**/*.test.js`) of every workspace, and
// the plain-JavaScript tests of the scripts and examples (`*.test.mjs`), with
// node's built-in test runner. Build first (`npm test` does). Arguments are
// substrings that select test files, e.g. `node scripts/run-tests.mjs exposition`.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'apps', 'examples', 'bench', 'scripts']
  .map((d) => join(root, d))
  .filter((d) => existsSync(d));

/** @param {string} dir @param {string[]} out */
function walk(dir, out) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (entry.endsWith('.test.js') && full.includes('/dist/')) out.push(full);
    else if (entry.endsWith('.test.mjs') && !full.includes('/dist/')) out.push(full);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = roots
  .flatMap((d) => walk(d, []))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('No compiled test files found: run `npm run build` first.');
  process.exit(1);
}
console.log(`Running ${files.length} test files:`);
for (const f of files) console.log(`  ${relative(root, f)}`);
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' } },
);
process.exit(result.status ?? 1);
