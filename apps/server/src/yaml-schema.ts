/**
 * What the server's YAML files (the configuration and game-day scenarios)
 * share in their validation: the duration schema, and how zod's issues
 * become one error that names the file and the path.
 *
 * @module
 */
import { VigilError, parseDurationMs } from '@vigil/model';
import type { ErrorCode } from '@vigil/model';
import { formatConfigPath } from '@vigil/scrape';
import { z } from 'zod';

/** A duration string (`500ms`, `30s`, `5m`, `15d`) → ms; `what` names it in the error. */
export const durationString = (what: string) =>
  z.string().transform((text, ctx) => {
    try {
      return parseDurationMs(text);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `invalid ${what} ${JSON.stringify(text)}: expected a duration such as "500ms", "30s", "5m" or "15d"`,
      });
      return z.NEVER;
    }
  });

/**
 * The error for a document that failed `schema.safeParse`: `code`, a message
 * `<source>: <path>: <problem> (and N more problems).` for the first issue,
 * and every issue in `details.issues`.
 */
export function invalidDocument(code: ErrorCode, source: string, error: z.ZodError): VigilError {
  const issues = error.issues.map((issue) => ({
    path: formatConfigPath('', issue.path) || '(top level)',
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
        : issue.code === 'invalid_key'
          ? `invalid key: ${issue.issues[0]?.message ?? issue.message}`
          : issue.message,
  }));
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : '';
  return new VigilError(code, `${source}: ${first.path}: ${first.message}${more}.`, {
    details: { source, path: first.path, issues },
  });
}
