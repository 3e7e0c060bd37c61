export { requireTool, runWithInput, freePort, startPrometheus, waitFor } from './peers.js';
export type { RunResult, PrometheusPeer } from './peers.js';
