/**
 * `vigil slo validate FILE...`: reads SLO specs in any of the three formats
 * and reports the SLOs found, or the first error with its file and path.
 *
 * @module
 */
import { loadSloFiles } from '@vigil/slo';
import { EXIT_USAGE, errorText } from './common.js';

/** Validates `files`; resolves to 0 when all are valid, 2 otherwise. */
export async function sloValidate(files: readonly string[]): Promise<number> {
  try {
    const set = await loadSloFiles([...files]);
    for (const w of set.warnings) {
      process.stderr.write(
        `  warning: ${w.file}: ${w.path === '' ? '' : w.path + ': '}${w.message}\n`,
      );
    }
    const services = new Set(set.slos.map((slo) => slo.service));
    process.stdout.write(
      `Checking ${files.join(', ')}\n  SUCCESS: ${set.slos.length} SLO(s) for ${services.size} service(s): ${set.slos.map((slo) => slo.id).join(', ')}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`Checking ${files.join(', ')}\n  FAILED: ${errorText(err)}\n`);
    return EXIT_USAGE;
  }
}
