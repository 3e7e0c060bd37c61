/**
 * Rule files for `vigil server`: the `rule_files` patterns of the
 * configuration expanded and parsed into rule groups for `@vigil/rules`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { ErrorCodes, VigilError } from '@vigil/model';
import { parseRuleFile } from '@vigil/rules';
import type { RuleGroupSpec } from '@vigil/rules';
import { expandFilePatterns } from './file-patterns.js';

/** Rule groups read from files, and the files they came from. */
export interface LoadedRules {
  readonly groups: RuleGroupSpec[];
  readonly files: string[];
}

/**
 * Expands `patterns` (absolute paths; `*` and `?` may appear in the file
 * name, as in Prometheus's `rule_files`) and parses every file. A plain path
 * that does not exist is an error; a pattern that matches nothing is not.
 *
 * @throws VigilError `RULES_INVALID` naming the file and what is wrong.
 */
export function loadRuleFiles(patterns: readonly string[]): LoadedRules {
  const files = expandFilePatterns(patterns);
  const groups: RuleGroupSpec[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new VigilError(
        ErrorCodes.RULES_INVALID,
        `Cannot read rule file ${file}: ${(err as Error).message}. Fix rule_files in the configuration.`,
        { cause: err, details: { file } },
      );
    }
    groups.push(...parseRuleFile(text, file));
  }
  return { groups, files };
}
