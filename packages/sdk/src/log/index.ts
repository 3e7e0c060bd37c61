export { createLogger, flushLogger, installDiagnosticLogger } from './logger.js';
export type { Logger, LoggerOptions, LogDestination } from './logger.js';
export { LOG_LEVELS, DEFAULT_LOG_LEVEL, resolveLogLevel } from './levels.js';
export type { LogLevel } from './levels.js';
export { DEFAULT_REDACT_PATHS, DEFAULT_CENSOR, MAX_ARRAY_SCAN } from './redact.js';
export type { RedactOptions } from './redact.js';
export { serializeError, MAX_CAUSE_DEPTH, MAX_AGGREGATE_ERRORS } from './serialize-error.js';
export type { SerializedError } from './serialize-error.js';
