/**
 * `vigil check config|rules FILE...`: validates configuration files (with the
 * rule and SLO files they name) or Prometheus rule files.
 *
 * @module
 */
import { resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { loadRuleFiles } from '../rules.js';
import { loadSlos } from '../slos.js';
import { EXIT_USAGE, errorText, fail } from './common.js';

const CHECK_HELP = `Usage: vigil check config FILE...
       vigil check rules FILE...

Validates configuration files (with the rule files they name) or Prometheus
rule files: exit 0 when all are valid, 2 otherwise, with the file, the path
in it and what was expected.
`;

/** Runs `vigil check` with `args` (after `check`); resolves to the exit code. */
export async function checkConfig(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  if ((args[0] !== 'config' && args[0] !== 'rules') || args.length < 2) {
    return fail(
      `usage: vigil check config FILE or vigil check rules FILE (got "vigil check ${args.join(' ')}")`,
      EXIT_USAGE,
    );
  }
  let failed = false;
  for (const file of args.slice(1)) {
    try {
      if (args[0] === 'rules') {
        const { groups } = loadRuleFiles([resolve(file)]);
        const count = groups.reduce((n, g) => n + g.rules.length, 0);
        process.stdout.write(`Checking ${file}\n  SUCCESS: ${count} rules found\n`);
        continue;
      }
      const config = loadConfig(file);
      const rules = loadRuleFiles(config.ruleFiles);
      const slos = await loadSlos(config.sloFiles, {
        alerts: config.slo.alerts,
        timeScale: config.slo.timeScale,
      });
      process.stdout.write(
        `Checking ${file}\n  SUCCESS: ${config.scrapeConfigs.length} scrape config(s) found; ${rules.files.length} rule file(s); ${slos.specs.slos.length} SLO(s) in ${slos.files.length} SLO file(s); storage ${config.storage.path}; listen ${config.server.listen}\n`,
      );
    } catch (err) {
      failed = true;
      process.stderr.write(`Checking ${file}\n  FAILED: ${errorText(err)}\n`);
    }
  }
  return failed ? EXIT_USAGE : 0;
}
