/**
 * The zod schema of a Prometheus duration in the server's YAML files (the
 * configuration and game-day scenarios): text such as `30s` or `5m`, turned
 * into milliseconds, with a message that names what the duration is for.
 *
 * @module
 */
import { parseDurationMs } from '@vigil/model';
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
