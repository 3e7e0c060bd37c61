/**
 * What every `vigil` subcommand shares: exit codes, the version, and how a
 * failure is written. Kept free of heavy imports, so that a command loads only
 * what it uses.
 *
 * @module
 */
/** Exit code of a runtime failure. */
export const EXIT_FAILURE = 1;
/** Exit code of a usage error or an invalid file. */
export const EXIT_USAGE = 2;

/** The version of `vigil` (see `vigilVersion`). */
export { vigilVersion as version } from '../version.js';

/** Writes `vigil: <message>` to stderr and returns `code`. */
export function fail(message: string, code: number): number {
  process.stderr.write(`vigil: ${message}\n`);
  return code;
}

/** The message of an error, or its text. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
