/**
 * File patterns of the configuration (`rule_files`, `slo_files`): Prometheus's
 * form, where `*` and `?` may appear in the file name (not in directories).
 *
 * @module
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Expands `patterns` (absolute paths) in order. A plain path is kept as it is,
 * existing or not, so that reading it reports a missing file; a pattern that
 * matches nothing expands to nothing, as in Prometheus. Matches are sorted.
 */
export function expandFilePatterns(patterns: readonly string[]): string[] {
  const files: string[] = [];
  for (const pattern of patterns) {
    const name = basename(pattern);
    if (!/[*?]/.test(name)) {
      files.push(pattern);
      continue;
    }
    const dir = dirname(pattern);
    const matcher = new RegExp(
      '^' +
        name
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.') +
        '$',
    );
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      entries = [];
    }
    files.push(
      ...entries
        .filter((e) => matcher.test(e))
        .sort()
        .map((e) => join(dir, e)),
    );
  }
  return files;
}
