export { requireTool, runWithInput, freePort, startPrometheus, waitFor } from './peers.js';
export type { RunResult, PrometheusPeer } from './peers.js';
export { startPostgres } from './postgres.js';
export type { PostgresPeer, StartPostgresOptions } from './postgres.js';
