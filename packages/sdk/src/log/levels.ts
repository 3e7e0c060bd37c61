/** Log levels and how the logger's level is chosen. */
import { ErrorCodes, VigilError } from '@vigil/model';

/** The levels a logger accepts, most severe first; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level used when neither the options nor `LOG_LEVEL` name one. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Chooses the level: `level` if given, else the `LOG_LEVEL` variable of `env`
 * (empty counts as unset), else {@link DEFAULT_LOG_LEVEL}. Case and
 * surrounding spaces are ignored (`LOG_LEVEL=DEBUG` works).
 *
 * Pure; safe to call from anywhere.
 *
 * @throws VigilError `CONFIG_INVALID` naming the source and the valid levels.
 */
export function resolveLogLevel(
  level: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): LogLevel {
  let raw: unknown = level;
  let source = 'the "level" option';
  if (raw === undefined) {
    const fromEnv = env.LOG_LEVEL;
    if (fromEnv === undefined || fromEnv.trim() === '') return DEFAULT_LOG_LEVEL;
    raw = fromEnv;
    source = 'the LOG_LEVEL environment variable';
  }
  const normalised = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (isLogLevel(normalised)) return normalised;
  throw new VigilError(
    ErrorCodes.CONFIG_INVALID,
    `Invalid log level ${JSON.stringify(raw)} in ${source}: valid levels are ` +
      `${LOG_LEVELS.join(', ')}.`,
    { details: { level: raw, source, valid: [...LOG_LEVELS] } },
  );
}
