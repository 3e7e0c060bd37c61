export { instrumentPg, PG_DB_SYSTEM } from './pg.js';
export type { PgClientLike, PgPoolLike } from './pg.js';
export { instrumentSqlite, SQLITE_DB_SYSTEM } from './sqlite.js';
export type { SqliteDatabaseLike } from './sqlite.js';
export { instrumentQuery, DEFAULT_DB_SYSTEM } from './instrument-query.js';
export type { InstrumentQueryOptions } from './instrument-query.js';
export {
  DB_QUERIES_METRIC,
  DB_QUERY_DURATION_METRIC,
  DB_DURATION_BUCKETS,
  DEFAULT_SLOW_QUERY_THRESHOLD_MS,
  DEFAULT_MAX_QUERY_TEXT_CHARS,
} from './recorder.js';
export type { DbInstrumentationOptions, DbQueryLogger } from './recorder.js';
export {
  summarizeSql,
  sqlOperation,
  OTHER_OPERATION,
  SQL_OPERATIONS,
  MAX_SQL_SCAN_CHARS,
} from './sql-summary.js';
export type { SqlSummary } from './sql-summary.js';
