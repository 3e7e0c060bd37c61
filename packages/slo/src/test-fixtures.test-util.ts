import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, isVigilError } from '@vigil/model';

/** The repository root (this file runs from packages/slo/dist). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shared peer-test fixtures, read in place (never copied into the repo). */
export const PEER_TESTS = resolve(REPO_ROOT, '../shared/peer-tests');

/** The skip reason when a fixture folder is absent, or false when present. */
export function skipUnless(dir: string): string | false {
  return existsSync(dir)
    ? false
    : `fixtures not found at ${dir} (the shared peer-tests are not checked out)`;
}

/** Every `.yaml`/`.yml` file under `dir`, recursively, sorted. */
export function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
    });
}

/** Asserts `err` is SLO_SPEC_INVALID naming `file`, `path` and a rule matching `rule`. */
export function assertSpecError(err: unknown, file: string, path: string, rule: RegExp): true {
  assert.ok(isVigilError(err), `expected a VigilError, got ${String(err)}`);
  assert.equal(err.code, ErrorCodes.SLO_SPEC_INVALID);
  assert.ok(err.message.includes(file), `message names the file ${file}: ${err.message}`);
  const issues = err.details?.['issues'] as { path: string; rule: string }[] | undefined;
  assert.ok(issues !== undefined, 'details.issues is set');
  const hit = issues.find((i) => i.path === path);
  assert.ok(hit !== undefined, `an issue at ${path}; got ${JSON.stringify(issues)}`);
  assert.match(hit.rule, rule);
  const shown = path === '' ? '(document root)' : path;
  assert.ok(err.message.includes(`: ${shown}: `), `message names the path ${path}: ${err.message}`);
  return true;
}
